/* answer.c - reads a DNS reply to an SRV query: the SRV records with their
 * TTLs (which c-ares 1.18's ares_parse_srv_reply drops); or to an A or AAAA
 * query: the addresses with theirs. The CNAME chain is followed in any
 * order (c-ares 1.18's ares_getaddrinfo drops an address listed before its
 * CNAME), and the SOA bounds negative caching. A reply is read only when it
 * answers the query asked, and read whole: every record of a type srv knows
 * is checked wherever it is (docs/c-api.md, "Reading DNS replies").
 *
 * What a reply means is decided here, in the answer_* functions (answer.h),
 * whoever reads it; below them, srv's reader of a reply's octets. Two walks:
 * the first reads every section, checks it and hands over the OPT, the CNAME
 * records and the SOA; the chain is then followed from qname, and the second
 * walk takes the answer records whose owner is on it. */
#include "answer.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum { CLASS_IN = 1, HEADER_SIZE = 12, FLAG_QR = 0x8000, RR_OPT = 41 };
enum { RCODE_NOERROR, RCODE_FORMERR, RCODE_SERVFAIL, RCODE_NXDOMAIN, RCODE_NOTIMP, RCODE_REFUSED };

/* RFC 2181 8: a TTL with the top bit set is treated as zero. */
static uint32_t ttl_value(uint32_t raw)
{
    return raw >= 0x80000000u ? 0 : raw;
}

/* rcode is the whole RCODE: the header's 4 bits under the OPT's 8 (RFC 6891
 * 6.1.3). Past 5 every RCODE (YXDOMAIN, BADVERS, ...) is one srv has no
 * status for: SRV_EDNS, a failure the server reports, final like FORMERR. */
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

/* ---- what a reply means ---------------------------------------------- */

void answer_begin(answer_t *answer, const char *qname, uint16_t qtype)
{
    answer->qname = qname;
    answer->question = NULL;
    answer->qtype = qtype;
    answer->rcode = RCODE_NOERROR;
    answer->opt_seen = 0;
    answer->link_count = 0;
    answer->chain[0] = qname;
    answer->chain_count = 1;
    answer->negative_ttl = 0;
    srv_recordset_init(&answer->records);
    answer->addresses = NULL;
    answer->address_count = 0;
    answer->address_capacity = 0;
}

srv_status_t answer_header(answer_t *answer, int is_response, unsigned rcode, unsigned qdcount)
{
    /* QR must mark a response; RFC 1035 4.1.2: a reply repeats the query's
     * one question. */
    if (!is_response || qdcount != 1)
        return SRV_EBADRESP;
    answer->rcode = rcode;
    return SRV_OK;
}

/* c-ares matches replies to queries by ID and question already, but srv's
 * reader is also public: the question must be for qname (names compare in
 * any case, RFC 4343), of type qtype and class IN, or the reply answers
 * another query. */
srv_status_t answer_question(answer_t *answer, const char *name, uint16_t type, uint16_t rr_class)
{
    if (!srv_name_equal(name, answer->qname) || type != answer->qtype || rr_class != CLASS_IN)
        return SRV_EBADRESP;
    answer->question = name;
    return SRV_OK;
}

answer_want_t answer_wants(const answer_t *answer, answer_section_t section, uint16_t type,
                           uint16_t rr_class)
{
    (void)answer;
    if (type == RR_OPT)   /* its class is the sender's UDP payload size */
        return ANSWER_OPT;
    if (rr_class != CLASS_IN)
        return ANSWER_SKIP;
    if (section == ANSWER_SECTION && type == SRV_RR_CNAME)
        return ANSWER_ALIAS;
    if (section == AUTHORITY_SECTION && type == SRV_RR_SOA)
        return ANSWER_SOA;
    return ANSWER_SKIP;
}

/* RFC 6891 6.1.1-6.1.3: an OPT record is a pseudo-record of the additional
 * section, one per message at most, owned by the root; its TTL's top octet
 * holds the RCODE's upper 8 bits. An OPT anywhere else, twice, or owned by
 * a name makes the reply's RCODE one no one can trust: BADRESP. */
srv_status_t answer_note_opt(answer_t *answer, answer_section_t section, const char *owner,
                             unsigned upper_rcode)
{
    if (section != ADDITIONAL_SECTION || answer->opt_seen || strcmp(owner, ".") != 0)
        return SRV_EBADRESP;
    answer->opt_seen = 1;
    answer->rcode |= upper_rcode << 4;
    return SRV_OK;
}

srv_status_t answer_note_alias(answer_t *answer, const char *owner, const char *target)
{
    if (answer->link_count == ANSWER_MAX_ALIASES)
        return SRV_EBADRESP;
    answer_link_t *link = &answer->links[answer->link_count++];
    strcpy(link->owner, owner);
    strcpy(link->target, target);
    link->followed = 0;
    return SRV_OK;
}

/* RFC 2308 5: a negative answer is cached for min(SOA TTL, SOA minimum). */
void answer_note_soa(answer_t *answer, uint32_t ttl, uint32_t minimum)
{
    ttl = ttl_value(ttl);
    minimum = ttl_value(minimum);
    answer->negative_ttl = minimum < ttl ? minimum : ttl;
}

static int chain_has(const answer_t *answer, const char *name)
{
    if (name == answer->question)   /* equal to qname, the chain's first name */
        return 1;
    for (size_t i = 0; i < answer->chain_count; i++)
        if (srv_name_equal(answer->chain[i], name))
            return 1;
    return 0;
}

/* The CNAME record owned by name not followed yet, wherever it is in the
 * answer section (RFC 2181 10.1: one per name; the first is taken); NULL
 * when there is none. */
static answer_link_t *link_owned_by(answer_t *answer, const char *name)
{
    for (size_t i = 0; i < answer->link_count; i++) {
        answer_link_t *link = &answer->links[i];
        if (!link->followed && srv_name_equal(link->owner, name))
            return link;
    }
    return NULL;
}

/* The chain from qname, in whatever order its CNAME records came. A loop
 * ends it. At most ANSWER_MAX_ALIASES steps over as many links: a bounded
 * cost, whatever the reply. */
srv_status_t answer_follow(answer_t *answer)
{
    srv_status_t status = status_of_rcode(answer->rcode);
    if (status != SRV_OK)
        return status;
    answer_link_t *link;
    while ((link = link_owned_by(answer, answer->chain[answer->chain_count - 1]))) {
        link->followed = 1;
        if (chain_has(answer, link->target))
            break;
        answer->chain[answer->chain_count++] = link->target;
    }
    return SRV_OK;
}

int answer_takes(const answer_t *answer, const char *owner, uint16_t type, uint16_t rr_class)
{
    return type == answer->qtype && rr_class == CLASS_IN && chain_has(answer, owner);
}

srv_status_t answer_take_srv(answer_t *answer, const char *owner, const char *target, uint16_t priority,
                             uint16_t weight, uint16_t port, uint32_t ttl)
{
    return srv_recordset_add(&answer->records, owner, target, priority, weight, port, ttl_value(ttl));
}

srv_status_t answer_take_address(answer_t *answer, int family, const void *raw, uint32_t ttl)
{
    if (answer->address_count == answer->address_capacity) {
        size_t capacity = answer->address_capacity ? answer->address_capacity * 2 : 8;
        srv_address_t *grown = realloc(answer->addresses, capacity * sizeof *grown);
        if (!grown)
            return SRV_ENOMEM;
        answer->addresses = grown;
        answer->address_capacity = capacity;
    }
    srv_address_t *address = &answer->addresses[answer->address_count++];
    memset(address, 0, sizeof *address);
    address->family = family;
    address->ttl = ttl_value(ttl);
    inet_ntop(family, raw, address->text, sizeof address->text);
    return SRV_OK;
}

/* Appends records to out, or leaves out as it was. */
static srv_status_t append_records(srv_recordset_t *out, srv_recordset_t *records)
{
    if (out->count == 0) {
        srv_recordset_clear(out);   /* frees a spare array, if any */
        *out = *records;
        srv_recordset_init(records);
        return SRV_OK;
    }
    srv_recordset_t merged;
    srv_recordset_init(&merged);
    if (srv_recordset_copy(&merged, out) != SRV_OK)
        return SRV_ENOMEM;
    for (size_t i = 0; i < records->count; i++) {
        const srv_record_t *r = &records->records[i];
        if (srv_recordset_add(&merged, r->name, r->target, r->priority, r->weight,
                              r->port, r->ttl) != SRV_OK) {
            srv_recordset_clear(&merged);
            return SRV_ENOMEM;
        }
    }
    srv_recordset_clear(out);
    *out = merged;
    return SRV_OK;
}

srv_status_t answer_end_srv(answer_t *answer, srv_status_t status, srv_recordset_t *out,
                            uint32_t *negative_ttl)
{
    if (status == SRV_OK && answer->records.count == 0)   /* no answer, or only a CNAME */
        status = SRV_ENODATA;
    else if (status == SRV_OK && srv_recordset_is_noservice(&answer->records))
        status = SRV_ENOSERVICE;
    *negative_ttl = status != SRV_EBADRESP ? answer->negative_ttl : 0;
    if ((status == SRV_OK || status == SRV_ENOSERVICE) && append_records(out, &answer->records) != SRV_OK)
        status = SRV_ENOMEM;
    srv_recordset_clear(&answer->records);
    return status;
}

srv_status_t answer_end_addresses(answer_t *answer, srv_status_t status, srv_address_t **addresses,
                                  size_t *count, uint32_t *negative_ttl)
{
    if (status == SRV_OK && answer->address_count == 0)   /* no answer, or only a CNAME */
        status = SRV_ENODATA;
    *negative_ttl = status != SRV_EBADRESP ? answer->negative_ttl : 0;
    if (status == SRV_OK) {
        srv_address_t *grown = realloc(*addresses, (*count + answer->address_count) * sizeof *grown);
        if (grown) {
            memcpy(grown + *count, answer->addresses, answer->address_count * sizeof *grown);
            *addresses = grown;
            *count += answer->address_count;
        } else {
            status = SRV_ENOMEM;
        }
    }
    free(answer->addresses);
    answer->addresses = NULL;
    answer->address_count = answer->address_capacity = 0;
    return status;
}

/* ---- srv's reader of a reply's octets ---------------------------------- */

/* The question as the walks use it: its text, and whether its name is
 * written out whole, with no compression pointer. */
typedef struct question {
    char text[WIRE_NAME_TEXT_MAX];
    int uncompressed;
} question_t;

/* Whether the name at `at` is one compression pointer to the question's
 * name, where a compressor puts the owner of every answer to the question.
 * When that name is written out whole, such a name is the same name, and
 * passes the same checks (one jump to a name read already): it is not read
 * again. */
static int is_question_name(const wire_reader_t *reader, size_t at, const question_t *question)
{
    return question->uncompressed && reader->len - at >= 2 &&
           reader->msg[at] == (0xC0 | HEADER_SIZE >> 8) && reader->msg[at + 1] == (HEADER_SIZE & 0xFF);
}

/* One resource record as the walks read it: the reader stands at the start
 * of its rdata. The owner is read as text only where it is needed
 * (owner_text). */
typedef struct rr {
    size_t owner_at;
    uint16_t type;
    uint16_t rr_class;
    uint32_t raw_ttl;     /* as sent: an OPT's holds the extended RCODE */
    size_t rdata_end;
} rr_t;

/* The owner and fixed fields of the record at the reader; the rdata must
 * lie inside the message. */
static srv_status_t read_rr(wire_reader_t *reader, const question_t *question, rr_t *rr)
{
    rr->owner_at = reader->pos;
    if (!reader->failed && is_question_name(reader, reader->pos, question))
        reader->pos += 2;
    else
        wire_name(reader, NULL);
    rr->type = wire_u16(reader);
    rr->rr_class = wire_u16(reader);
    rr->raw_ttl = wire_u32(reader);
    uint16_t rdlength = wire_u16(reader);
    if (reader->failed || reader->len - reader->pos < rdlength)
        return SRV_EBADRESP;
    rr->rdata_end = reader->pos + rdlength;
    return SRV_OK;
}

/* The text of a record's owner, which read_rr() has checked. The question's
 * name is the question's text, read once (and chain_has() finds it without
 * comparing). */
static const char *owner_text(const wire_reader_t *reader, const rr_t *rr, const question_t *question,
                              char text[WIRE_NAME_TEXT_MAX])
{
    if (is_question_name(reader, rr->owner_at, question))
        return question->text;
    wire_reader_t at = *reader;
    at.pos = rr->owner_at;
    wire_name(&at, text);
    return text;
}

/* Nonzero when the rdata of a type srv knows holds exactly what the type
 * does (RFC 1035 3.3-3.4, RFC 3596, RFC 2782, RFC 6891 6.1.2: an OPT's
 * options, code, length and data, fill it). Other types are skipped. The
 * reader ends after the rdata either way; name holds a CNAME's target (the
 * other names are checked, not read as text). */
static int rdata_is_whole(wire_reader_t *reader, const rr_t *rr, char name[WIRE_NAME_TEXT_MAX])
{
    if (rr->type == RR_OPT) {
        while (!reader->failed && reader->pos < rr->rdata_end) {
            wire_skip(reader, 2);                   /* option code */
            wire_skip(reader, wire_u16(reader));    /* option data */
        }
    } else if (rr->rr_class != CLASS_IN) {
        reader->pos = rr->rdata_end;
    } else {
        switch (rr->type) {
        case SRV_RR_A:
            wire_skip(reader, 4);
            break;
        case SRV_RR_AAAA:
            wire_skip(reader, 16);
            break;
        case SRV_RR_CNAME:
            wire_name(reader, name);
            break;
        case SRV_RR_SRV:
            wire_skip(reader, 6);                   /* priority weight port */
            wire_name(reader, NULL);
            break;
        case SRV_RR_SOA:
            wire_name(reader, NULL);                /* mname */
            wire_name(reader, NULL);                /* rname */
            wire_skip(reader, 20);                  /* serial ... minimum */
            break;
        default:
            reader->pos = rr->rdata_end;
            break;
        }
    }
    return !reader->failed && reader->pos == rr->rdata_end;
}

/* The first walk: every record of every section, checked, and what answer.h
 * asks for handed over. */
static srv_status_t read_sections(wire_reader_t *reader, const uint16_t counts[3],
                                  const question_t *question, answer_t *answer)
{
    rr_t rr;
    char owner[WIRE_NAME_TEXT_MAX], name[WIRE_NAME_TEXT_MAX];
    for (answer_section_t section = ANSWER_SECTION; section <= ADDITIONAL_SECTION; section++) {
        for (unsigned i = 0; i < counts[section]; i++) {
            if (read_rr(reader, question, &rr) != SRV_OK || !rdata_is_whole(reader, &rr, name))
                return SRV_EBADRESP;
            srv_status_t status = SRV_OK;
            switch (answer_wants(answer, section, rr.type, rr.rr_class)) {
            case ANSWER_OPT:
                status = answer_note_opt(answer, section, owner_text(reader, &rr, question, owner),
                                         rr.raw_ttl >> 24);
                break;
            case ANSWER_ALIAS:
                status = answer_note_alias(answer, owner_text(reader, &rr, question, owner), name);
                break;
            case ANSWER_SOA: {
                /* the minimum is the rdata's last field */
                const unsigned char *p = reader->msg + rr.rdata_end - 4;
                answer_note_soa(answer, rr.raw_ttl,
                                (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
                break;
            }
            case ANSWER_SKIP:
                break;
            }
            if (status != SRV_OK)
                return status;
        }
    }
    return SRV_OK;
}

/* The second walk: the answer records answer.h takes (the first walk has
 * checked their rdata). */
static srv_status_t take_answers(wire_reader_t *reader, unsigned ancount, const question_t *question,
                                 answer_t *answer)
{
    rr_t rr;
    char owner_buffer[WIRE_NAME_TEXT_MAX], target[WIRE_NAME_TEXT_MAX];
    for (unsigned i = 0; i < ancount; i++) {
        read_rr(reader, question, &rr);
        srv_status_t status = SRV_OK;
        const char *owner = owner_text(reader, &rr, question, owner_buffer);
        if (answer_takes(answer, owner, rr.type, rr.rr_class)) {
            if (rr.type == SRV_RR_SRV) {   /* RFC 2782: priority, weight, port, target */
                uint16_t priority = wire_u16(reader);
                uint16_t weight = wire_u16(reader);
                uint16_t port = wire_u16(reader);
                wire_name(reader, target);
                status = answer_take_srv(answer, owner, target, priority, weight, port, rr.raw_ttl);
            } else {                       /* RFC 1035 3.4.1, RFC 3596 2.2 */
                status = answer_take_address(answer, rr.type == SRV_RR_A ? AF_INET : AF_INET6,
                                             reader->msg + reader->pos, rr.raw_ttl);
            }
        }
        if (status != SRV_OK)
            return status;
        reader->pos = rr.rdata_end;
    }
    return SRV_OK;
}

static srv_status_t read_reply(const unsigned char *msg, size_t len, answer_t *answer)
{
    wire_reader_t reader;
    wire_reader_init(&reader, msg, len);
    wire_skip(&reader, 2);                        /* id: c-ares matched it */
    uint16_t flags = wire_u16(&reader);
    uint16_t qdcount = wire_u16(&reader);
    uint16_t counts[3];
    for (answer_section_t section = ANSWER_SECTION; section <= ADDITIONAL_SECTION; section++)
        counts[section] = wire_u16(&reader);
    if (reader.failed)
        return SRV_EBADRESP;
    srv_status_t status = answer_header(answer, (flags & FLAG_QR) != 0, flags & 0x000F, qdcount);
    if (status != SRV_OK)
        return status;
    question_t question;
    size_t question_length = wire_name(&reader, question.text);
    question.uncompressed = reader.pos == HEADER_SIZE + question_length;
    uint16_t type = wire_u16(&reader);
    uint16_t rr_class = wire_u16(&reader);
    if (reader.failed)
        return SRV_EBADRESP;
    status = answer_question(answer, question.text, type, rr_class);
    size_t answer_at = reader.pos;
    if (status == SRV_OK)
        status = read_sections(&reader, counts, &question, answer);
    if (status == SRV_OK)
        status = answer_follow(answer);
    if (status != SRV_OK)
        return status;
    reader.pos = answer_at;
    return take_answers(&reader, counts[ANSWER_SECTION], &question, answer);
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
    answer_t answer;
    answer_begin(&answer, qname, SRV_RR_SRV);
    return answer_end_srv(&answer, read_reply(reply, len, &answer), out, negative_ttl);
}

srv_status_t srv_answer_parse_addresses(const unsigned char *reply, size_t len,
                                        const char *qname, uint16_t qtype,
                                        srv_address_t **addresses, size_t *count,
                                        uint32_t *negative_ttl)
{
    if (!reply || !qname || !addresses || !count || !negative_ttl ||
        (qtype != SRV_RR_A && qtype != SRV_RR_AAAA))
        return SRV_EINVAL;
    *negative_ttl = 0;
    if (len < HEADER_SIZE)
        return SRV_EBADRESP;
    answer_t answer;
    answer_begin(&answer, qname, qtype);
    return answer_end_addresses(&answer, read_reply(reply, len, &answer), addresses, count, negative_ttl);
}
