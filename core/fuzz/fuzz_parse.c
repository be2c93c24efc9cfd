/*
 * fuzz_parse.c - libFuzzer target for the presentation-format parser:
 * srv_parse_zone() and srv_parse_srv() on arbitrary bytes.
 *
 * Zone text comes from users, pasted documents and files nobody checked, so
 * the parser must survive anything and keep its promises (srv.h) on every
 * input, not just on the ones the unit tests thought of.
 *
 * Input: byte 0 picks the options, the rest is the text. The text is passed
 * with its length and no terminator, at the very end of libFuzzer's buffer,
 * so a read past len is a heap overflow ASan reports.
 *   bits 0-1  origin: NULL (the root), "example.net", "srv.test.", "a\.b.c"
 *   bits 2-3  default TTL: 3600, 0, 2^31 - 1, 2^32 - 1
 *   bit  4    srv_only (with origin NULL and TTL 3600: srv_parse_srv too)
 *   bit  5    err NULL
 *   bit  6    the zone (or set) already holds records
 *
 * Checked, besides ASan and UBSan:
 *  - the status is SRV_OK or SRV_EPARSE; SRV_EPARSE comes with a reason and
 *    a line and column that exist in the text;
 *  - on failure the zone (or set) is exactly as it was: never a partial result;
 *  - on success records are appended after the ones already there;
 *  - every name (owners, SRV targets, CNAME/NS/PTR rdata) is a valid name:
 *    labels of 1..63 octets, at most 255 octets, no trailing dot but the root;
 *  - TTLs are at most 2^31 - 1 (RFC 2181 8), or the caller's default;
 *  - srv_only leaves no other records; SRV records never land in rrs;
 *  - A and AAAA rdata is canonical text (inet_ntop of inet_pton is itself);
 *  - srv_parse_srv() gives exactly what srv_parse_zone() with srv_only gives;
 *  - every SRV record written by srv_record_format() parses back to itself
 *    (but for an owner starting with '$', see check_round_trip).
 */
#include "fuzz_check.h"

#include <arpa/inet.h>

static const char *const ORIGINS[4] = { NULL, "example.net", "srv.test.", "a\\.b.c" };
static const uint32_t DEFAULT_TTLS[4] = { 3600, 0, 2147483647u, 4294967295u };

/* What the zone holds before the call when bit 6 is set. */
static const char PRESET[] =
    "keep.example. 60 IN SRV 1 2 3 kept.example.\n"
    "keep.example. 60 IN A 192.0.2.1\n";

static void check_address(const srv_rr_t *rr, int family)
{
    unsigned char binary[16];
    char canonical[INET6_ADDRSTRLEN];
    FUZZ_CHECK(inet_pton(family, rr->rdata, binary) == 1, "address rdata \"%s\"", rr->rdata);
    FUZZ_CHECK(inet_ntop(family, binary, canonical, sizeof canonical) != NULL, "inet_ntop");
    FUZZ_CHECK(strcmp(canonical, rr->rdata) == 0, "\"%s\" is not canonical (\"%s\")",
               rr->rdata, canonical);
}

static void check_ttl(uint32_t ttl, uint32_t default_ttl)
{
    FUZZ_CHECK(ttl <= FUZZ_TTL_MAX || ttl == default_ttl, "TTL %lu", (unsigned long)ttl);
}

/* srv_record_format() writes a line srv_parse_srv() reads back as the same
 * record. Only for TTLs the text format can hold, and not for an owner
 * that starts with '$': "$ORIGIN $x." then "@" stores the owner "$x", which
 * srv_record_format() writes as is and a parser then reads as a directive
 * (a known limitation, docs/fuzzing.md; names are compared as text, so
 * writing "\$x" would not read back as the same name either). */
static void check_round_trip(const srv_record_t *record)
{
    if (record->ttl > FUZZ_TTL_MAX || (record->name && record->name[0] == '$'))
        return;
    fuzz_check_formats_back(record);
}

static void check_records(const srv_zone_t *zone, size_t srv_before, size_t rr_before,
                          const srv_parse_options_t *opts)
{
    for (size_t i = srv_before; i < zone->srv.count; i++) {
        const srv_record_t *r = &zone->srv.records[i];
        FUZZ_CHECK(fuzz_is_name(r->name), "SRV owner \"%s\"", r->name ? r->name : "(null)");
        FUZZ_CHECK(fuzz_is_name(r->target), "SRV target \"%s\"", r->target);
        check_ttl(r->ttl, opts->default_ttl);
        check_round_trip(r);
    }
    FUZZ_CHECK(!opts->srv_only || zone->rr_count == rr_before, "srv_only kept other records");
    for (size_t i = rr_before; i < zone->rr_count; i++) {
        const srv_rr_t *rr = &zone->rrs[i];
        FUZZ_CHECK(fuzz_is_name(rr->owner), "owner \"%s\"", rr->owner);
        FUZZ_CHECK(rr->rdata != NULL, "rdata NULL");
        FUZZ_CHECK(rr->type != 0 && rr->type != SRV_RR_SRV, "type %u in rrs", rr->type);
        check_ttl(rr->ttl, opts->default_ttl);
        switch (rr->type) {
        case SRV_RR_A:
            check_address(rr, AF_INET);
            break;
        case SRV_RR_AAAA:
            check_address(rr, AF_INET6);
            break;
        case SRV_RR_CNAME: case SRV_RR_NS: case SRV_RR_PTR:
            FUZZ_CHECK(fuzz_is_name(rr->rdata), "name rdata \"%s\"", rr->rdata);
            break;
        default:
            break;
        }
    }
}

static void check_error(srv_status_t status, const srv_parse_error_t *err,
                        const char *text, size_t len)
{
    FUZZ_CHECK(status == SRV_OK || status == SRV_EPARSE, "status %s",
               srv_status_code(status));
    FUZZ_CHECK(memchr(err->reason, '\0', sizeof err->reason) != NULL, "reason unterminated");
    if (status == SRV_OK)
        return;
    unsigned lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    FUZZ_CHECK(err->reason[0] != '\0', "SRV_EPARSE without a reason");
    FUZZ_CHECK(err->line >= 1 && err->line <= lines, "line %u of %u", err->line, lines);
    FUZZ_CHECK(err->column >= 1 && err->column <= len + 1, "column %u", err->column);
}

/* The zone (or set) is exactly what it was before a failed call. */
static void check_unchanged(const srv_zone_t *zone, const srv_zone_t *before)
{
    FUZZ_CHECK(fuzz_same_recordset(&zone->srv, &before->srv), "SRV records changed on failure");
    FUZZ_CHECK(zone->rr_count == before->rr_count, "rrs changed on failure");
    for (size_t i = 0; i < zone->rr_count; i++) {
        const srv_rr_t *a = &zone->rrs[i], *b = &before->rrs[i];
        FUZZ_CHECK(strcmp(a->owner, b->owner) == 0 && strcmp(a->rdata, b->rdata) == 0 &&
                   a->ttl == b->ttl && a->type == b->type, "rr %zu changed on failure", i);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned mode = data[0];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;

    srv_parse_options_t opts;
    srv_parse_options_init(&opts);
    opts.origin = ORIGINS[mode & 3];
    opts.default_ttl = DEFAULT_TTLS[(mode >> 2) & 3];
    opts.srv_only = (mode >> 4) & 1;
    int with_err = !((mode >> 5) & 1);
    int preset = (mode >> 6) & 1;

    srv_zone_t zone, before;
    srv_zone_init(&zone);
    srv_zone_init(&before);
    if (preset) {
        FUZZ_CHECK(srv_parse_zone(PRESET, sizeof PRESET - 1, NULL, &zone, NULL) == SRV_OK,
                   "preset");
        FUZZ_CHECK(srv_parse_zone(PRESET, sizeof PRESET - 1, NULL, &before, NULL) == SRV_OK,
                   "preset");
    }

    srv_parse_error_t err;
    memset(&err, 0x5a, sizeof err);   /* the parser must fill it, not find it clean */
    srv_status_t status = srv_parse_zone(text, len, &opts, &zone, with_err ? &err : NULL);
    if (with_err)
        check_error(status, &err, text, len);
    else
        FUZZ_CHECK(status == SRV_OK || status == SRV_EPARSE, "status %s", srv_status_code(status));

    if (status == SRV_OK)
        check_records(&zone, before.srv.count, before.rr_count, &opts);
    else
        check_unchanged(&zone, &before);
    FUZZ_CHECK(zone.srv.count >= before.srv.count, "records lost");
    for (size_t i = 0; i < before.srv.count; i++)
        FUZZ_CHECK(fuzz_same_record(&zone.srv.records[i], &before.srv.records[i]),
                   "record %zu from before the call changed", i);

    /* srv_parse_srv is srv_parse_zone with srv_only, the root origin and TTL 3600. */
    if (opts.srv_only && !opts.origin && opts.default_ttl == 3600) {
        srv_recordset_t set;
        srv_recordset_init(&set);
        if (preset)
            FUZZ_CHECK(srv_recordset_copy(&set, &before.srv) == SRV_OK, "copy");
        srv_parse_error_t set_err;
        srv_status_t set_status = srv_parse_srv(text, len, &set, with_err ? &set_err : NULL);
        FUZZ_CHECK(set_status == status, "srv_parse_srv %s, srv_parse_zone %s",
                   srv_status_code(set_status), srv_status_code(status));
        FUZZ_CHECK(fuzz_same_recordset(&set, &zone.srv), "srv_parse_srv gave other records");
        if (with_err && status != SRV_OK)
            FUZZ_CHECK(set_err.line == err.line && set_err.column == err.column &&
                       strcmp(set_err.reason, err.reason) == 0, "other error");
        srv_recordset_clear(&set);
    }

    srv_zone_clear(&zone);
    srv_zone_clear(&before);
    return 0;
}
