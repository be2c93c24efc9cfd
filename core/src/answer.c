/* answer.c - reads a DNS reply to an SRV query: the SRV records with their
 * TTLs (which c-ares 1.18's ares_parse_srv_reply drops), the CNAME chain,
 * and the SOA that bounds negative caching. A reply is read only when it
 * answers the query asked (docs/c-api.md, "Reading DNS replies"). */
#include "srv.h"
#include "wire.h"

#include <string.h>

enum { CLASS_IN = 1, HEADER_SIZE = 12, FLAG_QR = 0x8000, MAX_ALIASES = 8, RR_OPT = 41 };
enum { RCODE_NOERROR, RCODE_FORMERR, RCODE_SERVFAIL, RCODE_NXDOMAIN, RCODE_NOTIMP, RCODE_REFUSED };

/* RFC 2181 8: a TTL with the top bit set is treated as zero. */
static uint32_t ttl_value(uint32_t raw)
{
    return raw >= 0x80000000u ? 0 : raw;
}

/* The names whose records answer the query: qname, then each alias a CNAME
 * leads to (RFC 1034 3.6.2). An SRV target must not be an alias, but the
 * SRV owner may be one. */
typedef struct owner_chain {
    char names[MAX_ALIASES + 1][WIRE_NAME_TEXT_MAX];
    size_t count;
} owner_chain_t;

static int chain_has(const owner_chain_t *chain, const char *name)
{
    for (size_t i = 0; i < chain->count; i++)
        if (srv_name_equal(chain->names[i], name))
            return 1;
    return 0;
}

/* rcode is the whole RCODE: the header's 4 bits under the OPT's 8 (RFC 6891
 * 6.1.3). Past 15 every RCODE (BADVERS, 16, first) is one srv has no status
 * for: SRV_EDNS, a failure the server reports, final like FORMERR. */
static srv_status_t status_of_rcode(unsigned rcode)
{
    switch (rcode) {
    case RCODE_NOERROR:  return SRV_OK;
    case RCODE_FORMERR:  return SRV_EFORMERR;
    case RCODE_SERVFAIL: return SRV_ESERVFAIL;
    case RCODE_NXDOMAIN: return SRV_ENXDOMAIN;
    case RCODE_NOTIMP:   return SRV_ENOTIMP;
    case RCODE_REFUSED:  return SRV_EREFUSED;
    default:             return SRV_EDNS;
    }
}

/* Reads one SRV rdata (RFC 2782: priority, weight, port, target) and
 * appends it. The target must fill the rdata exactly. */
static srv_status_t read_srv(wire_reader_t *reader, size_t rdata_end,
                             const char *owner, uint32_t ttl, srv_recordset_t *out)
{
    char target[WIRE_NAME_TEXT_MAX];
    uint16_t priority = wire_u16(reader);
    uint16_t weight = wire_u16(reader);
    uint16_t port = wire_u16(reader);
    wire_name(reader, target);
    if (reader->failed || reader->pos != rdata_end)
        return SRV_EBADRESP;
    return srv_recordset_add(out, owner, target, priority, weight, port, ttl);
}

/* RFC 2308 5: a negative answer is cached for min(SOA TTL, SOA minimum). */
static uint32_t read_soa_negative_ttl(wire_reader_t *reader, uint32_t ttl)
{
    char ignored[WIRE_NAME_TEXT_MAX];
    wire_name(reader, ignored);   /* mname */
    wire_name(reader, ignored);   /* rname */
    wire_skip(reader, 16);        /* serial refresh retry expire */
    uint32_t minimum = ttl_value(wire_u32(reader));
    return minimum < ttl ? minimum : ttl;
}

typedef struct section_result {
    srv_recordset_t *out;
    owner_chain_t *chain;
    uint32_t *negative_ttl;
    int opt_seen;
    unsigned extended_rcode;   /* the OPT's upper 8 bits of the RCODE */
} section_result_t;

/* RFC 6891 6.1.1-6.1.3: an OPT record is a pseudo-record of the additional
 * section, at most one per message, owned by the root; its TTL's top octet
 * holds the upper 8 bits of the RCODE, its rdata a list of options (code,
 * length, data) that fills it exactly. An OPT anywhere else, twice, or
 * owned by a name makes the reply's RCODE one no one can trust: BADRESP. */
static srv_status_t read_opt(wire_reader_t *reader, const char *owner, uint32_t ttl,
                             size_t rdata_end, section_result_t *result)
{
    if (result->opt_seen || strcmp(owner, ".") != 0)
        return SRV_EBADRESP;
    result->opt_seen = 1;
    result->extended_rcode = ttl >> 24;
    while (!reader->failed && reader->pos < rdata_end) {
        wire_skip(reader, 2);                   /* option code */
        wire_skip(reader, wire_u16(reader));    /* option data */
    }
    return reader->failed || reader->pos != rdata_end ? SRV_EBADRESP : SRV_OK;
}

typedef enum { SECTION_ANSWER, SECTION_AUTHORITY, SECTION_ADDITIONAL } section_t;

static srv_status_t read_records(wire_reader_t *reader, unsigned count,
                                 section_t section, section_result_t *result)
{
    char owner[WIRE_NAME_TEXT_MAX];
    int is_answer = section == SECTION_ANSWER;
    for (unsigned i = 0; i < count; i++) {
        wire_name(reader, owner);
        uint16_t type = wire_u16(reader);
        uint16_t rr_class = wire_u16(reader);
        uint32_t raw_ttl = wire_u32(reader);
        uint32_t ttl = ttl_value(raw_ttl);
        uint16_t rdlength = wire_u16(reader);
        if (reader->failed || reader->len - reader->pos < rdlength)
            return SRV_EBADRESP;
        size_t rdata_end = reader->pos + rdlength;

        if (type == RR_OPT) {
            if (section != SECTION_ADDITIONAL)
                return SRV_EBADRESP;
            srv_status_t status = read_opt(reader, owner, raw_ttl, rdata_end, result);
            if (status != SRV_OK)
                return status;
        } else if (rr_class == CLASS_IN && is_answer && chain_has(result->chain, owner)) {
            if (type == SRV_RR_SRV) {
                srv_status_t status = read_srv(reader, rdata_end, owner, ttl, result->out);
                if (status != SRV_OK)
                    return status;
            } else if (type == SRV_RR_CNAME && result->chain->count <= MAX_ALIASES) {
                wire_name(reader, result->chain->names[result->chain->count]);
                if (reader->failed || reader->pos != rdata_end)
                    return SRV_EBADRESP;
                result->chain->count++;
            }
        } else if (rr_class == CLASS_IN && !is_answer && type == SRV_RR_SOA) {
            *result->negative_ttl = read_soa_negative_ttl(reader, ttl);
            if (reader->failed || reader->pos > rdata_end)
                return SRV_EBADRESP;
        }
        reader->pos = rdata_end;
    }
    return SRV_OK;
}

/* RFC 1035 4.1.2: a reply repeats the query's question. c-ares matches
 * replies to queries by ID and question already, but srv's reader is also
 * public: exactly one question, for qname (names compare in any case, RFC
 * 4343), of type qtype and class IN, or the reply answers another query. */
static srv_status_t read_question(wire_reader_t *reader, unsigned qdcount,
                                  const char *qname, uint16_t qtype)
{
    if (qdcount != 1)
        return SRV_EBADRESP;
    char question[WIRE_NAME_TEXT_MAX];
    wire_name(reader, question);
    uint16_t type = wire_u16(reader);
    uint16_t rr_class = wire_u16(reader);
    if (reader->failed || !srv_name_equal(question, qname) || type != qtype || rr_class != CLASS_IN)
        return SRV_EBADRESP;
    return SRV_OK;
}

static srv_status_t parse_reply(wire_reader_t *reader, const char *qname,
                                srv_recordset_t *out, uint32_t *negative_ttl)
{
    owner_chain_t chain;
    strncpy(chain.names[0], qname, WIRE_NAME_TEXT_MAX - 1);
    chain.names[0][WIRE_NAME_TEXT_MAX - 1] = '\0';
    chain.count = 1;

    wire_skip(reader, 2);                       /* id */
    uint16_t flags = wire_u16(reader);
    uint16_t qdcount = wire_u16(reader);
    uint16_t ancount = wire_u16(reader);
    uint16_t nscount = wire_u16(reader);
    uint16_t arcount = wire_u16(reader);
    if (reader->failed || !(flags & FLAG_QR))   /* QR must mark a response */
        return SRV_EBADRESP;
    srv_status_t status = read_question(reader, qdcount, qname, SRV_RR_SRV);
    if (status != SRV_OK)
        return status;

    section_result_t result = {out, &chain, negative_ttl, 0, 0};
    status = read_records(reader, ancount, SECTION_ANSWER, &result);
    if (status == SRV_OK)
        status = read_records(reader, nscount, SECTION_AUTHORITY, &result);
    if (status == SRV_OK)
        status = read_records(reader, arcount, SECTION_ADDITIONAL, &result);
    if (status != SRV_OK)
        return status;

    srv_status_t rcode_status = status_of_rcode(result.extended_rcode << 4 | (flags & 0x000F));
    if (rcode_status != SRV_OK)
        return rcode_status;
    if (out->count == 0)   /* no answer, or only a CNAME: NODATA */
        return SRV_ENODATA;
    return srv_recordset_is_noservice(out) ? SRV_ENOSERVICE : SRV_OK;
}

srv_status_t srv_answer_parse(const unsigned char *reply, size_t len,
                              const char *qname, srv_recordset_t *out,
                              uint32_t *negative_ttl)
{
    if (!reply || !qname || !out || !negative_ttl)
        return SRV_EINVAL;
    *negative_ttl = 0;   /* on every answer, even one too short to read */
    if (len < HEADER_SIZE)
        return SRV_EBADRESP;

    /* Parse into a scratch set so a failure adds nothing to out. */
    srv_recordset_t records;
    srv_recordset_init(&records);
    wire_reader_t reader;
    wire_reader_init(&reader, reply, len);

    srv_status_t status = parse_reply(&reader, qname, &records, negative_ttl);
    if (status != SRV_OK && status != SRV_ENOSERVICE) {
        srv_recordset_clear(&records);
        return status;
    }
    if (out->count == 0) {
        srv_recordset_clear(out);   /* frees a spare array, if any */
        *out = records;
        return status;
    }
    srv_recordset_t merged;
    srv_recordset_init(&merged);
    if (srv_recordset_copy(&merged, out) != SRV_OK) {
        srv_recordset_clear(&records);
        return SRV_ENOMEM;
    }
    for (size_t i = 0; i < records.count; i++) {
        const srv_record_t *r = &records.records[i];
        if (srv_recordset_add(&merged, r->name, r->target, r->priority, r->weight,
                              r->port, r->ttl) != SRV_OK) {
            srv_recordset_clear(&merged);
            srv_recordset_clear(&records);
            return SRV_ENOMEM;
        }
    }
    srv_recordset_clear(out);
    *out = merged;
    srv_recordset_clear(&records);
    return status;
}
