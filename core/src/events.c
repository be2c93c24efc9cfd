/* events.c - what an event loop needs from a resolver: the sockets c-ares
 * wants watched, one epoll descriptor standing for all of them, the next
 * deadline, and the processing calls. */
#include "resolver_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { POLL_BATCH = 64 };

/* The events srv.h speaks of; the registry's entries also carry
 * CARES_POLL_DATAGRAM, which stays inside the core. */
enum { POLL_EVENTS = SRV_POLL_READ | SRV_POLL_WRITE };

static uint32_t epoll_events_of(int events)
{
    return (events & SRV_POLL_READ ? EPOLLIN : 0u) | (events & SRV_POLL_WRITE ? EPOLLOUT : 0u);
}

static void epoll_update(srv_resolver_t *resolver, int op, int fd, int events)
{
    if (resolver->epoll_fd < 0)
        return;
    struct epoll_event event = {.events = epoll_events_of(events), .data.fd = fd};
    (void)epoll_ctl(resolver->epoll_fd, op, fd, &event);
}

static srv_pollfd_t *find_socket(srv_resolver_t *resolver, int fd)
{
    for (size_t i = 0; i < resolver->socket_count; i++)
        if (resolver->sockets[i].fd == fd)
            return &resolver->sockets[i];
    return NULL;
}

static void forget_socket(srv_resolver_t *resolver, srv_pollfd_t *entry)
{
    epoll_update(resolver, EPOLL_CTL_DEL, entry->fd, 0);
    *entry = resolver->sockets[--resolver->socket_count];
}

static void add_socket(srv_resolver_t *resolver, int fd, int events)
{
    if (resolver->socket_count == resolver->socket_capacity) {
        size_t capacity = resolver->socket_capacity ? resolver->socket_capacity * 2 : 8;
        srv_pollfd_t *grown = realloc(resolver->sockets, capacity * sizeof *grown);
        /* Out of memory: the socket goes unwatched, and its queries end by
         * timeout, which processing still drives. */
        if (!grown)
            return;
        resolver->sockets = grown;
        resolver->socket_capacity = capacity;
    }
    /* Asked once per socket: c-ares keeps its sockets open (STAYOPEN). A
     * socket whose type cannot be read is taken for a stream. */
    int type = 0;
    socklen_t length = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 && type == SOCK_DGRAM)
        events |= CARES_POLL_DATAGRAM;
    resolver->sockets[resolver->socket_count++] = (srv_pollfd_t){fd, events};
    epoll_update(resolver, EPOLL_CTL_ADD, fd, events);
}

/* c-ares' sock_state_cb: called whenever it wants a socket watched for
 * other events, or no longer (both flags zero). */
void events_socket_state(void *data, ares_socket_t fd, int readable, int writable)
{
    srv_resolver_t *resolver = data;
    int events = (readable ? SRV_POLL_READ : 0) | (writable ? SRV_POLL_WRITE : 0);
    srv_pollfd_t *entry = find_socket(resolver, fd);
    if (!entry) {
        if (events)
            add_socket(resolver, fd, events);
    } else if (!events) {
        forget_socket(resolver, entry);
    } else if ((entry->events & POLL_EVENTS) != events) {
        entry->events = events | (entry->events & CARES_POLL_DATAGRAM);
        epoll_update(resolver, EPOLL_CTL_MOD, fd, events);
    }
}

void events_release(srv_resolver_t *resolver)
{
    if (resolver->epoll_fd >= 0)
        close(resolver->epoll_fd);
    free(resolver->sockets);
}

size_t srv_resolver_fds(const srv_resolver_t *resolver, srv_pollfd_t *out, size_t cap)
{
    for (size_t i = 0; i < resolver->socket_count && i < cap; i++)
        out[i] = (srv_pollfd_t){resolver->sockets[i].fd, resolver->sockets[i].events & POLL_EVENTS};
    return resolver->socket_count;
}

int srv_resolver_pollfd(srv_resolver_t *resolver)
{
    if (resolver->epoll_fd >= 0)
        return resolver->epoll_fd;
    int fd = epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0)
        return -1;
    resolver->epoll_fd = fd;
    for (size_t i = 0; i < resolver->socket_count; i++)
        epoll_update(resolver, EPOLL_CTL_ADD, resolver->sockets[i].fd, resolver->sockets[i].events);
    return fd;
}

static int work_is_ready(const srv_resolver_t *resolver)
{
    return resolver->done.head ||
           (resolver->waiting.head && resolver->inflight < resolver->max_inflight);
}

int srv_resolver_timeout_ms(srv_resolver_t *resolver)
{
    if (srv_resolver_pending(resolver) == 0)
        return -1;
    if (work_is_ready(resolver))
        return 0;
    struct timeval main_tv, fallback_tv;
    struct timeval *next = ares_timeout(resolver->channel, NULL, &main_tv);
    if (resolver->fallback)   /* the sooner of the two; the buffers must differ */
        next = ares_timeout(resolver->fallback, next, &fallback_tv);
    if (!next)
        return 0;   /* nothing on the wire, yet pending: let processing sort it out */
    long ms = (long)next->tv_sec * 1000 + (next->tv_usec + 999) / 1000;
    return ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

/* Hands the ready sockets (none: just timeouts) to c-ares. Each channel
 * ignores sockets that are not its own, so both can be given every one. */
static void process_channels(srv_resolver_t *resolver, const srv_pollfd_t *ready, size_t count)
{
    cares_process(resolver->channel, ready, count);
    if (resolver->fallback)
        cares_process(resolver->fallback, ready, count);
}

/* Waits up to wait_ms for socket events (0: just look), then hands every
 * ready socket to c-ares. Without any ready socket, c-ares still gets to
 * expire timeouts. */
static void process_sockets(srv_resolver_t *resolver, int wait_ms)
{
    /* c-ares keeps few sockets per server, so the stack batch nearly always
     * suffices; more take the heap (and, should that fail, the first batch
     * this round). */
    struct pollfd batch[POLL_BATCH];
    srv_pollfd_t ready_batch[POLL_BATCH];
    struct pollfd *fds = batch;
    srv_pollfd_t *ready = ready_batch;
    size_t count = resolver->socket_count;
    if (count > POLL_BATCH) {
        fds = malloc(count * sizeof *fds);
        ready = malloc(count * sizeof *ready);
        if (!fds || !ready) {
            free(fds);
            free(ready);
            fds = batch;
            ready = ready_batch;
            count = POLL_BATCH;
        }
    }
    for (size_t i = 0; i < count; i++) {
        fds[i].fd = resolver->sockets[i].fd;
        fds[i].events = (short)((resolver->sockets[i].events & SRV_POLL_READ ? POLLIN : 0) |
                                (resolver->sockets[i].events & SRV_POLL_WRITE ? POLLOUT : 0));
        fds[i].revents = 0;
    }
    size_t ready_count = 0;
    if (poll(fds, count, wait_ms) > 0) {
        for (size_t i = 0; i < count; i++) {
            int events = (fds[i].revents & (POLLIN | POLLERR | POLLHUP) ? SRV_POLL_READ : 0) |
                         (fds[i].revents & POLLOUT ? SRV_POLL_WRITE : 0);
            if (events)
                ready[ready_count++] =
                    (srv_pollfd_t){fds[i].fd, events | (resolver->sockets[i].events & CARES_POLL_DATAGRAM)};
        }
    }
    process_channels(resolver, ready, ready_count);
    if (fds != batch) {
        free(fds);
        free(ready);
    }
}

/* Every processing call goes through here: it counts nesting so that a
 * destroy asked for from a callback happens when the outermost call
 * unwinds. */
static srv_status_t leave(srv_resolver_t *resolver)
{
    if (--resolver->depth == 0 && resolver->destroy_requested) {
        resolver_destroy_now(resolver);
        return SRV_ECANCELLED;
    }
    return resolver->destroy_requested ? SRV_ECANCELLED : SRV_OK;
}

/* The sockets a loop says are ready (srv_resolver_process_fd): one to read
 * and one to write, or the same one for both. */
static void process_given(srv_resolver_t *resolver, int read_fd, int write_fd)
{
    srv_pollfd_t given[2];
    size_t count = 0;
    if (read_fd >= 0) {
        const srv_pollfd_t *known = find_socket(resolver, read_fd);
        int datagram = known ? known->events & CARES_POLL_DATAGRAM : 0;
        given[count++] = (srv_pollfd_t){read_fd, SRV_POLL_READ | (write_fd == read_fd ? SRV_POLL_WRITE : 0) | datagram};
    }
    if (write_fd >= 0 && write_fd != read_fd)
        given[count++] = (srv_pollfd_t){write_fd, SRV_POLL_WRITE};
    process_channels(resolver, given, count);
}

static srv_status_t process(srv_resolver_t *resolver, int wait_ms, int read_fd, int write_fd)
{
    if (resolver->closing)
        return SRV_ECANCELLED;
    resolver->depth++;
    if (!resolver->destroy_requested) {
        resolver_launch_waiting(resolver);
        if (read_fd >= 0 || write_fd >= 0)
            process_given(resolver, read_fd, write_fd);
        else
            process_sockets(resolver, resolver->done.head ? 0 : wait_ms);
        /* Refill the pipe before the callbacks run, not inside c-ares'. */
        resolver_launch_waiting(resolver);
        resolver_deliver_done(resolver);
    }
    return leave(resolver);
}

srv_status_t srv_resolver_process(srv_resolver_t *resolver)
{
    if (!resolver)
        return SRV_EINVAL;
    return process(resolver, 0, -1, -1);
}

srv_status_t srv_resolver_process_fd(srv_resolver_t *resolver, int read_fd, int write_fd)
{
    if (!resolver)
        return SRV_EINVAL;
    return process(resolver, 0, read_fd, write_fd);
}

srv_status_t srv_resolver_wait(srv_resolver_t *resolver, int max_wait_ms)
{
    if (!resolver)
        return SRV_EINVAL;
    /* As every processing call: also from a callback that destruction
     * runs, when nothing may be pending any more (srv.h). */
    if (resolver->closing || resolver->destroy_requested)
        return process(resolver, 0, -1, -1);
    int deadline = srv_resolver_timeout_ms(resolver);
    if (deadline < 0)
        return SRV_OK;   /* nothing pending */
    int wait = max_wait_ms < 0 || deadline < max_wait_ms ? deadline : max_wait_ms;
    return process(resolver, wait, -1, -1);
}

srv_status_t srv_resolver_run(srv_resolver_t *resolver)
{
    if (!resolver)
        return SRV_EINVAL;
    srv_status_t status = SRV_OK;
    /* The pointer is dead once a deferred destroy ran: status says so. */
    while (status == SRV_OK && srv_resolver_pending(resolver) > 0)
        status = process(resolver, srv_resolver_timeout_ms(resolver), -1, -1);
    return status;
}
