/* answer.c - reads a DNS reply to an SRV query: the SRV records with their
 * TTLs (which c-ares 1.18's ares_parse_srv_reply drops); or to an A or AAAA
 * query: the addresses with theirs. The CNAME chain is followed in any
 * order (c-ares 1.18's ares_getaddrinfo drops an address listed before its
 * CNAME), and the SOA bounds negative caching. A reply is read only when it
 * answers the query asked, and read whole: every record of a type srv knows
 * is checked wherever it is (docs/c-api.md, "Reading DNS replies").
 *
 * Two walks: the first reads every section, checks it and notes where the
 * CNAME records are; the chain is then followed from qname, and the second
 * walk takes the answer records whose owner is on it. */
#include "srv.h"
#include "wire.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum { CLASS_IN = 1, HEADER_SIZE = 12, FLAG_QR = 0x8000, RR_OPT = 41 };
enum { RCODE_NOERROR, RCODE_FORMERR, RCODE_SERVFAIL, RCODE_NXDOMAIN, RCODE_NOTIMP, RCODE_REFUSED };

/* CNAME records srv follows from the query name (RFC 1034 3.6.2 leaves the
 * bound to the resolver; knotd itself follows 5 per zone). An answer section
 * holding more has a chain srv would not follow to its end in every order:
 * such a reply is refused rather than read differently by record order. */
enum { MAX_ALIASES = 8 };

typedef enum { SECTION_ANSWER, SECTION_AUTHORITY, SECTION_ADDITIONAL, SECTION_COUNT } section_t;

/* RFC 2181 8: a TTL with the top bit set is treated as zero. */
static uint32_t ttl_value(uint32_t raw)
{
    return raw >= 0x80000000u ? 0 : raw;
}

/* One resource record as the walks read it: the reader stands at the start
 * of its rdata. */
typedef struct rr {
    char owner[WIRE_NAME_TEXT_MAX];
    uint16_t type;
    uint16_t rr_class;
    uint32_t raw_ttl;     /* as sent: an OPT's holds the extended RCODE */
    size_t rdata_end;
} rr_t;

/* Where a CNAME record of the answer section is, to follow it later. */
typedef struct alias_link {
    size_t owner_at;
    size_t target_at;
    int followed;
} alias_link_t;

/* The names whose records answer the query: qname, then each alias a CNAME
 * leads to (RFC 1034 3.6.2). An SRV target must not be an alias, but the
 * SRV owner may be one. */
typedef struct owner_chain {
    char names[MAX_ALIASES + 1][WIRE_NAME_TEXT_MAX];
    size_t count;
} owner_chain_t;

/* What the first walk learns of a reply. */
typedef struct reply {
    const unsigned char *msg;
    size_t len;
    uint16_t counts[SECTION_COUNT];
    size_t answer_at;            /* where the answer section starts */
    unsigned rcode;              /* the whole RCODE, with the OPT's bits */
    int opt_seen;
    alias_link_t links[MAX_ALIASES];
    size_t link_count;
    uint32_t negative_ttl;
    owner_chain_t chain;
} reply_t;

static int chain_has(const owner_chain_t *chain, const char *name)
{
    for (size_t i = 0; i < chain->count; i++)
        if (srv_name_equal(chain->names[i], name))
            return 1;
    return 0;
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

/* Reads a name somewhere in a reply the first walk has checked. */
static void name_at(const reply_t *reply, size_t at, char text[WIRE_NAME_TEXT_MAX])
{
    wire_reader_t reader;
    wire_reader_init(&reader, reply->msg, reply->len);
    reader.pos = at;
    wire_name(&reader, text);
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

/* The owner and fixed fields of the record at the reader; the rdata must
 * lie inside the message. */
static srv_status_t read_rr(wire_reader_t *reader, rr_t *rr)
{
    wire_name(reader, rr->owner);
    rr->type = wire_u16(reader);
    rr->rr_class = wire_u16(reader);
    rr->raw_ttl = wire_u32(reader);
    uint16_t rdlength = wire_u16(reader);
    if (reader->failed || reader->len - reader->pos < rdlength)
        return SRV_EBADRESP;
    rr->rdata_end = reader->pos + rdlength;
    return SRV_OK;
}

/* Nonzero when the rdata of a type srv knows holds exactly what the type
 * does (RFC 1035 3.3-3.4, RFC 3596, RFC 2782, RFC 6891 6.1.2: an OPT's
 * options, code, length and data, fill it). Other types are skipped. The
 * reader ends after the rdata either way. */
static int rdata_is_whole(wire_reader_t *reader, const rr_t *rr)
{
    char name[WIRE_NAME_TEXT_MAX];
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
            wire_name(reader, name);
            break;
        case SRV_RR_SOA:
            wire_name(reader, name);                /* mname */
            wire_name(reader, name);                /* rname */
            wire_skip(reader, 20);                  /* serial ... minimum */
            break;
        default:
            reader->pos = rr->rdata_end;
            break;
        }
    }
    return !reader->failed && reader->pos == rr->rdata_end;
}

/* RFC 6891 6.1.1-6.1.3: an OPT record is a pseudo-record of the additional
 * section, one per message at most, owned by the root; its TTL's top octet
 * holds the RCODE's upper 8 bits. An OPT anywhere else, twice, or owned by
 * a name makes the reply's RCODE one no one can trust: BADRESP. */
static srv_status_t note_opt(reply_t *reply, section_t section, const rr_t *rr)
{
    if (section != SECTION_ADDITIONAL || reply->opt_seen || strcmp(rr->owner, ".") != 0)
        return SRV_EBADRESP;
    reply->opt_seen = 1;
    reply->rcode |= (rr->raw_ttl >> 24) << 4;
    return SRV_OK;
}

/* RFC 2308 5: a negative answer is cached for min(SOA TTL, SOA minimum);
 * the minimum is the rdata's last field. */
static void note_soa(reply_t *reply, const rr_t *rr)
{
    const unsigned char *p = reply->msg + rr->rdata_end - 4;
    uint32_t minimum = ttl_value((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
    uint32_t ttl = ttl_value(rr->raw_ttl);
    reply->negative_ttl = minimum < ttl ? minimum : ttl;
}

/* The first walk: every record of every section, checked. */
static srv_status_t read_sections(wire_reader_t *reader, reply_t *reply)
{
    rr_t rr;
    reply->answer_at = reader->pos;
    for (section_t section = SECTION_ANSWER; section < SECTION_COUNT; section++) {
        for (unsigned i = 0; i < reply->counts[section]; i++) {
            size_t owner_at = reader->pos;
            if (read_rr(reader, &rr) != SRV_OK)
                return SRV_EBADRESP;
            size_t rdata_at = reader->pos;
            if (!rdata_is_whole(reader, &rr))
                return SRV_EBADRESP;
            if (rr.type == RR_OPT) {
                if (note_opt(reply, section, &rr) != SRV_OK)
                    return SRV_EBADRESP;
            } else if (rr.rr_class != CLASS_IN) {
                continue;
            } else if (section == SECTION_ANSWER && rr.type == SRV_RR_CNAME) {
                if (reply->link_count == MAX_ALIASES)
                    return SRV_EBADRESP;
                reply->links[reply->link_count++] = (alias_link_t){owner_at, rdata_at, 0};
            } else if (section == SECTION_AUTHORITY && rr.type == SRV_RR_SOA) {
                note_soa(reply, &rr);
            }
        }
    }
    return SRV_OK;
}

/* The CNAME record owned by name not followed yet, wherever it is in the
 * answer section (RFC 2181 10.1: one per name; the first is taken); NULL
 * when there is none. */
static alias_link_t *link_owned_by(reply_t *reply, const char *name)
{
    char owner[WIRE_NAME_TEXT_MAX];
    for (size_t i = 0; i < reply->link_count; i++) {
        alias_link_t *link = &reply->links[i];
        if (link->followed)
            continue;
        name_at(reply, link->owner_at, owner);
        if (srv_name_equal(owner, name))
            return link;
    }
    return NULL;
}

/* The chain from qname, in whatever order its CNAME records came. A loop
 * ends it. At most MAX_ALIASES steps over MAX_ALIASES links: a bounded
 * cost, whatever the reply. */
static void follow_aliases(reply_t *reply, const char *qname)
{
    owner_chain_t *chain = &reply->chain;
    strncpy(chain->names[0], qname, WIRE_NAME_TEXT_MAX - 1);
    chain->names[0][WIRE_NAME_TEXT_MAX - 1] = '\0';
    chain->count = 1;
    alias_link_t *link;
    while ((link = link_owned_by(reply, chain->names[chain->count - 1]))) {
        link->followed = 1;
        char *next = chain->names[chain->count];
        name_at(reply, link->target_at, next);
        if (chain_has(chain, next))
            return;
        chain->count++;
    }
}

/* Takes one answer record of the type asked, owned by a name of the chain. */
typedef srv_status_t (*take_record_t)(wire_reader_t *reader, const rr_t *rr, void *out);

/* The second walk: the answer records of type qtype owned by the chain. */
static srv_status_t take_answers(const reply_t *reply, uint16_t qtype, take_record_t take, void *out)
{
    wire_reader_t reader;
    wire_reader_init(&reader, reply->msg, reply->len);
    reader.pos = reply->answer_at;
    rr_t rr;
    for (unsigned i = 0; i < reply->counts[SECTION_ANSWER]; i++) {
        read_rr(&reader, &rr);
        if (rr.type == qtype && rr.rr_class == CLASS_IN && chain_has(&reply->chain, rr.owner)) {
            srv_status_t status = take(&reader, &rr, out);
            if (status != SRV_OK)
                return status;
        }
        reader.pos = rr.rdata_end;
    }
    return SRV_OK;
}

/* Reads the reply to a qtype query for qname; takes its answers with take
 * when the RCODE is NOERROR. Returns the RCODE's status or SRV_EBADRESP. */
static srv_status_t read_reply(reply_t *reply, const char *qname, uint16_t qtype,
                               take_record_t take, void *out)
{
    wire_reader_t reader;
    wire_reader_init(&reader, reply->msg, reply->len);
    wire_skip(&reader, 2);                        /* id: c-ares matched it */
    uint16_t flags = wire_u16(&reader);
    uint16_t qdcount = wire_u16(&reader);
    for (section_t section = SECTION_ANSWER; section < SECTION_COUNT; section++)
        reply->counts[section] = wire_u16(&reader);
    if (reader.failed || !(flags & FLAG_QR))      /* QR must mark a response */
        return SRV_EBADRESP;
    reply->rcode = flags & 0x000F;
    srv_status_t status = read_question(&reader, qdcount, qname, qtype);
    if (status == SRV_OK)
        status = read_sections(&reader, reply);
    if (status != SRV_OK)
        return status;
    status = status_of_rcode(reply->rcode);
    if (status != SRV_OK)
        return status;
    follow_aliases(reply, qname);
    return take_answers(reply, qtype, take, out);
}

/* RFC 2782: priority, weight, port, target (checked by the first walk). */
static srv_status_t take_srv(wire_reader_t *reader, const rr_t *rr, void *out)
{
    char target[WIRE_NAME_TEXT_MAX];
    uint16_t priority = wire_u16(reader);
    uint16_t weight = wire_u16(reader);
    uint16_t port = wire_u16(reader);
    wire_name(reader, target);
    return srv_recordset_add(out, rr->owner, target, priority, weight, port, ttl_value(rr->raw_ttl));
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

srv_status_t srv_answer_parse(const unsigned char *reply, size_t len,
                              const char *qname, srv_recordset_t *out,
                              uint32_t *negative_ttl)
{
    if (!reply || !qname || !out || !negative_ttl)
        return SRV_EINVAL;
    *negative_ttl = 0;   /* on every answer, even one too short to read */
    if (len < HEADER_SIZE)
        return SRV_EBADRESP;

    /* Read into a scratch set so a failure adds nothing to out. */
    srv_recordset_t records;
    srv_recordset_init(&records);
    reply_t state = {.msg = reply, .len = len};
    srv_status_t status = read_reply(&state, qname, SRV_RR_SRV, take_srv, &records);
    if (status == SRV_OK && records.count == 0)   /* no answer, or only a CNAME */
        status = SRV_ENODATA;
    else if (status == SRV_OK && srv_recordset_is_noservice(&records))
        status = SRV_ENOSERVICE;
    if (status != SRV_EBADRESP)
        *negative_ttl = state.negative_ttl;
    if ((status == SRV_OK || status == SRV_ENOSERVICE) && append_records(out, &records) != SRV_OK)
        status = SRV_ENOMEM;
    srv_recordset_clear(&records);
    return status;
}

/* Addresses read so far, to append to the caller's array in one step. */
typedef struct address_list {
    srv_address_t *items;
    size_t count;
    size_t capacity;
} address_list_t;

/* RFC 1035 3.4.1, RFC 3596 2.2: 4 and 16 octets (checked by the first walk). */
static srv_status_t take_address(wire_reader_t *reader, const rr_t *rr, void *out)
{
    address_list_t *list = out;
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 8;
        srv_address_t *grown = realloc(list->items, capacity * sizeof *grown);
        if (!grown)
            return SRV_ENOMEM;
        list->items = grown;
        list->capacity = capacity;
    }
    srv_address_t *address = &list->items[list->count++];
    memset(address, 0, sizeof *address);
    address->family = rr->type == SRV_RR_A ? AF_INET : AF_INET6;
    address->ttl = ttl_value(rr->raw_ttl);
    inet_ntop(address->family, reader->msg + reader->pos, address->text, sizeof address->text);
    return SRV_OK;
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

    address_list_t list = {NULL, 0, 0};
    reply_t state = {.msg = reply, .len = len};
    srv_status_t status = read_reply(&state, qname, qtype, take_address, &list);
    if (status == SRV_OK && list.count == 0)   /* no answer, or only a CNAME */
        status = SRV_ENODATA;
    if (status != SRV_EBADRESP)
        *negative_ttl = state.negative_ttl;
    if (status == SRV_OK) {
        srv_address_t *grown = realloc(*addresses, (*count + list.count) * sizeof *grown);
        if (grown) {
            memcpy(grown + *count, list.items, list.count * sizeof *grown);
            *addresses = grown;
            *count += list.count;
        } else {
            status = SRV_ENOMEM;
        }
    }
    free(list.items);
    return status;
}
