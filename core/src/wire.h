/* wire.h - bounds-checked reading of DNS messages (RFC 1035 4.1). */
#ifndef SRV_WIRE_H
#define SRV_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* A presentation-format name fits here: 255 wire octets, each at most
 * four characters once escaped ("\DDD"), plus the terminator. */
#define WIRE_NAME_TEXT_MAX 1024

typedef struct wire_reader {
    const unsigned char *msg;
    size_t len;
    size_t pos;
    int failed;   /* sticky: set by the first out-of-bounds or malformed read */
} wire_reader_t;

void wire_reader_init(wire_reader_t *reader, const unsigned char *msg, size_t len);
uint16_t wire_u16(wire_reader_t *reader);
uint32_t wire_u32(wire_reader_t *reader);
void wire_skip(wire_reader_t *reader, size_t count);
/* Reads a possibly compressed name at the reader's position into text
 * (presentation format, no trailing dot, the root as "."). Compression
 * pointers must point backwards, which rules out loops. */
void wire_name(wire_reader_t *reader, char text[WIRE_NAME_TEXT_MAX]);

#endif
