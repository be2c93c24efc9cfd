/* parse.c - zone-file text into records: directives, record headers and the
 * public entry points (RFC 1035 5.1 subset).
 *
 * One pass over the tokens with one token of lookahead. A record is
 *     [owner] [TTL] [class] type rdata
 * with TTL and class in either order. Fixed-size rdata ends the record after
 * its last field, so pasted text with several records back to back on one
 * line reads as those records; the word after them starts the next record
 * and is its owner. Everything goes into a zone private to the call and is
 * moved to the caller's only when the whole text parsed. */
#include "parse_rdata.h"
#include "parse_reader.h"
#include "parse_types.h"
#include "parse_zone.h"

#include <string.h>
#include <strings.h>

void srv_parse_options_init(srv_parse_options_t *opts)
{
    opts->origin = NULL;
    opts->default_ttl = 3600;
    opts->srv_only = 0;
    opts->max_records = SRV_PARSE_DEFAULT_MAX_RECORDS;
}

static int token_is(const parse_token_t *token, const char *word)
{
    size_t len = strlen(word);
    return token->len == len && strncasecmp(token->text, word, len) == 0;
}

/* A directive's arguments end with its line: nothing may follow. */
static srv_status_t expect_end_of_directive(parse_reader_t *reader,
                                            const char *directive)
{
    const parse_token_t *token = &reader->token;
    if (token->kind == PARSE_TOKEN_END_OF_LINE || token->kind == PARSE_TOKEN_END_OF_INPUT)
        return SRV_OK;
    char excerpt[PARSE_EXCERPT_MAX + 4];
    return parse_reader_fail(reader, token, "unexpected %s after %s",
                             parse_reader_excerpt(token, excerpt), directive);
}

/* RFC 1035 5.1 $ORIGIN, and $TTL from RFC 2308 4. A relative $ORIGIN is
 * taken relative to the current origin, as BIND does. $INCLUDE is refused:
 * the parser reads only the text it is given. */
static srv_status_t parse_directive(parse_reader_t *reader)
{
    const parse_token_t directive = reader->token;
    char excerpt[PARSE_EXCERPT_MAX + 4];
    const char *name;
    srv_status_t status = parse_reader_advance(reader);
    if (status != SRV_OK)
        return status;
    if (token_is(&directive, "$ORIGIN")) {
        name = "$ORIGIN";
        parse_name_t origin;
        status = parse_reader_name(reader, "$ORIGIN name", &origin);
        if (status == SRV_OK)
            reader->origin = origin;
    } else if (token_is(&directive, "$TTL")) {
        name = "$TTL";
        status = parse_reader_ttl(reader, "$TTL", &reader->ttl_directive);
        reader->have_ttl_directive = status == SRV_OK;
    } else if (token_is(&directive, "$INCLUDE")) {
        return parse_reader_fail(reader, &directive, "$INCLUDE not supported");
    } else {
        return parse_reader_fail(reader, &directive, "unknown directive %s",
                                 parse_reader_excerpt(&directive, excerpt));
    }
    if (status != SRV_OK)
        return status;
    return expect_end_of_directive(reader, name);
}

/* RFC 1035 5.1: a line that begins with a blank repeats the previous owner. */
static srv_status_t read_owner(parse_reader_t *reader, parse_entry_t *entry)
{
    const parse_token_t *token = &reader->token;
    if (token->first_on_line && token->line_starts_blank) {
        if (!reader->have_previous_owner)
            return parse_reader_fail(reader, token,
                                     "no previous owner for a line starting with a blank");
        entry->owner = reader->previous_owner;
        return SRV_OK;
    }
    srv_status_t status = parse_reader_name(reader, "owner", &entry->owner);
    if (status != SRV_OK)
        return status;
    reader->previous_owner = entry->owner;
    reader->have_previous_owner = 1;
    return SRV_OK;
}

static int looks_like_ttl(const parse_token_t *token)
{
    return token->kind == PARSE_TOKEN_WORD && token->len > 0 &&
           token->text[0] >= '0' && token->text[0] <= '9';
}

/* RFC 1035 5.1: [TTL] [class] or [class] [TTL]. Only IN is served here. */
static srv_status_t read_ttl_and_class(parse_reader_t *reader, parse_entry_t *entry,
                                       int *ttl_given)
{
    int class_given = 0;
    char excerpt[PARSE_EXCERPT_MAX + 4];
    *ttl_given = 0;
    for (;;) {
        const parse_token_t *token = &reader->token;
        srv_status_t status;
        if (looks_like_ttl(token)) {
            if (*ttl_given)
                return parse_reader_fail(reader, token, "TTL given twice");
            status = parse_reader_ttl(reader, "TTL", &entry->ttl);
            *ttl_given = 1;
        } else if (token->kind == PARSE_TOKEN_WORD) {
            parse_class_result_t class = parse_class_lookup(token->text, token->len);
            if (class == PARSE_CLASS_NOT_A_CLASS)
                return SRV_OK;
            if (class == PARSE_CLASS_OTHER)
                return parse_reader_fail(reader, token, "unknown class %s",
                                         parse_reader_excerpt(token, excerpt));
            if (class_given)
                return parse_reader_fail(reader, token, "class given twice");
            class_given = 1;
            status = parse_reader_advance(reader);
        } else {
            return SRV_OK;
        }
        if (status != SRV_OK)
            return status;
    }
}

/* The TTL of a record that gives none: $TTL, else the last TTL written on a
 * record (RFC 1035 5.1), else the caller's default. */
static uint32_t implicit_ttl(const parse_reader_t *reader)
{
    if (reader->have_ttl_directive)
        return reader->ttl_directive;
    if (reader->have_last_ttl)
        return reader->last_ttl;
    return reader->opts.default_ttl;
}

static srv_status_t fail_type(parse_reader_t *reader, const char *problem,
                              const char *shown)
{
    const parse_token_t *token = &reader->token;
    /* "  www IN A ..." reads www as a type: say why */
    const char *hint = token->first_on_line && token->line_starts_blank
        ? " (a line starting with a blank keeps the previous owner)" : "";
    return parse_reader_fail(reader, token, "%s%s%s", problem, shown, hint);
}

static srv_status_t read_type(parse_reader_t *reader, parse_type_t *type)
{
    srv_status_t status = parse_reader_expect_word(reader, "type");
    if (status != SRV_OK)
        return status;
    const parse_token_t *token = &reader->token;
    char excerpt[PARSE_EXCERPT_MAX + 4];
    char type_name[12];
    parse_reader_excerpt(token, excerpt);
    switch (parse_type_lookup(token->text, token->len, type)) {
    case PARSE_LOOKUP_BAD_NUMBER:
        return parse_reader_fail(reader, token, "type %s out of range TYPE1..TYPE65535",
                                 excerpt);
    case PARSE_LOOKUP_UNKNOWN:
        return fail_type(reader, reader->opts.srv_only ? "expected type SRV, got "
                                                       : "unknown type ", excerpt);
    default:
        break;
    }
    if (reader->opts.srv_only && type->number != SRV_RR_SRV)
        return fail_type(reader, "expected type SRV, got ",
                         parse_type_name(type, type_name));
    return parse_reader_advance(reader);
}

static srv_status_t parse_record(parse_reader_t *reader)
{
    parse_entry_t entry;
    parse_type_t type;
    int ttl_given;
    srv_status_t status = read_owner(reader, &entry);
    if (status == SRV_OK)
        status = read_ttl_and_class(reader, &entry, &ttl_given);
    if (status == SRV_OK)
        status = read_type(reader, &type);
    if (status != SRV_OK)
        return status;
    if (ttl_given) {
        reader->last_ttl = entry.ttl;
        reader->have_last_ttl = 1;
    } else {
        entry.ttl = implicit_ttl(reader);
    }
    return parse_rdata(reader, &entry, &type);
}

static srv_status_t parse_entries(parse_reader_t *reader)
{
    srv_status_t status = parse_reader_advance(reader);
    while (status == SRV_OK) {
        const parse_token_t *token = &reader->token;
        if (token->kind == PARSE_TOKEN_END_OF_INPUT)
            return SRV_OK;
        if (token->kind == PARSE_TOKEN_END_OF_LINE)
            status = parse_reader_advance(reader);
        else if (token->kind == PARSE_TOKEN_WORD && token->text[0] == '$')
            status = parse_directive(reader);
        else
            status = parse_record(reader);
    }
    return status;
}

static void clear_error(srv_parse_error_t *err)
{
    err->line = 0;
    err->column = 0;
    err->reason[0] = '\0';
}

/* Parses the whole text into result (empty on entry); on failure result may
 * hold records and the caller clears it. */
static srv_status_t parse_into(const char *text, size_t len,
                               const srv_parse_options_t *opts,
                               srv_zone_t *result, srv_parse_error_t *err)
{
    parse_reader_t reader = { 0 };
    reader.err = err;
    srv_parse_options_init(&reader.opts);
    if (opts)
        reader.opts = *opts;
    parse_lexer_init(&reader.lexer, text ? text : "", text ? len : 0);
    parse_name_root(&reader.origin);
    if (reader.opts.origin) {
        parse_name_t root = reader.origin;
        const char *reason = parse_name_resolve(reader.opts.origin,
                                                strlen(reader.opts.origin),
                                                &root, &reader.origin);
        if (reason) {
            parse_error_set(err, 0, 0, "bad origin: %s", reason);
            return SRV_EINVAL;
        }
    }
    srv_zone_init(&reader.zone);
    srv_status_t status = parse_entries(&reader);
    *result = reader.zone;
    return status;
}

/* Checks the arguments and runs the parse into a private zone. */
static srv_status_t parse_checked(const char *text, size_t len,
                                  const srv_parse_options_t *opts,
                                  srv_zone_t *result, srv_parse_error_t *err)
{
    clear_error(err);
    srv_zone_init(result);
    if (!text && len > 0) {
        parse_error_set(err, 0, 0, "text is NULL");
        return SRV_EINVAL;
    }
    srv_status_t status = parse_into(text, len, opts, result, err);
    if (status != SRV_OK)
        srv_zone_clear(result);
    return status;
}

srv_status_t srv_parse_zone(const char *text, size_t len,
                            const srv_parse_options_t *opts,
                            srv_zone_t *zone, srv_parse_error_t *err)
{
    srv_parse_error_t ignored;
    if (!err)
        err = &ignored;
    if (!zone) {
        clear_error(err);
        parse_error_set(err, 0, 0, "zone is NULL");
        return SRV_EINVAL;
    }
    srv_zone_t parsed;
    srv_status_t status = parse_checked(text, len, opts, &parsed, err);
    if (status == SRV_OK && parse_zone_move_into(zone, &parsed) != SRV_OK) {
        parse_error_set(err, 0, 0, "out of memory");
        status = SRV_ENOMEM;
    }
    srv_zone_clear(&parsed);
    return status;
}

srv_status_t srv_parse_srv(const char *text, size_t len, srv_recordset_t *out,
                           srv_parse_error_t *err)
{
    srv_parse_error_t ignored;
    if (!err)
        err = &ignored;
    if (!out) {
        clear_error(err);
        parse_error_set(err, 0, 0, "record set is NULL");
        return SRV_EINVAL;
    }
    const srv_parse_options_t opts = { .origin = NULL, .default_ttl = 3600, .srv_only = 1 };
    srv_zone_t parsed;
    srv_status_t status = parse_checked(text, len, &opts, &parsed, err);
    if (status == SRV_OK && parse_recordset_move_into(out, &parsed.srv) != SRV_OK) {
        parse_error_set(err, 0, 0, "out of memory");
        status = SRV_ENOMEM;
    }
    srv_zone_clear(&parsed);
    return status;
}
