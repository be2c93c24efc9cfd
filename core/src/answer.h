/* answer.h - what a reply to an SRV, A or AAAA query means, decided in one
 * place (answer.c) whoever reads the reply: srv's reader of its octets
 * (srv_answer_parse, srv_answer_parse_addresses) or, from c-ares 1.28, the
 * record c-ares parsed (cares_compat.c). A reader hands over, in order:
 *
 *   answer_header, answer_question   the header and the question
 *   answer_wants                     every record of every section, in order;
 *                                    the reader hands over what is asked for
 *                                    (answer_note_opt, _alias, _soa)
 *   answer_follow                    the RCODE, then the CNAME chain
 *   answer_takes                     every answer record again; those taken
 *                                    go to answer_take_srv or _address
 *   answer_end_srv, answer_end_addresses   the result
 *
 * and stops at the first status other than SRV_OK, which goes to the end.
 * What a reader checks itself is only what its own parsing finds: octets
 * out of bounds, names, rdata that a type's fields do not fill. */
#ifndef SRV_ANSWER_H
#define SRV_ANSWER_H

#include "srv.h"
#include "wire.h"

#include <stddef.h>
#include <stdint.h>

/* CNAME records srv follows from the query name (RFC 1034 3.6.2 leaves the
 * bound to the resolver; knotd itself follows 5 per zone). An answer section
 * holding more has a chain srv would not follow to its end in every order:
 * such a reply is refused rather than read differently by record order. */
enum { ANSWER_MAX_ALIASES = 8 };

typedef enum { ANSWER_SECTION, AUTHORITY_SECTION, ADDITIONAL_SECTION } answer_section_t;

/* A CNAME record of the answer section, to follow once all are known. */
typedef struct answer_link {
    char owner[WIRE_NAME_TEXT_MAX];
    char target[WIRE_NAME_TEXT_MAX];
    int followed;
} answer_link_t;

typedef struct answer {
    const char *qname;
    /* The text answer_question() was given, equal to qname. A reader that
     * hands the very same text over as an owner (srv's reader does, for an
     * owner compressed to the question's name) saves a comparison. */
    const char *question;
    uint16_t qtype;
    unsigned rcode;   /* the whole RCODE, with the OPT's bits */
    int opt_seen;
    answer_link_t links[ANSWER_MAX_ALIASES];
    size_t link_count;
    /* The names whose records answer the query: qname, then each alias a
     * CNAME leads to (RFC 1034 3.6.2). An SRV target must not be an alias,
     * but the SRV owner may be one. */
    const char *chain[ANSWER_MAX_ALIASES + 1];
    size_t chain_count;
    uint32_t negative_ttl;
    /* Scratch: reaches the caller only on success. */
    srv_recordset_t records;
    srv_address_t *addresses;
    size_t address_count;
    size_t address_capacity;
} answer_t;

/* What a record is needed for before the answers are taken. */
typedef enum { ANSWER_SKIP, ANSWER_OPT, ANSWER_ALIAS, ANSWER_SOA } answer_want_t;

/* A reply to a qtype query (SRV_RR_SRV, SRV_RR_A or SRV_RR_AAAA) for qname,
 * which must outlive the reading. */
void answer_begin(answer_t *answer, const char *qname, uint16_t qtype);

/* The header: whether QR marks a response, the RCODE (the header's four
 * bits; or the whole RCODE where the reader's parser has joined the OPT's
 * bits to them already), and the number of questions. */
srv_status_t answer_header(answer_t *answer, int is_response, unsigned rcode, unsigned qdcount);

/* The one question (name as wire_name() writes names), which must outlive
 * the reading. */
srv_status_t answer_question(answer_t *answer, const char *name, uint16_t type, uint16_t rr_class);

answer_want_t answer_wants(const answer_t *answer, answer_section_t section, uint16_t type,
                           uint16_t rr_class);

/* An OPT record's owner, and the RCODE bits its TTL holds (its top octet;
 * 0 where the reader's parser has joined them to the RCODE already). */
srv_status_t answer_note_opt(answer_t *answer, answer_section_t section, const char *owner,
                             unsigned upper_rcode);
srv_status_t answer_note_alias(answer_t *answer, const char *owner, const char *target);
/* An SOA record's TTL and minimum, as sent. */
void answer_note_soa(answer_t *answer, uint32_t ttl, uint32_t minimum);

/* The RCODE's status; when it is NOERROR, follows the CNAME chain. */
srv_status_t answer_follow(answer_t *answer);

/* Nonzero when an answer-section record is one of the answers. */
int answer_takes(const answer_t *answer, const char *owner, uint16_t type, uint16_t rr_class);

/* The rdata of a record answer_takes() took, TTL as sent. */
srv_status_t answer_take_srv(answer_t *answer, const char *owner, const char *target, uint16_t priority,
                             uint16_t weight, uint16_t port, uint32_t ttl);
/* raw: the address's 4 (AF_INET) or 16 (AF_INET6) octets. */
srv_status_t answer_take_address(answer_t *answer, int family, const void *raw, uint32_t ttl);

/* Ends the reading with the reader's status: what srv_answer_parse() and
 * srv_answer_parse_addresses() return, with their outputs; frees the
 * scratch. */
srv_status_t answer_end_srv(answer_t *answer, srv_status_t status, srv_recordset_t *out,
                            uint32_t *negative_ttl);
srv_status_t answer_end_addresses(answer_t *answer, srv_status_t status, srv_address_t **addresses,
                                  size_t *count, uint32_t *negative_ttl);

#endif
