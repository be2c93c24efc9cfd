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

/* module.c ------------------------------------------------------------- */

/* require "srv.core" */
LUAMOD_API int luaopen_srv_core(lua_State *L);

/* Pushes nil, the sentence and the code of status; returns 3. */
int lsrv_push_failure(lua_State *L, srv_status_t status);
/* Pushes "OK" or the status code string. */
void lsrv_push_code(lua_State *L, srv_status_t status);

/* records.c ------------------------------------------------------------ */

/* Pushes {name=, target=, priority=, weight=, port=, ttl=}; name is left
 * out when the record has none. */
void lsrv_push_record(lua_State *L, const srv_record_t *record);
/* Pushes an array of record tables. */
void lsrv_push_recordset(lua_State *L, const srv_recordset_t *set);
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

/* delivery.c: completed queries, from the core's callbacks to Lua ------- */

typedef enum lsrv_query_kind { LSRV_QUERY_SRV, LSRV_QUERY_ADDR } lsrv_query_kind_t;

struct lsrv_resolver;

/* One query from submission until its Lua callback has run. The core's C
 * callback only copies the result in here and appends it to the resolver's
 * FIFO: no Lua API call happens inside the core, so a Lua error can never
 * unwind through c-ares. */
typedef struct lsrv_completion {
    struct lsrv_completion *next;
    struct lsrv_resolver *owner;
    lsrv_query_kind_t kind;
    int callback_ref;            /* the Lua function, pinned in the registry */
    srv_status_t status;
    srv_recordset_t records;     /* SRV: OK and NOSERVICE only */
    uint32_t negative_ttl;
    srv_address_t *addresses;    /* ADDR: OK only */
    size_t address_count;
} lsrv_completion_t;

typedef struct lsrv_resolver {
    srv_resolver_t *core;        /* NULL once closed */
    lsrv_completion_t *head;     /* completed, not yet delivered (FIFO) */
    lsrv_completion_t *tail;
    size_t undelivered;
} lsrv_resolver_t;

/* For srv_resolver_query_*(): arg is the lsrv_completion_t. */
void lsrv_on_srv(const srv_srv_result_t *result, void *arg);
void lsrv_on_addr(const srv_addr_result_t *result, void *arg);

/* Frees a completion and unpins its callback. */
void lsrv_completion_free(lua_State *L, lsrv_completion_t *completion);

/*
 * Delivers every waiting completion in FIFO order, each callback under
 * lua_pcall with a traceback handler. error_slot is the absolute stack
 * index of a value the caller pushed (nil): the first callback error is
 * stored there, if it still holds nil, for the caller to raise once the
 * FIFO is empty. error_slot 0 turns every error into lua_warning instead
 * (finalizers may not raise). Returns how many callbacks ran. Nested
 * calls (from a callback) deliver from the same FIFO.
 */
int lsrv_deliver(lua_State *L, lsrv_resolver_t *resolver, int error_slot);

#endif
