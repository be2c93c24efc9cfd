/*
 * fuzz_answer.c - libFuzzer target for srv_answer_parse() and
 * srv_answer_parse_addresses(): DNS replies to an SRV, A or AAAA query,
 * read for their records and TTLs (answer.c, wire.c).
 *
 * These bytes come off the network from any server on the path, so the
 * reader must survive anything: bad lengths, compression pointers going
 * anywhere, names over the limits, counts beyond the data.
 *
 * Input: the reply itself, as a DNS message (the corpus files are real
 * replies). The query name is the reply's own question when it has one
 * that reads, else "_xmpp-client._tcp.example.net"; a question of type A or
 * AAAA sends the reply to the address reader, any other to the SRV reader.
 * Bit 0 of the message ID (which the readers ignore) makes the call append
 * to a set or an array that already holds an entry. The reply is the end
 * of libFuzzer's buffer, so a read past len is a heap overflow ASan reports.
 *
 * Checked, besides ASan and UBSan:
 *  - the status is one srv.h lists for the reader; a reply without the QR
 *    bit or shorter than a header is SRV_EBADRESP; a readable reply with
 *    an error RCODE gives that RCODE's status (or SRV_EDNS, when an OPT
 *    record extends the RCODE);
 *  - on failure the set or array is exactly as it was; on success entries
 *    are appended after the ones already there; for SRV, SRV_ENOSERVICE
 *    means exactly one new record, with target ".";
 *  - *negative_ttl and every TTL are below 2^31 (RFC 2181 8);
 *  - owners and targets are valid names (labels of 1..63 octets, at most 255
 *    octets, escaped presentation text, NUL-terminated); addresses are of
 *    the family asked, and their text reads back (inet_pton) and is written
 *    the same again (inet_ntop);
 *  - the query name matches case-insensitively: the same reply with the
 *    query name's case flipped gives the same status and entries;
 *  - each SRV record written by srv_record_format() parses back to itself
 *    with srv_parse_srv(), so wire.c's escaping and the text parser agree;
 *  - built against c-ares 1.28 or later (docs/fuzzing.md), where the resolver
 *    reads the record c-ares parsed (cares_compat.c): when c-ares parses
 *    the reply, reading its record gives what srv's reader gives for the
 *    octets c-ares writes from that record (status, negative TTL, entries),
 *    wherever those octets read back with the names c-ares parsed.
 */
#include "cares_compat.h"
#include "fuzz_check.h"
#include "wire.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <sys/socket.h>

static const char DEFAULT_QNAME[] = "_xmpp-client._tcp.example.net";

/* The question's name and type, when the reply has one that reads; else
 * the default name and SRV. */
static uint16_t question_of(const uint8_t *data, size_t size, char qname[WIRE_NAME_TEXT_MAX])
{
    wire_reader_t reader;
    wire_reader_init(&reader, data, size);
    wire_skip(&reader, 4);
    uint16_t qdcount = wire_u16(&reader);
    wire_skip(&reader, 6);
    uint16_t qtype = SRV_RR_SRV;
    if (qdcount > 0) {
        wire_name(&reader, qname);
        qtype = wire_u16(&reader);
    }
    if (qdcount == 0 || reader.failed) {
        memcpy(qname, DEFAULT_QNAME, sizeof DEFAULT_QNAME);
        qtype = SRV_RR_SRV;
    }
    return qtype;
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

/* What both readers promise about a reply's status and negative TTL. */
static void check_status_and_negative_ttl(const uint8_t *data, size_t size, srv_status_t status,
                                          uint32_t negative_ttl)
{
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
    check_status_and_negative_ttl(data, size, status, negative_ttl);

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

/* Addresses ------------------------------------------------------------- */

static const srv_address_t PRESET_ADDRESS = {AF_INET, "192.0.2.1", 60};

typedef struct address_array {
    srv_address_t *items;
    size_t count;
} address_array_t;

static void check_new_addresses(const address_array_t *array, size_t first, uint16_t qtype)
{
    FUZZ_CHECK(array->count > first, "OK with no addresses");
    int family = qtype == SRV_RR_A ? AF_INET : AF_INET6;
    for (size_t i = first; i < array->count; i++) {
        const srv_address_t *a = &array->items[i];
        FUZZ_CHECK(a->family == family, "family %d for type %u", a->family, (unsigned)qtype);
        FUZZ_CHECK(a->ttl <= FUZZ_TTL_MAX, "TTL %lu", (unsigned long)a->ttl);
        FUZZ_CHECK(memchr(a->text, '\0', sizeof a->text) != NULL, "address text unterminated");
        unsigned char raw[16];
        char again[sizeof a->text];
        FUZZ_CHECK(inet_pton(family, a->text, raw) == 1, "address \"%s\"", a->text);
        FUZZ_CHECK(inet_ntop(family, raw, again, sizeof again) && strcmp(again, a->text) == 0,
                   "address \"%s\" reads back as \"%s\"", a->text, again);
    }
}

static srv_status_t parse_addresses_and_check(const uint8_t *data, size_t size, const char *qname,
                                              uint16_t qtype, address_array_t *array)
{
    size_t before = array->count;
    srv_address_t *items_before = array->items;
    srv_address_t first = before ? array->items[0] : PRESET_ADDRESS;
    uint32_t negative_ttl = 0xdeadbeef;
    srv_status_t status = srv_answer_parse_addresses(data, size, qname, qtype, &array->items,
                                                     &array->count, &negative_ttl);
    FUZZ_CHECK(status == SRV_OK || status == SRV_ENXDOMAIN || status == SRV_ENODATA ||
               status == SRV_ESERVFAIL || status == SRV_EREFUSED || status == SRV_EFORMERR ||
               status == SRV_ENOTIMP || status == SRV_EDNS || status == SRV_EBADRESP ||
               status == SRV_ENOMEM, "status %s", srv_status_code(status));
    check_status_and_negative_ttl(data, size, status, negative_ttl);
    if (status == SRV_OK) {
        check_new_addresses(array, before, qtype);
    } else {
        FUZZ_CHECK(array->count == before && array->items == items_before,
                   "%s changed the array", srv_status_code(status));
    }
    if (before)
        FUZZ_CHECK(memcmp(&array->items[0], &first, sizeof first) == 0, "the preset address changed");
    return status;
}

static void fuzz_addresses(const uint8_t *data, size_t size, const char *qname,
                           const char *flipped, uint16_t qtype, int preset)
{
    address_array_t arrays[2] = {{NULL, 0}, {NULL, 0}};
    srv_status_t statuses[2];
    const char *names[2] = {qname, flipped};
    for (int i = 0; i < 2; i++) {
        if (preset) {
            arrays[i].items = malloc(sizeof PRESET_ADDRESS);
            FUZZ_CHECK(arrays[i].items != NULL, "preset");
            arrays[i].items[0] = PRESET_ADDRESS;
            arrays[i].count = 1;
        }
        statuses[i] = parse_addresses_and_check(data, size, names[i], qtype, &arrays[i]);
    }
    FUZZ_CHECK(statuses[0] == statuses[1], "\"%s\" gave %s, \"%s\" gave %s", qname,
               srv_status_code(statuses[0]), flipped, srv_status_code(statuses[1]));
    FUZZ_CHECK(arrays[0].count == arrays[1].count &&
               (arrays[0].count == 0 ||
                memcmp(arrays[0].items, arrays[1].items, arrays[0].count * sizeof *arrays[0].items) == 0),
               "the query name's case changed the addresses");
    free(arrays[0].items);
    free(arrays[1].items);
}

/* SRV ----------------------------------------------------------------------- */

static void fuzz_srv(const uint8_t *data, size_t size, const char *qname, const char *flipped,
                     int preset)
{
    srv_recordset_t set;
    srv_recordset_init(&set);
    if (preset)
        FUZZ_CHECK(srv_recordset_add(&set, "keep.example", "kept.example", 1, 2, 3, 60) == SRV_OK,
                   "preset");
    srv_status_t status = parse_and_check(data, size, qname, &set);

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
}

/* c-ares' parsed record ----------------------------------------------------- */

#if CARES_AT_LEAST(1, 28)
static int same_string(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Whether the names of two records of the same type are the same: the
 * owner, and those of the rdata srv reads. */
static int same_names(const ares_dns_rr_t *a, const ares_dns_rr_t *b)
{
    if (ares_dns_rr_get_type(a) != ares_dns_rr_get_type(b) ||
        !same_string(ares_dns_rr_get_name(a), ares_dns_rr_get_name(b)))
        return 0;
    switch (ares_dns_rr_get_type(a)) {
    case ARES_REC_TYPE_SRV:
        return same_string(ares_dns_rr_get_str(a, ARES_RR_SRV_TARGET), ares_dns_rr_get_str(b, ARES_RR_SRV_TARGET));
    case ARES_REC_TYPE_CNAME:
        return same_string(ares_dns_rr_get_str(a, ARES_RR_CNAME_CNAME), ares_dns_rr_get_str(b, ARES_RR_CNAME_CNAME));
    case ARES_REC_TYPE_SOA:
        return same_string(ares_dns_rr_get_str(a, ARES_RR_SOA_MNAME), ares_dns_rr_get_str(b, ARES_RR_SOA_MNAME)) &&
               same_string(ares_dns_rr_get_str(a, ARES_RR_SOA_RNAME), ares_dns_rr_get_str(b, ARES_RR_SOA_RNAME));
    default:
        return 1;
    }
}

/* Whether the octets c-ares wrote from record read back with the names it
 * parsed. c-ares 1.34.8's writer cuts the end of some names (a last label
 * ending in NUL octets, found by this target): srv's reading of such octets
 * is not a reading of the record, and there is nothing to compare. */
static int names_survive_writing(const ares_dns_record_t *record, const unsigned char *octets, size_t len)
{
    ares_dns_record_t *again = NULL;
    if (ares_dns_parse(octets, len, 0, &again) != ARES_SUCCESS)
        return 0;
    int same = 1;
    static const ares_dns_section_t sections[] = {ARES_SECTION_ANSWER, ARES_SECTION_AUTHORITY,
                                                  ARES_SECTION_ADDITIONAL};
    for (size_t s = 0; s < 3 && same; s++) {
        size_t count = ares_dns_record_rr_cnt(record, sections[s]);
        same = count == ares_dns_record_rr_cnt(again, sections[s]);
        for (size_t i = 0; i < count && same; i++)
            same = same_names(ares_dns_record_rr_get_const(record, sections[s], i),
                              ares_dns_record_rr_get_const(again, sections[s], i));
    }
    ares_dns_record_destroy(again);
    return same;
}

static void check_reading_of_cares_record(const uint8_t *data, size_t size, const char *qname, uint16_t qtype)
{
    ares_dns_record_t *record = NULL;
    if (ares_dns_parse(data, size, 0, &record) != ARES_SUCCESS)
        return;
    unsigned char *octets = NULL;
    size_t len = 0;
    if (ares_dns_write(record, &octets, &len) != ARES_SUCCESS) {
        /* Some replies c-ares parses it cannot write again: no octets
         * to compare with. */
        ares_dns_record_destroy(record);
        return;
    }
    if (!names_survive_writing(record, octets, len)) {
        ares_free_string(octets);
        ares_dns_record_destroy(record);
        return;
    }
    uint32_t record_ttl = 1, octets_ttl = 2;
    srv_status_t from_record, from_octets;
    if (qtype == SRV_RR_A || qtype == SRV_RR_AAAA) {
        address_array_t a = {NULL, 0}, b = {NULL, 0};
        from_record = cares_record_read_addresses(record, qname, qtype, &a.items, &a.count, &record_ttl);
        from_octets = srv_answer_parse_addresses(octets, len, qname, qtype, &b.items, &b.count, &octets_ttl);
        FUZZ_CHECK(a.count == b.count &&
                   (a.count == 0 || memcmp(a.items, b.items, a.count * sizeof *a.items) == 0),
                   "the record's addresses differ from its octets'");
        free(a.items);
        free(b.items);
    } else {
        srv_recordset_t a, b;
        srv_recordset_init(&a);
        srv_recordset_init(&b);
        from_record = cares_record_read(record, qname, &a, &record_ttl);
        from_octets = srv_answer_parse(octets, len, qname, &b, &octets_ttl);
        FUZZ_CHECK(fuzz_same_recordset(&a, &b), "the record's SRV records differ from its octets'");
        srv_recordset_clear(&a);
        srv_recordset_clear(&b);
    }
    FUZZ_CHECK(from_record == from_octets, "the record gave %s, its octets %s", srv_status_code(from_record),
               srv_status_code(from_octets));
    FUZZ_CHECK(record_ttl == octets_ttl, "negative TTL %lu from the record, %lu from its octets",
               (unsigned long)record_ttl, (unsigned long)octets_ttl);
    ares_free_string(octets);
    ares_dns_record_destroy(record);
}
#else
static void check_reading_of_cares_record(const uint8_t *data, size_t size, const char *qname, uint16_t qtype)
{
    (void)data;
    (void)size;
    (void)qname;
    (void)qtype;
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char qname[WIRE_NAME_TEXT_MAX];
    uint16_t qtype = question_of(data, size, qname);
    int preset = size >= 2 && (data[1] & 1);

    /* RFC 4343: names compare case-insensitively. */
    char flipped[WIRE_NAME_TEXT_MAX];
    size_t qlen = strlen(qname);
    for (size_t i = 0; i <= qlen; i++) {
        unsigned char c = (unsigned char)qname[i];
        flipped[i] = (char)(islower(c) ? toupper(c) : tolower(c));
    }
    if (qtype == SRV_RR_A || qtype == SRV_RR_AAAA)
        fuzz_addresses(data, size, qname, flipped, qtype, preset);
    else
        fuzz_srv(data, size, qname, flipped, preset);
    check_reading_of_cares_record(data, size, qname, qtype);
    return 0;
}
