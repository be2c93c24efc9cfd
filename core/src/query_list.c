/* query_list.c - queries and their FIFO lists. */
#include "query_list.h"

#include "parse_name.h"
#include "query_table.h"

#include <stdlib.h>
#include <string.h>

void query_list_push(query_list_t *list, query_t *query)
{
    query->next = NULL;
    if (list->tail)
        list->tail->next = query;
    else
        list->head = query;
    list->tail = query;
    list->count++;
}

query_t *query_list_pop(query_list_t *list)
{
    query_t *query = list->head;
    if (!query)
        return NULL;
    list->head = query->next;
    if (!list->head)
        list->tail = NULL;
    list->count--;
    query->next = NULL;
    return query;
}

query_t *query_new(struct srv_resolver *resolver, query_kind_t kind, const char *name)
{
    unsigned char key[SRV_NAME_MAX_WIRE];
    size_t key_length = parse_name_canonical(name, key);
    size_t name_size = strlen(name) + 1;
    query_t *query = calloc(1, sizeof *query + name_size + key_length);
    if (!query)
        return NULL;
    query->name = (char *)(query + 1);
    memcpy(query->name, name, name_size);
    query->key = (unsigned char *)query->name + name_size;
    memcpy(query->key, key, key_length);
    query->key_length = key_length;
    query->hash = query_table_hash(kind, key, key_length);
    query->resolver = resolver;
    query->kind = kind;
    srv_recordset_init(&query->records);
    return query;
}

void query_free(query_t *query)
{
    if (!query)
        return;
    srv_recordset_clear(&query->records);
    for (size_t i = 0; i < query->lookup_count; i++)
        free(query->lookups[i].addresses);
    free(query->addresses);
    free(query);
}
