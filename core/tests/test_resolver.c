/* test_resolver.c - the asynchronous resolver against a real DNS server
 * (knotd, started by spec/support/with-knotd.sh, address in SRV_TEST_SERVER)
 * and against misbehaving servers on loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "fake_dns.h"
#include "srv.h"

/* What one SRV callback saw. */
typedef struct srv_outcome {
    int calls;
    srv_status_t status;
    srv_recordset_t records;
    uint32_t negative_ttl;
} srv_outcome_t;

static void collect_srv(const srv_srv_result_t *result, void *arg)
{
    srv_outcome_t *outcome = arg;
    outcome->calls++;
    outcome->status = result->status;
    outcome->negative_ttl = result->negative_ttl;
    assert_int_equal(srv_recordset_copy(&outcome->records, result->records), SRV_OK);
}

static const char *knotd(void)
{
    const char *server = getenv("SRV_TEST_SERVER");
    if (!server)
        fprintf(stderr, "SRV_TEST_SERVER unset: run under spec/support/with-knotd.sh\n");
    return server;
}

static srv_resolver_t *resolver_for(const char *servers, int timeout_ms, int tries, size_t max_inflight)
{
    srv_resolver_options_t opts;
    srv_resolver_options_init(&opts);
    opts.servers = servers;
    opts.timeout_ms = timeout_ms;
    opts.tries = tries;
    if (max_inflight)
        opts.max_inflight = max_inflight;
    srv_resolver_t *resolver = NULL;
    assert_int_equal(srv_resolver_new(&resolver, &opts), SRV_OK);
    return resolver;
}

/* A resolver asking knotd; the test is skipped when knotd is not there. */
static srv_resolver_t *resolver_on_knotd(int timeout_ms, int tries, size_t max_inflight)
{
    const char *server = knotd();
    if (!server)
        skip();
    return resolver_for(server, timeout_ms, tries, max_inflight);
}

/* Starts a misbehaving server on loopback and a resolver that asks only it. */
static srv_resolver_t *resolver_on_fake(fake_dns_t *server, fake_dns_mode_t mode,
                                        int timeout_ms, int tries, size_t max_inflight)
{
    static char address[64];
    assert_int_equal(fake_dns_start(server, mode), 0);
    snprintf(address, sizeof address, "127.0.0.1:%d", server->port);
    return resolver_for(address, timeout_ms, tries, max_inflight);
}

/* One SRV lookup against knotd, run to completion. */
/* Like collect_srv, taking the records instead of copying them (srv.h). */
static void take_srv(const srv_srv_result_t *result, void *arg)
{
    srv_outcome_t *outcome = arg;
    outcome->calls++;
    outcome->status = result->status;
    outcome->negative_ttl = result->negative_ttl;
    srv_recordset_take(&outcome->records, result->records);
}

static srv_outcome_t lookup(const char *name)
{
    srv_outcome_t outcome = {0};
    srv_resolver_t *resolver = resolver_on_knotd(2000, 2, 0);
    assert_int_equal(srv_resolver_query_srv(resolver, name, collect_srv, &outcome), SRV_OK);
    assert_int_equal(srv_resolver_run(resolver), SRV_OK);
    srv_resolver_destroy(resolver);
    assert_int_equal(outcome.calls, 1);
    return outcome;
}

typedef struct addr_outcome {
    int calls;
    srv_status_t status;
    size_t count;
    int v4;
    int v6;
    int inet;     /* addresses of each family, whatever they are */
    int inet6;
    uint32_t ttl;
    uint32_t negative_ttl;
} addr_outcome_t;

static void collect_addr(const srv_addr_result_t *result, void *arg)
{
    addr_outcome_t *outcome = arg;
    outcome->calls++;
    outcome->status = result->status;
    outcome->count = result->count;
    outcome->negative_ttl = result->negative_ttl;
    for (size_t i = 0; i < result->count; i++) {
        outcome->inet += result->addresses[i].family == AF_INET;
        outcome->inet6 += result->addresses[i].family == AF_INET6;
        if (strcmp(result->addresses[i].text, "192.0.2.32") == 0 && result->addresses[i].family == AF_INET)
            outcome->v4++;
        if (strcmp(result->addresses[i].text, "2001:db8::32") == 0 && result->addresses[i].family == AF_INET6)
            outcome->v6++;
        outcome->ttl = result->addresses[i].ttl;
    }
}

static const srv_record_t *find_target(const srv_recordset_t *set, const char *target)
{
    for (size_t i = 0; i < set->count; i++)
        if (strcmp(set->records[i].target, target) == 0)
            return &set->records[i];
    return NULL;
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void test_reference_records_come_back_with_ttls(void **state)
{
    (void)state;
    srv_outcome_t outcome = lookup("_xmpp-client._tcp.example.net");
    assert_int_equal(outcome.status, SRV_OK);
    assert_int_equal(outcome.records.count, 5);
    const struct { const char *target; uint16_t priority, weight; } expected[] = {
        {"server1.example.net", 5, 50}, {"server2.example.net", 10, 30},
        {"server3.example.net", 10, 10}, {"server4.example.net", 10, 10},
        {"backup.example.net", 15, 0},
    };
    for (size_t i = 0; i < 5; i++) {
        const srv_record_t *record = find_target(&outcome.records, expected[i].target);
        assert_non_null(record);
        if (!record)
            continue;
        assert_int_equal(record->priority, expected[i].priority);
        assert_int_equal(record->weight, expected[i].weight);
        assert_int_equal(record->port, 5222);
        assert_int_equal(record->ttl, 86400);
        assert_string_equal(record->name, "_xmpp-client._tcp.example.net");
    }
    srv_recordset_clear(&outcome.records);
}

static void test_missing_name_is_nxdomain_with_soa_minimum(void **state)
{
    (void)state;
    srv_outcome_t outcome = lookup("_nothing._tcp.srv.test");
    assert_int_equal(outcome.status, SRV_ENXDOMAIN);
    assert_int_equal(outcome.records.count, 0);
    assert_int_equal(outcome.negative_ttl, 120);   /* min(SOA TTL 300, minimum 120) */
}

static void test_name_without_srv_is_nodata(void **state)
{
    (void)state;
    srv_outcome_t outcome = lookup("_xmpp-client._tcp.nodata.srv.test");
    assert_int_equal(outcome.status, SRV_ENODATA);
    assert_int_equal(outcome.records.count, 0);
    assert_int_equal(outcome.negative_ttl, 120);
}

static void test_lone_dot_is_noservice(void **state)
{
    (void)state;
    srv_outcome_t outcome = lookup("_xmpp-client._tcp.dot.srv.test");
    assert_int_equal(outcome.status, SRV_ENOSERVICE);
    assert_int_equal(outcome.records.count, 1);
    assert_string_equal(outcome.records.records[0].target, ".");
    srv_recordset_t copy = {0};
    size_t ordered = 99;
    size_t perm[1];
    assert_int_equal(srv_order(outcome.records.records, 1, SRV_ORDER_WEIGHTED, NULL, perm, &ordered), SRV_ENOSERVICE);
    assert_int_equal(ordered, 0);
    srv_recordset_clear(&copy);
    srv_recordset_clear(&outcome.records);
}

static void test_dot_mixed_with_records_is_dropped_when_ordering(void **state)
{
    (void)state;
    srv_outcome_t outcome = lookup("_xmpp-client._tcp.mixed.srv.test");
    assert_int_equal(outcome.status, SRV_OK);
    assert_int_equal(outcome.records.count, 2);
    assert_int_equal(srv_recordset_order(&outcome.records, SRV_ORDER_WEIGHTED, NULL), SRV_OK);
    assert_int_equal(outcome.records.count, 1);
    assert_string_equal(outcome.records.records[0].target, "host1.srv.test");
    srv_recordset_clear(&outcome.records);
}

static void test_ttl_zero_is_kept(void **state)
{
    (void)state;
    srv_outcome_t outcome = lookup("_sip._udp.ttl0.srv.test");
    assert_int_equal(outcome.status, SRV_OK);
    assert_int_equal(outcome.records.count, 1);
    assert_int_equal(outcome.records.records[0].ttl, 0);
    srv_recordset_clear(&outcome.records);
}

static void test_cname_at_srv_name_is_followed(void **state)
{
    (void)state;
    srv_outcome_t outcome = lookup("_xmpp-server._tcp.alias.srv.test");
    assert_int_equal(outcome.status, SRV_OK);
    assert_int_equal(outcome.records.count, 2);
    assert_non_null(find_target(&outcome.records, "host1.srv.test"));
    assert_non_null(find_target(&outcome.records, "host2.srv.test"));
    assert_string_equal(outcome.records.records[0].name, "_xmpp-server._tcp.real.srv.test");
    assert_int_equal(outcome.records.records[0].ttl, 60);
    srv_recordset_clear(&outcome.records);
}

static void test_cname_only_answer_is_nodata(void **state)
{
    (void)state;
    srv_outcome_t outcome = lookup("_xmpp-server._tcp.cnameonly.srv.test");
    assert_int_equal(outcome.status, SRV_ENODATA);
    assert_int_equal(outcome.records.count, 0);
}

/* srv_resolver_wait: returns at once with nothing pending, waits no longer
 * than asked, and drives UDP and TCP answers (srv.h). */
static void test_wait_holds_its_limit_and_drives_answers(void **state)
{
    (void)state;
    assert_int_equal(srv_resolver_wait(NULL, 0), SRV_EINVAL);

    fake_dns_t server;
    srv_resolver_t *silent = resolver_on_fake(&server, FAKE_DNS_SILENT, 1500, 1, 0);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    assert_int_equal(srv_resolver_wait(silent, 5000), SRV_OK);   /* nothing pending */
    assert_true(seconds_since(&start) < 0.5);
    srv_outcome_t quiet = {0};
    assert_int_equal(srv_resolver_query_srv(silent, "_x._tcp.example.net", collect_srv, &quiet), SRV_OK);
    clock_gettime(CLOCK_MONOTONIC, &start);
    assert_int_equal(srv_resolver_wait(silent, 50), SRV_OK);
    double waited = seconds_since(&start);
    assert_int_equal(quiet.calls, 0);
    assert_true(waited > 0.04 && waited < 1.2);
    while (quiet.calls == 0)
        assert_int_equal(srv_resolver_wait(silent, -1), SRV_OK);
    assert_int_equal(quiet.status, SRV_ETIMEOUT);
    srv_resolver_destroy(silent);
    fake_dns_stop(&server);

    /* Answers over UDP and, truncated, over TCP, in one batch. */
    srv_resolver_t *resolver = resolver_on_knotd(2000, 2, 0);
    srv_outcome_t small[8] = {{0}}, big[4] = {{0}};
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(srv_resolver_query_srv(resolver, "_xmpp-client._tcp.example.net", collect_srv, &small[i]),
                         SRV_OK);
    /* One query over TCP: the four share it (srv.h), each with its copy,
     * which half of them take. */
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(srv_resolver_query_srv(resolver, i % 2 ? "_big._tcp.srv.test" : "_BIG._tcp.srv.test.",
                                                i % 2 ? take_srv : collect_srv, &big[i]), SRV_OK);
    while (srv_resolver_pending(resolver) > 0)
        assert_int_equal(srv_resolver_wait(resolver, 1000), SRV_OK);
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(small[i].calls, 1);
        assert_int_equal(small[i].status, SRV_OK);
        assert_int_equal(small[i].records.count, 5);
        srv_recordset_clear(&small[i].records);
    }
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(big[i].calls, 1);
        assert_int_equal(big[i].status, SRV_OK);
        assert_int_equal(big[i].records.count, 40);
        srv_recordset_clear(&big[i].records);
    }
    srv_resolver_destroy(resolver);
}

static void test_truncated_answer_is_retried_over_tcp(void **state)
{
    (void)state;
    /* 40 records of ~70 octets: far over 512, so the UDP answer has TC set. */
    srv_outcome_t outcome = lookup("_big._tcp.srv.test");
    assert_int_equal(outcome.status, SRV_OK);
    assert_int_equal(outcome.records.count, 40);
    assert_non_null(find_target(&outcome.records, "a-rather-long-target-name-number-39.in-a-big-rrset.srv.test"));
    srv_recordset_clear(&outcome.records);
}

static void test_unloadable_zone_is_servfail(void **state)
{
    (void)state;
    srv_outcome_t outcome = lookup("_xmpp-client._tcp.broken.test");
    assert_int_equal(outcome.status, SRV_ESERVFAIL);
}

static void test_zone_not_served_is_refused(void **state)
{
    (void)state;
    srv_outcome_t outcome = lookup("_xmpp-client._tcp.example.org");
    assert_int_equal(outcome.status, SRV_EREFUSED);
}

static void test_label_over_63_octets_is_badname_delivered_later(void **state)
{
    (void)state;
    char name[128];
    memset(name, 'a', 64);
    strcpy(name + 64, ".example.net");
    srv_outcome_t outcome = {0};
    srv_resolver_t *resolver = resolver_on_knotd(1000, 1, 0);
    assert_int_equal(srv_resolver_query_srv(resolver, name, collect_srv, &outcome), SRV_OK);
    /* c-ares fails it inside ares_query; the callback still waits for processing. */
    assert_int_equal(outcome.calls, 0);
    assert_int_equal(srv_resolver_timeout_ms(resolver), 0);
    assert_int_equal(srv_resolver_process(resolver), SRV_OK);
    assert_int_equal(outcome.calls, 1);
    assert_int_equal(outcome.status, SRV_EBADNAME);
    srv_resolver_destroy(resolver);
}

static void test_silent_server_times_out(void **state)
{
    (void)state;
    fake_dns_t server;
    srv_resolver_t *resolver = resolver_on_fake(&server, FAKE_DNS_SILENT, 100, 2, 0);
    srv_outcome_t outcome = {0};
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    assert_int_equal(srv_resolver_query_srv(resolver, "_x._tcp.example.net", collect_srv, &outcome), SRV_OK);
    assert_int_equal(srv_resolver_run(resolver), SRV_OK);
    double elapsed = seconds_since(&start);
    srv_resolver_destroy(resolver);
    fake_dns_stop(&server);
    assert_int_equal(outcome.calls, 1);
    assert_int_equal(outcome.status, SRV_ETIMEOUT);
    assert_int_equal(server.queries_seen, 2);   /* one per try */
    /* Two tries of at least 100 ms: c-ares 1.18 doubles the second (300 ms
     * in all), 1.34 holds every try to timeout_ms (docs/c-api.md, "c-ares
     * versions"). Well under two seconds either way, never instant. */
    assert_true(elapsed > 0.18 && elapsed < 2.0);
}

static int arcount_of_query(int edns)
{
    fake_dns_t server;
    assert_int_equal(fake_dns_start(&server, FAKE_DNS_SILENT), 0);
    char address[64];
    snprintf(address, sizeof address, "127.0.0.1:%d", server.port);
    srv_resolver_options_t opts;
    srv_resolver_options_init(&opts);
    opts.servers = address;
    opts.timeout_ms = 50;
    opts.tries = 1;
    opts.edns = edns;
    srv_resolver_t *resolver = NULL;
    assert_int_equal(srv_resolver_new(&resolver, &opts), SRV_OK);
    srv_outcome_t outcome = {0};
    assert_int_equal(srv_resolver_query_srv(resolver, "_x._tcp.example.net", collect_srv, &outcome), SRV_OK);
    assert_int_equal(srv_resolver_run(resolver), SRV_OK);
    srv_resolver_destroy(resolver);
    fake_dns_stop(&server);
    assert_int_equal(server.queries_seen, 1);
    return server.last_arcount;
}

static void test_edns_option_adds_an_opt_record(void **state)
{
    (void)state;
    assert_int_equal(arcount_of_query(0), 0);
    assert_int_equal(arcount_of_query(1), 1);
}

static void test_malformed_reply_is_badresp(void **state)
{
    (void)state;
    fake_dns_t server;
    srv_resolver_t *resolver = resolver_on_fake(&server, FAKE_DNS_MALFORMED, 500, 1, 0);
    srv_outcome_t outcome = {0};
    assert_int_equal(srv_resolver_query_srv(resolver, "_x._tcp.example.net", collect_srv, &outcome), SRV_OK);
    assert_int_equal(srv_resolver_run(resolver), SRV_OK);
    srv_resolver_destroy(resolver);
    fake_dns_stop(&server);
    assert_int_equal(outcome.calls, 1);
    assert_int_equal(outcome.status, SRV_EBADRESP);
}

static void test_closed_port_is_connrefused(void **state)
{
    (void)state;
    char address[64];
    snprintf(address, sizeof address, "127.0.0.1:%d", fake_dns_closed_port());
    srv_resolver_t *resolver = resolver_for(address, 500, 1, 0);
    srv_outcome_t outcome = {0};
    assert_int_equal(srv_resolver_query_srv(resolver, "_x._tcp.example.net", collect_srv, &outcome), SRV_OK);
    assert_int_equal(srv_resolver_run(resolver), SRV_OK);
    srv_resolver_destroy(resolver);
    assert_int_equal(outcome.calls, 1);
    assert_int_equal(outcome.status, SRV_ECONNREFUSED);
}

/* A resolver asking two servers in order: a misbehaving one, then the
 * second (knotd when second is NULL, else another misbehaving server). */
static srv_resolver_t *resolver_on_two(fake_dns_t *first, fake_dns_mode_t mode,
                                       fake_dns_t *second, fake_dns_mode_t second_mode)
{
    static char servers[128];
    assert_int_equal(fake_dns_start(first, mode), 0);
    if (second) {
        assert_int_equal(fake_dns_start(second, second_mode), 0);
        snprintf(servers, sizeof servers, "127.0.0.1:%d,127.0.0.1:%d", first->port, second->port);
    } else {
        const char *server = knotd();
        if (!server) {
            fake_dns_stop(first);
            skip();
        }
        snprintf(servers, sizeof servers, "127.0.0.1:%d,%s", first->port, server);
    }
    return resolver_for(servers, 200, 1, 0);
}

static void test_servfail_from_the_first_server_asks_the_next(void **state)
{
    (void)state;
    fake_dns_t failing;
    srv_resolver_t *resolver = resolver_on_two(&failing, FAKE_DNS_SERVFAIL, NULL, FAKE_DNS_SILENT);
    srv_outcome_t outcome = {0};
    addr_outcome_t addresses = {0};
    assert_int_equal(srv_resolver_query_srv(resolver, "_xmpp-client._tcp.example.net", collect_srv, &outcome), SRV_OK);
    assert_int_equal(srv_resolver_query_addr(resolver, "host2.srv.test", collect_addr, &addresses), SRV_OK);
    assert_int_equal(srv_resolver_run(resolver), SRV_OK);
    srv_resolver_destroy(resolver);
    fake_dns_stop(&failing);
    assert_true(failing.queries_seen >= 2);   /* the SRV query and at least one address query */
    assert_int_equal(outcome.calls, 1);
    assert_int_equal(outcome.status, SRV_OK);
    assert_int_equal(outcome.records.count, 5);
    assert_int_equal(addresses.status, SRV_OK);
    assert_int_equal(addresses.count, 2);
    srv_recordset_clear(&outcome.records);
}

static void test_every_server_failing_reports_the_first_answer(void **state)
{
    (void)state;
    const struct { fake_dns_mode_t first, second; srv_status_t expected; } cases[] = {
        {FAKE_DNS_SERVFAIL, FAKE_DNS_REFUSED, SRV_ESERVFAIL},
        {FAKE_DNS_REFUSED, FAKE_DNS_SERVFAIL, SRV_EREFUSED},
        {FAKE_DNS_REFUSED, FAKE_DNS_SILENT, SRV_EREFUSED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fake_dns_t first, second;
        srv_resolver_t *resolver = resolver_on_two(&first, cases[i].first, &second, cases[i].second);
        srv_outcome_t outcome = {0};
        assert_int_equal(srv_resolver_query_srv(resolver, "_x._tcp.example.net", collect_srv, &outcome), SRV_OK);
        assert_int_equal(srv_resolver_run(resolver), SRV_OK);
        srv_resolver_destroy(resolver);
        fake_dns_stop(&first);
        fake_dns_stop(&second);
        assert_int_equal(second.queries_seen, 1);   /* the next server was asked */
        assert_int_equal(outcome.calls, 1);
        assert_int_equal(outcome.status, cases[i].expected);
    }
}

static void test_destroy_cancels_every_pending_query_once(void **state)
{
    (void)state;
    fake_dns_t server;
    /* Two on the wire, three waiting behind the in-flight limit. */
    srv_resolver_t *resolver = resolver_on_fake(&server, FAKE_DNS_SILENT, 5000, 1, 2);
    srv_outcome_t outcomes[5];
    memset(outcomes, 0, sizeof outcomes);
    for (int i = 0; i < 5; i++) {
        char name[64];
        snprintf(name, sizeof name, "_x._tcp.q%d.example.net", i);
        assert_int_equal(srv_resolver_query_srv(resolver, name, collect_srv, &outcomes[i]), SRV_OK);
    }
    assert_int_equal(srv_resolver_process(resolver), SRV_OK);
    assert_int_equal(srv_resolver_pending(resolver), 5);
    srv_resolver_destroy(resolver);
    fake_dns_stop(&server);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(outcomes[i].calls, 1);
        assert_int_equal(outcomes[i].status, SRV_ECANCELLED);
    }
}

static void test_in_flight_limit_holds_queries_back(void **state)
{
    (void)state;
    fake_dns_t server;
    srv_resolver_t *resolver = resolver_on_fake(&server, FAKE_DNS_SILENT, 5000, 1, 3);
    srv_outcome_t outcomes[10];
    memset(outcomes, 0, sizeof outcomes);
    for (int i = 0; i < 10; i++) {
        char name[64];
        snprintf(name, sizeof name, "_x._tcp.q%d.example.net", i);
        assert_int_equal(srv_resolver_query_srv(resolver, name, collect_srv, &outcomes[i]), SRV_OK);
    }
    for (int round = 0; round < 10; round++) {
        assert_int_equal(srv_resolver_process(resolver), SRV_OK);
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    int seen = server.queries_seen;
    srv_resolver_destroy(resolver);
    fake_dns_stop(&server);
    assert_int_equal(seen, 3);
}

typedef struct destroy_from_callback {
    srv_resolver_t *resolver;
    int calls;
    srv_status_t statuses[3];
} destroy_from_callback_t;

static void destroy_on_first(const srv_srv_result_t *result, void *arg)
{
    destroy_from_callback_t *context = arg;
    context->statuses[context->calls++] = result->status;
    if (context->calls == 1)
        srv_resolver_destroy(context->resolver);
}

static void test_destroy_inside_callback_is_deferred(void **state)
{
    (void)state;
    destroy_from_callback_t context = {0};
    context.resolver = resolver_on_knotd(2000, 1, 0);
    assert_int_equal(srv_resolver_query_srv(context.resolver, "_xmpp-client._tcp.example.net", destroy_on_first, &context), SRV_OK);
    assert_int_equal(srv_resolver_query_srv(context.resolver, "_xmpp-client._tcp.example.net", destroy_on_first, &context), SRV_OK);
    /* The second is answered too, or cancelled: either way exactly once. */
    assert_int_equal(srv_resolver_run(context.resolver), SRV_ECANCELLED);
    assert_int_equal(context.calls, 2);
    assert_int_equal(context.statuses[0], SRV_OK);
}

/* A callback that srv_resolver_destroy runs drives the resolver: every
 * processing call, srv_resolver_wait included, says SRV_ECANCELLED (srv.h),
 * the last callback too, when nothing is pending any more. */
typedef struct drive_while_closing {
    srv_resolver_t *resolver;
    int calls;
    srv_status_t waited[4];
    srv_status_t waited_forever[4];
    srv_status_t processed[4];
} drive_while_closing_t;

static void drive_from_callback(const srv_srv_result_t *result, void *arg)
{
    (void)result;
    drive_while_closing_t *context = arg;
    int i = context->calls++;
    context->waited[i] = srv_resolver_wait(context->resolver, 0);
    context->waited_forever[i] = srv_resolver_wait(context->resolver, -1);
    context->processed[i] = srv_resolver_process(context->resolver);
}

static void test_wait_from_a_callback_of_destroy_is_cancelled(void **state)
{
    (void)state;
    fake_dns_t server;
    drive_while_closing_t context = {0};
    context.resolver = resolver_on_fake(&server, FAKE_DNS_SILENT, 5000, 1, 0);
    assert_int_equal(srv_resolver_query_srv(context.resolver, "_x._tcp.a.example.net", drive_from_callback, &context), SRV_OK);
    assert_int_equal(srv_resolver_query_srv(context.resolver, "_x._tcp.b.example.net", drive_from_callback, &context), SRV_OK);
    assert_int_equal(srv_resolver_process(context.resolver), SRV_OK);
    srv_resolver_destroy(context.resolver);
    fake_dns_stop(&server);
    assert_int_equal(context.calls, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(context.processed[i], SRV_ECANCELLED);
        assert_int_equal(context.waited[i], SRV_ECANCELLED);
        assert_int_equal(context.waited_forever[i], SRV_ECANCELLED);
    }
}

/* Every callback of a shared query takes its records, and the first
 * destroys the resolver: each still gets the whole answer, once. */
typedef struct take_and_destroy {
    srv_resolver_t *resolver;
    int calls;
    srv_status_t statuses[4];
    srv_recordset_t records[4];
} take_and_destroy_t;

static void take_then_destroy(const srv_srv_result_t *result, void *arg)
{
    take_and_destroy_t *context = arg;
    int i = context->calls++;
    context->statuses[i] = result->status;
    srv_recordset_take(&context->records[i], result->records);
    srv_recordset_t again = {0};
    srv_recordset_take(&again, result->records);   /* taken already: nothing left */
    assert_int_equal(again.count, 0);
    if (i == 0)
        srv_resolver_destroy(context->resolver);
}

static void test_callbacks_sharing_a_query_may_all_take_even_while_destroying(void **state)
{
    (void)state;
    static const char *const names[] = {"_xmpp-client._tcp.example.net", "_xmpp-client._tcp.dot.srv.test"};
    static const srv_status_t statuses[] = {SRV_OK, SRV_ENOSERVICE};
    static const size_t counts[] = {5, 1};
    for (size_t n = 0; n < 2; n++) {
        take_and_destroy_t context = {0};
        context.resolver = resolver_on_knotd(2000, 2, 0);
        for (int i = 0; i < 3; i++)
            assert_int_equal(srv_resolver_query_srv(context.resolver, names[n], take_then_destroy, &context), SRV_OK);
        srv_status_t status;
        while ((status = srv_resolver_wait(context.resolver, -1)) == SRV_OK)
            ;
        assert_int_equal(status, SRV_ECANCELLED);
        assert_int_equal(context.calls, 3);
        for (int i = 0; i < 3; i++) {
            assert_int_equal(context.statuses[i], statuses[n]);
            assert_int_equal(context.records[i].count, counts[n]);
            srv_recordset_clear(&context.records[i]);
        }
    }
}

typedef struct chain {
    srv_resolver_t *resolver;
    int remaining;
    int answered;
} chain_t;

static void query_again(const srv_srv_result_t *result, void *arg)
{
    chain_t *chain = arg;
    if (result->status == SRV_OK)
        chain->answered++;
    if (--chain->remaining > 0)
        assert_int_equal(srv_resolver_query_srv(chain->resolver, "_xmpp-server._tcp.example.net", query_again, chain), SRV_OK);
}

static void test_callback_may_submit_more_queries(void **state)
{
    (void)state;
    chain_t chain = {resolver_on_knotd(2000, 2, 0), 5, 0};
    assert_int_equal(srv_resolver_query_srv(chain.resolver, "_xmpp-server._tcp.example.net", query_again, &chain), SRV_OK);
    assert_int_equal(srv_resolver_run(chain.resolver), SRV_OK);
    srv_resolver_destroy(chain.resolver);
    assert_int_equal(chain.answered, 5);
}

typedef struct tally {
    int ok;
    int other;
} tally_t;

static void count_ok(const srv_srv_result_t *result, void *arg)
{
    tally_t *tally = arg;
    if (result->status == SRV_OK && result->records->count == 5)
        tally->ok++;
    else
        tally->other++;
}

static void test_thousand_queries_beyond_the_limit_all_answer(void **state)
{
    (void)state;
    srv_resolver_t *resolver = resolver_on_knotd(2000, 3, 0);
    tally_t tally = {0, 0};
    for (int i = 0; i < 1000; i++)
        assert_int_equal(srv_resolver_query_srv(resolver, "_xmpp-client._tcp.example.net", count_ok, &tally), SRV_OK);
    assert_int_equal(srv_resolver_pending(resolver), 1000);
    assert_int_equal(srv_resolver_run(resolver), SRV_OK);
    assert_int_equal(srv_resolver_pending(resolver), 0);
    srv_resolver_destroy(resolver);
    assert_int_equal(tally.ok, 1000);
    assert_int_equal(tally.other, 0);
}

static void test_pollfd_drives_queries_from_a_plain_poll_loop(void **state)
{
    (void)state;
    srv_resolver_t *resolver = resolver_on_knotd(2000, 2, 0);
    srv_outcome_t outcome = {0};
    assert_int_equal(srv_resolver_query_srv(resolver, "_stun._udp.example.net", collect_srv, &outcome), SRV_OK);
    int fd = srv_resolver_pollfd(resolver);
    assert_true(fd >= 0);
    srv_pollfd_t sockets[4];
    assert_true(srv_resolver_fds(resolver, sockets, 4) >= 1);
    assert_true(sockets[0].events & SRV_POLL_READ);
    int rounds = 0;
    while (srv_resolver_pending(resolver) > 0 && rounds++ < 100) {
        struct pollfd pfd = {fd, POLLIN, 0};
        poll(&pfd, 1, srv_resolver_timeout_ms(resolver));
        assert_int_equal(srv_resolver_process(resolver), SRV_OK);
    }
    assert_int_equal(outcome.calls, 1);
    assert_int_equal(outcome.status, SRV_OK);
    assert_string_equal(outcome.records.records[0].target, "server.example.net");
    assert_int_equal(outcome.records.records[0].port, 3478);
    assert_int_equal(srv_resolver_timeout_ms(resolver), -1);
    srv_resolver_destroy(resolver);
    srv_recordset_clear(&outcome.records);
}

static void test_process_fd_drives_queries_for_loops_that_watch_sockets(void **state)
{
    (void)state;
    srv_resolver_t *resolver = resolver_on_knotd(2000, 2, 0);
    srv_outcome_t outcome = {0};
    assert_int_equal(srv_resolver_query_srv(resolver, "_turn._udp.example.net", collect_srv, &outcome), SRV_OK);
    int rounds = 0;
    while (srv_resolver_pending(resolver) > 0 && rounds++ < 100) {
        srv_pollfd_t sockets[8];
        size_t count = srv_resolver_fds(resolver, sockets, 8);
        assert_true(count >= 1 && count <= 8);
        struct pollfd pfds[8];
        for (size_t i = 0; i < count; i++)
            pfds[i] = (struct pollfd){sockets[i].fd, (short)(sockets[i].events & SRV_POLL_READ ? POLLIN : 0), 0};
        poll(pfds, count, srv_resolver_timeout_ms(resolver));
        int handled = 0;
        for (size_t i = 0; i < count; i++)
            if (pfds[i].revents & POLLIN) {
                assert_int_equal(srv_resolver_process_fd(resolver, pfds[i].fd, -1), SRV_OK);
                handled = 1;
            }
        if (!handled)
            assert_int_equal(srv_resolver_process_fd(resolver, -1, -1), SRV_OK);
    }
    assert_int_equal(outcome.calls, 1);
    assert_int_equal(outcome.status, SRV_OK);
    assert_int_equal(outcome.records.count, 2);
    srv_resolver_destroy(resolver);
    srv_recordset_clear(&outcome.records);
}

static void test_addresses_of_a_target_come_together(void **state)
{
    (void)state;
    srv_resolver_t *resolver = resolver_on_knotd(2000, 2, 0);
    addr_outcome_t both = {0}, missing = {0};
    assert_int_equal(srv_resolver_query_addr(resolver, "host2.srv.test", collect_addr, &both), SRV_OK);
    assert_int_equal(srv_resolver_query_addr(resolver, "nothing-here.srv.test", collect_addr, &missing), SRV_OK);
    assert_int_equal(srv_resolver_run(resolver), SRV_OK);
    srv_resolver_destroy(resolver);
    assert_int_equal(both.calls, 1);
    assert_int_equal(both.status, SRV_OK);
    assert_int_equal(both.count, 2);
    assert_int_equal(both.v4, 1);
    assert_int_equal(both.v6, 1);
    assert_int_equal(both.ttl, 300);
    assert_int_equal(missing.calls, 1);
    assert_int_equal(missing.status, SRV_ENXDOMAIN);
}

/* Every address of one result, in order. */
typedef struct address_list_outcome {
    int calls;
    srv_status_t status;
    size_t count;
    srv_address_t addresses[4];
} address_list_outcome_t;

static void collect_address_list(const srv_addr_result_t *result, void *arg)
{
    address_list_outcome_t *outcome = arg;
    outcome->calls++;
    outcome->status = result->status;
    outcome->count = result->count;
    for (size_t i = 0; i < result->count && i < 4; i++)
        outcome->addresses[i] = result->addresses[i];
}

/* With explicit servers an address query is an A and an AAAA query read
 * by srv's own reader. */
static address_list_outcome_t addresses_from_fake(fake_dns_mode_t mode, const char *name, int *queries_seen)
{
    fake_dns_t server;
    srv_resolver_t *resolver = resolver_on_fake(&server, mode, 1000, 1, 0);
    address_list_outcome_t outcome = {0};
    assert_int_equal(srv_resolver_query_addr(resolver, name, collect_address_list, &outcome), SRV_OK);
    assert_int_equal(srv_resolver_run(resolver), SRV_OK);
    srv_resolver_destroy(resolver);
    fake_dns_stop(&server);
    if (queries_seen)
        *queries_seen = server.queries_seen;
    assert_int_equal(outcome.calls, 1);
    return outcome;
}

static void test_address_before_its_cname_is_an_address_of_the_name(void **state)
{
    (void)state;
    address_list_outcome_t outcome = addresses_from_fake(FAKE_DNS_ADDRESS_BEFORE_CNAME, "host.fake.test", NULL);
    assert_int_equal(outcome.status, SRV_OK);
    assert_int_equal(outcome.count, 2);
    assert_int_equal(outcome.addresses[0].family, AF_INET);       /* A first, then AAAA */
    assert_string_equal(outcome.addresses[0].text, "192.0.2.7");
    assert_int_equal(outcome.addresses[0].ttl, 60);
    assert_int_equal(outcome.addresses[1].family, AF_INET6);
    assert_string_equal(outcome.addresses[1].text, "2001:db8::7");
}

static void test_addresses_of_one_family_stand_without_the_other(void **state)
{
    (void)state;
    address_list_outcome_t outcome = addresses_from_fake(FAKE_DNS_A_ONLY, "host.fake.test", NULL);
    assert_int_equal(outcome.status, SRV_OK);
    assert_int_equal(outcome.count, 1);
    assert_string_equal(outcome.addresses[0].text, "192.0.2.8");
}

/* NODATA says the name has no addresses; it cannot when the other family
 * was not answered. */
static void test_a_failure_of_one_family_is_not_hidden_by_nodata_of_the_other(void **state)
{
    (void)state;
    address_list_outcome_t outcome = addresses_from_fake(FAKE_DNS_A_NODATA_AAAA_SERVFAIL, "host.fake.test", NULL);
    assert_int_equal(outcome.status, SRV_ESERVFAIL);
    assert_int_equal(outcome.count, 0);
}

/* An IP literal is its own address, as getaddrinfo has it: nothing is asked. */
static void test_ip_literal_is_its_own_address(void **state)
{
    (void)state;
    int queries = -1;
    address_list_outcome_t v4 = addresses_from_fake(FAKE_DNS_SILENT, "192.0.2.99", &queries);
    assert_int_equal(queries, 0);
    assert_int_equal(v4.status, SRV_OK);
    assert_int_equal(v4.count, 1);
    assert_int_equal(v4.addresses[0].family, AF_INET);
    assert_string_equal(v4.addresses[0].text, "192.0.2.99");
    assert_int_equal(v4.addresses[0].ttl, 0);
    address_list_outcome_t v6 = addresses_from_fake(FAKE_DNS_SILENT, "2001:DB8::99", &queries);
    assert_int_equal(queries, 0);
    assert_int_equal(v6.status, SRV_OK);
    assert_int_equal(v6.addresses[0].family, AF_INET6);
    assert_string_equal(v6.addresses[0].text, "2001:db8::99");
}

static void test_bad_arguments_are_rejected_without_callback(void **state)
{
    (void)state;
    srv_resolver_options_t opts;
    srv_resolver_options_init(&opts);
    opts.servers = "not an address";
    srv_resolver_t *resolver = (srv_resolver_t *)&opts;
    assert_int_equal(srv_resolver_new(&resolver, &opts), SRV_EINVAL);
    assert_null(resolver);
    opts.servers = "127.0.0.1:53";
    assert_int_equal(srv_resolver_new(&resolver, &opts), SRV_OK);
    srv_outcome_t outcome = {0};
    assert_int_equal(srv_resolver_query_srv(resolver, NULL, collect_srv, &outcome), SRV_EINVAL);
    assert_int_equal(srv_resolver_query_srv(resolver, "x.example", NULL, NULL), SRV_EINVAL);
    assert_int_equal(srv_resolver_pending(resolver), 0);
    assert_int_equal(srv_resolver_timeout_ms(resolver), -1);
    srv_resolver_destroy(resolver);
    assert_int_equal(outcome.calls, 0);
}

static void test_system_configuration_creates_a_resolver(void **state)
{
    (void)state;
    srv_resolver_t *resolver = NULL;
    assert_int_equal(srv_resolver_new(&resolver, NULL), SRV_OK);
    assert_non_null(resolver);
    srv_resolver_destroy(resolver);
}

/* c-ares would read "" as the root and ask the server; it is no name. */
static void test_empty_name_is_badname_and_sends_nothing(void **state)
{
    (void)state;
    fake_dns_t server;
    srv_resolver_t *resolver = resolver_on_fake(&server, FAKE_DNS_SILENT, 100, 1, 0);
    srv_outcome_t outcome = {0};
    addr_outcome_t addr_outcome = {0};
    assert_int_equal(srv_resolver_query_srv(resolver, "", collect_srv, &outcome), SRV_OK);
    assert_int_equal(srv_resolver_query_addr(resolver, "", collect_addr, &addr_outcome), SRV_OK);
    assert_int_equal(outcome.calls, 0);
    assert_int_equal(srv_resolver_run(resolver), SRV_OK);
    assert_int_equal(outcome.calls, 1);
    assert_int_equal(outcome.status, SRV_EBADNAME);
    assert_int_equal(addr_outcome.calls, 1);
    assert_int_equal(addr_outcome.status, SRV_EBADNAME);
    srv_resolver_destroy(resolver);
    assert_int_equal(atomic_load(&server.queries_seen), 0);
    fake_dns_stop(&server);
}

/* Identical queries share ------------------------------------------------- */

/* What one SRV callback of several saw, and when its turn came. */
typedef struct shared_outcome {
    srv_outcome_t outcome;
    char name[64];
    int turn;
    int *turns;
} shared_outcome_t;

static void collect_shared(const srv_srv_result_t *result, void *arg)
{
    shared_outcome_t *shared = arg;
    shared->turn = ++*shared->turns;
    snprintf(shared->name, sizeof shared->name, "%s", result->name);
    collect_srv(result, &shared->outcome);
}

static void run_until_no_query_is_pending(srv_resolver_t *resolver)
{
    assert_int_equal(srv_resolver_run(resolver), SRV_OK);
    assert_int_equal(srv_resolver_pending(resolver), 0);
}

static srv_resolver_stats_t stats_of(const srv_resolver_t *resolver)
{
    srv_resolver_stats_t stats;
    srv_resolver_stats(resolver, &stats);
    return stats;
}

static void test_identical_queries_send_one_query_and_all_get_the_answer(void **state)
{
    (void)state;
    fake_dns_t server;
    srv_resolver_t *resolver = resolver_on_fake(&server, FAKE_DNS_ANSWERS, 1000, 1, 0);
    int turns = 0;
    shared_outcome_t outcomes[5];
    memset(outcomes, 0, sizeof outcomes);
    for (int i = 0; i < 5; i++) {
        outcomes[i].turns = &turns;
        assert_int_equal(srv_resolver_query_srv(resolver, "_sip._udp.share.fake.test", collect_shared, &outcomes[i]), SRV_OK);
    }
    assert_int_equal(srv_resolver_pending(resolver), 5);
    run_until_no_query_is_pending(resolver);
    srv_resolver_stats_t stats = stats_of(resolver);
    srv_resolver_destroy(resolver);
    fake_dns_stop(&server);
    assert_int_equal(server.queries_seen, 1);
    assert_int_equal(stats.queries, 1);
    assert_int_equal(stats.shared, 4);
    for (int i = 0; i < 5; i++) {
        srv_outcome_t *outcome = &outcomes[i].outcome;
        assert_int_equal(outcome->calls, 1);
        assert_int_equal(outcomes[i].turn, i + 1);   /* in the order they were submitted */
        assert_int_equal(outcome->status, SRV_OK);
        assert_int_equal(outcome->records.count, 1);
        assert_string_equal(outcome->records.records[0].target, "target.fake.test");
        assert_int_equal(outcome->records.records[0].port, 5060);
        assert_int_equal(outcome->records.records[0].ttl, 60);
        srv_recordset_clear(&outcome->records);
    }
}

static void test_names_equal_as_dns_compares_them_share(void **state)
{
    (void)state;
    /* RFC 4343: any case; a trailing dot or none; "\083" is "S", "\a" is
     * "a" (RFC 1035 5.1). "share\.fake" is one label holding a dot: another
     * name. */
    static const char *const names[] = {
        "_sip._udp.share.fake.test", "_SIP._UDP.Share.Fake.Test", "_sip._udp.share.fake.test.",
        "_sip._udp.\\083h\\are.fake.test", "_sip._udp.share\\.fake.test",
    };
    fake_dns_t server;
    srv_resolver_t *resolver = resolver_on_fake(&server, FAKE_DNS_ANSWERS, 1000, 1, 0);
    int turns = 0;
    shared_outcome_t outcomes[5];
    memset(outcomes, 0, sizeof outcomes);
    for (int i = 0; i < 5; i++) {
        outcomes[i].turns = &turns;
        assert_int_equal(srv_resolver_query_srv(resolver, names[i], collect_shared, &outcomes[i]), SRV_OK);
    }
    run_until_no_query_is_pending(resolver);
    srv_resolver_stats_t stats = stats_of(resolver);
    srv_resolver_destroy(resolver);
    fake_dns_stop(&server);
    assert_int_equal(server.queries_seen, 2);
    assert_int_equal(stats.queries, 2);
    assert_int_equal(stats.shared, 3);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(outcomes[i].outcome.calls, 1);
        assert_int_equal(outcomes[i].outcome.status, SRV_OK);
        assert_int_equal(outcomes[i].outcome.records.count, 1);
        assert_string_equal(outcomes[i].name, names[i]);   /* each its own name */
        srv_recordset_clear(&outcomes[i].outcome.records);
    }
    assert_int_equal(outcomes[4].outcome.calls, 1);
    srv_recordset_clear(&outcomes[4].outcome.records);
}

static void test_an_srv_and_an_address_query_of_one_name_do_not_share(void **state)
{
    (void)state;
    fake_dns_t server;
    srv_resolver_t *resolver = resolver_on_fake(&server, FAKE_DNS_ANSWERS, 1000, 1, 0);
    srv_outcome_t srv_outcome = {0};
    addr_outcome_t addr_outcomes[2];
    memset(addr_outcomes, 0, sizeof addr_outcomes);
    assert_int_equal(srv_resolver_query_srv(resolver, "host.fake.test", collect_srv, &srv_outcome), SRV_OK);
    assert_int_equal(srv_resolver_query_addr(resolver, "host.fake.test", collect_addr, &addr_outcomes[0]), SRV_OK);
    assert_int_equal(srv_resolver_query_addr(resolver, "HOST.fake.test.", collect_addr, &addr_outcomes[1]), SRV_OK);
    run_until_no_query_is_pending(resolver);
    srv_resolver_stats_t stats = stats_of(resolver);
    srv_resolver_destroy(resolver);
    fake_dns_stop(&server);
    assert_int_equal(server.queries_seen, 3);   /* SRV, then A and AAAA once */
    assert_int_equal(stats.queries, 2);
    assert_int_equal(stats.shared, 1);
    assert_int_equal(srv_outcome.calls, 1);
    assert_int_equal(srv_outcome.status, SRV_OK);
    srv_recordset_clear(&srv_outcome.records);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(addr_outcomes[i].calls, 1);
        assert_int_equal(addr_outcomes[i].status, SRV_OK);
        assert_int_equal(addr_outcomes[i].count, 2);
    }
}

/* RFC 8305 section 3: each family asked on its own, answered on its own. */
static void test_an_address_query_of_one_family_asks_that_family_only(void **state)
{
    (void)state;
    srv_resolver_t *resolver = resolver_on_knotd(2000, 2, 0);
    addr_outcome_t v4 = {0}, v6 = {0}, missing = {0}, literal = {0}, literal_other = {0};
    assert_int_equal(srv_resolver_query_addr_family(resolver, "host2.srv.test", AF_INET, collect_addr, &v4), SRV_OK);
    assert_int_equal(srv_resolver_query_addr_family(resolver, "host2.srv.test", AF_INET6, collect_addr, &v6), SRV_OK);
    assert_int_equal(srv_resolver_query_addr_family(resolver, "nothing-here.srv.test", AF_INET6, collect_addr,
                                                    &missing), SRV_OK);
    assert_int_equal(srv_resolver_query_addr_family(resolver, "::1", AF_INET6, collect_addr, &literal), SRV_OK);
    assert_int_equal(srv_resolver_query_addr_family(resolver, "::1", AF_INET, collect_addr, &literal_other), SRV_OK);
    assert_int_equal(srv_resolver_query_addr_family(resolver, "host2.srv.test", AF_UNIX, collect_addr, &v4),
                     SRV_EINVAL);
    assert_int_equal(srv_resolver_run(resolver), SRV_OK);
    srv_resolver_destroy(resolver);
    assert_int_equal(v4.calls, 1);
    assert_int_equal(v4.status, SRV_OK);
    assert_int_equal(v4.count, 1);
    assert_int_equal(v4.v4, 1);
    assert_int_equal(v6.calls, 1);
    assert_int_equal(v6.status, SRV_OK);
    assert_int_equal(v6.count, 1);
    assert_int_equal(v6.v6, 1);
    assert_int_equal(missing.status, SRV_ENXDOMAIN);
    assert_int_equal(missing.negative_ttl, 120);   /* the SOA minimum (RFC 2308) */
    assert_int_equal(v4.negative_ttl, 0);
    assert_int_equal(literal.status, SRV_OK);
    assert_int_equal(literal.count, 1);
    assert_int_equal(literal.inet6, 1);
    assert_int_equal(literal_other.status, SRV_ENODATA);
    assert_int_equal(literal_other.count, 0);
}

/* A query of one family shares only with its own family: the result of
 * both families, or of the other, is not its result. */
static void test_address_queries_share_within_one_family_only(void **state)
{
    (void)state;
    fake_dns_t server;
    srv_resolver_t *resolver = resolver_on_fake(&server, FAKE_DNS_ANSWERS, 1000, 1, 0);
    addr_outcome_t both = {0}, v4[2], v6 = {0};
    memset(v4, 0, sizeof v4);
    assert_int_equal(srv_resolver_query_addr(resolver, "host.fake.test", collect_addr, &both), SRV_OK);
    assert_int_equal(srv_resolver_query_addr_family(resolver, "host.fake.test", AF_INET, collect_addr, &v4[0]),
                     SRV_OK);
    assert_int_equal(srv_resolver_query_addr_family(resolver, "HOST.fake.test.", AF_INET, collect_addr, &v4[1]),
                     SRV_OK);
    assert_int_equal(srv_resolver_query_addr_family(resolver, "host.fake.test", AF_INET6, collect_addr, &v6),
                     SRV_OK);
    run_until_no_query_is_pending(resolver);
    srv_resolver_stats_t stats = stats_of(resolver);
    srv_resolver_destroy(resolver);
    fake_dns_stop(&server);
    assert_int_equal(server.queries_seen, 4);   /* A and AAAA for both, A, AAAA */
    assert_int_equal(stats.queries, 3);
    assert_int_equal(stats.shared, 1);
    assert_int_equal(both.status, SRV_OK);
    assert_int_equal(both.count, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(v4[i].calls, 1);
        assert_int_equal(v4[i].status, SRV_OK);
        assert_int_equal(v4[i].count, 1);
        assert_int_equal(v4[i].inet, 1);
    }
    assert_int_equal(v6.status, SRV_OK);
    assert_int_equal(v6.count, 1);
    assert_int_equal(v6.inet6, 1);
}

static void test_a_query_joins_one_waiting_behind_the_limit(void **state)
{
    (void)state;
    fake_dns_t server;
    srv_resolver_t *resolver = resolver_on_fake(&server, FAKE_DNS_ANSWERS, 1000, 1, 1);
    srv_outcome_t outcomes[3];
    memset(outcomes, 0, sizeof outcomes);
    assert_int_equal(srv_resolver_query_srv(resolver, "_sip._udp.first.fake.test", collect_srv, &outcomes[0]), SRV_OK);
    assert_int_equal(srv_resolver_query_srv(resolver, "_sip._udp.second.fake.test", collect_srv, &outcomes[1]), SRV_OK);
    assert_int_equal(srv_resolver_query_srv(resolver, "_sip._udp.Second.fake.test", collect_srv, &outcomes[2]), SRV_OK);
    assert_int_equal(srv_resolver_pending(resolver), 3);
    run_until_no_query_is_pending(resolver);
    srv_resolver_stats_t stats = stats_of(resolver);
    srv_resolver_destroy(resolver);
    fake_dns_stop(&server);
    assert_int_equal(server.queries_seen, 2);
    assert_int_equal(stats.queries, 2);
    assert_int_equal(stats.shared, 1);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(outcomes[i].calls, 1);
        assert_int_equal(outcomes[i].status, SRV_OK);
        assert_int_equal(outcomes[i].records.count, 1);
        srv_recordset_clear(&outcomes[i].records);
    }
}

/* A query that joined another takes no place under the limit, and destroy
 * cancels it with the query it joined, on the wire or waiting. */
static void test_destroy_cancels_queries_that_joined_others_once(void **state)
{
    (void)state;
    fake_dns_t server;
    srv_resolver_t *resolver = resolver_on_fake(&server, FAKE_DNS_SILENT, 5000, 1, 2);
    static const char *const names[] = {
        "_x._tcp.wire.example.net", "_x._tcp.wire.example.net", "_x._tcp.other.example.net",
        "_x._tcp.waiting.example.net", "_x._tcp.WAITING.example.net",
    };
    srv_outcome_t outcomes[5];
    memset(outcomes, 0, sizeof outcomes);
    for (int i = 0; i < 5; i++)
        assert_int_equal(srv_resolver_query_srv(resolver, names[i], collect_srv, &outcomes[i]), SRV_OK);
    for (int round = 0; round < 5; round++) {
        assert_int_equal(srv_resolver_process(resolver), SRV_OK);
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    assert_int_equal(srv_resolver_pending(resolver), 5);
    assert_int_equal(server.queries_seen, 2);   /* wire and other; waiting waits */
    srv_resolver_stats_t stats = stats_of(resolver);
    assert_int_equal(stats.queries, 2);
    assert_int_equal(stats.shared, 2);
    srv_resolver_destroy(resolver);
    fake_dns_stop(&server);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(outcomes[i].calls, 1);
        assert_int_equal(outcomes[i].status, SRV_ECANCELLED);
    }
}

typedef struct ask_again {
    srv_resolver_t *resolver;
    int calls;
    srv_outcome_t again;
} ask_again_t;

static void ask_again_once(const srv_srv_result_t *result, void *arg)
{
    ask_again_t *context = arg;
    assert_int_equal(result->status, SRV_OK);
    if (context->calls++ == 0)
        assert_int_equal(srv_resolver_query_srv(context->resolver, result->name, collect_srv, &context->again), SRV_OK);
}

static void test_a_query_asked_after_the_answer_asks_again(void **state)
{
    (void)state;
    fake_dns_t server;
    ask_again_t context = {0};
    context.resolver = resolver_on_fake(&server, FAKE_DNS_ANSWERS, 1000, 1, 0);
    assert_int_equal(srv_resolver_query_srv(context.resolver, "_sip._udp.again.fake.test", ask_again_once, &context), SRV_OK);
    assert_int_equal(srv_resolver_query_srv(context.resolver, "_sip._udp.again.fake.test", ask_again_once, &context), SRV_OK);
    run_until_no_query_is_pending(context.resolver);
    srv_resolver_stats_t stats = stats_of(context.resolver);
    srv_resolver_destroy(context.resolver);
    fake_dns_stop(&server);
    assert_int_equal(context.calls, 2);
    assert_int_equal(context.again.calls, 1);
    assert_int_equal(context.again.status, SRV_OK);
    srv_recordset_clear(&context.again.records);
    assert_int_equal(server.queries_seen, 2);
    assert_int_equal(stats.queries, 2);
    assert_int_equal(stats.shared, 1);
}

static void test_text_that_is_no_name_is_never_shared(void **state)
{
    (void)state;
    char long_label[128];
    memset(long_label, 'a', 64);
    strcpy(long_label + 64, ".example.net");
    fake_dns_t server;
    srv_resolver_t *resolver = resolver_on_fake(&server, FAKE_DNS_SILENT, 100, 1, 0);
    srv_outcome_t outcomes[4];
    memset(outcomes, 0, sizeof outcomes);
    const char *names[] = {"", "", long_label, long_label};
    for (int i = 0; i < 4; i++)
        assert_int_equal(srv_resolver_query_srv(resolver, names[i], collect_srv, &outcomes[i]), SRV_OK);
    run_until_no_query_is_pending(resolver);
    srv_resolver_stats_t stats = stats_of(resolver);
    srv_resolver_destroy(resolver);
    fake_dns_stop(&server);
    assert_int_equal(stats.queries, 4);
    assert_int_equal(stats.shared, 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(outcomes[i].calls, 1);
        assert_int_equal(outcomes[i].status, SRV_EBADNAME);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_records_come_back_with_ttls),
        cmocka_unit_test(test_wait_holds_its_limit_and_drives_answers),
        cmocka_unit_test(test_missing_name_is_nxdomain_with_soa_minimum),
        cmocka_unit_test(test_name_without_srv_is_nodata),
        cmocka_unit_test(test_lone_dot_is_noservice),
        cmocka_unit_test(test_dot_mixed_with_records_is_dropped_when_ordering),
        cmocka_unit_test(test_ttl_zero_is_kept),
        cmocka_unit_test(test_cname_at_srv_name_is_followed),
        cmocka_unit_test(test_cname_only_answer_is_nodata),
        cmocka_unit_test(test_truncated_answer_is_retried_over_tcp),
        cmocka_unit_test(test_unloadable_zone_is_servfail),
        cmocka_unit_test(test_zone_not_served_is_refused),
        cmocka_unit_test(test_label_over_63_octets_is_badname_delivered_later),
        cmocka_unit_test(test_empty_name_is_badname_and_sends_nothing),
        cmocka_unit_test(test_silent_server_times_out),
        cmocka_unit_test(test_edns_option_adds_an_opt_record),
        cmocka_unit_test(test_malformed_reply_is_badresp),
        cmocka_unit_test(test_closed_port_is_connrefused),
        cmocka_unit_test(test_servfail_from_the_first_server_asks_the_next),
        cmocka_unit_test(test_every_server_failing_reports_the_first_answer),
        cmocka_unit_test(test_destroy_cancels_every_pending_query_once),
        cmocka_unit_test(test_in_flight_limit_holds_queries_back),
        cmocka_unit_test(test_destroy_inside_callback_is_deferred),
        cmocka_unit_test(test_wait_from_a_callback_of_destroy_is_cancelled),
        cmocka_unit_test(test_callbacks_sharing_a_query_may_all_take_even_while_destroying),
        cmocka_unit_test(test_callback_may_submit_more_queries),
        cmocka_unit_test(test_thousand_queries_beyond_the_limit_all_answer),
        cmocka_unit_test(test_pollfd_drives_queries_from_a_plain_poll_loop),
        cmocka_unit_test(test_process_fd_drives_queries_for_loops_that_watch_sockets),
        cmocka_unit_test(test_addresses_of_a_target_come_together),
        cmocka_unit_test(test_address_before_its_cname_is_an_address_of_the_name),
        cmocka_unit_test(test_addresses_of_one_family_stand_without_the_other),
        cmocka_unit_test(test_a_failure_of_one_family_is_not_hidden_by_nodata_of_the_other),
        cmocka_unit_test(test_ip_literal_is_its_own_address),
        cmocka_unit_test(test_bad_arguments_are_rejected_without_callback),
        cmocka_unit_test(test_system_configuration_creates_a_resolver),
        cmocka_unit_test(test_identical_queries_send_one_query_and_all_get_the_answer),
        cmocka_unit_test(test_names_equal_as_dns_compares_them_share),
        cmocka_unit_test(test_an_srv_and_an_address_query_of_one_name_do_not_share),
        cmocka_unit_test(test_an_address_query_of_one_family_asks_that_family_only),
        cmocka_unit_test(test_address_queries_share_within_one_family_only),
        cmocka_unit_test(test_a_query_joins_one_waiting_behind_the_limit),
        cmocka_unit_test(test_destroy_cancels_queries_that_joined_others_once),
        cmocka_unit_test(test_a_query_asked_after_the_answer_asks_again),
        cmocka_unit_test(test_text_that_is_no_name_is_never_shared),
    };
    return cmocka_run_group_tests_name("resolver", tests, NULL, NULL);
}
