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

/* The fixed-size reads, inline: a reply's every record makes several. */
static inline int wire_available(wire_reader_t *reader, size_t count)
{
    if (reader->failed || reader->len - reader->pos < count) {
        reader->failed = 1;
        return 0;
    }
    return 1;
}

static inline uint16_t wire_u16(wire_reader_t *reader)
{
    if (!wire_available(reader, 2))
        return 0;
    const unsigned char *p = reader->msg + reader->pos;
    reader->pos += 2;
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t wire_u32(wire_reader_t *reader)
{
    if (!wire_available(reader, 4))
        return 0;
    const unsigned char *p = reader->msg + reader->pos;
    reader->pos += 4;
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wire_skip(wire_reader_t *reader, size_t count)
{
    if (wire_available(reader, count))
        reader->pos += count;
}
/* Compression pointers one name may follow (c-ares allows 128). A
 * compressor writes a name as its new labels and at most one pointer, to
 * where an earlier name holds the rest: each jump lands on an earlier name
 * one label shorter or more. So a name jumps as often as the message holds
 * earlier names nested in it one inside the other: the question, the
 * aliases of a chain (srv follows 8) and a few targets make a handful
 * (knotd's replies in the tests: at most 6, on the srv.test zone's
 * label-by-label alias chain). 16 leaves room for that and bounds a name's
 * cost at 16 jumps and 255 octets, so that a reply of pointer chains costs
 * what any reply of its size costs (docs/c-api.md, "Reading DNS replies"). */
#define WIRE_MAX_JUMPS 16

/* Reads a possibly compressed name at the reader's position into text
 * (presentation format, no trailing dot, the root as "."), or only checks
 * it and moves past it when text is NULL (the same checks: a name a reply
 * does not use as text costs a walk over its length octets). Compression
 * pointers must point backwards, which rules out loops, and be at most
 * WIRE_MAX_JUMPS. Returns the name's length in wire format, uncompressed
 * and with the root label (1 for the root), or 0 when it is malformed. */
size_t wire_name(wire_reader_t *reader, char *text);
/* Writes a presentation-format name (escapes as RFC 1035 5.1, with or
 * without the trailing dot; "" or "." for the root) as wire_name() writes
 * the same name, so names a parser other than wire_name() read compare as
 * srv's do; with text NULL, only checks it. Returns 0, text unusable, for a
 * name no message could hold (wire_name()'s limits: labels of 63 octets,
 * names of 255). */
int wire_name_from_text(const char *name, char *text);

#endif
