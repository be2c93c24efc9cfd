/* records.c - the record and record-set types. */
#include "records.h"

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void srv_recordset_init(srv_recordset_t *set)
{
    set->records = NULL;
    set->count = 0;
    set->capacity = 0;
}

void records_free_strings(srv_record_t *record)
{
    free(record->target);
}

void srv_recordset_clear(srv_recordset_t *set)
{
    for (size_t i = 0; i < set->count; i++)
        records_free_strings(&set->records[i]);
    free(set->records);
    srv_recordset_init(set);
}

/* Length without one trailing (unescaped) dot; the root "." keeps it. */
static size_t name_length(const char *name)
{
    size_t len = strlen(name);
    if (len > 1 && name[len - 1] == '.' && name[len - 2] != '\\')
        len--;
    return len;
}

static srv_status_t reserve(srv_recordset_t *set, size_t wanted)
{
    if (wanted <= set->capacity)
        return SRV_OK;
    /* Doubling must not wrap around, nor the size in bytes. */
    const size_t most = SIZE_MAX / 2 / sizeof *set->records;
    if (wanted > most)
        return SRV_ENOMEM;
    size_t capacity = set->capacity ? set->capacity * 2 : 8;
    while (capacity < wanted)
        capacity *= 2;
    srv_record_t *grown = realloc(set->records, capacity * sizeof *grown);
    if (!grown)
        return SRV_ENOMEM;
    set->records = grown;
    set->capacity = capacity;
    return SRV_OK;
}

srv_status_t srv_recordset_add(srv_recordset_t *set, const char *name,
                               const char *target, uint16_t priority,
                               uint16_t weight, uint16_t port, uint32_t ttl)
{
    if (!set || !target)
        return SRV_EINVAL;
    if (reserve(set, set->count + 1) != SRV_OK)
        return SRV_ENOMEM;
    size_t target_length = name_length(target);
    size_t name_size = name ? name_length(name) + 1 : 0;
    char *strings = malloc(target_length + 1 + name_size);
    if (!strings)
        return SRV_ENOMEM;
    memcpy(strings, target, target_length);
    strings[target_length] = '\0';
    char *copied_name = NULL;
    if (name) {
        copied_name = strings + target_length + 1;
        memcpy(copied_name, name, name_size - 1);
        copied_name[name_size - 1] = '\0';
    }
    set->records[set->count++] = (srv_record_t){
        .name = copied_name, .target = strings,
        .ttl = ttl, .priority = priority, .weight = weight, .port = port,
    };
    return SRV_OK;
}

srv_status_t srv_recordset_copy(srv_recordset_t *dst, const srv_recordset_t *src)
{
    srv_recordset_t copy;
    srv_recordset_init(&copy);
    for (size_t i = 0; i < src->count; i++) {
        const srv_record_t *r = &src->records[i];
        if (srv_recordset_add(&copy, r->name, r->target, r->priority,
                              r->weight, r->port, r->ttl) != SRV_OK) {
            srv_recordset_clear(&copy);
            return SRV_ENOMEM;
        }
    }
    srv_recordset_clear(dst);
    *dst = copy;
    return SRV_OK;
}

void srv_recordset_take(srv_recordset_t *dst, srv_recordset_t *src)
{
    if (!dst || !src || dst == src)
        return;
    srv_recordset_clear(dst);
    *dst = *src;
    srv_recordset_init(src);
}

uint32_t srv_recordset_min_ttl(const srv_recordset_t *set)
{
    if (set->count == 0)
        return 0;
    uint32_t min = set->records[0].ttl;
    for (size_t i = 1; i < set->count; i++)
        if (set->records[i].ttl < min)
            min = set->records[i].ttl;
    return min;
}

int srv_recordset_is_noservice(const srv_recordset_t *set)
{
    return set->count == 1 && strcmp(set->records[0].target, ".") == 0;
}


/* RFC 4343 3: names compare with the ASCII letters folded, and nothing
 * else, whatever the C locale says of other octets. */
static unsigned char ascii_fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

int srv_name_equal(const char *a, const char *b)
{
    size_t la = name_length(a), lb = name_length(b);
    if (la != lb)
        return 0;
    for (size_t i = 0; i < la; i++)
        if (a[i] != b[i] && ascii_fold((unsigned char)a[i]) != ascii_fold((unsigned char)b[i]))
            return 0;
    return 1;
}

/* The dot that makes a name absolute; the root "." has it already. */
static const char *absolute_dot(const char *name)
{
    return strcmp(name, ".") == 0 ? "" : ".";
}

int srv_record_format(const srv_record_t *record, char *buf, size_t size)
{
    const char *dot = absolute_dot(record->target);
    if (record->name)
        return snprintf(buf, size, "%s%s %u IN SRV %u %u %u %s%s", record->name,
                        absolute_dot(record->name), (unsigned)record->ttl,
                        (unsigned)record->priority, (unsigned)record->weight,
                        (unsigned)record->port, record->target, dot);
    return snprintf(buf, size, "%u IN SRV %u %u %u %s%s", (unsigned)record->ttl,
                    (unsigned)record->priority, (unsigned)record->weight,
                    (unsigned)record->port, record->target, dot);
}
