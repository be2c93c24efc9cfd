/* parse_name.h - domain names in presentation format (RFC 1035 2.3.4, 5.1). */
#ifndef SRV_PARSE_NAME_H
#define SRV_PARSE_NAME_H

#include <stddef.h>

#include "srv.h"

/* Room for the presentation text of any name of at most 255 wire octets:
 * an octet takes at most 4 characters ("\DDD"), and the dots take fewer
 * characters than the length octets they replace. */
#define PARSE_NAME_TEXT_MAX 1024

typedef struct parse_name {
    char text[PARSE_NAME_TEXT_MAX];   /* absolute, without the trailing dot; the root is "." */
    size_t wire_length;               /* octets in wire format, root label included */
} parse_name_t;

/* The root: text ".", one wire octet. */
void parse_name_root(parse_name_t *name);

/* Resolves a name as written in a zone file against origin: "@" is the
 * origin, a name ending in an unescaped '.' is absolute, any other name is
 * relative and gets the origin appended. Checks the wire limits (label
 * 1..63 octets, name <= 255 octets; "\." and "\DDD" count as one octet).
 * Returns NULL on success, else a reason ("empty label", ...). */
const char *parse_name_resolve(const char *token, size_t len,
                               const parse_name_t *origin, parse_name_t *out);

/* The form in which two names are equal exactly when DNS takes them for the
 * same name: the wire form (RFC 1035 3.1), "\DDD" and "\X" read as the
 * octets they stand for (RFC 1035 5.1), A-Z in lower case (RFC 4343), one
 * trailing dot ignored. Writes it to out and returns its length (the root
 * label included); 0 for text that is no name: empty, an empty label, a bad
 * escape, a label over 63 octets, over 255 octets, or a NUL octet. */
size_t parse_name_canonical(const char *text, unsigned char out[SRV_NAME_MAX_WIRE]);

#endif
