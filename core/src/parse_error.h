/* parse_error.h - filling srv_parse_error_t for the presentation-format parser. */
#ifndef SRV_PARSE_ERROR_H
#define SRV_PARSE_ERROR_H

#include "srv.h"

#include <stdarg.h>

#if defined(__GNUC__)
#define PARSE_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define PARSE_PRINTF(fmt, args)
#endif

/* Longest excerpt of the input quoted in a reason, so a reason stays readable
 * and fits srv_parse_error_t.reason. */
#define PARSE_EXCERPT_MAX 40

/* Records where and why parsing stopped. err may not be NULL. */
void parse_error_set(srv_parse_error_t *err, unsigned line, unsigned column,
                     const char *format, ...) PARSE_PRINTF(4, 5);

/* The same with a va_list. */
void parse_error_vset(srv_parse_error_t *err, unsigned line, unsigned column,
                      const char *format, va_list args) PARSE_PRINTF(4, 0);

/* Copies at most PARSE_EXCERPT_MAX bytes of text into buf (size at least
 * PARSE_EXCERPT_MAX + 4) with unprintable bytes shown as '?', and "..." when
 * cut: input text is not trusted to be printable or short. Returns buf. */
const char *parse_excerpt(const char *text, size_t len, char *buf);

#endif
