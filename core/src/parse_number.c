/* parse_number.c - the numeric fields of presentation format. */
#include "parse_number.h"

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Accumulates digits, saturating just above max so long runs of digits
 * cannot overflow and still read as "out of range". */
static uint64_t accumulate(uint64_t value, char digit, uint64_t max)
{
    value = value * 10 + (uint64_t)(digit - '0');
    return value > max ? max + 1 : value;
}

parse_number_result_t parse_decimal(const char *text, size_t len, uint32_t max,
                                    uint32_t *out)
{
    if (len == 0)
        return PARSE_NUMBER_SYNTAX;
    uint64_t value = 0;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(text[i]))
            return PARSE_NUMBER_SYNTAX;
        value = accumulate(value, text[i], max);
    }
    if (value > max)
        return PARSE_NUMBER_RANGE;
    *out = (uint32_t)value;
    return PARSE_NUMBER_OK;
}

/* Seconds per BIND TTL unit letter; 0 for anything else. */
static uint64_t unit_seconds(char unit)
{
    switch (unit) {
    case 's': case 'S': return 1;
    case 'm': case 'M': return 60;
    case 'h': case 'H': return 3600;
    case 'd': case 'D': return 86400;
    case 'w': case 'W': return 604800;
    default: return 0;
    }
}

parse_number_result_t parse_ttl(const char *text, size_t len, uint32_t *out)
{
    parse_number_result_t plain = parse_decimal(text, len, PARSE_TTL_MAX, out);
    if (plain != PARSE_NUMBER_SYNTAX || len == 0)
        return plain;

    const uint64_t limit = (uint64_t)PARSE_TTL_MAX + 1;
    uint64_t total = 0;
    size_t i = 0;
    while (i < len) {
        uint64_t amount = 0;
        size_t digits_start = i;
        while (i < len && is_digit(text[i]))
            amount = accumulate(amount, text[i++], PARSE_TTL_MAX);
        /* every number needs its unit: "1h30" is as ambiguous as it looks */
        if (i == digits_start || i == len || unit_seconds(text[i]) == 0)
            return PARSE_NUMBER_SYNTAX;
        total += amount * unit_seconds(text[i++]);
        if (total > limit)
            total = limit;
    }
    if (total > PARSE_TTL_MAX)
        return PARSE_NUMBER_RANGE;
    *out = (uint32_t)total;
    return PARSE_NUMBER_OK;
}
