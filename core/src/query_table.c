/* query_table.c - the resolver's joinable queries, by kind and canonical
 * name: a chained hash table, grown to keep chains short. */
#include "query_table.h"

#include <stdlib.h>
#include <string.h>

enum { FIRST_CAPACITY = 64 };

/* FNV-1a over the kind and the canonical name's octets. */
uint32_t query_table_hash(query_kind_t kind, const unsigned char *key, size_t key_length)
{
    uint32_t hash = 2166136261u;
    hash = (hash ^ (uint32_t)kind) * 16777619u;
    for (size_t i = 0; i < key_length; i++)
        hash = (hash ^ key[i]) * 16777619u;
    return hash;
}

static int same_question(const query_t *a, const query_t *b)
{
    return a->hash == b->hash && a->kind == b->kind && a->key_length == b->key_length &&
           memcmp(a->key, b->key, a->key_length) == 0;
}

query_t *query_table_find(const query_table_t *table, const query_t *query)
{
    if (table->count == 0)
        return NULL;
    for (query_t *entry = table->buckets[query->hash & (table->capacity - 1)]; entry;
         entry = entry->same_bucket)
        if (same_question(entry, query))
            return entry;
    return NULL;
}

static void link_into(query_t **buckets, size_t capacity, query_t *query)
{
    query_t **bucket = &buckets[query->hash & (capacity - 1)];
    query->same_bucket = *bucket;
    *bucket = query;
}

/* Doubles the buckets at one query per bucket on average. A failed
 * allocation keeps the old ones: longer chains, still correct. */
static void grow(query_table_t *table)
{
    size_t capacity = table->capacity ? table->capacity * 2 : FIRST_CAPACITY;
    query_t **buckets = calloc(capacity, sizeof *buckets);
    if (!buckets)
        return;
    for (size_t i = 0; i < table->capacity; i++) {
        query_t *entry = table->buckets[i];
        while (entry) {
            query_t *next = entry->same_bucket;
            link_into(buckets, capacity, entry);
            entry = next;
        }
    }
    free(table->buckets);
    table->buckets = buckets;
    table->capacity = capacity;
}

srv_status_t query_table_insert(query_table_t *table, query_t *query)
{
    if (table->count >= table->capacity)
        grow(table);
    if (table->capacity == 0)
        return SRV_ENOMEM;
    link_into(table->buckets, table->capacity, query);
    table->count++;
    return SRV_OK;
}

void query_table_remove(query_table_t *table, query_t *query)
{
    query_t **link = &table->buckets[query->hash & (table->capacity - 1)];
    while (*link != query)
        link = &(*link)->same_bucket;
    *link = query->same_bucket;
    query->same_bucket = NULL;
    table->count--;
}

void query_table_release(query_table_t *table)
{
    free(table->buckets);
    *table = (query_table_t){0};
}
