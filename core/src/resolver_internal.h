/* resolver_internal.h - the resolver object shared by resolver.c (queries
 * and their lifecycle) and events.c (sockets, timeouts, event loops). */
#ifndef SRV_RESOLVER_INTERNAL_H
#define SRV_RESOLVER_INTERNAL_H

#include "cares_compat.h"
#include "query_list.h"
#include "query_table.h"
#include "srv.h"

struct srv_resolver {
    ares_channel channel;     /* every query starts here (NOCHECKRESP) */
    ares_channel fallback;    /* the other servers, for SERVFAIL/REFUSED; NULL with one server */
    int explicit_servers;     /* servers given: address queries are A and AAAA queries */
    size_t max_inflight;
    size_t inflight;          /* handed to c-ares, not yet completed */
    query_list_t waiting;     /* over the in-flight limit: not sent yet */
    query_list_t done;        /* completed, callback not yet run */
    query_table_t joinable;   /* waiting or on the wire, by kind and canonical name */
    size_t following;         /* joined to one of those, not yet completed */
    srv_resolver_stats_t stats;

    /* Sockets c-ares wants watched, kept current by its sock_state_cb. */
    srv_pollfd_t *sockets;
    size_t socket_count;
    size_t socket_capacity;
    int epoll_fd;             /* -1 until srv_resolver_pollfd() asks for it */

    int launching;            /* guards launch_waiting() against re-entry */
    int answering;            /* inside a c-ares callback: no query starts (resolver.c) */
    int depth;                /* nesting of processing calls (callbacks may process) */
    int destroy_requested;    /* srv_resolver_destroy() ran inside a callback */
    int closing;              /* destruction under way: no new queries */
    int reset_sockets;        /* a query timed out: reopen the sockets once idle (resolver.c) */
};

/* resolver.c */
void resolver_launch_waiting(srv_resolver_t *resolver);
void resolver_deliver_done(srv_resolver_t *resolver);
void resolver_destroy_now(srv_resolver_t *resolver);

/* events.c */
void events_socket_state(void *data, ares_socket_t fd, int readable, int writable);
void events_release(srv_resolver_t *resolver);

#endif
