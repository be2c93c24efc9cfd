/* parse_error.c - filling srv_parse_error_t for the presentation-format parser. */
#include "parse_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void parse_error_vset(srv_parse_error_t *err, unsigned line, unsigned column,
                      const char *format, va_list args)
{
    err->line = line;
    err->column = column;
    vsnprintf(err->reason, sizeof err->reason, format, args);
}

void parse_error_set(srv_parse_error_t *err, unsigned line, unsigned column,
                     const char *format, ...)
{
    va_list args;
    va_start(args, format);
    parse_error_vset(err, line, column, format, args);
    va_end(args);
}

const char *parse_excerpt(const char *text, size_t len, char *buf)
{
    size_t shown = len > PARSE_EXCERPT_MAX ? PARSE_EXCERPT_MAX : len;
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)text[i];
        buf[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (shown < len) {
        memcpy(buf + shown, "...", 3);
        shown += 3;
    }
    buf[shown] = '\0';
    return buf;
}
