/* parse_reader.c - field readers over the token stream. */
#include "parse_reader.h"

#include "parse_number.h"

#include <stdarg.h>

srv_status_t parse_reader_advance(parse_reader_t *reader)
{
    return parse_lexer_next(&reader->lexer, &reader->token, reader->err);
}

srv_status_t parse_reader_fail(parse_reader_t *reader, const parse_token_t *at,
                               const char *format, ...)
{
    va_list args;
    va_start(args, format);
    parse_error_vset(reader->err, at->line, at->column, format, args);
    va_end(args);
    return SRV_EPARSE;
}

srv_status_t parse_reader_out_of_memory(parse_reader_t *reader)
{
    parse_reader_fail(reader, &reader->token, "out of memory");
    return SRV_ENOMEM;
}

const char *parse_reader_excerpt(const parse_token_t *token, char *buf)
{
    return parse_excerpt(token->text, token->len, buf);
}

srv_status_t parse_reader_expect_word(parse_reader_t *reader, const char *field)
{
    const parse_token_t *token = &reader->token;
    if (token->kind == PARSE_TOKEN_WORD)
        return SRV_OK;
    if (token->kind == PARSE_TOKEN_QUOTED) {
        char excerpt[PARSE_EXCERPT_MAX + 4];
        return parse_reader_fail(reader, token, "%s %s must not be quoted", field,
                                 parse_reader_excerpt(token, excerpt));
    }
    return parse_reader_fail(reader, token, "missing %s", field);
}

srv_status_t parse_reader_name(parse_reader_t *reader, const char *field,
                               parse_name_t *out)
{
    srv_status_t status = parse_reader_expect_word(reader, field);
    if (status != SRV_OK)
        return status;
    const parse_token_t *token = &reader->token;
    const char *reason = parse_name_resolve(token->text, token->len,
                                            &reader->origin, out);
    if (reason) {
        char excerpt[PARSE_EXCERPT_MAX + 4];
        return parse_reader_fail(reader, token, "%s in %s %s", reason, field,
                                 parse_reader_excerpt(token, excerpt));
    }
    return parse_reader_advance(reader);
}

/* Turns a number result into the reason the user sees, e.g.
 * "priority 70000 out of range 0..65535". */
static srv_status_t number_field(parse_reader_t *reader, const char *field,
                                 parse_number_result_t result, const char *range,
                                 const char *expected)
{
    char excerpt[PARSE_EXCERPT_MAX + 4];
    const parse_token_t *token = &reader->token;
    parse_reader_excerpt(token, excerpt);
    switch (result) {
    case PARSE_NUMBER_OK:
        return parse_reader_advance(reader);
    case PARSE_NUMBER_RANGE:
        return parse_reader_fail(reader, token, "%s %s out of range %s", field,
                                 excerpt, range);
    default:
        return parse_reader_fail(reader, token, "%s %s is not %s", field,
                                 excerpt, expected);
    }
}

static srv_status_t decimal_field(parse_reader_t *reader, const char *field,
                                  uint32_t max, const char *range, uint32_t *out)
{
    srv_status_t status = parse_reader_expect_word(reader, field);
    if (status != SRV_OK)
        return status;
    parse_number_result_t result = parse_decimal(reader->token.text,
                                                 reader->token.len, max, out);
    return number_field(reader, field, result, range, "a decimal number");
}

srv_status_t parse_reader_u16(parse_reader_t *reader, const char *field,
                              uint16_t *out)
{
    uint32_t value = 0;
    srv_status_t status = decimal_field(reader, field, 65535, "0..65535", &value);
    *out = (uint16_t)value;
    return status;
}

srv_status_t parse_reader_u32(parse_reader_t *reader, const char *field,
                              uint32_t *out)
{
    return decimal_field(reader, field, 4294967295u, "0..4294967295", out);
}

srv_status_t parse_reader_ttl(parse_reader_t *reader, const char *field,
                              uint32_t *out)
{
    srv_status_t status = parse_reader_expect_word(reader, field);
    if (status != SRV_OK)
        return status;
    parse_number_result_t result = parse_ttl(reader->token.text, reader->token.len, out);
    return number_field(reader, field, result, "0..2147483647",
                        "seconds or a duration like 2h30m");
}
