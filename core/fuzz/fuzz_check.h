/*
 * fuzz_check.h - the checks the fuzz targets share.
 *
 * A failed check prints what broke and aborts: libFuzzer treats the abort
 * as a crash, saves the input as the reproducer and stops. Everything here
 * is static inline so that each target takes only what it uses.
 */
#ifndef SRV_FUZZ_CHECK_H
#define SRV_FUZZ_CHECK_H

#include "srv.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libFuzzer's entry point; declared here for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(condition, ...)                                            \
    do {                                                                      \
        if (!(condition)) {                                                   \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__,  \
                    #condition);                                              \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
            abort();                                                          \
        }                                                                     \
    } while (0)

/* RFC 2181 8: the TTLs srv hands out are below 2^31. */
#define FUZZ_TTL_MAX 2147483647u

/*
 * Nonzero when text is a name as srv writes it (srv.h: presentation format
 * without the trailing dot, the root as "."): labels of 1..63 octets,
 * at most 255 octets in wire format with the root label, "\X" and "\DDD"
 * (DDD <= 255) each one octet. Strictly a name: no trailing dot, no empty
 * label, no dangling backslash.
 */
static inline int fuzz_is_name(const char *text)
{
    if (!text || text[0] == '\0')
        return 0;
    if (strcmp(text, ".") == 0)
        return 1;
    size_t wire = 1;     /* the root label */
    size_t label = 0;
    for (const char *p = text;; ) {
        if (*p == '\0' || *p == '.') {
            if (label == 0 || label > SRV_LABEL_MAX)
                return 0;
            wire += 1 + label;
            if (wire > SRV_NAME_MAX_WIRE)
                return 0;
            label = 0;
            if (*p == '\0')
                return 1;
            p++;
            continue;
        }
        if (*p == '\\') {
            if (p[1] >= '0' && p[1] <= '9') {
                if (!(p[2] >= '0' && p[2] <= '9') || !(p[3] >= '0' && p[3] <= '9'))
                    return 0;
                int value = (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
                if (value > 255)
                    return 0;
                p += 4;
            } else if (p[1] == '\0') {
                return 0;
            } else {
                p += 2;
            }
        } else {
            p++;
        }
        label++;
    }
}

static inline int fuzz_same_string(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static inline int fuzz_same_record(const srv_record_t *a, const srv_record_t *b)
{
    return fuzz_same_string(a->name, b->name) && fuzz_same_string(a->target, b->target) &&
           a->ttl == b->ttl && a->priority == b->priority && a->weight == b->weight &&
           a->port == b->port;
}

/* The records of a and b are equal, field by field, in the same order. */
static inline int fuzz_same_recordset(const srv_recordset_t *a, const srv_recordset_t *b)
{
    if (a->count != b->count)
        return 0;
    for (size_t i = 0; i < a->count; i++)
        if (!fuzz_same_record(&a->records[i], &b->records[i]))
            return 0;
    return 1;
}

/* srv_record_format() writes the record as one line of text, and
 * srv_parse_srv() reads that line back as the same record. */
static inline void fuzz_check_formats_back(const srv_record_t *record)
{
    int needed = srv_record_format(record, NULL, 0);
    FUZZ_CHECK(needed > 0, "srv_record_format gave %d", needed);
    char *line = malloc((size_t)needed + 1);
    FUZZ_CHECK(line != NULL, "out of memory");
    FUZZ_CHECK(srv_record_format(record, line, (size_t)needed + 1) == needed, "length changed");
    srv_recordset_t again;
    srv_recordset_init(&again);
    srv_parse_error_t err;
    srv_status_t status = srv_parse_srv(line, (size_t)needed, &again, &err);
    FUZZ_CHECK(status == SRV_OK, "\"%s\" does not parse back: %u:%u %s", line,
               err.line, err.column, err.reason);
    FUZZ_CHECK(again.count == 1 && fuzz_same_record(&again.records[0], record),
               "\"%s\" parses back as something else", line);
    srv_recordset_clear(&again);
    free(line);
}

#endif
