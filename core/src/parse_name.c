/* parse_name.c - domain names in presentation format (RFC 1035 2.3.4, 5.1). */
#include "parse_name.h"

#include "srv.h"

#include <string.h>

void parse_name_root(parse_name_t *name)
{
    memcpy(name->text, ".", 2);
    name->wire_length = 1;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Length in the text of the octet starting at token[i]: 1, or 2 for "\X",
 * or 4 for "\DDD" (RFC 1035 5.1); 0 for a malformed escape. */
static size_t octet_text_length(const char *token, size_t len, size_t i)
{
    if (token[i] != '\\')
        return 1;
    if (i + 1 >= len)
        return 0;
    if (!is_digit(token[i + 1]))
        return 2;
    if (len - i < 4)
        return 0;
    if (!is_digit(token[i + 2]) || !is_digit(token[i + 3]))
        return 0;
    int value = (token[i + 1] - '0') * 100 + (token[i + 2] - '0') * 10 +
                (token[i + 3] - '0');
    return value <= 255 ? 4 : 0;
}

typedef struct name_shape {
    size_t text_length;   /* without a trailing dot */
    size_t wire_length;   /* labels and their length octets, root label excluded */
    int absolute;
} name_shape_t;

/* Walks the labels once, so the cost is linear in the token even when it
 * is far too long: the walk stops at the first octet over a limit. */
static const char *measure(const char *token, size_t len, name_shape_t *shape)
{
    size_t label_length = 0;
    *shape = (name_shape_t){ .text_length = len };
    size_t i = 0;
    while (i < len) {
        if (token[i] == '.') {
            if (label_length == 0)
                return "empty label";
            shape->wire_length += label_length + 1;
            label_length = 0;
            if (i + 1 == len) {
                shape->absolute = 1;
                shape->text_length = i;
            }
            i++;
            continue;
        }
        size_t step = octet_text_length(token, len, i);
        if (step == 0)
            return "bad escape in name";
        if (++label_length > SRV_LABEL_MAX)
            return "label longer than 63 octets";
        if (shape->wire_length + label_length + 1 >= SRV_NAME_MAX_WIRE)
            return "name longer than 255 octets";
        i += step;
    }
    if (label_length > 0)
        shape->wire_length += label_length + 1;
    return NULL;
}

const char *parse_name_resolve(const char *token, size_t len,
                               const parse_name_t *origin, parse_name_t *out)
{
    if (len == 1 && token[0] == '@') {
        *out = *origin;
        return NULL;
    }
    if (len == 1 && token[0] == '.') {
        parse_name_root(out);
        return NULL;
    }
    if (len == 0)
        return "empty name";

    name_shape_t shape;
    const char *reason = measure(token, len, &shape);
    if (reason)
        return reason;

    int append_origin = !shape.absolute && origin->wire_length > 1;
    size_t wire = shape.wire_length + (shape.absolute ? 1 : origin->wire_length);
    if (wire > SRV_NAME_MAX_WIRE)
        return "name longer than 255 octets";

    size_t origin_text = append_origin ? strlen(origin->text) : 0;
    size_t total = shape.text_length + (append_origin ? 1 + origin_text : 0);
    if (total >= PARSE_NAME_TEXT_MAX)   /* cannot happen within 255 octets */
        return "name longer than 255 octets";

    memcpy(out->text, token, shape.text_length);
    if (append_origin) {
        out->text[shape.text_length] = '.';
        memcpy(out->text + shape.text_length + 1, origin->text, origin_text);
    }
    out->text[total] = '\0';
    out->wire_length = wire;
    return NULL;
}

/* The octet of an escape octet_text_length measured (step 2 or 4). */
static unsigned char escaped_octet(const char *text, size_t i, size_t step)
{
    if (step == 2)
        return (unsigned char)text[i + 1];
    return (unsigned char)((text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0'));
}

/* parse_name_canonical for a name without a backslash, where each
 * character is its octet: every query's name, as a rule. The same rules,
 * checked per label rather than per octet. */
static size_t canonical_plain(const char *text, size_t len, unsigned char out[SRV_NAME_MAX_WIRE])
{
    if (text[len - 1] == '.')
        len--;
    /* The labels' octets and length octets, and the root label. */
    if (len + 2 > SRV_NAME_MAX_WIRE)
        return 0;
    size_t length_at = 0;
    size_t label = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '.') {
            if (label == 0 || label > SRV_LABEL_MAX)
                return 0;
            out[length_at] = (unsigned char)label;
            length_at += label + 1;
            label = 0;
            continue;
        }
        out[length_at + ++label] = c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
    }
    if (label == 0 || label > SRV_LABEL_MAX)
        return 0;
    out[length_at] = (unsigned char)label;
    length_at += label + 1;
    out[length_at] = 0;
    return length_at + 1;
}

size_t parse_name_canonical(const char *text, unsigned char out[SRV_NAME_MAX_WIRE])
{
    size_t len = strlen(text);
    if (len == 0)
        return 0;
    if (len == 1 && text[0] == '.') {
        out[0] = 0;
        return 1;
    }
    if (!memchr(text, '\\', len))
        return canonical_plain(text, len, out);
    size_t length_at = 0;   /* where the current label's length octet goes */
    size_t label = 0;
    size_t i = 0;
    while (i < len) {
        if (text[i] == '.') {
            if (label == 0)
                return 0;
            out[length_at] = (unsigned char)label;
            length_at += label + 1;
            label = 0;
            i++;
            continue;
        }
        size_t step = octet_text_length(text, len, i);
        if (step == 0)
            return 0;
        unsigned char octet = step == 1 ? (unsigned char)text[i] : escaped_octet(text, i, step);
        /* Room for this octet and the root label after it. */
        if (octet == 0 || ++label > SRV_LABEL_MAX || length_at + label + 1 >= SRV_NAME_MAX_WIRE)
            return 0;
        out[length_at + label] = octet >= 'A' && octet <= 'Z' ? (unsigned char)(octet - 'A' + 'a') : octet;
        i += step;
    }
    if (label > 0) {
        out[length_at] = (unsigned char)label;
        length_at += label + 1;
    }
    out[length_at] = 0;
    return length_at + 1;
}
