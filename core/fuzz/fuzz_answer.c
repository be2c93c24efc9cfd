/*
 * fuzz_answer.c - libFuzzer target for srv_answer_parse(): DNS replies to an
 * SRV query, read for their records and TTLs (answer.c, wire.c).
 *
 * These bytes come off the network from any server on the path, so the
 * reader must survive anything: bad lengths, compression pointers going
 * anywhere, names over the limits, counts beyond the data.
 *
 * Input: the reply itself, as a DNS message (the corpus files are real
 * replies). The query name is the reply's own question when it has one
 * that reads, else "_xmpp-client._tcp.example.net". Bit 0 of the message ID
 * (which the parser ignores) makes the call append to a set that already
 * holds a record. The reply is the end of libFuzzer's buffer, so a read
 * past len is a heap overflow ASan reports.
 *
 * Checked, besides ASan and UBSan:
 *  - the status is one srv.h lists for srv_answer_parse; a reply without the
 *    QR bit or shorter than a header is SRV_EBADRESP; a readable reply with
 *    an error RCODE gives that RCODE's status (or SRV_EDNS, when an OPT
 *    record extends the RCODE);
 *  - on failure the set is exactly as it was; on success the records are
 *    appended after the ones already there, and SRV_ENOSERVICE means
 *    exactly one new record, with target ".";
 *  - *negative_ttl and every record TTL are below 2^31 (RFC 2181 8);
 *  - owners and targets are valid names (labels of 1..63 octets, at most 255
 *    octets, escaped presentation text, NUL-terminated);
 *  - the query name matches case-insensitively: the same reply with the
 *    query name's case flipped gives the same status and records;
 *  - each record written by srv_record_format() parses back to itself with
 *    srv_parse_srv(), so wire.c's escaping and the text parser agree.
 *
 * A and AAAA replies: srv does not read them itself; they go through
 * c-ares's ares_getaddrinfo() (resolver.c copies address, family and TTL
 * out of its result), so there is no srv wire parser to fuzz for them.
 */
#include "fuzz_check.h"
#include "wire.h"

#include <ctype.h>

static const char DEFAULT_QNAME[] = "_xmpp-client._tcp.example.net";

/* The question's name, when the reply has one that reads. */
static void question_name(const uint8_t *data, size_t size, char qname[WIRE_NAME_TEXT_MAX])
{
    wire_reader_t reader;
    wire_reader_init(&reader, data, size);
    wire_skip(&reader, 4);
    uint16_t qdcount = wire_u16(&reader);
    wire_skip(&reader, 6);
    if (qdcount > 0)
        wire_name(&reader, qname);
    if (qdcount == 0 || reader.failed)
        memcpy(qname, DEFAULT_QNAME, sizeof DEFAULT_QNAME);
}

static int status_is_documented(srv_status_t status)
{
    switch (status) {
    case SRV_OK: case SRV_ENOSERVICE: case SRV_ENXDOMAIN: case SRV_ENODATA:
    case SRV_ESERVFAIL: case SRV_EREFUSED: case SRV_EFORMERR: case SRV_ENOTIMP:
    case SRV_EDNS: case SRV_EBADRESP: case SRV_ENOMEM:
        return 1;
    default:
        return 0;
    }
}

/* The status an error RCODE maps to; SRV_OK for NOERROR. */
static srv_status_t status_of_rcode(unsigned rcode)
{
    switch (rcode) {
    case 0: return SRV_OK;
    case 1: return SRV_EFORMERR;
    case 2: return SRV_ESERVFAIL;
    case 3: return SRV_ENXDOMAIN;
    case 4: return SRV_ENOTIMP;
    case 5: return SRV_EREFUSED;
    default: return SRV_EDNS;
    }
}

static void check_new_records(const srv_recordset_t *set, size_t first, srv_status_t status)
{
    size_t added = set->count - first;
    FUZZ_CHECK(added >= 1, "%s with no records", srv_status_code(status));
    int lone_root = added == 1 && strcmp(set->records[first].target, ".") == 0;
    FUZZ_CHECK(lone_root == (status == SRV_ENOSERVICE), "%s with %zu records, first \"%s\"",
               srv_status_code(status), added, set->records[first].target);
    for (size_t i = first; i < set->count; i++) {
        const srv_record_t *r = &set->records[i];
        FUZZ_CHECK(r->name != NULL, "record without owner");
        FUZZ_CHECK(fuzz_is_name(r->name), "owner \"%s\"", r->name);
        FUZZ_CHECK(fuzz_is_name(r->target), "target \"%s\"", r->target);
        FUZZ_CHECK(r->ttl <= FUZZ_TTL_MAX, "TTL %lu", (unsigned long)r->ttl);
        fuzz_check_formats_back(r);
    }
}

/* Parses data for qname into set (which may hold records already) and
 * checks everything srv.h promises about the result. */
static srv_status_t parse_and_check(const uint8_t *data, size_t size, const char *qname,
                                    srv_recordset_t *set)
{
    srv_recordset_t before;
    srv_recordset_init(&before);
    FUZZ_CHECK(srv_recordset_copy(&before, set) == SRV_OK, "copy");

    uint32_t negative_ttl = 0xdeadbeef;
    srv_status_t status = srv_answer_parse(data, size, qname, set, &negative_ttl);

    FUZZ_CHECK(status_is_documented(status), "status %s", srv_status_code(status));
    FUZZ_CHECK(negative_ttl <= FUZZ_TTL_MAX, "negative TTL %lu", (unsigned long)negative_ttl);
    if (size < 12 || !(data[2] & 0x80))
        FUZZ_CHECK(status == SRV_EBADRESP, "no header or not a response: %s",
                   srv_status_code(status));
    /* An OPT record's extended RCODE (RFC 6891 6.1.3) makes any header
     * RCODE one srv has no status for: SRV_EDNS. */
    if (status != SRV_EBADRESP && status != SRV_ENOMEM && status != SRV_EDNS) {
        srv_status_t of_rcode = status_of_rcode(data[3] & 0x0f);
        if (of_rcode == SRV_OK)
            FUZZ_CHECK(status == SRV_OK || status == SRV_ENOSERVICE || status == SRV_ENODATA,
                       "NOERROR gave %s", srv_status_code(status));
        else
            FUZZ_CHECK(status == of_rcode, "RCODE %u gave %s", data[3] & 0x0fu,
                       srv_status_code(status));
    }

    FUZZ_CHECK(set->count >= before.count, "records lost");
    for (size_t i = 0; i < before.count; i++)
        FUZZ_CHECK(fuzz_same_record(&set->records[i], &before.records[i]),
                   "record %zu from before the call changed", i);
    if (status == SRV_OK || status == SRV_ENOSERVICE)
        check_new_records(set, before.count, status);
    else
        FUZZ_CHECK(set->count == before.count, "%s added records", srv_status_code(status));
    srv_recordset_clear(&before);
    return status;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char qname[WIRE_NAME_TEXT_MAX];
    question_name(data, size, qname);
    int preset = size >= 2 && (data[1] & 1);

    srv_recordset_t set;
    srv_recordset_init(&set);
    if (preset)
        FUZZ_CHECK(srv_recordset_add(&set, "keep.example", "kept.example", 1, 2, 3, 60) == SRV_OK,
                   "preset");
    srv_status_t status = parse_and_check(data, size, qname, &set);

    /* RFC 4343: names compare case-insensitively. */
    char flipped[WIRE_NAME_TEXT_MAX];
    size_t qlen = strlen(qname);
    for (size_t i = 0; i <= qlen; i++) {
        unsigned char c = (unsigned char)qname[i];
        flipped[i] = (char)(islower(c) ? toupper(c) : tolower(c));
    }
    srv_recordset_t other;
    srv_recordset_init(&other);
    if (preset)
        FUZZ_CHECK(srv_recordset_add(&other, "keep.example", "kept.example", 1, 2, 3, 60) == SRV_OK,
                   "preset");
    srv_status_t other_status = parse_and_check(data, size, flipped, &other);
    FUZZ_CHECK(other_status == status, "\"%s\" gave %s, \"%s\" gave %s", qname,
               srv_status_code(status), flipped, srv_status_code(other_status));
    FUZZ_CHECK(fuzz_same_recordset(&set, &other), "the query name's case changed the records");

    srv_recordset_clear(&set);
    srv_recordset_clear(&other);
    return 0;
}
