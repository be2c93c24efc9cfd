/* query_list.h - the resolver's queries and the FIFO lists they move
 * through: waiting (not yet sent) -> on the wire -> done (to deliver). A
 * query that joins an identical one (a follower) waits in that query's
 * followers instead, and moves to done right behind it. */
#ifndef SRV_QUERY_LIST_H
#define SRV_QUERY_LIST_H

#include "cares_compat.h"
#include "srv.h"

/* An address query of one family is a kind of its own: it never joins an
 * address query of both families nor one of the other family, whose result
 * is not its own (docs/c-api.md, "Identical queries share"). */
typedef enum query_kind { QUERY_SRV, QUERY_ADDR, QUERY_ADDR_INET, QUERY_ADDR_INET6 } query_kind_t;

/* What to call when a query completes; kind says which member is set. */
typedef union query_callback {
    srv_srv_callback_t srv;
    srv_addr_callback_t addr;
} query_callback_t;

/* The lookup type of an address query that ares_getaddrinfo() answers
 * (resolvers on the system configuration): not a DNS type. */
enum { LOOKUP_GETADDRINFO = 0 };

/* One question a query asks of the servers: the SRV question of an SRV
 * query; the A and the AAAA question of an address query on explicit
 * servers (read by srv's own reader, answer.c); or ares_getaddrinfo() for
 * an address query on the system configuration. */
typedef struct lookup {
    struct query *query;
    uint16_t type;                /* SRV_RR_SRV, SRV_RR_A, SRV_RR_AAAA or LOOKUP_GETADDRINFO */
    cares_reply_t reply_to;       /* where c-ares hands the reply (cares_compat.h) */
    srv_status_t status;          /* once answered */
    srv_status_t first_failure;   /* the first server's failure, once asked of the others */
    srv_address_t *addresses;     /* an address lookup's, until the query merges them */
    size_t address_count;
    uint32_t negative_ttl;        /* an A or AAAA lookup's NXDOMAIN or NODATA */
} lookup_t;

typedef struct query {
    struct query *next;           /* in a list, or in its leader's followers */
    struct srv_resolver *resolver;
    query_kind_t kind;
    char *name;                   /* as submitted */
    /* The name as DNS compares it (parse_name_canonical); key_length 0 for
     * text that is no name, which is never shared. */
    unsigned char *key;
    size_t key_length;
    uint32_t hash;                /* query_table_hash() of kind and key */
    struct query *same_bucket;    /* the next in its bucket of the resolver's table */
    int joinable;                 /* in the resolver's table: identical queries join it */
    struct query *followers;      /* the queries that joined this one, in submission order */
    struct query *last_follower;
    size_t follower_count;
    query_callback_t callback;
    void *arg;
    lookup_t lookups[2];
    size_t lookup_count;
    size_t lookups_unanswered;
    /* The outcome, filled when the query completes. */
    srv_status_t status;
    srv_recordset_t records;
    uint32_t negative_ttl;
    srv_address_t *addresses;
    size_t address_count;
} query_t;

typedef struct query_list {
    query_t *head;
    query_t *tail;
    size_t count;
} query_list_t;

void query_list_push(query_list_t *list, query_t *query);
query_t *query_list_pop(query_list_t *list);

/* A query of name, its canonical name computed (one allocation for the
 * query and both names). */
query_t *query_new(struct srv_resolver *resolver, query_kind_t kind, const char *name);
void query_free(query_t *query);

#endif
