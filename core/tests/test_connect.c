/* test_connect.c - the connection race (RFC 8305, XEP-0495) against real
 * sockets on loopback: listeners, refused ports and blackholes
 * (support/loopback.h). Timings hold with wide margins, so that they hold
 * under ASan on a busy machine too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loopback.h"
#include "srv.h"

/* Generous slack for "at once" and "after the delay" on a loaded machine. */
enum { SLACK_MS = 120 };

static srv_connect_t *race_with(int delay_ms, int timeout_ms, int connect_timeout_ms, int manual)
{
    srv_connect_options_t opts;
    srv_connect_options_init(&opts);
    opts.attempt_delay_ms = delay_ms;
    opts.timeout_ms = timeout_ms;
    opts.connect_timeout_ms = connect_timeout_ms;
    opts.manual_accept = manual;
    srv_connect_t *race = NULL;
    assert_int_equal(srv_connect_new(&race, &opts), SRV_OK);
    return race;
}

static const srv_attempt_t *attempts_of(srv_connect_t *race, size_t expected)
{
    size_t count = 0;
    const srv_attempt_t *attempts = srv_connect_attempts(race, &count);
    assert_int_equal(count, expected);
    return attempts;
}

static void test_the_first_address_that_answers_wins(void **state)
{
    (void)state;
    int before = loopback_open_fds();
    loopback_endpoint_t up;
    assert_int_equal(loopback_listen(&up, "127.0.0.2"), 0);
    srv_connect_t *race = race_with(0, 5000, 0, 0);
    assert_int_equal(srv_connect_add(race, 0, "127.0.0.2", up.port), SRV_OK);
    assert_int_equal(srv_connect_start(race), SRV_OK);
    assert_int_equal(srv_connect_run(race), SRV_OK);
    assert_true(srv_connect_done(race));
    assert_int_equal(srv_connect_status(race), SRV_OK);
    assert_int_equal(srv_connect_winner(race), 0);
    const srv_attempt_t *a = attempts_of(race, 1);
    assert_string_equal(a[0].address, "127.0.0.2");
    assert_int_equal(a[0].family, AF_INET);
    assert_int_equal(a[0].port, up.port);
    assert_int_equal(a[0].result, SRV_ATTEMPT_CONNECTED);
    assert_string_equal(srv_attempt_result_name(a[0].result), "connected");
    int fd = srv_connect_take(race);
    assert_true(fd >= 0);
    assert_int_equal(srv_connect_take(race), -1);   /* once */
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    assert_int_equal(getpeername(fd, (struct sockaddr *)&peer, &len), 0);
    assert_int_equal(ntohs(peer.sin_port), up.port);
    srv_connect_destroy(race);
    close(fd);
    loopback_close(&up);
    assert_int_equal(loopback_open_fds(), before);
}

static void test_a_refused_attempt_starts_the_next_at_once(void **state)
{
    (void)state;
    loopback_endpoint_t refused, up;
    assert_int_equal(loopback_refuse(&refused, "127.0.0.3"), 0);
    assert_int_equal(loopback_listen(&up, "127.0.0.4"), 0);
    srv_connect_t *race = race_with(2000, 5000, 0, 0);
    assert_int_equal(srv_connect_add(race, 0, "127.0.0.3", refused.port), SRV_OK);
    assert_int_equal(srv_connect_add(race, 1, "127.0.0.4", up.port), SRV_OK);
    assert_int_equal(srv_connect_start(race), SRV_OK);
    assert_int_equal(srv_connect_run(race), SRV_OK);
    assert_int_equal(srv_connect_status(race), SRV_OK);
    const srv_attempt_t *a = attempts_of(race, 2);
    assert_int_equal(a[0].result, SRV_ATTEMPT_REFUSED);
    assert_int_equal(a[1].result, SRV_ATTEMPT_CONNECTED);
    assert_true(a[1].started_ms < SLACK_MS);          /* not after the 2 s delay */
    assert_true(srv_connect_elapsed_ms(race) < SLACK_MS);
    srv_connect_destroy(race);
    loopback_close(&refused);
    loopback_close(&up);
}

static void test_a_blackhole_really_drops_syns(void **state)
{
    (void)state;
    loopback_endpoint_t hole;
    assert_int_equal(loopback_blackhole(&hole, "127.0.0.5"), 0);
    assert_true(loopback_still_connecting("127.0.0.5", hole.port, 300));
    loopback_close(&hole);
}

static void test_the_next_attempt_starts_after_the_attempt_delay(void **state)
{
    (void)state;
    int before = loopback_open_fds();
    loopback_endpoint_t hole, up;
    assert_int_equal(loopback_blackhole(&hole, "127.0.0.5"), 0);
    assert_int_equal(loopback_listen(&up, "127.0.0.6"), 0);
    srv_connect_t *race = race_with(300, 5000, 0, 0);
    assert_int_equal(srv_connect_add(race, 0, "127.0.0.5", hole.port), SRV_OK);
    assert_int_equal(srv_connect_add(race, 1, "127.0.0.6", up.port), SRV_OK);
    assert_int_equal(srv_connect_start(race), SRV_OK);
    int wait = srv_connect_timeout_ms(race);
    assert_true(wait > 200 && wait <= 300);
    assert_int_equal(srv_connect_run(race), SRV_OK);
    assert_int_equal(srv_connect_status(race), SRV_OK);
    const srv_attempt_t *a = attempts_of(race, 2);
    assert_int_equal(a[0].result, SRV_ATTEMPT_CANCELLED);   /* closed once the other won */
    assert_int_equal(a[1].result, SRV_ATTEMPT_CONNECTED);
    assert_true(a[1].started_ms >= 300 && a[1].started_ms < 300 + SLACK_MS);
    assert_int_equal(srv_connect_winner(race), 1);
    srv_connect_destroy(race);   /* the untaken winner is closed too */
    loopback_close(&hole);
    loopback_close(&up);
    assert_int_equal(loopback_open_fds(), before);
}

static void test_the_attempt_delay_is_kept_within_100ms_and_2s(void **state)
{
    (void)state;
    loopback_endpoint_t hole;
    assert_int_equal(loopback_blackhole(&hole, "127.0.0.5"), 0);
    srv_connect_t *race = race_with(10, 5000, 0, 0);
    assert_int_equal(srv_connect_add(race, 0, "127.0.0.5", hole.port), SRV_OK);
    assert_int_equal(srv_connect_add(race, 0, "127.0.0.5", hole.port), SRV_OK);
    assert_int_equal(srv_connect_start(race), SRV_OK);
    int wait = srv_connect_timeout_ms(race);
    assert_true(wait > 50 && wait <= 100);
    srv_connect_destroy(race);
    race = race_with(60000, 5000, 0, 0);
    assert_int_equal(srv_connect_add(race, 0, "127.0.0.5", hole.port), SRV_OK);
    assert_int_equal(srv_connect_add(race, 0, "127.0.0.5", hole.port), SRV_OK);
    assert_int_equal(srv_connect_start(race), SRV_OK);
    wait = srv_connect_timeout_ms(race);
    assert_true(wait > 1900 && wait <= 2000);
    srv_connect_destroy(race);
    loopback_close(&hole);
}

static void test_families_alternate_ipv6_first_inside_a_candidate(void **state)
{
    (void)state;
    loopback_endpoint_t r4a, r4b, r6a, r6b, r4c;
    assert_int_equal(loopback_refuse(&r4a, "127.0.0.7"), 0);
    assert_int_equal(loopback_refuse(&r4b, "127.0.0.8"), 0);
    assert_int_equal(loopback_refuse(&r6a, "::1"), 0);
    assert_int_equal(loopback_refuse(&r6b, "::1"), 0);
    assert_int_equal(loopback_refuse(&r4c, "127.0.0.9"), 0);
    srv_connect_t *race = race_with(0, 5000, 0, 0);
    /* Candidate 1 added first: candidates go by number, not by when added. */
    assert_int_equal(srv_connect_add(race, 1, "127.0.0.9", r4c.port), SRV_OK);
    assert_int_equal(srv_connect_add(race, 0, "127.0.0.7", r4a.port), SRV_OK);
    assert_int_equal(srv_connect_add(race, 0, "127.0.0.8", r4b.port), SRV_OK);
    assert_int_equal(srv_connect_add(race, 0, "::1", r6a.port), SRV_OK);
    assert_int_equal(srv_connect_add(race, 0, "0:0::1", r6b.port), SRV_OK);
    assert_int_equal(srv_connect_start(race), SRV_OK);
    assert_int_equal(srv_connect_run(race), SRV_OK);
    assert_int_equal(srv_connect_status(race), SRV_ECONNECT);
    assert_string_equal(srv_status_code(srv_connect_status(race)), "CONNECT");
    const srv_attempt_t *a = attempts_of(race, 5);
    const uint16_t ports[] = {r6a.port, r4a.port, r6b.port, r4b.port, r4c.port};
    const size_t candidates[] = {0, 0, 0, 0, 1};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(a[i].port, ports[i]);
        assert_int_equal(a[i].candidate, candidates[i]);
        assert_int_equal(a[i].result, SRV_ATTEMPT_REFUSED);
        assert_true(a[i].started_ms < SLACK_MS);   /* each failure started the next at once */
    }
    assert_string_equal(a[0].address, "::1");
    assert_int_equal(a[0].family, AF_INET6);
    assert_int_equal(srv_connect_take(race), -1);
    srv_connect_destroy(race);
    loopback_close(&r4a);
    loopback_close(&r4b);
    loopback_close(&r6a);
    loopback_close(&r6b);
    loopback_close(&r4c);
}

static void test_the_race_times_out_as_a_whole(void **state)
{
    (void)state;
    int before = loopback_open_fds();
    loopback_endpoint_t hole;
    assert_int_equal(loopback_blackhole(&hole, "127.0.0.5"), 0);
    srv_connect_t *race = race_with(0, 300, 0, 0);
    assert_int_equal(srv_connect_add(race, 0, "127.0.0.5", hole.port), SRV_OK);
    assert_int_equal(srv_connect_start(race), SRV_OK);
    assert_int_equal(srv_connect_run(race), SRV_OK);
    assert_int_equal(srv_connect_status(race), SRV_ETIMEOUT);
    const srv_attempt_t *a = attempts_of(race, 1);
    assert_int_equal(a[0].result, SRV_ATTEMPT_TIMEOUT);
    assert_true(a[0].ended_ms >= 300 && a[0].ended_ms < 300 + SLACK_MS);
    assert_int_equal(srv_connect_timeout_ms(race), -1);
    srv_connect_destroy(race);
    loopback_close(&hole);
    assert_int_equal(loopback_open_fds(), before);
}

static void test_an_attempt_timeout_starts_the_next_at_once(void **state)
{
    (void)state;
    loopback_endpoint_t hole, up;
    assert_int_equal(loopback_blackhole(&hole, "127.0.0.5"), 0);
    assert_int_equal(loopback_listen(&up, "127.0.0.10"), 0);
    srv_connect_t *race = race_with(2000, 5000, 200, 0);
    assert_int_equal(srv_connect_add(race, 0, "127.0.0.5", hole.port), SRV_OK);
    assert_int_equal(srv_connect_add(race, 0, "127.0.0.10", up.port), SRV_OK);
    assert_int_equal(srv_connect_start(race), SRV_OK);
    assert_int_equal(srv_connect_run(race), SRV_OK);
    assert_int_equal(srv_connect_status(race), SRV_OK);
    const srv_attempt_t *a = attempts_of(race, 2);
    assert_int_equal(a[0].result, SRV_ATTEMPT_TIMEOUT);
    assert_true(a[1].started_ms >= 200 && a[1].started_ms < 200 + SLACK_MS);
    srv_connect_destroy(race);
    loopback_close(&hole);
    loopback_close(&up);
}

static void test_a_rejected_offer_starts_the_next_and_an_accepted_one_wins(void **state)
{
    (void)state;
    int before = loopback_open_fds();
    loopback_endpoint_t first, second;
    assert_int_equal(loopback_listen(&first, "127.0.0.11"), 0);
    assert_int_equal(loopback_listen(&second, "127.0.0.12"), 0);
    srv_connect_t *race = race_with(2000, 5000, 0, 1);
    assert_int_equal(srv_connect_add(race, 0, "127.0.0.11", first.port), SRV_OK);
    assert_int_equal(srv_connect_add(race, 1, "127.0.0.12", second.port), SRV_OK);
    assert_int_equal(srv_connect_start(race), SRV_OK);
    assert_int_equal(srv_connect_run(race), SRV_OK);
    assert_false(srv_connect_done(race));
    long offer = srv_connect_offer(race);
    assert_int_equal(offer, 0);
    assert_int_equal(srv_connect_offer(race), -1);   /* once */
    assert_true(srv_connect_attempt_fd(race, 0) >= 0);
    /* While an offer is open, it counts as pending: no second attempt. */
    assert_int_equal(srv_connect_process(race), SRV_OK);
    attempts_of(race, 1);
    assert_int_equal(srv_connect_reject(race, 0), SRV_OK);
    assert_int_equal(srv_connect_reject(race, 0), SRV_EINVAL);
    assert_int_equal(srv_connect_run(race), SRV_OK);
    offer = srv_connect_offer(race);
    assert_int_equal(offer, 1);
    assert_int_equal(srv_connect_accept(race, 1), SRV_OK);
    assert_int_equal(srv_connect_status(race), SRV_OK);
    const srv_attempt_t *a = attempts_of(race, 2);
    assert_int_equal(a[0].result, SRV_ATTEMPT_REJECTED);
    assert_int_equal(a[1].result, SRV_ATTEMPT_CONNECTED);
    assert_true(a[1].started_ms < SLACK_MS);
    int fd = srv_connect_take(race);
    assert_true(fd >= 0);
    srv_connect_destroy(race);
    close(fd);
    loopback_close(&first);
    loopback_close(&second);
    assert_int_equal(loopback_open_fds(), before);
}

static void test_cancel_closes_every_attempt(void **state)
{
    (void)state;
    int before = loopback_open_fds();
    loopback_endpoint_t hole;
    assert_int_equal(loopback_blackhole(&hole, "127.0.0.5"), 0);
    srv_connect_t *race = race_with(100, 5000, 0, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(srv_connect_add(race, (size_t)i, "127.0.0.5", hole.port), SRV_OK);
    assert_int_equal(srv_connect_start(race), SRV_OK);
    usleep(250 * 1000);
    assert_int_equal(srv_connect_process(race), SRV_OK);
    srv_connect_cancel(race);
    assert_int_equal(srv_connect_status(race), SRV_ECANCELLED);
    size_t count = 0;
    const srv_attempt_t *a = srv_connect_attempts(race, &count);
    assert_true(count >= 2);
    for (size_t i = 0; i < count; i++)
        assert_int_equal(a[i].result, SRV_ATTEMPT_CANCELLED);
    srv_connect_destroy(race);
    loopback_close(&hole);
    assert_int_equal(loopback_open_fds(), before);
}

static void test_bad_input_is_refused(void **state)
{
    (void)state;
    srv_connect_t *race = race_with(0, 0, 0, 0);
    assert_int_equal(srv_connect_add(race, 0, "example.net", 80), SRV_EINVAL);
    assert_int_equal(srv_connect_add(race, 0, "127.0.0.1", 0), SRV_EINVAL);
    assert_int_equal(srv_connect_start(race), SRV_OK);
    /* No address at all: over at once. */
    assert_true(srv_connect_done(race));
    assert_int_equal(srv_connect_status(race), SRV_ECONNECT);
    assert_int_equal(srv_connect_start(race), SRV_EINVAL);
    assert_int_equal(srv_connect_add(race, 0, "127.0.0.1", 80), SRV_EINVAL);
    srv_connect_destroy(race);
    srv_connect_destroy(NULL);
}

static void test_many_races_leave_no_descriptor(void **state)
{
    (void)state;
    loopback_endpoint_t up, refused;
    assert_int_equal(loopback_listen(&up, "127.0.0.13"), 0);
    assert_int_equal(loopback_refuse(&refused, "127.0.0.14"), 0);
    int before = loopback_open_fds();
    for (int i = 0; i < 200; i++) {
        srv_connect_t *race = race_with(0, 5000, 0, 0);
        assert_int_equal(srv_connect_add(race, 0, "127.0.0.14", refused.port), SRV_OK);
        assert_int_equal(srv_connect_add(race, 1, "127.0.0.13", up.port), SRV_OK);
        assert_int_equal(srv_connect_start(race), SRV_OK);
        assert_int_equal(srv_connect_run(race), SRV_OK);
        assert_int_equal(srv_connect_status(race), SRV_OK);
        int fd = srv_connect_take(race);
        srv_connect_destroy(race);
        close(fd);
        /* Empty the listener's queue so it never fills. */
        int conn = accept(up.fd, NULL, NULL);
        if (conn >= 0)
            close(conn);
    }
    assert_int_equal(loopback_open_fds(), before);
    loopback_close(&up);
    loopback_close(&refused);
}

/* RFC 8305 3: an address whose answer comes late joins the running race,
 * sorted in among the addresses not tried yet. */
static void test_an_address_added_to_a_running_race_is_sorted_in(void **state)
{
    (void)state;
    int before = loopback_open_fds();
    loopback_endpoint_t refused, hole, late, later;
    assert_int_equal(loopback_refuse(&refused, "127.0.0.30"), 0);
    assert_int_equal(loopback_blackhole(&hole, "127.0.0.32"), 0);
    assert_int_equal(loopback_listen(&late, "127.0.0.31"), 0);
    assert_int_equal(loopback_listen(&later, "127.0.0.33"), 0);
    srv_connect_t *race = race_with(100, 5000, 0, 0);
    srv_connect_expect_more(race, 1);
    assert_int_equal(srv_connect_add(race, 1, "127.0.0.30", refused.port), SRV_OK);
    assert_int_equal(srv_connect_start(race), SRV_OK);
    assert_int_equal(srv_connect_process(race), SRV_OK);
    /* Refused, nothing else yet: the race waits for more. */
    assert_false(srv_connect_done(race));
    assert_true(srv_connect_timeout_ms(race) > 0);
    assert_int_equal(srv_connect_add(race, 2, "127.0.0.32", hole.port), SRV_OK);
    assert_int_equal(srv_connect_process(race), SRV_OK);   /* none pending: at once */
    attempts_of(race, 2);
    /* Candidate 3, then candidate 1: the first comes first in the SRV order. */
    assert_int_equal(srv_connect_add(race, 3, "127.0.0.33", later.port), SRV_OK);
    assert_int_equal(srv_connect_add(race, 1, "127.0.0.31", late.port), SRV_OK);
    srv_connect_expect_more(race, 0);
    assert_int_equal(srv_connect_run(race), SRV_OK);
    assert_int_equal(srv_connect_status(race), SRV_OK);
    assert_int_equal(srv_connect_winner(race), 2);
    const srv_attempt_t *a = attempts_of(race, 3);
    assert_string_equal(a[0].address, "127.0.0.30");
    assert_int_equal(a[0].result, SRV_ATTEMPT_REFUSED);
    assert_string_equal(a[1].address, "127.0.0.32");
    assert_int_equal(a[1].result, SRV_ATTEMPT_CANCELLED);
    assert_string_equal(a[2].address, "127.0.0.31");
    assert_int_equal(a[2].candidate, 1);
    assert_true(a[2].started_ms - a[1].started_ms >= 100 - 5);
    srv_connect_destroy(race);
    loopback_close(&refused);
    loopback_close(&hole);
    loopback_close(&late);
    loopback_close(&later);
    assert_int_equal(loopback_open_fds(), before);
}

/* RFC 8305 4 goes on across late addresses: after an IPv6 attempt of a
 * candidate, its next address is IPv4 even when IPv6 ones came too. */
static void test_late_addresses_keep_the_families_alternating(void **state)
{
    (void)state;
    loopback_endpoint_t r6a, r6b, r4;
    assert_int_equal(loopback_refuse(&r6a, "::1"), 0);
    assert_int_equal(loopback_refuse(&r6b, "::1"), 0);
    assert_int_equal(loopback_refuse(&r4, "127.0.0.35"), 0);
    srv_connect_t *race = race_with(0, 5000, 0, 0);
    srv_connect_expect_more(race, 1);
    assert_int_equal(srv_connect_add(race, 1, "::1", r6a.port), SRV_OK);
    assert_int_equal(srv_connect_start(race), SRV_OK);
    assert_int_equal(srv_connect_process(race), SRV_OK);
    assert_false(srv_connect_done(race));
    assert_int_equal(srv_connect_add(race, 1, "::1", r6b.port), SRV_OK);
    assert_int_equal(srv_connect_add(race, 1, "127.0.0.35", r4.port), SRV_OK);
    srv_connect_expect_more(race, 0);
    assert_int_equal(srv_connect_run(race), SRV_OK);
    assert_int_equal(srv_connect_status(race), SRV_ECONNECT);
    const srv_attempt_t *a = attempts_of(race, 3);
    assert_int_equal(a[0].port, r6a.port);
    assert_int_equal(a[1].port, r4.port);
    assert_int_equal(a[2].port, r6b.port);
    srv_connect_destroy(race);
    loopback_close(&r6a);
    loopback_close(&r6b);
    loopback_close(&r4);
}

static void test_a_race_that_expects_more_ends_once_told_there_is_none(void **state)
{
    (void)state;
    loopback_endpoint_t refused;
    assert_int_equal(loopback_refuse(&refused, "127.0.0.34"), 0);
    srv_connect_t *race = race_with(0, 5000, 0, 0);
    srv_connect_expect_more(race, 1);
    assert_int_equal(srv_connect_add(race, 1, "127.0.0.34", refused.port), SRV_OK);
    assert_int_equal(srv_connect_start(race), SRV_OK);
    assert_int_equal(srv_connect_process(race), SRV_OK);
    assert_false(srv_connect_done(race));
    srv_connect_expect_more(race, 0);
    assert_int_equal(srv_connect_process(race), SRV_OK);
    assert_true(srv_connect_done(race));
    assert_int_equal(srv_connect_status(race), SRV_ECONNECT);
    assert_int_equal(srv_connect_add(race, 1, "127.0.0.34", refused.port), SRV_EINVAL);
    srv_connect_destroy(race);
    loopback_close(&refused);
}

/* A loop that watches the one epoll descriptor, as srv.loop does. */
static void test_the_pollfd_wakes_a_loop_when_an_attempt_connects(void **state)
{
    (void)state;
    int before = loopback_open_fds();
    loopback_endpoint_t hole, up;
    assert_int_equal(loopback_blackhole(&hole, "127.0.0.5"), 0);
    assert_int_equal(loopback_listen(&up, "127.0.0.22"), 0);
    srv_connect_t *race = race_with(150, 5000, 0, 0);
    assert_int_equal(srv_connect_add(race, 0, "127.0.0.5", hole.port), SRV_OK);
    assert_int_equal(srv_connect_add(race, 1, "127.0.0.22", up.port), SRV_OK);
    assert_int_equal(srv_connect_start(race), SRV_OK);
    int pollfd = srv_connect_pollfd(race);
    assert_true(pollfd >= 0);
    assert_int_equal(srv_connect_pollfd(race), pollfd);   /* one, made once */
    srv_pollfd_t fds[4];
    assert_int_equal(srv_connect_fds(race, fds, 4), 1);    /* the blackholed attempt */
    assert_int_equal(fds[0].events, SRV_POLL_WRITE);
    int rounds = 0;
    while (!srv_connect_done(race) && rounds++ < 50) {
        struct pollfd pfd = {.fd = pollfd, .events = POLLIN, .revents = 0};
        (void)poll(&pfd, 1, srv_connect_timeout_ms(race));
        assert_int_equal(srv_connect_process(race), SRV_OK);
    }
    assert_int_equal(srv_connect_status(race), SRV_OK);
    assert_int_equal(srv_connect_winner(race), 1);
    assert_int_equal(srv_connect_fds(race, fds, 4), 0);
    srv_connect_destroy(race);
    loopback_close(&hole);
    loopback_close(&up);
    assert_int_equal(loopback_open_fds(), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_first_address_that_answers_wins),
        cmocka_unit_test(test_a_refused_attempt_starts_the_next_at_once),
        cmocka_unit_test(test_a_blackhole_really_drops_syns),
        cmocka_unit_test(test_the_next_attempt_starts_after_the_attempt_delay),
        cmocka_unit_test(test_the_attempt_delay_is_kept_within_100ms_and_2s),
        cmocka_unit_test(test_families_alternate_ipv6_first_inside_a_candidate),
        cmocka_unit_test(test_the_race_times_out_as_a_whole),
        cmocka_unit_test(test_an_attempt_timeout_starts_the_next_at_once),
        cmocka_unit_test(test_a_rejected_offer_starts_the_next_and_an_accepted_one_wins),
        cmocka_unit_test(test_cancel_closes_every_attempt),
        cmocka_unit_test(test_bad_input_is_refused),
        cmocka_unit_test(test_the_pollfd_wakes_a_loop_when_an_attempt_connects),
        cmocka_unit_test(test_many_races_leave_no_descriptor),
        cmocka_unit_test(test_an_address_added_to_a_running_race_is_sorted_in),
        cmocka_unit_test(test_late_addresses_keep_the_families_alternating),
        cmocka_unit_test(test_a_race_that_expects_more_ends_once_told_there_is_none),
    };
    return cmocka_run_group_tests_name("connect", tests, NULL, NULL);
}
