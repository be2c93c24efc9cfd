/*
 * test_parse.c - the presentation-format parser: the bundled example zone,
 * the reference text's examples, records back to back on one line, the
 * RFC 1035 5.1 conveniences, and every kind of bad input with the line and
 * column it is reported at.
 *
 * Every text is handed to the parser in a heap buffer of exactly its length,
 * without a terminating NUL, so ASan catches any read past len.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse_name.h"
#include "srv.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

/* A copy of text without its NUL: reading text[len] is an ASan error. */
static char *unterminated_copy(const char *text, size_t len)
{
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, text, len);
    return copy;
}

static srv_status_t parse_zone_with(const char *text, const srv_parse_options_t *opts,
                                    srv_zone_t *zone, srv_parse_error_t *err)
{
    size_t len = strlen(text);
    char *copy = unterminated_copy(text, len);
    srv_status_t status = srv_parse_zone(copy, len, opts, zone, err);
    free(copy);
    return status;
}

static srv_status_t parse_srv_text(const char *text, srv_recordset_t *out,
                                   srv_parse_error_t *err)
{
    size_t len = strlen(text);
    char *copy = unterminated_copy(text, len);
    srv_status_t status = srv_parse_srv(copy, len, out, err);
    free(copy);
    return status;
}

/* Parses text with the default options and fails the test on any error. */
static void parse_zone_ok(const char *text, srv_zone_t *zone)
{
    srv_parse_error_t err;
    srv_zone_init(zone);
    srv_status_t status = parse_zone_with(text, NULL, zone, &err);
    if (status != SRV_OK)
        fail_msg("parse failed at %u:%u: %s", err.line, err.column, err.reason);
}

static void assert_zone_error(const char *text, const srv_parse_options_t *opts,
                              unsigned line, unsigned column, const char *reason)
{
    srv_zone_t zone;
    srv_parse_error_t err;
    srv_zone_init(&zone);
    assert_int_equal(parse_zone_with(text, opts, &zone, &err), SRV_EPARSE);
    assert_string_equal(err.reason, reason);
    assert_int_equal(err.line, line);
    assert_int_equal(err.column, column);
    assert_int_equal(zone.srv.count, 0);
    assert_int_equal(zone.rr_count, 0);
    assert_null(zone.rrs);
    assert_null(zone.srv.records);
}

static void assert_parse_error(const char *text, unsigned line, unsigned column,
                               const char *reason)
{
    assert_zone_error(text, NULL, line, column, reason);
}

static void assert_srv_error(const char *text, unsigned line, unsigned column,
                             const char *reason)
{
    srv_recordset_t set = { 0 };
    srv_parse_error_t err;
    assert_int_equal(parse_srv_text(text, &set, &err), SRV_EPARSE);
    assert_string_equal(err.reason, reason);
    assert_int_equal(err.line, line);
    assert_int_equal(err.column, column);
    assert_int_equal(set.count, 0);
}

static void assert_srv(const srv_record_t *record, const char *name, uint32_t ttl,
                       unsigned priority, unsigned weight, unsigned port,
                       const char *target)
{
    assert_string_equal(record->name, name);
    assert_int_equal(record->ttl, ttl);
    assert_int_equal(record->priority, priority);
    assert_int_equal(record->weight, weight);
    assert_int_equal(record->port, port);
    assert_string_equal(record->target, target);
}

static void assert_rr(const srv_rr_t *rr, const char *owner, uint32_t ttl,
                      unsigned type, const char *rdata)
{
    assert_string_equal(rr->owner, owner);
    assert_int_equal(rr->ttl, ttl);
    assert_int_equal(rr->type, type);
    assert_string_equal(rr->rdata, rdata);
}

/* The TTL the single SRV record of text gets. */
static uint32_t ttl_of_single_srv(const char *text)
{
    srv_zone_t zone;
    parse_zone_ok(text, &zone);
    assert_int_equal(zone.srv.count, 1);
    uint32_t ttl = zone.srv.records[0].ttl;
    srv_zone_clear(&zone);
    return ttl;
}

/* ------------------------------------------------------------------ */
/* Whole texts                                                          */
/* ------------------------------------------------------------------ */

/* An exact copy of docs/examples/example.net.zone. */
static const char EXAMPLE_ZONE[] =
    "$ORIGIN example.net.\n"
    "$TTL 86400\n"
    "@   IN SOA ns.example.net. hostmaster.example.net. 1 3600 600 86400 300\n"
    "@   IN NS  ns.example.net.\n"
    "ns  IN A   127.0.0.1\n"
    "@   IN A   192.0.2.1\n"
    "@   IN AAAA 2001:db8::1\n"
    "server  IN A 192.0.2.10\n"
    "server1 IN A 192.0.2.11\n"
    "server2 IN A 192.0.2.12\n"
    "server3 IN A 192.0.2.13\n"
    "server4 IN A 192.0.2.14\n"
    "backup  IN A 192.0.2.15\n"
    "backup  IN AAAA 2001:db8::15\n"
    "; seed example 3 (weighted, with backup)\n"
    "_xmpp-client._tcp 86400 IN SRV 5 50 5222 server1.example.net.\n"
    "_xmpp-client._tcp 86400 IN SRV 10 30 5222 server2.example.net.\n"
    "_xmpp-client._tcp 86400 IN SRV 10 10 5222 server3.example.net.\n"
    "_xmpp-client._tcp 86400 IN SRV 10 10 5222 server4.example.net.\n"
    "_xmpp-client._tcp 86400 IN SRV 15 0 5222 backup.example.net.\n"
    "_xmpp-server._tcp 86400 IN SRV 5 50 5269 server1.example.net.\n"
    "_xmpp-server._tcp 86400 IN SRV 10 30 5269 server2.example.net.\n"
    "_xmpp-server._tcp 86400 IN SRV 10 10 5269 server3.example.net.\n"
    "_xmpp-server._tcp 86400 IN SRV 10 10 5269 server4.example.net.\n"
    "_xmpp-server._tcp 86400 IN SRV 15 0 5269 backup.example.net.\n"
    "_xmpps-client._tcp 86400 IN SRV 5 0 5223 example.net.\n"
    "_stun._udp 86400 IN SRV 5 0 3478 server.example.net.\n"
    "_stun._tcp 86400 IN SRV 5 0 3478 server.example.net.\n"
    "_stuns._tcp 86400 IN SRV 5 0 5349 server.example.net.\n"
    "_turn._udp 86400 IN SRV 5 50 3478 server1.example.net.\n"
    "_turn._udp 86400 IN SRV 10 30 3478 server2.example.net.\n"
    "_turn._tcp 86400 IN SRV 5 0 3478 server.example.net.\n"
    "_turns._tcp 86400 IN SRV 5 0 5349 server.example.net.\n";

static void test_example_zone_gives_18_srv_records_and_the_other_rrs(void **state)
{
    (void)state;
    srv_zone_t zone;
    parse_zone_ok(EXAMPLE_ZONE, &zone);

    assert_int_equal(zone.srv.count, 18);
    const srv_record_t *srv = zone.srv.records;
    assert_srv(&srv[0], "_xmpp-client._tcp.example.net", 86400, 5, 50, 5222,
               "server1.example.net");
    assert_srv(&srv[4], "_xmpp-client._tcp.example.net", 86400, 15, 0, 5222,
               "backup.example.net");
    assert_srv(&srv[6], "_xmpp-server._tcp.example.net", 86400, 10, 30, 5269,
               "server2.example.net");
    assert_srv(&srv[10], "_xmpps-client._tcp.example.net", 86400, 5, 0, 5223,
               "example.net");
    assert_srv(&srv[11], "_stun._udp.example.net", 86400, 5, 0, 3478,
               "server.example.net");
    assert_srv(&srv[17], "_turns._tcp.example.net", 86400, 5, 0, 5349,
               "server.example.net");

    assert_int_equal(zone.rr_count, 12);
    assert_rr(&zone.rrs[0], "example.net", 86400, SRV_RR_SOA,
              "ns.example.net hostmaster.example.net 1 3600 600 86400 300");
    assert_rr(&zone.rrs[1], "example.net", 86400, SRV_RR_NS, "ns.example.net");
    assert_rr(&zone.rrs[2], "ns.example.net", 86400, SRV_RR_A, "127.0.0.1");
    assert_rr(&zone.rrs[3], "example.net", 86400, SRV_RR_A, "192.0.2.1");
    assert_rr(&zone.rrs[4], "example.net", 86400, SRV_RR_AAAA, "2001:db8::1");
    assert_rr(&zone.rrs[5], "server.example.net", 86400, SRV_RR_A, "192.0.2.10");
    assert_rr(&zone.rrs[11], "backup.example.net", 86400, SRV_RR_AAAA, "2001:db8::15");
    srv_zone_clear(&zone);
}

/* The lines of the reference text that hold example records, verbatim. */
static char *read_file(const char *path, size_t *len)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        fail_msg("cannot open %s (run the test from the repository root)", path);
    char *data = NULL;
    size_t size = 0, capacity = 0;
    for (;;) {
        if (size == capacity) {
            capacity = capacity ? capacity * 2 : 4096;
            data = realloc(data, capacity);
            assert_non_null(data);
        }
        size_t got = fread(data + size, 1, capacity - size, file);
        if (got == 0)
            break;
        size += got;
    }
    fclose(file);
    *len = size;
    return data;
}

static void test_seed_examples_parse_as_58_srv_records(void **state)
{
    (void)state;
    size_t len;
    char *text = read_file("spec/fixtures/seed-examples.txt", &len);
    srv_recordset_t set = { 0 };
    srv_parse_error_t err;
    srv_status_t status = srv_parse_srv(text, len, &set, &err);
    free(text);
    if (status != SRV_OK)
        fail_msg("parse failed at %u:%u: %s", err.line, err.column, err.reason);

    /* 9 lines: 3 + 3 + 10 (XMPP), 3 + 3 + 15 (STUN), 3 + 3 + 15 (TURN) */
    assert_int_equal(set.count, 58);
    assert_srv(&set.records[0], "_xmpp-client._tcp.example.net", 86400, 5, 0, 5222,
               "example.net");
    assert_srv(&set.records[1], "_xmpps-client._tcp.example.net", 86400, 5, 0, 5223,
               "example.net");
    assert_srv(&set.records[2], "_xmpp-server._tcp.example.net", 86400, 5, 0, 5269,
               "example.net");
    assert_srv(&set.records[6], "_xmpp-client._tcp.example.net", 86400, 5, 50, 5222,
               "server1.example.net");
    assert_srv(&set.records[57], "_turns._tcp.example.net", 86400, 15, 0, 5349,
               "backup.example.net");
    for (size_t i = 0; i < set.count; i++)
        assert_int_equal(set.records[i].ttl, 86400);
    srv_recordset_clear(&set);
}

/* ------------------------------------------------------------------ */
/* Records back to back                                                 */
/* ------------------------------------------------------------------ */

static void test_back_to_back_records_on_one_line(void **state)
{
    (void)state;
    srv_recordset_t set = { 0 };
    assert_int_equal(parse_srv_text(
        "_xmpp-client._tcp.example.net. 86400 IN SRV 5 0 5222 example.net. "
        "_xmpps-client._tcp.example.net. 86400 IN SRV 5 0 5223 example.net.",
        &set, NULL), SRV_OK);
    assert_int_equal(set.count, 2);
    assert_srv(&set.records[0], "_xmpp-client._tcp.example.net", 86400, 5, 0, 5222,
               "example.net");
    assert_srv(&set.records[1], "_xmpps-client._tcp.example.net", 86400, 5, 0, 5223,
               "example.net");
    srv_recordset_clear(&set);
}

static void test_back_to_back_records_of_different_types(void **state)
{
    (void)state;
    srv_zone_t zone;
    parse_zone_ok("$ORIGIN example.net.\n"
                  "host 60 IN A 192.0.2.1 _sip._udp 60 IN SRV 1 2 5060 host "
                  "@ IN MX 10 mail @ SOA ns hostmaster 7 1h 10m 1w 5m "
                  "www CNAME host @ TXT \"rest of\" the line\n", &zone);
    assert_int_equal(zone.srv.count, 1);
    assert_srv(&zone.srv.records[0], "_sip._udp.example.net", 60, 1, 2, 5060,
               "host.example.net");
    assert_int_equal(zone.rr_count, 5);
    assert_rr(&zone.rrs[0], "host.example.net", 60, SRV_RR_A, "192.0.2.1");
    assert_rr(&zone.rrs[1], "example.net", 60, SRV_RR_MX, "10 mail.example.net");
    assert_rr(&zone.rrs[2], "example.net", 60, SRV_RR_SOA,
              "ns.example.net hostmaster.example.net 7 3600 600 604800 300");
    assert_rr(&zone.rrs[3], "www.example.net", 60, SRV_RR_CNAME, "host.example.net");
    assert_rr(&zone.rrs[4], "example.net", 60, SRV_RR_TXT, "\"rest of\" the line");
    srv_zone_clear(&zone);
}

static void test_back_to_back_records_inside_parentheses(void **state)
{
    (void)state;
    srv_recordset_t set = { 0 };
    assert_int_equal(parse_srv_text("_a._tcp.x. 60 IN SRV ( 1 2 3 t1.x.\n"
                                    "   _b._tcp.x. 60 IN SRV 4 5 6 t2.x. )\n",
                                    &set, NULL), SRV_OK);
    assert_int_equal(set.count, 2);
    assert_srv(&set.records[1], "_b._tcp.x", 60, 4, 5, 6, "t2.x");
    srv_recordset_clear(&set);
}

/* ------------------------------------------------------------------ */
/* Names and the origin                                                 */
/* ------------------------------------------------------------------ */

static void test_origin_directive_makes_relative_names_absolute(void **state)
{
    (void)state;
    srv_zone_t zone;
    parse_zone_ok("$ORIGIN example.net.\n"
                  "_xmpp-client._tcp 60 IN SRV 5 0 5222 server1\n"
                  "_xmpp-server._tcp.example.net. 60 IN SRV 5 0 5269 other.org.\n"
                  "$ORIGIN example.org.\n"
                  "_stun._udp 60 IN SRV 5 0 3478 @\n", &zone);
    assert_int_equal(zone.srv.count, 3);
    assert_srv(&zone.srv.records[0], "_xmpp-client._tcp.example.net", 60, 5, 0, 5222,
               "server1.example.net");
    assert_srv(&zone.srv.records[1], "_xmpp-server._tcp.example.net", 60, 5, 0, 5269,
               "other.org");
    assert_srv(&zone.srv.records[2], "_stun._udp.example.org", 60, 5, 0, 3478,
               "example.org");
    srv_zone_clear(&zone);
}

static void test_at_sign_is_the_origin(void **state)
{
    (void)state;
    srv_zone_t zone;
    parse_zone_ok("$ORIGIN example.net.\n@ 60 IN A 192.0.2.1\n", &zone);
    assert_rr(&zone.rrs[0], "example.net", 60, SRV_RR_A, "192.0.2.1");
    srv_zone_clear(&zone);

    parse_zone_ok("@ 60 IN NS @\n", &zone);   /* no $ORIGIN: the root */
    assert_rr(&zone.rrs[0], ".", 60, SRV_RR_NS, ".");
    srv_zone_clear(&zone);
}

static void test_without_origin_relative_names_are_rooted(void **state)
{
    (void)state;
    srv_recordset_t set = { 0 };
    assert_int_equal(parse_srv_text("_x._tcp.example.net 60 IN SRV 1 1 1 example.net\n"
                                    "_x._tcp.example.net. 60 IN SRV 1 1 1 example.net.\n",
                                    &set, NULL), SRV_OK);
    assert_int_equal(set.count, 2);
    assert_srv(&set.records[0], "_x._tcp.example.net", 60, 1, 1, 1, "example.net");
    assert_srv(&set.records[1], "_x._tcp.example.net", 60, 1, 1, 1, "example.net");
    srv_recordset_clear(&set);
}

static void test_origin_option_applies_until_a_directive(void **state)
{
    (void)state;
    srv_parse_options_t opts;
    srv_parse_options_init(&opts);
    opts.origin = "example.net.";
    srv_zone_t zone;
    srv_zone_init(&zone);
    assert_int_equal(parse_zone_with("_a._tcp 60 IN SRV 1 1 1 host\n"
                                     "$ORIGIN sub\n"   /* relative to example.net */
                                     "_b._tcp 60 IN SRV 1 1 1 host\n",
                                     &opts, &zone, NULL), SRV_OK);
    assert_srv(&zone.srv.records[0], "_a._tcp.example.net", 60, 1, 1, 1,
               "host.example.net");
    assert_srv(&zone.srv.records[1], "_b._tcp.sub.example.net", 60, 1, 1, 1,
               "host.sub.example.net");
    srv_zone_clear(&zone);
}

static void test_srv_target_root_is_kept(void **state)
{
    (void)state;
    srv_recordset_t set = { 0 };
    assert_int_equal(parse_srv_text("_xmpp-client._tcp.example.net. 300 IN SRV 0 0 0 .",
                                    &set, NULL), SRV_OK);
    assert_srv(&set.records[0], "_xmpp-client._tcp.example.net", 300, 0, 0, 0, ".");
    assert_true(srv_recordset_is_noservice(&set));
    srv_recordset_clear(&set);
}

/* 63 octets written as "\065" escapes are one label of 63 octets. */
static void append_label(char *buf, size_t octets, const char *octet_text)
{
    for (size_t i = 0; i < octets; i++)
        strcat(buf, octet_text);
    strcat(buf, ".");
}

static void test_escapes_count_as_one_octet(void **state)
{
    (void)state;
    char text[1024] = "";
    append_label(text, 63, "\\065");
    strcat(text, " 60 IN A 192.0.2.1");
    srv_zone_t zone;
    parse_zone_ok(text, &zone);
    assert_int_equal(strlen(zone.rrs[0].owner), 63 * 4);
    srv_zone_clear(&zone);

    parse_zone_ok("a\\.b.example. 60 IN A 192.0.2.1\n", &zone);
    assert_rr(&zone.rrs[0], "a\\.b.example", 60, SRV_RR_A, "192.0.2.1");
    srv_zone_clear(&zone);

    text[0] = '\0';
    append_label(text, 64, "\\065");
    strcat(text, " 60 IN A 192.0.2.1");
    assert_parse_error(text, 1, 1, "label longer than 63 octets in owner \\065\\065\\065\\065\\065\\065\\065\\065\\065\\065...");
}

/* Three labels of 63 octets and one of 61 take 3 * 64 + 62 + 1 = 255 octets
 * in wire format (length octets and the root included): the most a name may
 * have. One octet more is too many. */
static void test_name_of_255_octets_is_the_longest(void **state)
{
    (void)state;
    char text[1024] = "";
    append_label(text, 63, "a");
    append_label(text, 63, "b");
    append_label(text, 63, "c");
    append_label(text, 61, "d");
    strcat(text, " 60 IN A 192.0.2.1");
    srv_zone_t zone;
    parse_zone_ok(text, &zone);
    assert_int_equal(strlen(zone.rrs[0].owner), 63 * 3 + 61 + 3);
    srv_zone_clear(&zone);

    text[0] = '\0';
    append_label(text, 63, "a");
    append_label(text, 63, "b");
    append_label(text, 63, "c");
    append_label(text, 62, "d");
    strcat(text, " 60 IN A 192.0.2.1");
    srv_zone_init(&zone);
    srv_parse_error_t err;
    assert_int_equal(parse_zone_with(text, NULL, &zone, &err), SRV_EPARSE);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 1);
    assert_true(strncmp(err.reason, "name longer than 255 octets in owner ", 37) == 0);
}

static void test_relative_name_too_long_once_the_origin_is_appended(void **state)
{
    (void)state;
    char text[1024] = "$ORIGIN ";
    append_label(text, 63, "a");
    append_label(text, 63, "b");
    append_label(text, 63, "c");
    strcat(text, "\n@ 60 IN A 192.0.2.1 x 60 IN A 192.0.2.2 toolong 60 IN A 192.0.2.3\n");
    /* the origin alone is 193 octets, "x" makes 195, "toolong" 201: fine */
    srv_zone_t zone;
    parse_zone_ok(text, &zone);
    assert_int_equal(zone.rr_count, 3);
    srv_zone_clear(&zone);

    char longer[1024] = "$ORIGIN ";
    append_label(longer, 63, "a");
    append_label(longer, 63, "b");
    append_label(longer, 63, "c");
    append_label(longer, 60, "d");
    /* 254 octets: "@" fits, "x" would make 256 */
    strcat(longer, "\n@ 60 IN A 192.0.2.1\n x 60 IN A 192.0.2.2\nx 60 IN A 192.0.2.2\n");
    srv_parse_error_t err;
    srv_zone_init(&zone);
    assert_int_equal(parse_zone_with(longer, NULL, &zone, &err), SRV_EPARSE);
    assert_string_equal(err.reason, "unknown type x (a line starting with a blank keeps the previous owner)");
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 2);

    char *newline = strstr(longer, "\n x");
    newline[1] = '\n';   /* now an empty line, then the x record */
    assert_int_equal(parse_zone_with(longer, NULL, &zone, &err), SRV_EPARSE);
    assert_string_equal(err.reason, "name longer than 255 octets in owner x");
    assert_int_equal(err.line, 4);
    assert_int_equal(err.column, 1);
}

/* ------------------------------------------------------------------ */
/* Layout: owners, parentheses, comments, case                           */
/* ------------------------------------------------------------------ */

static void test_line_starting_with_blank_keeps_previous_owner(void **state)
{
    (void)state;
    srv_zone_t zone;
    parse_zone_ok("$ORIGIN example.net.\n"
                  "_xmpp-client._tcp 60 IN SRV 5 0 5222 a\n"
                  "    60 IN SRV 10 0 5222 b\n"
                  "\tIN SRV 20 0 5222 c\n"
                  "host IN A 192.0.2.1\n"
                  "  IN AAAA 2001:db8::1\n", &zone);
    assert_int_equal(zone.srv.count, 3);
    assert_srv(&zone.srv.records[1], "_xmpp-client._tcp.example.net", 60, 10, 0, 5222,
               "b.example.net");
    assert_srv(&zone.srv.records[2], "_xmpp-client._tcp.example.net", 60, 20, 0, 5222,
               "c.example.net");
    assert_rr(&zone.rrs[1], "host.example.net", 60, SRV_RR_AAAA, "2001:db8::1");
    srv_zone_clear(&zone);
}

static void test_parentheses_let_a_record_span_lines(void **state)
{
    (void)state;
    srv_zone_t zone;
    parse_zone_ok("$ORIGIN example.net.\n"
                  "@ 3600 IN SOA ns.example.net. hostmaster.example.net. (\n"
                  "        2024010101 ; serial\n"
                  "        1h         ; refresh\n"
                  "        15m        ; retry\n"
                  "        1w         ; expire\n"
                  "        300 )      ; minimum\n"
                  "_sip._tcp 60 IN SRV (\n"
                  "  10 20\n"
                  "  5060 sip )\n", &zone);
    assert_int_equal(zone.rr_count, 1);
    assert_rr(&zone.rrs[0], "example.net", 3600, SRV_RR_SOA,
              "ns.example.net hostmaster.example.net 2024010101 3600 900 604800 300");
    assert_srv(&zone.srv.records[0], "_sip._tcp.example.net", 60, 10, 20, 5060,
               "sip.example.net");
    srv_zone_clear(&zone);
}

static void test_comments_run_to_the_end_of_the_line(void **state)
{
    (void)state;
    srv_zone_t zone;
    parse_zone_ok("; a zone\n"
                  "   ; an indented comment line\n"
                  "_a._tcp.x. 60 IN SRV 1 2 3 t.x.;no space before it\n"
                  "_b._tcp.x. 60 IN SRV 1 2 3 t.x. ; $ORIGIN ignored. ( ) \"\n"
                  "; last line without newline", &zone);
    assert_int_equal(zone.srv.count, 2);
    assert_srv(&zone.srv.records[0], "_a._tcp.x", 60, 1, 2, 3, "t.x");
    srv_zone_clear(&zone);
}

static void test_mnemonics_and_directives_in_any_case(void **state)
{
    (void)state;
    srv_zone_t zone;
    parse_zone_ok("$origin Example.NET.\n$ttl 1H\n"
                  "_a._tcp in srv 1 2 3 t\n"
                  "_b._tcp Srv 1 2 3 t\n"
                  "h In a 192.0.2.1\n"
                  "h class1 AaAa 2001:DB8::1\n", &zone);
    assert_int_equal(zone.srv.count, 2);
    assert_srv(&zone.srv.records[0], "_a._tcp.Example.NET", 3600, 1, 2, 3, "t.Example.NET");
    assert_srv(&zone.srv.records[1], "_b._tcp.Example.NET", 3600, 1, 2, 3, "t.Example.NET");
    assert_rr(&zone.rrs[1], "h.Example.NET", 3600, SRV_RR_AAAA, "2001:db8::1");
    srv_zone_clear(&zone);
}

static void test_ttl_and_class_in_either_order(void **state)
{
    (void)state;
    srv_recordset_t set = { 0 };
    assert_int_equal(parse_srv_text("_a._tcp.x. 60 IN SRV 1 2 3 t.\n"
                                    "_b._tcp.x. IN 70 SRV 1 2 3 t.\n"
                                    "_c._tcp.x. IN SRV 1 2 3 t.\n"
                                    "_d._tcp.x. 80 SRV 1 2 3 t.\n"
                                    "_e._tcp.x. SRV 1 2 3 t.\n", &set, NULL), SRV_OK);
    assert_int_equal(set.count, 5);
    assert_int_equal(set.records[0].ttl, 60);
    assert_int_equal(set.records[1].ttl, 70);
    assert_int_equal(set.records[2].ttl, 70);
    assert_int_equal(set.records[3].ttl, 80);
    assert_int_equal(set.records[4].ttl, 80);
    srv_recordset_clear(&set);
}

static void test_crlf_line_ends_read_like_lf(void **state)
{
    (void)state;
    srv_zone_t zone;
    parse_zone_ok("$ORIGIN x.\r\n_a._tcp 60 IN SRV 1 2 3 t\r\n  IN SRV 4 5 6 u\r\n", &zone);
    assert_int_equal(zone.srv.count, 2);
    assert_srv(&zone.srv.records[1], "_a._tcp.x", 60, 4, 5, 6, "u.x");
    srv_zone_clear(&zone);
    assert_parse_error("a. 60 IN A 192.0.2.1\r\nb. 60 IN A 300.0.0.1\r\n", 2, 12,
                       "bad IPv4 address 300.0.0.1");
}

/* ------------------------------------------------------------------ */
/* TTLs                                                                 */
/* ------------------------------------------------------------------ */

static void test_ttl_units_as_bind_writes_them(void **state)
{
    (void)state;
    static const struct { const char *ttl; uint32_t seconds; } cases[] = {
        { "0", 0 }, { "2147483647", 2147483647u }, { "30s", 30 }, { "30m", 1800 },
        { "1h", 3600 }, { "1d", 86400 }, { "1w", 604800 }, { "2h30m", 9000 },
        { "1W2D3H4M5S", 788645 }, { "0h", 0 }, { "3550w", 2147040000u },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "_a._tcp.x. %s IN SRV 1 2 3 t.", cases[i].ttl);
        assert_int_equal(ttl_of_single_srv(text), cases[i].seconds);
    }
}

static void test_omitted_ttl_comes_from_ttl_directive_then_last_ttl_then_default(void **state)
{
    (void)state;
    srv_parse_options_t opts;
    srv_parse_options_init(&opts);
    assert_int_equal(opts.default_ttl, 3600);
    opts.default_ttl = 42;
    srv_zone_t zone;
    srv_zone_init(&zone);
    assert_int_equal(parse_zone_with("_a._tcp.x. SRV 1 1 1 t.\n"       /* default */
                                     "_b._tcp.x. 60 SRV 1 1 1 t.\n"    /* explicit */
                                     "_c._tcp.x. SRV 1 1 1 t.\n"       /* last: 60 */
                                     "$TTL 1h\n"
                                     "_d._tcp.x. SRV 1 1 1 t.\n"       /* $TTL */
                                     "_e._tcp.x. 70 SRV 1 1 1 t.\n"    /* explicit */
                                     "_f._tcp.x. SRV 1 1 1 t.\n",      /* $TTL wins */
                                     &opts, &zone, NULL), SRV_OK);
    const srv_record_t *r = zone.srv.records;
    assert_int_equal(r[0].ttl, 42);
    assert_int_equal(r[1].ttl, 60);
    assert_int_equal(r[2].ttl, 60);
    assert_int_equal(r[3].ttl, 3600);
    assert_int_equal(r[4].ttl, 70);
    assert_int_equal(r[5].ttl, 3600);
    srv_zone_clear(&zone);

    srv_recordset_t set = { 0 };
    assert_int_equal(parse_srv_text("_a._tcp.x. SRV 1 1 1 t.", &set, NULL), SRV_OK);
    assert_int_equal(set.records[0].ttl, 3600);
    srv_recordset_clear(&set);
}

/* ------------------------------------------------------------------ */
/* Rdata of other types                                                 */
/* ------------------------------------------------------------------ */

static void test_addresses_are_stored_in_canonical_text(void **state)
{
    (void)state;
    srv_zone_t zone;
    parse_zone_ok("h. 60 IN AAAA 2001:DB8:0:0:0:0:0:1\n"
                  "h. 60 IN AAAA ::ffff:192.0.2.1\n", &zone);
    assert_string_equal(zone.rrs[0].rdata, "2001:db8::1");
    assert_string_equal(zone.rrs[1].rdata, "::ffff:192.0.2.1");
    srv_zone_clear(&zone);
}

static void test_txt_and_unknown_types_take_the_rest_of_the_line(void **state)
{
    (void)state;
    srv_zone_t zone;
    parse_zone_ok("$ORIGIN x.\n"
                  "@ 60 TXT \"v=spf1  -all\"   \"two\" three\n"
                  "@ 60 TYPE65280 \\# 2 abcd\n"
                  "@ 60 CAA 0 issue \"ca.example\"\n"
                  "@ 60 TXT ( \"a\"\n \"b\" ) _c._tcp 60 SRV 1 2 3 t\n"
                  "_s._tcp 60 TYPE33 1 2 3 t\n", &zone);
    assert_int_equal(zone.rr_count, 4);
    assert_rr(&zone.rrs[0], "x", 60, SRV_RR_TXT, "\"v=spf1  -all\" \"two\" three");
    assert_rr(&zone.rrs[1], "x", 60, 65280, "\\# 2 abcd");
    assert_rr(&zone.rrs[2], "x", 60, 257, "0 issue \"ca.example\"");
    /* the rest of the logical line: past the parentheses */
    assert_rr(&zone.rrs[3], "x", 60, SRV_RR_TXT, "\"a\" \"b\" _c._tcp 60 SRV 1 2 3 t");
    assert_int_equal(zone.srv.count, 1);
    assert_srv(&zone.srv.records[0], "_s._tcp.x", 60, 1, 2, 3, "t.x");
    srv_zone_clear(&zone);
}

/* ------------------------------------------------------------------ */
/* Bad input: reason, line and column                                   */
/* ------------------------------------------------------------------ */

static void test_srv_numbers_out_of_range_or_not_decimal(void **state)
{
    (void)state;
    assert_srv_error("_a._tcp.x. 60 IN SRV 70000 0 1 t.", 1, 22,
                     "priority 70000 out of range 0..65535");
    assert_srv_error("_a._tcp.x. 60 IN SRV 1 -1 1 t.", 1, 24,
                     "weight -1 is not a decimal number");
    assert_srv_error("_a._tcp.x. 60 IN SRV 1 2 65536 t.", 1, 26,
                     "port 65536 out of range 0..65535");
    assert_srv_error("_a._tcp.x. 60 IN SRV 5x 2 3 t.", 1, 22,
                     "priority 5x is not a decimal number");
    assert_srv_error("_a._tcp.x. 60 IN SRV 1 +2 3 t.", 1, 24,
                     "weight +2 is not a decimal number");
    assert_srv_error("_a._tcp.x. 60 IN SRV 1 2 99999999999999999999999 t.", 1, 26,
                     "port 99999999999999999999999 out of range 0..65535");
    assert_srv_error("_a._tcp.x. 60 IN SRV \"\" 2 3 t.", 1, 22,
                     "priority \"\" must not be quoted");
}

static void test_missing_fields_at_end_of_line_or_input(void **state)
{
    (void)state;
    assert_srv_error("_a._tcp.x. 60 IN SRV 1 2\n3 t.\n", 1, 25, "missing port");
    assert_srv_error("_a._tcp.x. 60 IN SRV 1 2 3", 1, 27, "missing target");
    assert_srv_error("_a._tcp.x. 60 IN SRV 1 2 3 ; target forgotten\n", 1, 27,
                     "missing target");
    assert_srv_error("_a._tcp.x. 60 IN SRV", 1, 21, "missing priority");
    assert_srv_error("_a._tcp.x. 60 IN\n", 1, 17, "missing type");
    assert_srv_error("_a._tcp.x.", 1, 11, "missing type");
    /* "extra" is a new record's owner, and that record has no type */
    assert_srv_error("_a._tcp.x. 60 IN SRV 1 2 3 t. extra\n", 1, 36, "missing type");
    assert_parse_error("h. 60 IN A\n", 1, 11, "missing address");
    assert_parse_error("h. 60 IN TXT ; nothing\n", 1, 13, "missing TXT rdata");
    assert_parse_error("h. 60 IN SOA ns. host. 1 2 3 4\n", 1, 31, "missing minimum");
    assert_parse_error("h. 60 IN MX 10\n", 1, 15, "missing exchange");
}

static void test_bad_names(void **state)
{
    (void)state;
    char text[256] = "_a._tcp.";
    append_label(text, 64, "x");
    strcat(text, " 60 IN SRV 1 2 3 t.");
    assert_srv_error(text, 1, 1, "label longer than 63 octets in owner "
                                 "_a._tcp.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...");
    assert_srv_error("_a._tcp.x. 60 IN SRV 1 2 3 a..b.", 1, 28,
                     "empty label in target a..b.");
    assert_srv_error("_a._tcp.x. 60 IN SRV 1 2 3 .a.", 1, 28,
                     "empty label in target .a.");
    assert_srv_error("_a..x. 60 IN SRV 1 2 3 t.", 1, 1, "empty label in owner _a..x.");
    assert_srv_error("_a._tcp.x. 60 IN SRV 1 2 3 t\\", 1, 28,
                     "bad escape in name in target t\\");
    assert_srv_error("_a._tcp.x. 60 IN SRV 1 2 3 t\\25", 1, 28,
                     "bad escape in name in target t\\25");
    assert_srv_error("_a._tcp.x. 60 IN SRV 1 2 3 t\\256.", 1, 28,
                     "bad escape in name in target t\\256.");
    assert_srv_error("\"_a._tcp.x.\" 60 IN SRV 1 2 3 t.", 1, 1,
                     "owner \"_a._tcp.x.\" must not be quoted");
}

static void test_srv_only_refuses_other_types(void **state)
{
    (void)state;
    assert_srv_error("_a._tcp.x. 60 IN SRV 1 2 3 t.\nh.x. 60 IN A 192.0.2.1\n", 2, 12,
                     "expected type SRV, got A");
    assert_srv_error("h.x. 60 IN aaaa ::1\n", 1, 12, "expected type SRV, got AAAA");
    assert_srv_error("h.x. 60 IN FOO bar\n", 1, 12, "expected type SRV, got FOO");

    srv_parse_options_t opts;
    srv_parse_options_init(&opts);
    opts.srv_only = 1;
    assert_zone_error("@ SOA ns. h. 1 1 1 1 1", &opts, 1, 3, "expected type SRV, got SOA");
}

static void test_unknown_classes_and_types(void **state)
{
    (void)state;
    assert_parse_error("h. 60 CH A 192.0.2.1", 1, 7, "unknown class CH");
    assert_parse_error("h. 60 hs A 192.0.2.1", 1, 7, "unknown class hs");
    assert_parse_error("h. CLASS3 A 192.0.2.1", 1, 4, "unknown class CLASS3");
    assert_parse_error("h. 60 IN FOO bar", 1, 10, "unknown type FOO");
    assert_parse_error("h. 60 IN TYPE0 x", 1, 10, "type TYPE0 out of range TYPE1..TYPE65535");
    assert_parse_error("h. 60 IN TYPE65536 x", 1, 10,
                       "type TYPE65536 out of range TYPE1..TYPE65535");
    assert_parse_error("h. 60 IN 70 A 192.0.2.1", 1, 10, "TTL given twice");
    assert_parse_error("h. IN 60 in A 192.0.2.1", 1, 10, "class given twice");
    assert_parse_error("h. 60 IN SRV \\# 6 000100020003", 1, 14,
                       "generic rdata (\\#) not supported for type SRV");
}

static void test_bad_ttls(void **state)
{
    (void)state;
    assert_srv_error("_a._tcp.x. 2147483648 IN SRV 1 2 3 t.", 1, 12,
                     "TTL 2147483648 out of range 0..2147483647");
    assert_srv_error("_a._tcp.x. 3551w IN SRV 1 2 3 t.", 1, 12,
                     "TTL 3551w out of range 0..2147483647");
    assert_srv_error("_a._tcp.x. 1h30 IN SRV 1 2 3 t.", 1, 12,
                     "TTL 1h30 is not seconds or a duration like 2h30m");
    assert_srv_error("_a._tcp.x. 1x IN SRV 1 2 3 t.", 1, 12,
                     "TTL 1x is not seconds or a duration like 2h30m");
    assert_srv_error("$TTL\n", 1, 5, "missing $TTL");
    assert_srv_error("$TTL -5\n", 1, 6, "$TTL -5 is not seconds or a duration like 2h30m");
}

static void test_bad_addresses(void **state)
{
    (void)state;
    assert_parse_error("h. 60 IN A 192.0.2\n", 1, 12, "bad IPv4 address 192.0.2");
    assert_parse_error("h. 60 IN A 2001:db8::1\n", 1, 12, "bad IPv4 address 2001:db8::1");
    /* leading zeros could be read as octal by other software: inet_pton refuses them */
    assert_parse_error("h. 60 IN A 192.0.2.001\n", 1, 12, "bad IPv4 address 192.0.2.001");
    assert_parse_error("h. 60 IN AAAA 2001:db8:::1\n", 1, 15, "bad IPv6 address 2001:db8:::1");
    assert_parse_error("h. 60 IN AAAA 1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa\n",
                       1, 15, "bad IPv6 address 1111:2222:3333:4444:5555:6666:7777:8888:...");
}

static void test_bad_layout(void **state)
{
    (void)state;
    assert_parse_error("  60 IN A 192.0.2.1\n", 1, 3,
                       "no previous owner for a line starting with a blank");
    assert_parse_error("h. 60 IN TXT \"open\n", 1, 14, "unterminated quoted string");
    assert_parse_error("h. 60 IN SRV ( 1 2\n 3 t.\n", 1, 14, "unclosed parenthesis");
    assert_parse_error("h. 60 IN A 192.0.2.1 )\n", 1, 22, "')' without '('");
    assert_parse_error("h. 60 IN SRV ( ( 1 2 3 t. ) )\n", 1, 16, "nested parenthesis");
    assert_parse_error("h. 60 IN TXT a\\\nb\n", 1, 15, "backslash before end of line");
    assert_parse_error("$INCLUDE other.zone\n", 1, 1, "$INCLUDE not supported");
    assert_parse_error("$FOO bar\n", 1, 1, "unknown directive $FOO");
    assert_parse_error("$ORIGIN a. b.\n", 1, 12, "unexpected b. after $ORIGIN");
    assert_parse_error("$ORIGIN\n", 1, 8, "missing $ORIGIN name");
    assert_parse_error("$ORIGIN a..b.\n", 1, 9, "empty label in $ORIGIN name a..b.");
}

static void test_nul_byte_is_an_error(void **state)
{
    (void)state;
    static const char text[] = "h. 60 IN A 192.0.2.1\nh. 60 IN TXT a\0b\n";
    srv_zone_t zone;
    srv_parse_error_t err;
    srv_zone_init(&zone);
    char *copy = unterminated_copy(text, sizeof text - 1);
    assert_int_equal(srv_parse_zone(copy, sizeof text - 1, NULL, &zone, &err), SRV_EPARSE);
    assert_string_equal(err.reason, "NUL byte in text");
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 15);
    assert_int_equal(zone.rr_count, 0);

    static const char in_comment[] = "h. 60 IN A 192.0.2.1 ; \0\n";
    memcpy(copy, in_comment, sizeof in_comment - 1);
    assert_int_equal(srv_parse_zone(copy, sizeof in_comment - 1, NULL, &zone, &err),
                     SRV_EPARSE);
    assert_int_equal(err.column, 24);
    free(copy);
}

/* ------------------------------------------------------------------ */
/* The error contract                                                   */
/* ------------------------------------------------------------------ */

static void test_failed_parse_leaves_the_set_as_it_was(void **state)
{
    (void)state;
    srv_recordset_t set = { 0 };
    assert_int_equal(srv_recordset_add(&set, "_a._tcp.x", "t1.x", 1, 2, 3, 60), SRV_OK);
    assert_int_equal(srv_recordset_add(&set, "_a._tcp.x", "t2.x", 4, 5, 6, 60), SRV_OK);
    srv_parse_error_t err;
    assert_int_equal(parse_srv_text("_b._tcp.x. 60 IN SRV 1 2 3 good.\n"
                                    "_b._tcp.x. 60 IN SRV 1 2 70000 bad.\n", &set, &err),
                     SRV_EPARSE);
    assert_int_equal(err.line, 2);
    assert_int_equal(set.count, 2);
    assert_string_equal(set.records[0].target, "t1.x");
    assert_string_equal(set.records[1].target, "t2.x");

    assert_int_equal(parse_srv_text("_b._tcp.x. 60 IN SRV 1 2 3 good.", &set, &err), SRV_OK);
    assert_int_equal(set.count, 3);
    assert_string_equal(set.records[2].target, "good");
    assert_int_equal(err.line, 0);
    assert_string_equal(err.reason, "");
    srv_recordset_clear(&set);
}

static void test_failed_parse_leaves_the_zone_as_it_was(void **state)
{
    (void)state;
    srv_zone_t zone;
    parse_zone_ok("h. 60 IN A 192.0.2.1\n_a._tcp.x. 60 SRV 1 2 3 t.\n", &zone);
    assert_int_equal(parse_zone_with("h2. 60 IN A 192.0.2.2\n_b._tcp.x. 60 SRV 1 2 3 t.\n"
                                     "h3. 60 IN A 192.0.2\n", NULL, &zone, NULL),
                     SRV_EPARSE);
    assert_int_equal(zone.rr_count, 1);
    assert_int_equal(zone.srv.count, 1);
    assert_rr(&zone.rrs[0], "h", 60, SRV_RR_A, "192.0.2.1");

    /* a successful parse appends */
    assert_int_equal(parse_zone_with("h2. 60 IN A 192.0.2.2\n", NULL, &zone, NULL), SRV_OK);
    assert_int_equal(zone.rr_count, 2);
    assert_rr(&zone.rrs[1], "h2", 60, SRV_RR_A, "192.0.2.2");
    srv_zone_clear(&zone);
    assert_int_equal(zone.rr_count, 0);
    srv_zone_clear(&zone);   /* twice is safe */
}

static void test_text_is_read_only_up_to_len(void **state)
{
    (void)state;
    static const char buffer[] = "_a._tcp.x. 60 IN SRV 1 2 3 target.example. trailing junk";
    size_t prefix = strlen("_a._tcp.x. 60 IN SRV 1 2 3 target.exa");
    char *copy = unterminated_copy(buffer, prefix);
    srv_recordset_t set = { 0 };
    assert_int_equal(srv_parse_srv(copy, prefix, &set, NULL), SRV_OK);
    assert_int_equal(set.count, 1);
    assert_string_equal(set.records[0].target, "target.exa");
    srv_recordset_clear(&set);

    /* cut inside the rdata: the missing field is reported at the end */
    srv_parse_error_t err;
    size_t short_prefix = strlen("_a._tcp.x. 60 IN SRV 1 2");
    assert_int_equal(srv_parse_srv(copy, short_prefix, &set, &err), SRV_EPARSE);
    assert_string_equal(err.reason, "missing port");
    assert_int_equal(err.column, short_prefix + 1);
    free(copy);
}

static void test_empty_text_gives_no_records(void **state)
{
    (void)state;
    static const char *const empty_texts[] = {
        "", "\n", "   \n\t\n", "; only a comment", "$ORIGIN x.\n$TTL 60\n",
    };
    for (size_t i = 0; i < sizeof empty_texts / sizeof empty_texts[0]; i++) {
        srv_zone_t zone;
        parse_zone_ok(empty_texts[i], &zone);
        assert_int_equal(zone.srv.count, 0);
        assert_int_equal(zone.rr_count, 0);
        srv_zone_clear(&zone);
    }
    srv_recordset_t set = { 0 };
    assert_int_equal(srv_parse_srv(NULL, 0, &set, NULL), SRV_OK);
    assert_int_equal(set.count, 0);
}

static void test_null_error_and_bad_arguments(void **state)
{
    (void)state;
    srv_recordset_t set = { 0 };
    assert_int_equal(parse_srv_text("x. 60 IN A 192.0.2.1", &set, NULL), SRV_EPARSE);
    assert_int_equal(srv_parse_srv(NULL, 5, &set, NULL), SRV_EINVAL);
    assert_int_equal(srv_parse_srv("x", 1, NULL, NULL), SRV_EINVAL);
    assert_int_equal(srv_parse_zone("x", 1, NULL, NULL, NULL), SRV_EINVAL);

    srv_parse_options_t opts;
    srv_parse_options_init(&opts);
    opts.origin = "a..b";
    srv_zone_t zone;
    srv_zone_init(&zone);
    srv_parse_error_t err;
    assert_int_equal(srv_parse_zone("", 0, &opts, &zone, &err), SRV_EINVAL);
    assert_string_equal(err.reason, "bad origin: empty label");
}

/* 100 000 records on one line: linear work, and the result is all of them. */
static void test_long_line_of_back_to_back_records(void **state)
{
    (void)state;
    static const char record[] = "_x._tcp.example.net. 60 IN SRV 1 2 3 t.example.net. ";
    const size_t count = 100000, record_len = sizeof record - 1;
    char *text = malloc(count * record_len);
    assert_non_null(text);
    for (size_t i = 0; i < count; i++)
        memcpy(text + i * record_len, record, record_len);
    srv_recordset_t set = { 0 };
    assert_int_equal(srv_parse_srv(text, count * record_len, &set, NULL), SRV_OK);
    assert_int_equal(set.count, count);
    free(text);
    srv_recordset_clear(&set);
}

static void test_more_records_than_the_bound_is_an_error(void **state)
{
    (void)state;
    srv_parse_options_t opts;
    srv_parse_options_init(&opts);
    assert_int_equal(opts.max_records, SRV_PARSE_DEFAULT_MAX_RECORDS);
    opts.max_records = 3;
    /* SRV and other types count alike; the fourth record's rdata is blamed. */
    assert_zone_error("a. 60 IN SRV 1 1 1 t.\n"
                      "b. 60 IN A 192.0.2.1\n"
                      "c. 60 IN SRV 1 1 1 t.\n"
                      "d. 60 IN TXT x\n", &opts, 4, 14, "more than 3 records");
    srv_zone_t zone;
    srv_zone_init(&zone);
    assert_int_equal(parse_zone_with("a. 60 IN SRV 1 1 1 t. b. 60 IN A 192.0.2.1 c. 60 IN SRV 1 1 1 t.",
                                     &opts, &zone, NULL), SRV_OK);
    assert_int_equal(zone.srv.count + zone.rr_count, 3);
    srv_zone_clear(&zone);
}

/* The key names are shared by (parse_name_canonical: the name as DNS
 * compares it) has a fast path for names without a backslash. A plain name
 * must get the key its spelling with every octet escaped as \DDD gets from
 * the general path, valid or not: labels of 1 to 66 octets, names up to
 * 290 characters, a dot or two in odd places. */
static void test_canonical_key_of_a_plain_name_is_that_of_its_escaped_spelling(void **state)
{
    (void)state;
    uint64_t seed = 0x5eed;
    unsigned valid = 0;
    for (int round = 0; round < 20000; round++) {
        char plain[300], escaped[1200];
        size_t len = 0, target = 1 + (size_t)(round % 290);
        while (len < target) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            size_t label = 1 + (size_t)(seed >> 33) % 66;
            for (size_t i = 0; i < label && len < target; i++)
                plain[len++] = "aZ-9_x"[(seed >> (i % 40)) % 6];
            if (len < target)
                plain[len++] = '.';
        }
        if ((seed >> 20) % 5 == 0)
            plain[(seed >> 8) % len] = '.';
        plain[len] = '\0';
        size_t at = 0;
        for (size_t i = 0; i < len; i++) {
            if (plain[i] == '.')
                escaped[at++] = '.';
            else
                at += (size_t)sprintf(escaped + at, "\\%03u", (unsigned char)plain[i]);
        }
        escaped[at] = '\0';
        unsigned char fast[SRV_NAME_MAX_WIRE], general[SRV_NAME_MAX_WIRE];
        size_t fast_length = parse_name_canonical(plain, fast);
        size_t general_length = parse_name_canonical(escaped, general);
        assert_int_equal(fast_length, general_length);
        if (fast_length > 0) {
            assert_memory_equal(fast, general, fast_length);
            valid++;
        }
    }
    /* Both kinds were met: names that are and names that are not. */
    assert_true(valid > 1000 && valid < 19000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_zone_gives_18_srv_records_and_the_other_rrs),
        cmocka_unit_test(test_canonical_key_of_a_plain_name_is_that_of_its_escaped_spelling),
        cmocka_unit_test(test_seed_examples_parse_as_58_srv_records),
        cmocka_unit_test(test_back_to_back_records_on_one_line),
        cmocka_unit_test(test_back_to_back_records_of_different_types),
        cmocka_unit_test(test_back_to_back_records_inside_parentheses),
        cmocka_unit_test(test_origin_directive_makes_relative_names_absolute),
        cmocka_unit_test(test_at_sign_is_the_origin),
        cmocka_unit_test(test_without_origin_relative_names_are_rooted),
        cmocka_unit_test(test_origin_option_applies_until_a_directive),
        cmocka_unit_test(test_srv_target_root_is_kept),
        cmocka_unit_test(test_escapes_count_as_one_octet),
        cmocka_unit_test(test_name_of_255_octets_is_the_longest),
        cmocka_unit_test(test_relative_name_too_long_once_the_origin_is_appended),
        cmocka_unit_test(test_line_starting_with_blank_keeps_previous_owner),
        cmocka_unit_test(test_parentheses_let_a_record_span_lines),
        cmocka_unit_test(test_comments_run_to_the_end_of_the_line),
        cmocka_unit_test(test_mnemonics_and_directives_in_any_case),
        cmocka_unit_test(test_ttl_and_class_in_either_order),
        cmocka_unit_test(test_crlf_line_ends_read_like_lf),
        cmocka_unit_test(test_ttl_units_as_bind_writes_them),
        cmocka_unit_test(test_omitted_ttl_comes_from_ttl_directive_then_last_ttl_then_default),
        cmocka_unit_test(test_addresses_are_stored_in_canonical_text),
        cmocka_unit_test(test_txt_and_unknown_types_take_the_rest_of_the_line),
        cmocka_unit_test(test_srv_numbers_out_of_range_or_not_decimal),
        cmocka_unit_test(test_missing_fields_at_end_of_line_or_input),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_srv_only_refuses_other_types),
        cmocka_unit_test(test_unknown_classes_and_types),
        cmocka_unit_test(test_bad_ttls),
        cmocka_unit_test(test_bad_addresses),
        cmocka_unit_test(test_bad_layout),
        cmocka_unit_test(test_nul_byte_is_an_error),
        cmocka_unit_test(test_failed_parse_leaves_the_set_as_it_was),
        cmocka_unit_test(test_failed_parse_leaves_the_zone_as_it_was),
        cmocka_unit_test(test_text_is_read_only_up_to_len),
        cmocka_unit_test(test_empty_text_gives_no_records),
        cmocka_unit_test(test_null_error_and_bad_arguments),
        cmocka_unit_test(test_long_line_of_back_to_back_records),
        cmocka_unit_test(test_more_records_than_the_bound_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
