/* parse_number.h - the numeric fields of presentation format. */
#ifndef SRV_PARSE_NUMBER_H
#define SRV_PARSE_NUMBER_H

#include <stddef.h>
#include <stdint.h>

/* RFC 2181 8: a TTL is an unsigned 31-bit number. */
#define PARSE_TTL_MAX 2147483647u

typedef enum parse_number_result {
    PARSE_NUMBER_OK,
    PARSE_NUMBER_SYNTAX,   /* empty, or not the expected characters */
    PARSE_NUMBER_RANGE     /* well formed but above the maximum */
} parse_number_result_t;

/* Decimal digits only (no sign, no spaces), value 0..max. */
parse_number_result_t parse_decimal(const char *text, size_t len, uint32_t max,
                                    uint32_t *out);

/* A TTL: decimal seconds, or BIND's units "1w2d3h4m5s" (each number
 * followed by w, d, h, m or s, any case), value 0..PARSE_TTL_MAX. */
parse_number_result_t parse_ttl(const char *text, size_t len, uint32_t *out);

#endif
