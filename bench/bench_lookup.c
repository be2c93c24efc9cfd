/*
 * bench_lookup - SRV lookups per second against a DNS server on loopback
 * (SRV_TEST_SERVER, started by `make bench`), one side at a time:
 *
 *   bench_lookup --plain IN_FLIGHT SECONDS   raw c-ares, the strongest loop
 *                                            this c-ares allows (below)
 *   bench_lookup --srv IN_FLIGHT SECONDS     srv's C resolver
 *
 * Each prints one machine-readable line: lookups per second and the CPU
 * time (getrusage) per lookup of the timed part. bench/compare_lookup.lua
 * runs the sides as children, in interleaved rounds, for every c-ares
 * `make bench` built, and prints the ratios; bench/bench_lua_lookup.lua
 * runs --plain as the baseline of the Lua binding.
 *
 * "In flight" is what the caller keeps outstanding: each completed lookup
 * is replaced by the next until SECONDS are up; lookups still in flight
 * then are not counted. Lookup i asks _q<i>._tcp.bench.test, a distinct
 * name every time, which the wildcard of spec/fixtures/bench.test.zone
 * answers with one SRV record: every lookup is a DNS query (no cache, no
 * shared query) whose answer has a record to read.
 *
 * Both sides start queries only after c-ares' processing call returned,
 * never inside its callback (docs/c-api.md, "c-ares versions": 1.34.7 and
 * 1.34.8 can lose a query started there).
 *
 * The raw loop, by c-ares version (docs/testing.md, "Benchmarks"):
 *   1.34 and later  the event API: sock_state_cb, poll, ares_process_fds,
 *                   ares_query_dnsrec reading the parsed record, the query
 *                   cache off, STAYOPEN, no EDNS
 *   before          sock_state_cb, poll, ares_process_fd per ready socket,
 *                   ares_query with ares_parse_srv_reply, STAYOPEN
 */
#include "srv.h"

#include <ares.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define EVENT_API (ARES_VERSION >= 0x012200)

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_seconds(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 +
           (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
}

static const char *lookup_name(long i, char *buffer, size_t size)
{
    snprintf(buffer, size, "_q%ld._tcp.bench.test", i);
    return buffer;
}

/* ---- one timed run, whichever side ------------------------------------- */

typedef struct timed_run {
    int in_flight;
    double start, deadline, elapsed, cpu_start, cpu;
    long submitted;
    long completed;     /* an answer with records, before the deadline */
    long failed;
    int outstanding;
    int stopped;        /* the deadline passed: no more submissions, no more counting */
} timed_run_t;

static void run_start(timed_run_t *run, int in_flight, double seconds)
{
    memset(run, 0, sizeof *run);
    run->in_flight = in_flight;
    run->cpu_start = cpu_seconds();
    run->start = now_seconds();
    run->deadline = run->start + seconds;
}

static void run_answered(timed_run_t *run, int ok)
{
    run->outstanding--;
    if (run->stopped)
        return;
    if (ok)
        run->completed++;
    else
        run->failed++;
    double now = now_seconds();
    if (now >= run->deadline) {
        run->stopped = 1;
        run->elapsed = now - run->start;
        run->cpu = cpu_seconds() - run->cpu_start;
    }
}

/* How many lookups to start now to keep in_flight outstanding. */
static int run_wanted(const timed_run_t *run)
{
    return run->stopped ? 0 : run->in_flight - run->outstanding;
}

static void run_print(const timed_run_t *run, const char *side)
{
    printf("side=%s cares=%s in_flight=%d submitted=%ld completed=%ld failed=%ld seconds=%.6f"
           " per_second=%.1f cpu_us_per_lookup=%.3f\n",
           side, ares_version(NULL), run->in_flight, run->submitted, run->completed, run->failed, run->elapsed,
           run->elapsed > 0 ? (double)run->completed / run->elapsed : 0.0,
           run->completed ? run->cpu * 1e6 / (double)run->completed : 0.0);
}

/* ---- the raw c-ares loop -------------------------------------------------- */

typedef struct raw_loop {
    ares_channel channel;
    timed_run_t run;
    struct pollfd sockets[64];
    size_t socket_count;
} raw_loop_t;

static void raw_socket_state(void *data, ares_socket_t fd, int readable, int writable)
{
    raw_loop_t *loop = data;
    short events = (short)((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));
    size_t i = 0;
    while (i < loop->socket_count && loop->sockets[i].fd != fd)
        i++;
    if (i == loop->socket_count) {
        if (events && loop->socket_count < sizeof loop->sockets / sizeof loop->sockets[0])
            loop->sockets[loop->socket_count++] = (struct pollfd){.fd = fd, .events = events};
    } else if (events) {
        loop->sockets[i].events = events;
    } else {
        loop->sockets[i] = loop->sockets[--loop->socket_count];
    }
}

/* c-ares defaults but for a 2 s timeout, 3 tries and the options in the
 * header comment; the server given. Nonzero on failure. */
static int raw_channel(raw_loop_t *loop, const char *server)
{
    struct ares_options options;
    memset(&options, 0, sizeof options);
    int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS | ARES_OPT_SOCK_STATE_CB;
    options.timeout = 2000;
    options.tries = 3;
    options.flags = ARES_FLAG_STAYOPEN;
    options.sock_state_cb = raw_socket_state;
    options.sock_state_cb_data = loop;
#if EVENT_API
    options.qcache_max_ttl = 0;
    mask |= ARES_OPT_QUERY_CACHE;
#endif
    if (ares_init_options(&loop->channel, &options, mask) != ARES_SUCCESS ||
        ares_set_servers_ports_csv(loop->channel, server) != ARES_SUCCESS) {
        fprintf(stderr, "bench_lookup: cannot set up c-ares\n");
        return 1;
    }
    return 0;
}

#if EVENT_API

static void raw_callback(void *arg, ares_status_t status, size_t timeouts, const ares_dns_record_t *reply)
{
    (void)timeouts;
    timed_run_t *run = arg;
    size_t records = 0;
    if (status == ARES_SUCCESS) {
        for (size_t i = 0; i < ares_dns_record_rr_cnt(reply, ARES_SECTION_ANSWER); i++) {
            const ares_dns_rr_t *rr = ares_dns_record_rr_get_const(reply, ARES_SECTION_ANSWER, i);
            if (ares_dns_rr_get_type(rr) == ARES_REC_TYPE_SRV &&
                ares_dns_rr_get_str(rr, ARES_RR_SRV_TARGET) != NULL &&
                ares_dns_rr_get_u16(rr, ARES_RR_SRV_PORT) != 0)
                records++;
        }
    }
    run_answered(run, records > 0);
}

static void raw_submit(raw_loop_t *loop, const char *name)
{
    (void)ares_query_dnsrec(loop->channel, name, ARES_CLASS_IN, ARES_REC_TYPE_SRV, raw_callback, &loop->run,
                            NULL);
}

static void raw_process(raw_loop_t *loop, int ready)
{
    ares_fd_events_t events[sizeof loop->sockets / sizeof loop->sockets[0]];
    size_t count = 0;
    for (size_t i = 0; ready > 0 && i < loop->socket_count; i++) {
        short revents = loop->sockets[i].revents;
        if (!revents)
            continue;
        events[count].fd = loop->sockets[i].fd;
        events[count].events = (revents & (POLLIN | POLLERR | POLLHUP) ? ARES_FD_EVENT_READ : 0u) |
                               (revents & POLLOUT ? ARES_FD_EVENT_WRITE : 0u);
        count++;
    }
    (void)ares_process_fds(loop->channel, events, count, ARES_PROCESS_FLAG_NONE);
}

#else

static void raw_callback(void *arg, int status, int timeouts, unsigned char *reply, int len)
{
    (void)timeouts;
    timed_run_t *run = arg;
    struct ares_srv_reply *records = NULL;
    int ok = status == ARES_SUCCESS && ares_parse_srv_reply(reply, len, &records) == ARES_SUCCESS;
    if (records)
        ares_free_data(records);
    run_answered(run, ok);
}

static void raw_submit(raw_loop_t *loop, const char *name)
{
    ares_query(loop->channel, name, 1, 33, raw_callback, &loop->run);
}

/* The sockets array may change inside ares_process_fd (sock_state_cb):
 * the ready ones are taken first. */
static void raw_process(raw_loop_t *loop, int ready)
{
    struct pollfd fired[sizeof loop->sockets / sizeof loop->sockets[0]];
    size_t count = 0;
    for (size_t i = 0; ready > 0 && i < loop->socket_count; i++)
        if (loop->sockets[i].revents)
            fired[count++] = loop->sockets[i];
    if (count == 0)
        ares_process_fd(loop->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    for (size_t i = 0; i < count; i++)
        ares_process_fd(loop->channel,
                        fired[i].revents & (POLLIN | POLLERR | POLLHUP) ? fired[i].fd : ARES_SOCKET_BAD,
                        fired[i].revents & POLLOUT ? fired[i].fd : ARES_SOCKET_BAD);
}

#endif

static int raw_timed(const char *server, int in_flight, double seconds)
{
    static raw_loop_t loop;
    if (raw_channel(&loop, server) != 0)
        return 1;
    run_start(&loop.run, in_flight, seconds);
    char buffer[64];
    for (;;) {
        for (int wanted = run_wanted(&loop.run); wanted > 0; wanted--) {
            loop.run.outstanding++;
            raw_submit(&loop, lookup_name(loop.run.submitted++, buffer, sizeof buffer));
        }
        if (loop.run.outstanding == 0)
            break;
        struct timeval tv, *next = ares_timeout(loop.channel, NULL, &tv);
        int wait_ms = next ? (int)(next->tv_sec * 1000 + (next->tv_usec + 999) / 1000) : 0;
        int ready = poll(loop.sockets, loop.socket_count, wait_ms);
        raw_process(&loop, ready);
    }
    ares_destroy(loop.channel);
    run_print(&loop.run, "plain");
    return 0;
}

/* ---- srv ------------------------------------------------------------------ */

typedef struct srv_loop {
    srv_resolver_t *resolver;
    timed_run_t run;
} srv_loop_t;

static void srv_submit(srv_loop_t *loop);

/* srv runs callbacks after c-ares returned, so the next lookup starts here. */
static void srv_callback(const srv_srv_result_t *result, void *arg)
{
    srv_loop_t *loop = arg;
    run_answered(&loop->run, result->status == SRV_OK);
    srv_submit(loop);
}

static void srv_submit(srv_loop_t *loop)
{
    char buffer[64];
    for (int wanted = run_wanted(&loop->run); wanted > 0; wanted--) {
        loop->run.outstanding++;
        srv_resolver_query_srv(loop->resolver, lookup_name(loop->run.submitted++, buffer, sizeof buffer),
                               srv_callback, loop);
    }
}

static int srv_timed(const char *server, int in_flight, double seconds)
{
    static srv_loop_t loop;
    srv_resolver_options_t opts;
    srv_resolver_options_init(&opts);
    opts.servers = server;
    opts.timeout_ms = 2000;
    opts.tries = 3;
    if (srv_resolver_new(&loop.resolver, &opts) != SRV_OK) {
        fprintf(stderr, "bench_lookup: cannot create the resolver\n");
        return 1;
    }
    run_start(&loop.run, in_flight, seconds);
    srv_submit(&loop);
    srv_resolver_run(loop.resolver);
    srv_resolver_destroy(loop.resolver);
    run_print(&loop.run, "srv");
    return 0;
}

int main(int argc, char **argv)
{
    const char *server = getenv("SRV_TEST_SERVER");
    if (!server) {
        fprintf(stderr, "bench_lookup: SRV_TEST_SERVER unset (run it through `make bench`)\n");
        return 2;
    }
    int plain = argc == 4 && strcmp(argv[1], "--plain") == 0;
    int ours = argc == 4 && strcmp(argv[1], "--srv") == 0;
    char *end = NULL;
    errno = 0;
    long in_flight = plain || ours ? strtol(argv[2], &end, 10) : 0;
    double seconds = plain || ours ? strtod(argv[3], NULL) : 0;
    if (!(plain || ours) || errno || *end || in_flight < 1 || in_flight > 100000 || !(seconds > 0)) {
        fprintf(stderr, "usage: bench_lookup --plain|--srv IN_FLIGHT SECONDS\n");
        return 2;
    }
    ares_library_init(ARES_LIB_INIT_ALL);
    int status = plain ? raw_timed(server, (int)in_flight, seconds) : srv_timed(server, (int)in_flight, seconds);
    ares_library_cleanup();
    return status;
}
