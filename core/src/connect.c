/* connect.c - the connection race: RFC 8305 Happy Eyeballs over the
 * addresses of SRV targets, as XEP-0495 applies it (docs/c-api.md,
 * "Connection race").
 *
 * The race never blocks and owns no thread: connect(2) runs non-blocking,
 * the caller's event loop watches the sockets (or the one epoll descriptor)
 * and calls srv_connect_process(), which reads what finished, expires the
 * timers and starts the attempts that are due. Every descriptor the race
 * opens is closed by it, except the winner once the caller has taken it. */
#include "srv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* An address to try, as added. */
typedef struct planned {
    size_t candidate;
    size_t added;                  /* the order of srv_connect_add, for a stable sort */
    int family;
    uint16_t port;
    char address[46];
    union {                        /* not sockaddr_storage: a plan entry stays small */
        struct sockaddr sa;
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
    } to;
    socklen_t sa_len;
} planned_t;

struct srv_connect {
    srv_connect_options_t opts;    /* normalised: delay clamped, timeouts set */
    planned_t *plan;               /* sorted at start; plan[next] starts next */
    size_t plan_count;
    size_t plan_capacity;
    size_t next;
    srv_attempt_t *attempts;       /* one per started address; one block with fds, offered */
    int *fds;                      /* attempts[i]'s socket, -1 once closed or taken */
    unsigned char *offered;        /* manual accept: handed out by srv_connect_offer */
    size_t attempt_count;
    size_t attempt_capacity;       /* of the block: at least plan_count once started */
    int expecting;                 /* srv_connect_expect_more */
    int epoll_fd;
    int64_t t0;                    /* monotonic ms at start */
    int64_t next_start;            /* when the next attempt may start while others are pending */
    int64_t ended;                 /* monotonic ms at the end */
    int started;
    int done;
    srv_status_t status;
    long winner;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *srv_attempt_result_name(srv_attempt_result_t result)
{
    switch (result) {
    case SRV_ATTEMPT_PENDING:   return "pending";
    case SRV_ATTEMPT_OFFERED:   return "offered";
    case SRV_ATTEMPT_CONNECTED: return "connected";
    case SRV_ATTEMPT_REFUSED:   return "refused";
    case SRV_ATTEMPT_TIMEOUT:   return "timeout";
    case SRV_ATTEMPT_FAILED:    return "failed";
    case SRV_ATTEMPT_CANCELLED: return "cancelled";
    case SRV_ATTEMPT_REJECTED:  return "rejected";
    }
    return "unknown";
}

void srv_connect_options_init(srv_connect_options_t *opts)
{
    memset(opts, 0, sizeof *opts);
}

srv_status_t srv_connect_new(srv_connect_t **out, const srv_connect_options_t *opts)
{
    if (!out)
        return SRV_EINVAL;
    *out = NULL;
    srv_connect_t *race = calloc(1, sizeof *race);
    if (!race)
        return SRV_ENOMEM;
    if (opts)
        race->opts = *opts;
    srv_connect_options_t *o = &race->opts;
    /* RFC 8305 5: 250 ms recommended; srv's floor is the RFC's recommended
     * minimum of 100 ms, its ceiling the RFC's 2 s maximum. */
    if (o->attempt_delay_ms <= 0)
        o->attempt_delay_ms = SRV_CONNECT_DEFAULT_DELAY_MS;
    if (o->attempt_delay_ms < SRV_CONNECT_MIN_DELAY_MS)
        o->attempt_delay_ms = SRV_CONNECT_MIN_DELAY_MS;
    if (o->attempt_delay_ms > SRV_CONNECT_MAX_DELAY_MS)
        o->attempt_delay_ms = SRV_CONNECT_MAX_DELAY_MS;
    if (o->timeout_ms <= 0)
        o->timeout_ms = SRV_CONNECT_DEFAULT_TIMEOUT_MS;
    if (o->connect_timeout_ms < 0)
        o->connect_timeout_ms = 0;
    race->winner = -1;
    /* Made when first asked for (srv_connect_pollfd): a race on loopback
     * is often over before anyone waits, and the descriptor would cost
     * more system calls than the race itself. */
    race->epoll_fd = -1;
    *out = race;
    return SRV_OK;
}

static void close_attempt(srv_connect_t *race, size_t i)
{
    if (race->fds[i] < 0)
        return;
    if (race->epoll_fd >= 0)
        (void)epoll_ctl(race->epoll_fd, EPOLL_CTL_DEL, race->fds[i], NULL);
    close(race->fds[i]);
    race->fds[i] = -1;
}

void srv_connect_destroy(srv_connect_t *race)
{
    if (!race)
        return;
    for (size_t i = 0; i < race->attempt_count; i++)
        close_attempt(race, i);
    if (race->epoll_fd >= 0)
        close(race->epoll_fd);
    free(race->plan);
    free(race->attempts);   /* and fds, offered: one block */
    free(race);
}

static srv_status_t sort_plan(srv_connect_t *race, size_t from);
static srv_status_t reserve_attempts(srv_connect_t *race, size_t capacity);

srv_status_t srv_connect_add(srv_connect_t *race, size_t candidate, const char *address, uint16_t port)
{
    if (!race || !address || port == 0 || race->done)
        return SRV_EINVAL;
    planned_t p;
    memset(&p, 0, sizeof p);
    struct sockaddr_in *v4 = &p.to.v4;
    struct sockaddr_in6 *v6 = &p.to.v6;
    if (inet_pton(AF_INET, address, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        p.sa_len = sizeof *v4;
        p.family = AF_INET;
        /* inet_pton takes only the dotted quad without leading zeros, the
         * form inet_ntop writes: the text is already canonical (and copying
         * it spares a formatted print per address). */
        memcpy(p.address, address, strlen(address) + 1);
    } else if (inet_pton(AF_INET6, address, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        p.sa_len = sizeof *v6;
        p.family = AF_INET6;
        inet_ntop(AF_INET6, &v6->sin6_addr, p.address, sizeof p.address);
    } else {
        return SRV_EINVAL;
    }
    if (race->plan_count == race->plan_capacity) {
        size_t capacity = race->plan_capacity ? race->plan_capacity * 2 : 8;
        planned_t *grown = realloc(race->plan, capacity * sizeof *grown);
        if (!grown)
            return SRV_ENOMEM;
        race->plan = grown;
        race->plan_capacity = capacity;
    }
    p.candidate = candidate;
    p.port = port;
    p.added = race->plan_count;
    if (race->started) {
        srv_status_t status = reserve_attempts(race, race->plan_count + 1);
        if (status != SRV_OK)
            return status;
        race->plan[race->plan_count++] = p;
        /* RFC 8305 3: a late address is sorted in among those not tried. */
        status = sort_plan(race, race->next);
        if (status != SRV_OK)
            race->plan_count--;   /* sort_plan leaves the plan as it was */
        return status;
    }
    race->plan[race->plan_count++] = p;
    return SRV_OK;
}

void srv_connect_expect_more(srv_connect_t *race, int more)
{
    if (race)
        race->expecting = more != 0;
}

static int by_candidate(const void *a, const void *b)
{
    const planned_t *x = a, *y = b;
    if (x->candidate != y->candidate)
        return x->candidate < y->candidate ? -1 : 1;
    return x->added < y->added ? -1 : x->added > y->added;
}

/* Whether the last address of candidate tried before plan[from] was IPv6. */
static int last_tried_was_ipv6(const srv_connect_t *race, size_t from, size_t candidate)
{
    for (size_t i = from; i-- > 0;)
        if (race->plan[i].candidate == candidate)
            return race->plan[i].family == AF_INET6;
    return 0;
}

/* RFC 8305 4: inside one candidate the families alternate, IPv6 first (the
 * preference RFC 6724 gives it), each family keeping its own order. The
 * candidates keep the caller's order: XEP-0495 races every address of
 * every target, the SRV order deciding who goes first. Sorts the plan from
 * `from` on (the addresses not tried yet): a candidate whose last attempt
 * was IPv6 goes on with IPv4. On failure the plan is as it was. */
static srv_status_t sort_plan(srv_connect_t *race, size_t from)
{
    size_t n = race->plan_count - from;
    if (n < 2)
        return SRV_OK;
    planned_t *plan = race->plan + from;
    planned_t *sorted = malloc(n * sizeof *sorted);
    if (!sorted)
        return SRV_ENOMEM;
    qsort(plan, n, sizeof *plan, by_candidate);
    size_t out = 0;
    for (size_t start = 0; start < n;) {
        size_t end = start;
        while (end < n && plan[end].candidate == plan[start].candidate)
            end++;
        size_t i6 = start, i4 = start;
        int want6 = !last_tried_was_ipv6(race, from, plan[start].candidate);
        while (out < end) {
            while (i6 < end && plan[i6].family != AF_INET6)
                i6++;
            while (i4 < end && plan[i4].family != AF_INET)
                i4++;
            if ((want6 && i6 < end) || i4 >= end)
                sorted[out++] = plan[i6++];
            else
                sorted[out++] = plan[i4++];
            want6 = !want6;
        }
        start = end;
    }
    memcpy(plan, sorted, n * sizeof *sorted);
    free(sorted);
    return SRV_OK;
}

/* Room for capacity attempts in the one block of attempts, fds, offered
 * (attempts first: its alignment is the strictest). */
static srv_status_t reserve_attempts(srv_connect_t *race, size_t capacity)
{
    if (capacity <= race->attempt_capacity)
        return SRV_OK;
    if (race->attempt_capacity && capacity < race->attempt_capacity * 2)
        capacity = race->attempt_capacity * 2;
    unsigned char *block = calloc(capacity, sizeof *race->attempts + sizeof *race->fds + 1);
    if (!block)
        return SRV_ENOMEM;
    srv_attempt_t *attempts = (srv_attempt_t *)(void *)block;
    int *fds = (int *)(void *)(block + capacity * sizeof *attempts);
    unsigned char *offered = block + capacity * (sizeof *attempts + sizeof *fds);
    if (race->attempt_count) {
        memcpy(attempts, race->attempts, race->attempt_count * sizeof *attempts);
        memcpy(fds, race->fds, race->attempt_count * sizeof *fds);
        memcpy(offered, race->offered, race->attempt_count);
    }
    free(race->attempts);
    race->attempts = attempts;
    race->fds = fds;
    race->offered = offered;
    race->attempt_capacity = capacity;
    return SRV_OK;
}

static size_t active_count(const srv_connect_t *race)
{
    size_t active = 0;
    for (size_t i = 0; i < race->attempt_count; i++) {
        srv_attempt_result_t r = race->attempts[i].result;
        if (r == SRV_ATTEMPT_PENDING || r == SRV_ATTEMPT_OFFERED)
            active++;
    }
    return active;
}

/* Ends the race: every attempt still open is closed as `outcome`. */
static void finish(srv_connect_t *race, srv_status_t status, srv_attempt_result_t outcome, int64_t now)
{
    for (size_t i = 0; i < race->attempt_count; i++) {
        srv_attempt_t *a = &race->attempts[i];
        if (a->result == SRV_ATTEMPT_PENDING || a->result == SRV_ATTEMPT_OFFERED) {
            close_attempt(race, i);
            a->result = outcome;
            a->ended_ms = now - race->t0;
        }
    }
    race->done = 1;
    race->status = status;
    race->ended = now;
}

static void win(srv_connect_t *race, size_t i, int64_t now)
{
    srv_attempt_t *a = &race->attempts[i];
    a->result = SRV_ATTEMPT_CONNECTED;
    a->ended_ms = now - race->t0;
    race->winner = (long)i;
    finish(race, SRV_OK, SRV_ATTEMPT_CANCELLED, now);
}

static void connected(srv_connect_t *race, size_t i, int64_t now)
{
    if (race->epoll_fd >= 0)
        (void)epoll_ctl(race->epoll_fd, EPOLL_CTL_DEL, race->fds[i], NULL);
    if (race->opts.manual_accept)
        race->attempts[i].result = SRV_ATTEMPT_OFFERED;
    else
        win(race, i, now);
}

/* A failed attempt starts the next at once (RFC 8305 5). */
static void failed(srv_connect_t *race, size_t i, srv_attempt_result_t result, int error, int64_t now)
{
    srv_attempt_t *a = &race->attempts[i];
    close_attempt(race, i);
    a->result = result;
    a->error = error;
    a->ended_ms = now - race->t0;
    race->next_start = now;
}

static srv_attempt_result_t result_of_errno(int error)
{
    if (error == ECONNREFUSED)
        return SRV_ATTEMPT_REFUSED;
    if (error == ETIMEDOUT)
        return SRV_ATTEMPT_TIMEOUT;
    return SRV_ATTEMPT_FAILED;
}

static void start_one(srv_connect_t *race, int64_t now)
{
    const planned_t *p = &race->plan[race->next++];
    size_t i = race->attempt_count++;
    srv_attempt_t *a = &race->attempts[i];
    memset(a, 0, sizeof *a);
    a->candidate = p->candidate;
    a->family = p->family;
    a->port = p->port;
    memcpy(a->address, p->address, sizeof a->address);
    a->started_ms = now - race->t0;
    a->ended_ms = -1;
    a->result = SRV_ATTEMPT_PENDING;
    race->offered[i] = 0;
    race->next_start = now + race->opts.attempt_delay_ms;
    int fd = socket(p->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    race->fds[i] = fd;
    if (fd < 0) {
        failed(race, i, SRV_ATTEMPT_FAILED, errno, now);
        return;
    }
    if (connect(fd, &p->to.sa, p->sa_len) == 0) {
        connected(race, i, now);   /* loopback may connect at once */
        return;
    }
    if (errno != EINPROGRESS) {
        int error = errno;
        failed(race, i, result_of_errno(error), error, now);
        return;
    }
    if (race->epoll_fd >= 0) {
        struct epoll_event event = {.events = EPOLLOUT, .data.fd = fd};
        (void)epoll_ctl(race->epoll_fd, EPOLL_CTL_ADD, fd, &event);
    }
}

srv_status_t srv_connect_start(srv_connect_t *race)
{
    if (!race || race->started)
        return SRV_EINVAL;
    srv_status_t status = sort_plan(race, 0);
    if (status != SRV_OK)
        return status;
    status = reserve_attempts(race, race->plan_count ? race->plan_count : 1);
    if (status != SRV_OK)
        return status;
    race->started = 1;
    race->t0 = now_ms();
    race->next_start = race->t0;
    return srv_connect_process(race);
}

/* Reads what the pending sockets have to say without waiting. */
static void check_sockets(srv_connect_t *race, int64_t now)
{
    for (size_t i = 0; i < race->attempt_count && !race->done; i++) {
        if (race->attempts[i].result != SRV_ATTEMPT_PENDING)
            continue;
        struct pollfd pfd = {.fd = race->fds[i], .events = POLLOUT, .revents = 0};
        if (poll(&pfd, 1, 0) <= 0 || !pfd.revents)
            continue;
        int error = 0;
        socklen_t len = sizeof error;
        if (getsockopt(race->fds[i], SOL_SOCKET, SO_ERROR, &error, &len) != 0)
            error = errno;
        if (error == 0 && (pfd.revents & POLLOUT) && !(pfd.revents & POLLERR))
            connected(race, i, now);
        else
            failed(race, i, result_of_errno(error ? error : ECONNRESET), error ? error : ECONNRESET, now);
    }
}

srv_status_t srv_connect_process(srv_connect_t *race)
{
    if (!race)
        return SRV_EINVAL;
    if (!race->started || race->done)
        return SRV_OK;
    int64_t now = now_ms();
    check_sockets(race, now);
    if (race->done)
        return SRV_OK;
    if (race->opts.connect_timeout_ms > 0) {
        for (size_t i = 0; i < race->attempt_count; i++) {
            srv_attempt_t *a = &race->attempts[i];
            if (a->result == SRV_ATTEMPT_PENDING &&
                now - race->t0 - a->started_ms >= race->opts.connect_timeout_ms)
                failed(race, i, SRV_ATTEMPT_TIMEOUT, 0, now);
        }
    }
    if (now - race->t0 >= race->opts.timeout_ms) {
        finish(race, SRV_ETIMEOUT, SRV_ATTEMPT_TIMEOUT, now);
        return SRV_OK;
    }
    /* RFC 8305 5: one attempt every attempt delay while earlier ones are
     * pending; at once when none is. An offered socket counts as pending:
     * the caller is still finding out whether it is any good. */
    while (!race->done && race->next < race->plan_count &&
           (active_count(race) == 0 || now >= race->next_start))
        start_one(race, now);
    if (!race->done && race->next == race->plan_count && active_count(race) == 0 && !race->expecting)
        finish(race, SRV_ECONNECT, SRV_ATTEMPT_CANCELLED, now);
    return SRV_OK;
}

size_t srv_connect_fds(const srv_connect_t *race, srv_pollfd_t *out, size_t cap)
{
    size_t count = 0;
    if (!race || race->done)
        return 0;
    for (size_t i = 0; i < race->attempt_count; i++) {
        if (race->attempts[i].result != SRV_ATTEMPT_PENDING)
            continue;
        if (count < cap)
            out[count] = (srv_pollfd_t){race->fds[i], SRV_POLL_WRITE};
        count++;
    }
    return count;
}

int srv_connect_pollfd(srv_connect_t *race)
{
    if (!race)
        return -1;
    if (race->epoll_fd < 0) {
        /* Without epoll the race still works through srv_connect_fds(). */
        race->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        for (size_t i = 0; race->epoll_fd >= 0 && i < race->attempt_count; i++) {
            if (race->attempts[i].result != SRV_ATTEMPT_PENDING)
                continue;
            struct epoll_event event = {.events = EPOLLOUT, .data.fd = race->fds[i]};
            (void)epoll_ctl(race->epoll_fd, EPOLL_CTL_ADD, race->fds[i], &event);
        }
    }
    return race->epoll_fd;
}

static int clamp_ms(int64_t ms)
{
    if (ms < 0)
        return 0;
    return ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

int srv_connect_timeout_ms(const srv_connect_t *race)
{
    if (!race || !race->started || race->done)
        return -1;
    int64_t now = now_ms();
    int64_t deadline = race->t0 + race->opts.timeout_ms;
    if (race->opts.connect_timeout_ms > 0) {
        for (size_t i = 0; i < race->attempt_count; i++) {
            const srv_attempt_t *a = &race->attempts[i];
            int64_t end = race->t0 + a->started_ms + race->opts.connect_timeout_ms;
            if (a->result == SRV_ATTEMPT_PENDING && end < deadline)
                deadline = end;
        }
    }
    if (race->next < race->plan_count) {
        int64_t start = active_count(race) == 0 ? now : race->next_start;
        if (start < deadline)
            deadline = start;
    }
    return clamp_ms(deadline - now);
}

/* An attempt connected and not handed out by srv_connect_offer yet. */
static long unoffered(const srv_connect_t *race)
{
    for (size_t i = 0; i < race->attempt_count; i++)
        if (race->attempts[i].result == SRV_ATTEMPT_OFFERED && !race->offered[i])
            return (long)i;
    return -1;
}

srv_status_t srv_connect_run(srv_connect_t *race)
{
    if (!race || !race->started)
        return SRV_EINVAL;
    while (!race->done && unoffered(race) < 0) {
        int wait = srv_connect_timeout_ms(race);
        srv_pollfd_t socks[64];
        struct pollfd fds[64];
        size_t n = srv_connect_fds(race, socks, 64);
        if (n > 64)
            n = 64;
        for (size_t i = 0; i < n; i++)
            fds[i] = (struct pollfd){.fd = socks[i].fd, .events = POLLOUT, .revents = 0};
        if (wait != 0)
            (void)poll(fds, n, wait);
        srv_status_t status = srv_connect_process(race);
        if (status != SRV_OK)
            return status;
    }
    return SRV_OK;
}

int srv_connect_done(const srv_connect_t *race)
{
    return race && race->done;
}

srv_status_t srv_connect_status(const srv_connect_t *race)
{
    return race ? race->status : SRV_EINVAL;
}

long srv_connect_winner(const srv_connect_t *race)
{
    return race ? race->winner : -1;
}

int srv_connect_take(srv_connect_t *race)
{
    if (!race || race->winner < 0)
        return -1;
    int fd = race->fds[race->winner];
    race->fds[race->winner] = -1;
    return fd;
}

long srv_connect_offer(srv_connect_t *race)
{
    if (!race || race->done)
        return -1;
    long i = unoffered(race);
    if (i >= 0)
        race->offered[i] = 1;
    return i;
}

int srv_connect_attempt_fd(const srv_connect_t *race, size_t attempt)
{
    if (!race || attempt >= race->attempt_count)
        return -1;
    return race->fds[attempt];
}

static int is_offer(const srv_connect_t *race, size_t attempt)
{
    return race && !race->done && attempt < race->attempt_count &&
           race->attempts[attempt].result == SRV_ATTEMPT_OFFERED;
}

srv_status_t srv_connect_accept(srv_connect_t *race, size_t attempt)
{
    if (!is_offer(race, attempt))
        return SRV_EINVAL;
    win(race, attempt, now_ms());
    return SRV_OK;
}

srv_status_t srv_connect_reject(srv_connect_t *race, size_t attempt)
{
    if (!is_offer(race, attempt))
        return SRV_EINVAL;
    failed(race, attempt, SRV_ATTEMPT_REJECTED, 0, now_ms());
    return srv_connect_process(race);
}

void srv_connect_cancel(srv_connect_t *race)
{
    if (!race || race->done)
        return;
    int64_t now = now_ms();
    if (!race->started)
        race->t0 = now;
    finish(race, SRV_ECANCELLED, SRV_ATTEMPT_CANCELLED, now);
}

const srv_attempt_t *srv_connect_attempts(const srv_connect_t *race, size_t *count)
{
    if (count)
        *count = race ? race->attempt_count : 0;
    return race ? race->attempts : NULL;
}

int64_t srv_connect_elapsed_ms(const srv_connect_t *race)
{
    if (!race || !race->started)
        return 0;
    return (race->done ? race->ended : now_ms()) - race->t0;
}
