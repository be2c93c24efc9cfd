/* parse_rdata.c - reading the rdata of one record into the zone. */
#include "parse_rdata.h"

#include "parse_zone.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 2782: priority weight port target, three 16-bit numbers and a name;
 * the target "." means the service is decidedly not available here. */
static srv_status_t read_srv(parse_reader_t *reader, const parse_entry_t *entry)
{
    uint16_t priority, weight, port;
    parse_name_t target;
    srv_status_t status = parse_reader_u16(reader, "priority", &priority);
    if (status == SRV_OK)
        status = parse_reader_u16(reader, "weight", &weight);
    if (status == SRV_OK)
        status = parse_reader_u16(reader, "port", &port);
    if (status == SRV_OK)
        status = parse_reader_name(reader, "target", &target);
    if (status != SRV_OK)
        return status;
    if (srv_recordset_add(&reader->zone.srv, entry->owner.text, target.text,
                          priority, weight, port, entry->ttl) != SRV_OK)
        return parse_reader_out_of_memory(reader);
    return SRV_OK;
}

static srv_status_t add_rr(parse_reader_t *reader, const parse_entry_t *entry,
                           const parse_type_t *type, char *rdata)
{
    if (!rdata)
        return parse_reader_out_of_memory(reader);
    if (parse_zone_add_rr(&reader->zone, entry->owner.text, rdata, entry->ttl,
                          type->number) != SRV_OK)
        return parse_reader_out_of_memory(reader);
    return SRV_OK;
}

static char *copy_text(const char *text)
{
    size_t len = strlen(text);
    char *copy = malloc(len + 1);
    if (copy)
        memcpy(copy, text, len + 1);
    return copy;
}

/* RFC 1035 3.4.1 and RFC 3596 2.4: stored in the canonical text inet_ntop
 * gives, so "2001:DB8:0::1" and "2001:db8::1" compare equal. */
static srv_status_t read_address(parse_reader_t *reader, const parse_entry_t *entry,
                                 const parse_type_t *type, int family)
{
    const char *family_name = family == AF_INET ? "IPv4" : "IPv6";
    srv_status_t status = parse_reader_expect_word(reader, "address");
    if (status != SRV_OK)
        return status;
    const parse_token_t token = reader->token;
    char written[INET6_ADDRSTRLEN + 1];
    unsigned char binary[16];
    char canonical[INET6_ADDRSTRLEN];
    int valid = token.len < sizeof written;
    if (valid) {
        memcpy(written, token.text, token.len);
        written[token.len] = '\0';
        valid = inet_pton(family, written, binary) == 1 &&
                inet_ntop(family, binary, canonical, sizeof canonical) != NULL;
    }
    if (!valid) {
        char excerpt[PARSE_EXCERPT_MAX + 4];
        return parse_reader_fail(reader, &token, "bad %s address %s", family_name,
                                 parse_reader_excerpt(&token, excerpt));
    }
    status = parse_reader_advance(reader);
    if (status != SRV_OK)
        return status;
    return add_rr(reader, entry, type, copy_text(canonical));
}

static srv_status_t read_name_rdata(parse_reader_t *reader, const parse_entry_t *entry,
                                    const parse_type_t *type)
{
    parse_name_t name;
    srv_status_t status = parse_reader_name(reader, "name", &name);
    if (status != SRV_OK)
        return status;
    return add_rr(reader, entry, type, copy_text(name.text));
}

/* RFC 1035 3.3.9: preference exchange. */
static srv_status_t read_mx(parse_reader_t *reader, const parse_entry_t *entry,
                            const parse_type_t *type)
{
    uint16_t preference;
    parse_name_t exchange;
    srv_status_t status = parse_reader_u16(reader, "preference", &preference);
    if (status == SRV_OK)
        status = parse_reader_name(reader, "exchange", &exchange);
    if (status != SRV_OK)
        return status;
    size_t size = strlen(exchange.text) + 8;
    char *rdata = malloc(size);
    if (rdata)
        snprintf(rdata, size, "%u %s", (unsigned)preference, exchange.text);
    return add_rr(reader, entry, type, rdata);
}

/* RFC 1035 3.3.13: mname rname serial refresh retry expire minimum. The four
 * intervals accept TTL units as BIND does; they are stored in seconds. */
static srv_status_t read_soa(parse_reader_t *reader, const parse_entry_t *entry,
                             const parse_type_t *type)
{
    static const char *const interval_names[] = { "refresh", "retry", "expire", "minimum" };
    parse_name_t mname, rname;
    uint32_t serial, intervals[4];
    srv_status_t status = parse_reader_name(reader, "mname", &mname);
    if (status == SRV_OK)
        status = parse_reader_name(reader, "rname", &rname);
    if (status == SRV_OK)
        status = parse_reader_u32(reader, "serial", &serial);
    for (size_t i = 0; i < 4 && status == SRV_OK; i++)
        status = parse_reader_ttl(reader, interval_names[i], &intervals[i]);
    if (status != SRV_OK)
        return status;
    size_t size = strlen(mname.text) + strlen(rname.text) + 5 * 11 + 8;
    char *rdata = malloc(size);
    if (rdata)
        snprintf(rdata, size, "%s %s %lu %lu %lu %lu %lu", mname.text, rname.text,
                 (unsigned long)serial, (unsigned long)intervals[0],
                 (unsigned long)intervals[1], (unsigned long)intervals[2],
                 (unsigned long)intervals[3]);
    return add_rr(reader, entry, type, rdata);
}

/* A growing string: the rest of a line can be of any length. */
typedef struct text_buffer {
    char *data;
    size_t len;
    size_t capacity;
} text_buffer_t;

static int text_append(text_buffer_t *buffer, const char *text, size_t len)
{
    size_t wanted = buffer->len + len + 2;   /* a separating space and the NUL */
    if (wanted > buffer->capacity) {
        size_t capacity = buffer->capacity ? buffer->capacity : 64;
        while (capacity < wanted)
            capacity *= 2;
        char *grown = realloc(buffer->data, capacity);
        if (!grown)
            return 0;
        buffer->data = grown;
        buffer->capacity = capacity;
    }
    if (buffer->len > 0)
        buffer->data[buffer->len++] = ' ';
    memcpy(buffer->data + buffer->len, text, len);
    buffer->len += len;
    buffer->data[buffer->len] = '\0';
    return 1;
}

/* TXT and the types kept as written: every token to the end of the logical
 * line, joined by single spaces (quotes kept). */
static srv_status_t read_rest_of_line(parse_reader_t *reader, const parse_entry_t *entry,
                                      const parse_type_t *type)
{
    const parse_token_t *token = &reader->token;
    char type_name[12];
    if (token->kind != PARSE_TOKEN_WORD && token->kind != PARSE_TOKEN_QUOTED)
        return parse_reader_fail(reader, token, "missing %s rdata",
                                 parse_type_name(type, type_name));
    text_buffer_t buffer = { NULL, 0, 0 };
    while (token->kind == PARSE_TOKEN_WORD || token->kind == PARSE_TOKEN_QUOTED) {
        if (!text_append(&buffer, token->text, token->len)) {
            free(buffer.data);
            return parse_reader_out_of_memory(reader);
        }
        srv_status_t status = parse_reader_advance(reader);
        if (status != SRV_OK) {
            free(buffer.data);
            return status;
        }
    }
    return add_rr(reader, entry, type, buffer.data);
}

/* RFC 3597 5 generic rdata ("\# length hex") would need decoding for the
 * types read field by field; refuse it clearly rather than misread it. */
static int is_generic_rdata(const parse_token_t *token)
{
    return token->kind == PARSE_TOKEN_WORD && token->len == 2 &&
           token->text[0] == '\\' && token->text[1] == '#';
}

srv_status_t parse_rdata(parse_reader_t *reader, const parse_entry_t *entry,
                         const parse_type_t *type)
{
    size_t most = reader->opts.max_records ? reader->opts.max_records : SRV_PARSE_DEFAULT_MAX_RECORDS;
    if (reader->zone.srv.count + reader->zone.rr_count >= most)
        return parse_reader_fail(reader, &reader->token, "more than %zu records", most);
    if (type->shape != PARSE_RDATA_REST && is_generic_rdata(&reader->token))
        return parse_reader_fail(reader, &reader->token,
                                 "generic rdata (\\#) not supported for type %s",
                                 type->mnemonic);
    switch (type->shape) {
    case PARSE_RDATA_SRV:
        return read_srv(reader, entry);
    case PARSE_RDATA_IPV4:
        return read_address(reader, entry, type, AF_INET);
    case PARSE_RDATA_IPV6:
        return read_address(reader, entry, type, AF_INET6);
    case PARSE_RDATA_NAME:
        return read_name_rdata(reader, entry, type);
    case PARSE_RDATA_MX:
        return read_mx(reader, entry, type);
    case PARSE_RDATA_SOA:
        return read_soa(reader, entry, type);
    default:
        return read_rest_of_line(reader, entry, type);
    }
}
