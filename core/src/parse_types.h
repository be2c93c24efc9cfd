/* parse_types.h - RR type and class mnemonics the parser knows. */
#ifndef SRV_PARSE_TYPES_H
#define SRV_PARSE_TYPES_H

#include <stddef.h>
#include <stdint.h>

/* How a type's rdata is read and stored. */
typedef enum parse_rdata_shape {
    PARSE_RDATA_SRV,        /* priority weight port target (RFC 2782) */
    PARSE_RDATA_IPV4,       /* one address (RFC 1035 3.4.1) */
    PARSE_RDATA_IPV6,       /* one address (RFC 3596 2.4) */
    PARSE_RDATA_NAME,       /* one domain name: CNAME, NS, PTR */
    PARSE_RDATA_MX,         /* preference exchange (RFC 1035 3.3.9) */
    PARSE_RDATA_SOA,        /* mname rname serial refresh retry expire minimum */
    PARSE_RDATA_REST        /* every token to the end of the line, as written */
} parse_rdata_shape_t;

typedef struct parse_type {
    const char *mnemonic;   /* NULL for a TYPEnnn with no mnemonic */
    uint16_t number;
    parse_rdata_shape_t shape;
} parse_type_t;

/* The type as users write it: the mnemonic, else "TYPEnnn". buf holds 12 bytes. */
const char *parse_type_name(const parse_type_t *type, char *buf);

typedef enum parse_lookup_result {
    PARSE_LOOKUP_FOUND,
    PARSE_LOOKUP_UNKNOWN,
    PARSE_LOOKUP_BAD_NUMBER   /* TYPEnnn / CLASSnnn outside 1..65535 */
} parse_lookup_result_t;

/* A mnemonic in any case, or TYPEnnn (RFC 3597 5). */
parse_lookup_result_t parse_type_lookup(const char *text, size_t len,
                                        parse_type_t *out);

typedef enum parse_class_result {
    PARSE_CLASS_IN,
    PARSE_CLASS_OTHER,      /* a class, but not IN: CH, HS, CS, NONE, ANY, CLASSnnn */
    PARSE_CLASS_NOT_A_CLASS
} parse_class_result_t;

/* IN in any case or CLASS1 is IN (RFC 3597 5). */
parse_class_result_t parse_class_lookup(const char *text, size_t len);

#endif
