/* parse_reader.h - the state of one parse and the field readers shared by
 * the record parser (parse.c) and the rdata readers (parse_rdata.c). */
#ifndef SRV_PARSE_READER_H
#define SRV_PARSE_READER_H

#include "parse_error.h"
#include "parse_lexer.h"
#include "parse_name.h"
#include "srv.h"

typedef struct parse_reader {
    parse_lexer_t lexer;
    parse_token_t token;            /* the current token: one token of lookahead */
    srv_parse_options_t opts;
    srv_parse_error_t *err;         /* never NULL */
    parse_name_t origin;            /* $ORIGIN */
    parse_name_t previous_owner;    /* for lines that start with a blank */
    int have_previous_owner;
    int have_ttl_directive;         /* $TTL */
    uint32_t ttl_directive;
    int have_last_ttl;              /* the last TTL written on a record */
    uint32_t last_ttl;
    srv_zone_t zone;                /* the result so far; moved out on success */
} parse_reader_t;

/* The record being read, handed from the header to the rdata reader. */
typedef struct parse_entry {
    parse_name_t owner;
    uint32_t ttl;
} parse_entry_t;

srv_status_t parse_reader_advance(parse_reader_t *reader);

/* Fills the error at token and returns SRV_EPARSE. */
srv_status_t parse_reader_fail(parse_reader_t *reader, const parse_token_t *at,
                               const char *format, ...) PARSE_PRINTF(3, 4);

/* Fills the error "out of memory" at the current token, returns SRV_ENOMEM. */
srv_status_t parse_reader_out_of_memory(parse_reader_t *reader);

/* Printable excerpt of a token for a reason; buf has PARSE_EXCERPT_MAX + 4 bytes. */
const char *parse_reader_excerpt(const parse_token_t *token, char *buf);

/* Each reader below takes one field named `field` (for "missing port" and
 * the like) from the current token and advances past it. A field must be
 * an unquoted word on the same logical line. */
srv_status_t parse_reader_expect_word(parse_reader_t *reader, const char *field);
srv_status_t parse_reader_name(parse_reader_t *reader, const char *field,
                               parse_name_t *out);
srv_status_t parse_reader_u16(parse_reader_t *reader, const char *field,
                              uint16_t *out);
srv_status_t parse_reader_u32(parse_reader_t *reader, const char *field,
                              uint32_t *out);
srv_status_t parse_reader_ttl(parse_reader_t *reader, const char *field,
                              uint32_t *out);

#endif
