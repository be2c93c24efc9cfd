/*
 * bench_lookup - SRV lookups per second against a DNS server on loopback
 * (SRV_TEST_SERVER, started by `make bench`), srv's resolver against a plain
 * c-ares loop run in the same process, at 1, 50 and 500 lookups in flight.
 *
 * "In flight" is what the caller keeps outstanding: each completed lookup
 * submits the next until the total is reached. The plain loop hands all of
 * them to one channel, as a straightforward c-ares program does; srv queues
 * those above its in-flight limit.
 *
 * Targets (issue): srv/plain >= 0.9 at 1 and 50, >= 2.5 at 500.
 *
 * `bench_lookup --plain IN_FLIGHT SECONDS` runs only the plain loop, for a
 * fixed time, over the rotation of names in rotating_name() below, and
 * prints one machine-readable line; bench/bench_lua_lookup.lua runs it
 * between its own rounds as the baseline of the Lua binding. Distinct
 * names, because the Lua resolver shares identical queries in flight.
 */
#include "srv.h"

#include <ares.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

static const char *NAME = "_xmpp-client._tcp.example.net";

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the plain c-ares loop ---------------------------------------------- */

typedef struct plain_run {
    ares_channel channel;
    long to_submit;
    long answered;
    long failed;
} plain_run_t;

/* A channel as a plain c-ares user makes one: c-ares defaults but for a
 * 2 s timeout and 3 tries, the server given. Nonzero on failure. */
static int plain_channel(const char *server, ares_channel *channel)
{
    struct ares_options options;
    memset(&options, 0, sizeof options);
    options.timeout = 2000;
    options.tries = 3;
    if (ares_init_options(channel, &options, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES) != ARES_SUCCESS ||
        ares_set_servers_ports_csv(*channel, server) != ARES_SUCCESS) {
        fprintf(stderr, "bench_lookup: cannot set up c-ares\n");
        return 1;
    }
    return 0;
}

/* One round of the textbook c-ares loop: ares_fds, select (at most limit,
 * NULL for none), ares_process. Returns 0 when nothing is pending. */
static int plain_round(ares_channel channel, struct timeval *limit)
{
    fd_set readers, writers;
    FD_ZERO(&readers);
    FD_ZERO(&writers);
    int nfds = ares_fds(channel, &readers, &writers);
    if (nfds == 0)
        return 0;
    struct timeval tv, *timeout = ares_timeout(channel, limit, &tv);
    select(nfds, &readers, &writers, NULL, timeout);
    ares_process(channel, &readers, &writers);
    return 1;
}

static void plain_submit(plain_run_t *run);

static void plain_callback(void *arg, int status, int timeouts, unsigned char *reply, int len)
{
    (void)timeouts;
    plain_run_t *run = arg;
    struct ares_srv_reply *records = NULL;
    if (status == ARES_SUCCESS && ares_parse_srv_reply(reply, len, &records) == ARES_SUCCESS) {
        run->answered++;
        ares_free_data(records);
    } else {
        run->failed++;
    }
    plain_submit(run);
}

static void plain_submit(plain_run_t *run)
{
    if (run->to_submit <= 0)
        return;
    run->to_submit--;
    ares_query(run->channel, NAME, 1, 33, plain_callback, run);
}

static double plain_rate(const char *server, int in_flight, long total)
{
    plain_run_t run = {0};
    if (plain_channel(server, &run.channel) != 0)
        exit(1);
    run.to_submit = total;
    double start = now_seconds();
    for (int i = 0; i < in_flight; i++)
        plain_submit(&run);
    while (plain_round(run.channel, NULL))
        ;
    double elapsed = now_seconds() - start;
    ares_destroy(run.channel);
    if (run.failed)
        fprintf(stderr, "bench_lookup: plain loop: %ld lookups failed\n", run.failed);
    return (double)run.answered / elapsed;
}

/* ---- the plain loop for a fixed time, over rotating names ---------------- */

/*
 * Lookup number i (from 0) asks, as bench/bench_lua_lookup.lua does:
 * every 128th one of the 9 names of the example.net fixture that have SRV
 * records, in turn, else _q<i>._tcp.example.net, a distinct name knotd
 * answers NXDOMAIN. A positive name comes back after 1152 lookups, twice
 * as many as are ever in flight, so identical queries do not overlap.
 */
static const char *const POSITIVE_NAMES[] = {
    "_xmpp-client._tcp.example.net", "_xmpp-server._tcp.example.net",
    "_xmpps-client._tcp.example.net", "_stun._udp.example.net", "_stun._tcp.example.net",
    "_stuns._tcp.example.net", "_turn._udp.example.net", "_turn._tcp.example.net",
    "_turns._tcp.example.net",
};
#define POSITIVE_EVERY 128

static const char *rotating_name(long i, char *buffer, size_t size)
{
    if (i % POSITIVE_EVERY == 0)
        return POSITIVE_NAMES[(i / POSITIVE_EVERY) % (long)(sizeof POSITIVE_NAMES / sizeof POSITIVE_NAMES[0])];
    snprintf(buffer, size, "_q%ld._tcp.example.net", i);
    return buffer;
}

typedef struct timed_run {
    ares_channel channel;
    long submitted;
    long completed;     /* an answer (records or NXDOMAIN) before the deadline */
    long failed;
    int stopped;        /* the deadline passed: no more submissions, no more counting */
} timed_run_t;

static void timed_submit(timed_run_t *run);

static void timed_callback(void *arg, int status, int timeouts, unsigned char *reply, int len)
{
    (void)timeouts;
    timed_run_t *run = arg;
    if (run->stopped)
        return;
    struct ares_srv_reply *records = NULL;
    if (status == ARES_SUCCESS && ares_parse_srv_reply(reply, len, &records) == ARES_SUCCESS) {
        run->completed++;
        ares_free_data(records);
    } else if (status == ARES_ENOTFOUND) {
        run->completed++;
    } else {
        run->failed++;
    }
    timed_submit(run);
}

static void timed_submit(timed_run_t *run)
{
    char buffer[64];
    const char *name = rotating_name(run->submitted++, buffer, sizeof buffer);
    ares_query(run->channel, name, 1, 33, timed_callback, run);
}

static int plain_timed(const char *server, int in_flight, double seconds)
{
    timed_run_t run = {0};
    if (plain_channel(server, &run.channel) != 0)
        return 1;
    double start = now_seconds(), deadline = start + seconds;
    for (int i = 0; i < in_flight; i++)
        timed_submit(&run);
    double now = start;
    struct timeval limit = {0, 50000};
    while (now < deadline && plain_round(run.channel, &limit))
        now = now_seconds();
    /* Lookups still in flight at the deadline are not counted. */
    run.stopped = 1;
    ares_destroy(run.channel);
    double elapsed = now - start;
    printf("plain-c-ares in_flight=%d completed=%ld failed=%ld seconds=%.6f per_second=%.1f\n",
           in_flight, run.completed, run.failed, elapsed, (double)run.completed / elapsed);
    return 0;
}

/* ---- srv ------------------------------------------------------------------ */

typedef struct srv_run {
    srv_resolver_t *resolver;
    long to_submit;
    long answered;
    long failed;
} srv_run_t;

static void srv_submit(srv_run_t *run);

static void srv_callback(const srv_srv_result_t *result, void *arg)
{
    srv_run_t *run = arg;
    if (result->status == SRV_OK)
        run->answered++;
    else
        run->failed++;
    srv_submit(run);
}

static void srv_submit(srv_run_t *run)
{
    if (run->to_submit <= 0)
        return;
    run->to_submit--;
    srv_resolver_query_srv(run->resolver, NAME, srv_callback, run);
}

static double srv_rate(const char *server, int in_flight, long total)
{
    srv_run_t run = {0};
    srv_resolver_options_t opts;
    srv_resolver_options_init(&opts);
    opts.servers = server;
    opts.timeout_ms = 2000;
    opts.tries = 3;
    if (srv_resolver_new(&run.resolver, &opts) != SRV_OK) {
        fprintf(stderr, "bench_lookup: cannot create the resolver\n");
        exit(1);
    }
    run.to_submit = total;
    double start = now_seconds();
    for (int i = 0; i < in_flight; i++)
        srv_submit(&run);
    srv_resolver_run(run.resolver);
    double elapsed = now_seconds() - start;
    srv_resolver_destroy(run.resolver);
    if (run.failed)
        fprintf(stderr, "bench_lookup: srv: %ld lookups failed\n", run.failed);
    return (double)run.answered / elapsed;
}

int main(int argc, char **argv)
{
    const char *server = getenv("SRV_TEST_SERVER");
    if (!server) {
        fprintf(stderr, "bench_lookup: SRV_TEST_SERVER unset (run it through `make bench`)\n");
        return 2;
    }
    if (argc == 4 && strcmp(argv[1], "--plain") == 0) {
        char *end;
        errno = 0;
        long in_flight = strtol(argv[2], &end, 10);
        double seconds = strtod(argv[3], NULL);
        if (errno || *end || in_flight < 1 || in_flight > 100000 || !(seconds > 0)) {
            fprintf(stderr, "usage: bench_lookup [--plain IN_FLIGHT SECONDS]\n");
            return 2;
        }
        ares_library_init(ARES_LIB_INIT_ALL);
        int status = plain_timed(server, (int)in_flight, seconds);
        ares_library_cleanup();
        return status;
    }
    if (argc != 1) {
        fprintf(stderr, "usage: bench_lookup [--plain IN_FLIGHT SECONDS]\n");
        return 2;
    }
    static const struct { int in_flight; long total; double target; } cases[] = {
        {1, 20000, 0.9}, {50, 150000, 0.9}, {500, 150000, 2.5},
    };
    ares_library_init(ARES_LIB_INIT_ALL);
    printf("SRV lookups/s against knotd on loopback (%s), best of 3 alternating runs\n", server);
    printf("%-10s %14s %14s %8s %8s\n", "in flight", "plain c-ares", "srv", "ratio", "target");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double best_plain = 0, best_srv = 0;
        for (int round = 0; round < 3; round++) {
            double plain = plain_rate(server, cases[i].in_flight, cases[i].total);
            double ours = srv_rate(server, cases[i].in_flight, cases[i].total);
            if (plain > best_plain)
                best_plain = plain;
            if (ours > best_srv)
                best_srv = ours;
        }
        double ratio = best_srv / best_plain;
        printf("%-10d %14.0f %14.0f %7.2fx %6s%.1fx %s\n", cases[i].in_flight, best_plain, best_srv,
               ratio, ">=", cases[i].target, ratio >= cases[i].target ? "PASS" : "MISS");
    }
    ares_library_cleanup();
    return 0;
}
