/* binding.h - what the files of the srv.core binding share.
 *
 * The binding is thin: every decision is the core's (srv.h) or the Lua
 * layer's. Failures that are not programmer errors return
 * nil, srv_strerror(status), srv_status_code(status); wrong argument types
 * raise, as Lua's own libraries do. */
#ifndef SRV_LUA_BINDING_H
#define SRV_LUA_BINDING_H

#include "srv.h"

#include <lauxlib.h>
#include <lua.h>

#define LSRV_RESOLVER "srv.resolver"
#define LSRV_RNG      "srv.rng"
#define LSRV_PREPARED "srv.prepared"
#define LSRV_RACE     "srv.race"
#define LSRV_SOCKET   "srv.socket"
#define LSRV_POLLER   "srv.poller"

/* module.c ------------------------------------------------------------- */

/* require "srv.core" */
LUAMOD_API int luaopen_srv_core(lua_State *L);

/* Pushes nil, the sentence and the code of status; returns 3. */
int lsrv_push_failure(lua_State *L, srv_status_t status);
/* Pushes "OK" or the status code string. */
void lsrv_push_code(lua_State *L, srv_status_t status);

/* records.c ------------------------------------------------------------ */

/* Pushes the field names of a record table, once for any number of
 * records (each field is then a raw set of a key on the stack, not a
 * lookup of a C string); returns the stack index of the first. */
int lsrv_push_record_keys(lua_State *L);
/* Pushes {name=, target=, priority=, weight=, port=, ttl=}; name is left
 * out when the record has none. keys: lsrv_push_record_keys()'s index. */
void lsrv_push_record(lua_State *L, int keys, const srv_record_t *record);
/* Pushes an array of record tables. */
void lsrv_push_recordset(lua_State *L, int keys, const srv_recordset_t *set);
/* Pushes {family=, address=, ttl=}. */
void lsrv_push_address(lua_State *L, const srv_address_t *address);
void lsrv_open_records(lua_State *L);
/* core.parse(text) */
int lsrv_parse(lua_State *L);
/* core.parse_zone(text [, origin]) */
int lsrv_parse_zone(lua_State *L);

/* order.c -------------------------------------------------------------- */

/* Sets core.order in the module table on the stack top. */
void lsrv_open_order(lua_State *L);

/* rng.c ---------------------------------------------------------------- */

void lsrv_open_rng(lua_State *L);
int lsrv_rng_new(lua_State *L);

/* resolver.c ----------------------------------------------------------- */

void lsrv_open_resolver(lua_State *L);
int lsrv_resolver_new(lua_State *L);

/* connect.c: connection races ------------------------------------------ */

void lsrv_open_connect(lua_State *L);
/* Sets core.race, core.poller and core.wait in the module table on the
 * stack top. */
void lsrv_open_connect_functions(lua_State *L);

/* delivery.c: completed queries, from the core's callbacks to Lua ------- */

typedef enum lsrv_query_kind { LSRV_QUERY_SRV, LSRV_QUERY_ADDR } lsrv_query_kind_t;

struct lsrv_resolver;

/* One query from submission until Lua fetches its result. The core's C
 * callback only copies the result in here and appends it to the resolver's
 * FIFO. The binding never calls Lua: Lua submits, then asks for what is
 * ready (lsrv_fetch), as cqueues' res_submit/res_fetch do. */
typedef struct lsrv_completion {
    struct lsrv_completion *next;
    struct lsrv_resolver *owner;
    lsrv_query_kind_t kind;
    lua_Integer id;              /* what submit returned to Lua */
    srv_status_t status;
    srv_recordset_t records;     /* SRV: OK and NOSERVICE only */
    uint32_t negative_ttl;
    srv_address_t *addresses;    /* ADDR: OK only */
    size_t address_count;
} lsrv_completion_t;

typedef struct lsrv_resolver {
    srv_resolver_t *core;        /* NULL once closed */
    lsrv_completion_t *head;     /* completed, not yet fetched (FIFO) */
    lsrv_completion_t *tail;
    size_t unfetched;
    lua_Integer last_id;         /* ids count up from 1, never reused */
    srv_resolver_stats_t stats;  /* the core's counters as it was closed */
} lsrv_resolver_t;

/* For srv_resolver_query_*(): arg is the lsrv_completion_t. */
void lsrv_on_srv(const srv_srv_result_t *result, void *arg);
void lsrv_on_addr(const srv_addr_result_t *result, void *arg);

/* Frees a completion. */
void lsrv_completion_free(lsrv_completion_t *completion);

/* Frees every completion not fetched yet (the finalizer: nobody will ask). */
void lsrv_discard_unfetched(lsrv_resolver_t *resolver);

/*
 * Pushes one new array holding every completed query, in the order they
 * completed, four slots each: id, code, result, negative TTL. result is the
 * array of record tables (SRV, for OK and NOSERVICE) or of address tables
 * (OK), else nil; the negative TTL is an integer for SRV queries and nil for
 * address queries. Returns how many queries it holds; pushes nothing and
 * returns 0 when none is ready. Raises only on memory errors, after which
 * the completions not yet pushed are still there for the next call.
 */
int lsrv_fetch(lua_State *L, lsrv_resolver_t *resolver);

#endif
