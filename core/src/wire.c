/* wire.c - bounds-checked reading of DNS messages. Every read checks the
 * remaining length; the first failure makes the reader fail for good, so
 * callers check once after a group of reads. */
#include "wire.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

void wire_reader_init(wire_reader_t *reader, const unsigned char *msg, size_t len)
{
    reader->msg = msg;
    reader->len = len;
    reader->pos = 0;
    reader->failed = 0;
}

/* Whether an octet stands for itself in presentation text (RFC 1035 5.1):
 * printable ASCII other than the space and the characters that need a
 * backslash (. \ " ; ( ) @ $). Every name of every reply goes through here
 * (docs/c-api.md, "Reading DNS replies"): one table read per octet. */
static const unsigned char plain_octets[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   /* 0x00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   /* 0x10 */
    0, 1, 0, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1,   /* 0x20 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1,   /* 0x30 */
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,   /* 0x40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,   /* 0x50 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,   /* 0x60 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,   /* 0x70 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   /* 0x80 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   /* 0x90 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   /* 0xa0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   /* 0xb0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   /* 0xc0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   /* 0xd0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   /* 0xe0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   /* 0xf0 */
};

static inline int plain_octet(unsigned char octet)
{
    return plain_octets[octet];
}

/* Appends one label octet, escaped as RFC 1035 5.1 presentation text. */
static size_t put_octet(char *text, size_t at, unsigned char octet)
{
    if (plain_octet(octet)) {
        text[at++] = (char)octet;
    } else if (octet <= 0x20 || octet >= 0x7f) {
        text[at] = '\\';
        text[at + 1] = (char)('0' + octet / 100);
        text[at + 2] = (char)('0' + octet / 10 % 10);
        text[at + 3] = (char)('0' + octet % 10);
        at += 4;
    } else {
        text[at] = '\\';
        text[at + 1] = (char)octet;
        at += 2;
    }
    return at;
}

/* Appends a label: copied as it is when every octet is plain (the usual
 * case), escaped octet by octet otherwise. */
static size_t put_label(char *text, size_t at, const unsigned char *label, size_t length)
{
    size_t i = 0;
    while (i < length && plain_octet(label[i]))
        i++;
    memcpy(text + at, label, i);
    at += i;
    for (; i < length; i++)
        at = put_octet(text, at, label[i]);
    return at;
}

size_t wire_name(wire_reader_t *reader, char *text)
{
    size_t at = 0;          /* characters written */
    size_t wire_len = 1;    /* octets of the uncompressed name, with the root */
    size_t pos = reader->pos;
    size_t end = 0;         /* where the reader resumes: after the first pointer */
    unsigned jumps = 0;

    if (text)
        text[0] = '\0';
    if (reader->failed)
        return 0;
    for (;;) {
        if (pos >= reader->len)
            goto malformed;
        unsigned char length = reader->msg[pos];
        if ((length & 0xC0) == 0xC0) {
            if (pos + 1 >= reader->len)
                goto malformed;
            size_t target = (size_t)(length & 0x3F) << 8 | reader->msg[pos + 1];
            /* Only backward pointers (RFC 1035 4.1.4: to a prior
             * occurrence). A label followed by a pointer back to it still
             * loops: the bound on jumps ends that. */
            if (target >= pos || jumps == WIRE_MAX_JUMPS)
                goto malformed;
            if (jumps++ == 0)
                end = pos + 2;
            pos = target;
            continue;
        }
        if (length & 0xC0)          /* 0x40 and 0x80: extended label types */
            goto malformed;
        if (length == 0) {
            pos++;
            break;
        }
        wire_len += 1u + length;
        if (wire_len > 255 || pos + 1 + length > reader->len)
            goto malformed;
        if (text) {
            if (at > 0)
                text[at++] = '.';
            at = put_label(text, at, reader->msg + pos + 1, length);
        }
        pos += 1u + length;
    }
    if (text) {
        if (at == 0)
            text[at++] = '.';
        text[at] = '\0';
    }
    reader->pos = jumps > 0 ? end : pos;
    return wire_len;

malformed:
    if (text)
        text[0] = '\0';
    reader->failed = 1;
    return 0;
}
/* The octet a presentation-format escape stands for (RFC 1035 5.1: \DDD
 * or \X); *text is just past the backslash and moves past the escape. */
static int escaped_octet(const char **text)
{
    const char *p = *text;
    if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2])) {
        int value = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
        *text = p + 3;
        return value <= 255 ? value : -1;
    }
    if (p[0] == '\0')
        return -1;
    *text = p + 1;
    return (unsigned char)p[0];
}

int wire_name_from_text(const char *name, char *text)
{
    size_t at = 0;
    size_t label = 0;       /* octets of the current label */
    size_t wire_len = 1;
    if (name[0] == '.' && name[1] == '\0')
        name++;
    for (const char *p = name; *p;) {
        int octet;
        if (*p == '.') {
            if (label == 0)
                return 0;   /* an empty label */
            label = 0;
            if (*++p && text)   /* not the trailing dot */
                text[at++] = '.';
            continue;
        }
        if (*p == '\\') {
            p++;
            octet = escaped_octet(&p);
            if (octet < 0)
                return 0;
        } else {
            octet = (unsigned char)*p++;
        }
        label++;
        wire_len += label == 1 ? 2 : 1;
        if (label > 63 || wire_len > 255)
            return 0;
        if (text)
            at = put_octet(text, at, (unsigned char)octet);
    }
    if (text) {
        if (at == 0)
            text[at++] = '.';
        text[at] = '\0';
    }
    return 1;
}
