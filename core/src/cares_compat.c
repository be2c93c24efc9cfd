/* cares_compat.c - every c-ares version difference srv deals with, gated
 * here and only here (docs/c-api.md, "c-ares versions"), on ARES_VERSION or
 * on the option's own macro:
 *
 *         a query cache (ARES_OPT_QUERY_CACHE; on by default from 1.31)
 *         adaptive timeouts, bounded by ARES_OPT_MAXTIMEOUTMS
 *   1.24  ares_get_servers_csv; ares_get_servers_ports deprecated, and setting
 *         the same servers again no longer closes their sockets
 *   1.28  ares_query_dnsrec; ares_query deprecated (its reply is one c-ares
 *         parsed and wrote again)
 *   1.34  ares_process_fds: many ready sockets in one call
 */
#include "cares_compat.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

enum { CLASS_IN = 1 };

const char *srv_cares_version(void)
{
    return ares_version(NULL);
}

/* ---- options -------------------------------------------------------- */

void cares_options_for_srv(struct ares_options *options, int *mask, int timeout_ms)
{
    (void)options;   /* 1.18 has neither option */
    (void)mask;
#ifdef ARES_OPT_QUERY_CACHE
    options->qcache_max_ttl = 0;
    *mask |= ARES_OPT_QUERY_CACHE;
#endif
#ifdef ARES_OPT_MAXTIMEOUTMS
    /* Timeouts adapt to the server's measured latency (between 250 ms and
     * this bound): a try never waits longer than the caller asked. */
    if (timeout_ms > 0) {
        options->maxtimeout = timeout_ms;
        *mask |= ARES_OPT_MAXTIMEOUTMS;
    }
#else
    (void)timeout_ms;
#endif
}

/* ---- queries --------------------------------------------------------- */

#if CARES_AT_LEAST(1, 28)

/* The reply c-ares parsed, written back to octets for srv's reader: one
 * reader, with the same checks, on every version. */
static void on_dnsrec(void *arg, ares_status_t status, size_t timeouts, const ares_dns_record_t *dnsrec)
{
    cares_reply_t *reply_to = arg;
    unsigned char *octets = NULL;
    size_t len = 0;
    if (dnsrec && ares_dns_write(dnsrec, &octets, &len) != ARES_SUCCESS) {
        octets = NULL;
        len = 0;
        if (status == ARES_SUCCESS)
            status = ARES_ENOMEM;
    }
    reply_to->callback(reply_to->arg, (int)status, timeouts > 0x7fff ? 0x7fff : (int)timeouts, octets, len);
    ares_free_string(octets);
}

void cares_query(ares_channel channel, const char *name, uint16_t type, cares_reply_t *reply_to)
{
    (void)ares_query_dnsrec(channel, name, ARES_CLASS_IN, (ares_dns_rec_type_t)type, on_dnsrec, reply_to, NULL);
}

#else

static void on_reply(void *arg, int status, int timeouts, unsigned char *reply, int reply_len)
{
    cares_reply_t *reply_to = arg;
    reply_to->callback(reply_to->arg, status, timeouts, reply_len > 0 ? reply : NULL,
                       reply_len > 0 ? (size_t)reply_len : 0);
}

void cares_query(ares_channel channel, const char *name, uint16_t type, cares_reply_t *reply_to)
{
    ares_query(channel, name, CLASS_IN, type, on_reply, reply_to);
}

#endif

/* ---- servers ------------------------------------------------------------ */

#if CARES_AT_LEAST(1, 24)

int cares_servers_after_first(ares_channel channel, ares_channel fallback, int *has_others)
{
    char *servers = ares_get_servers_csv(channel);
    if (!servers)
        return ARES_ENOMEM;
    const char *comma = strchr(servers, ',');
    *has_others = comma != NULL;
    int status = comma ? ares_set_servers_ports_csv(fallback, comma + 1) : ARES_SUCCESS;
    ares_free_string(servers);
    return status;
}

/* Here c-ares closes a connection whose stream it cannot read (a malformed
 * or misframed answer) and requeues its queries: nothing for srv to do. */
void cares_reopen_sockets(ares_channel channel)
{
    (void)channel;
}

#else

int cares_servers_after_first(ares_channel channel, ares_channel fallback, int *has_others)
{
    struct ares_addr_port_node *servers = NULL;
    int status = ares_get_servers_ports(channel, &servers);
    if (status != ARES_SUCCESS)
        return status;
    *has_others = servers && servers->next;
    if (*has_others)
        status = ares_set_servers_ports(fallback, servers->next);
    ares_free_data(servers);
    return status;
}

/* c-ares 1.18 never closes a TCP connection on which a try timed out (with
 * STAYOPEN not even when it falls idle): a server that sent half an answer
 * leaves the stream in mid-message, and every later answer on it is read
 * from the wrong offset. Setting the same servers again closes every
 * socket; c-ares refuses it while queries are pending, so the resolver
 * calls this only when idle. */
void cares_reopen_sockets(ares_channel channel)
{
    struct ares_addr_port_node *servers = NULL;
    if (ares_get_servers_ports(channel, &servers) != ARES_SUCCESS)
        return;
    (void)ares_set_servers_ports(channel, servers);
    ares_free_data(servers);
}

#endif

/* ---- processing ------------------------------------------------------- */

#if CARES_AT_LEAST(1, 34)

enum { EVENT_BATCH = 64 };

void cares_process(ares_channel channel, const srv_pollfd_t *ready, size_t count)
{
    ares_fd_events_t events[EVENT_BATCH];
    if (count == 0) {
        (void)ares_process_fds(channel, NULL, 0, ARES_PROCESS_FLAG_NONE);
        return;
    }
    while (count > 0) {
        size_t batch = count < EVENT_BATCH ? count : EVENT_BATCH;
        for (size_t i = 0; i < batch; i++) {
            events[i].fd = ready[i].fd;
            events[i].events = (ready[i].events & SRV_POLL_READ ? ARES_FD_EVENT_READ : 0u) |
                               (ready[i].events & SRV_POLL_WRITE ? ARES_FD_EVENT_WRITE : 0u);
        }
        (void)ares_process_fds(channel, events, batch, ARES_PROCESS_FLAG_NONE);
        ready += batch;
        count -= batch;
    }
}

#else

/* Before 1.34, c-ares reads one length prefix or one message per
 * ares_process_fd call on a TCP socket, so answers already waiting in it
 * would wait for later rounds, and a slow event loop would turn them into
 * timeouts. A readable socket is handed over again while it stays
 * readable, a bounded number of times (a UDP socket is read to the end in
 * one call and stops this at once). */
enum { READS_PER_ROUND = 64 };

static void process_one(ares_channel channel, const srv_pollfd_t *entry)
{
    ares_socket_t read_fd = entry->events & SRV_POLL_READ ? entry->fd : ARES_SOCKET_BAD;
    ares_socket_t write_fd = entry->events & SRV_POLL_WRITE ? entry->fd : ARES_SOCKET_BAD;
    ares_process_fd(channel, read_fd, write_fd);
    for (int i = 1; i < READS_PER_ROUND && read_fd != ARES_SOCKET_BAD; i++) {
        /* c-ares may have closed the socket: poll then says POLLNVAL. */
        struct pollfd again = {.fd = read_fd, .events = POLLIN, .revents = 0};
        if (poll(&again, 1, 0) <= 0 || (again.revents & (POLLIN | POLLERR | POLLHUP)) == 0 ||
            (again.revents & POLLNVAL))
            break;
        ares_process_fd(channel, read_fd, ARES_SOCKET_BAD);
    }
}

void cares_process(ares_channel channel, const srv_pollfd_t *ready, size_t count)
{
    if (count == 0)
        ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    for (size_t i = 0; i < count; i++)
        process_one(channel, &ready[i]);
}

#endif
