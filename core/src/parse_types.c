/* parse_types.c - RR type and class mnemonics the parser knows. */
#include "parse_types.h"

#include "parse_number.h"
#include "srv.h"

#include <stdio.h>
#include <string.h>

/* The types whose rdata the parser reads, then common types it accepts
 * and keeps as written (names inside them are not made absolute). */
static const parse_type_t known_types[] = {
    { "SRV", SRV_RR_SRV, PARSE_RDATA_SRV },
    { "A", SRV_RR_A, PARSE_RDATA_IPV4 },
    { "AAAA", SRV_RR_AAAA, PARSE_RDATA_IPV6 },
    { "CNAME", SRV_RR_CNAME, PARSE_RDATA_NAME },
    { "NS", SRV_RR_NS, PARSE_RDATA_NAME },
    { "PTR", SRV_RR_PTR, PARSE_RDATA_NAME },
    { "MX", SRV_RR_MX, PARSE_RDATA_MX },
    { "SOA", SRV_RR_SOA, PARSE_RDATA_SOA },
    { "TXT", SRV_RR_TXT, PARSE_RDATA_REST },
    { "HINFO", 13, PARSE_RDATA_REST },
    { "NAPTR", 35, PARSE_RDATA_REST },
    { "DS", 43, PARSE_RDATA_REST },
    { "SSHFP", 44, PARSE_RDATA_REST },
    { "RRSIG", 46, PARSE_RDATA_REST },
    { "NSEC", 47, PARSE_RDATA_REST },
    { "DNSKEY", 48, PARSE_RDATA_REST },
    { "NSEC3", 50, PARSE_RDATA_REST },
    { "NSEC3PARAM", 51, PARSE_RDATA_REST },
    { "TLSA", 52, PARSE_RDATA_REST },
    { "SVCB", 64, PARSE_RDATA_REST },
    { "HTTPS", 65, PARSE_RDATA_REST },
    { "SPF", 99, PARSE_RDATA_REST },
    { "URI", 256, PARSE_RDATA_REST },
    { "CAA", 257, PARSE_RDATA_REST },
};

#define KNOWN_TYPE_COUNT (sizeof known_types / sizeof known_types[0])

static int upper(char c)
{
    return (c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c;
}

/* Case-insensitive comparison of text[0..len) with an upper-case word. */
static int same_word(const char *text, size_t len, const char *word)
{
    size_t word_len = strlen(word);
    if (len != word_len)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (upper(text[i]) != word[i])
            return 0;
    return 1;
}

static int has_prefix(const char *text, size_t len, const char *prefix)
{
    size_t prefix_len = strlen(prefix);
    return len > prefix_len && same_word(text, prefix_len, prefix);
}

/* RFC 3597 5: the nnn of TYPEnnn / CLASSnnn, in 1..65535. UNKNOWN when it
 * is not digits at all: then the word is not of this form. */
static parse_lookup_result_t generic_number(const char *digits, size_t len,
                                            uint16_t *out)
{
    uint32_t value;
    parse_number_result_t result = parse_decimal(digits, len, 65535, &value);
    if (result == PARSE_NUMBER_SYNTAX)
        return PARSE_LOOKUP_UNKNOWN;
    if (result == PARSE_NUMBER_RANGE || value == 0)
        return PARSE_LOOKUP_BAD_NUMBER;
    *out = (uint16_t)value;
    return PARSE_LOOKUP_FOUND;
}

parse_lookup_result_t parse_type_lookup(const char *text, size_t len,
                                        parse_type_t *out)
{
    for (size_t i = 0; i < KNOWN_TYPE_COUNT; i++) {
        if (same_word(text, len, known_types[i].mnemonic)) {
            *out = known_types[i];
            return PARSE_LOOKUP_FOUND;
        }
    }
    if (!has_prefix(text, len, "TYPE"))
        return PARSE_LOOKUP_UNKNOWN;
    uint16_t number;
    parse_lookup_result_t result = generic_number(text + 4, len - 4, &number);
    if (result != PARSE_LOOKUP_FOUND)
        return result;
    /* TYPE33 names SRV itself, so its rdata is read with SRV's syntax */
    for (size_t i = 0; i < KNOWN_TYPE_COUNT; i++) {
        if (known_types[i].number == number) {
            *out = known_types[i];
            return PARSE_LOOKUP_FOUND;
        }
    }
    *out = (parse_type_t){ NULL, number, PARSE_RDATA_REST };
    return PARSE_LOOKUP_FOUND;
}

const char *parse_type_name(const parse_type_t *type, char *buf)
{
    if (type->mnemonic)
        return type->mnemonic;
    snprintf(buf, 12, "TYPE%u", (unsigned)type->number);
    return buf;
}

parse_class_result_t parse_class_lookup(const char *text, size_t len)
{
    static const char *const other_classes[] = { "CH", "CS", "HS", "NONE", "ANY" };
    if (same_word(text, len, "IN"))
        return PARSE_CLASS_IN;
    for (size_t i = 0; i < sizeof other_classes / sizeof other_classes[0]; i++)
        if (same_word(text, len, other_classes[i]))
            return PARSE_CLASS_OTHER;
    if (!has_prefix(text, len, "CLASS"))
        return PARSE_CLASS_NOT_A_CLASS;
    uint16_t number;
    switch (generic_number(text + 5, len - 5, &number)) {
    case PARSE_LOOKUP_FOUND:
        return number == 1 ? PARSE_CLASS_IN : PARSE_CLASS_OTHER;
    case PARSE_LOOKUP_BAD_NUMBER:
        return PARSE_CLASS_OTHER;
    default:
        return PARSE_CLASS_NOT_A_CLASS;
    }
}
