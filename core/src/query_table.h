/* query_table.h - the resolver's queries that others may join, found by
 * kind and canonical name (parse_name_canonical) in O(1) on average: tens
 * of thousands of queries can wait behind the in-flight limit. */
#ifndef SRV_QUERY_TABLE_H
#define SRV_QUERY_TABLE_H

#include "query_list.h"

typedef struct query_table {
    query_t **buckets;   /* chains through query->same_bucket */
    size_t capacity;     /* a power of two; 0 until the first insert */
    size_t count;
} query_table_t;

/* The hash of a kind and a canonical name, for query->hash. */
uint32_t query_table_hash(query_kind_t kind, const unsigned char *key, size_t key_length);

/* The query of the same kind and canonical name as query, or NULL. */
query_t *query_table_find(const query_table_t *table, const query_t *query);
/* Adds a query no other in the table equals. SRV_ENOMEM leaves it out (it
 * is then asked on its own, unshared). */
srv_status_t query_table_insert(query_table_t *table, query_t *query);
/* Removes a query that is in the table. */
void query_table_remove(query_table_t *table, query_t *query);
/* Frees the buckets (the queries are not the table's). */
void query_table_release(query_table_t *table);

#endif
