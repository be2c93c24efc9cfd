/* order.c - core.order(records [, rng [, strict]]): RFC 2782 order of a
 * Lua array of record tables, as a new array of the same tables.
 *
 * Benchmarked against plain Lua, so the common case (a handful of
 * records) reads each field once and allocates nothing but the result.
 * The field names are interned once, as upvalues: lua_getfield would look
 * its C string up in Lua's string cache (a strcmp) on every read, which
 * measured a fifth of the whole call. */
#include "binding.h"

#include <stdint.h>

#if !defined(LSRV_ORDER_STACK_RECORDS)
/* Up to this many records, the scratch arrays live on the stack. */
#define LSRV_ORDER_STACK_RECORDS 64
#endif

/* srv_order only asks whether a target is the root; handing it these
 * instead of the Lua strings keeps no pointer into a value that is no
 * longer on the stack. */
static char root_target[] = ".";
static char other_target[] = "x";

enum { KEY_PRIORITY = 1, KEY_WEIGHT, KEY_TARGET };
static const char *const key_names[] = {NULL, "priority", "weight", "target"};

/* Pushes record[key] for the record on the stack top (metamethods apply,
 * as with lua_getfield); returns its type. */
static int get_key(lua_State *L, int key)
{
    lua_pushvalue(L, lua_upvalueindex(key));
    return lua_gettable(L, -2);
}

static uint16_t read_u16(lua_State *L, lua_Integer index, int key)
{
    int is_integer = 0;
    lua_Integer value = 0;
    if (get_key(L, key) == LUA_TNUMBER)
        value = lua_tointegerx(L, -1, &is_integer);
    if (!is_integer || value < 0 || value > 65535)
        luaL_error(L, "bad record #%I (%s must be an integer 0..65535)", index, key_names[key]);
    lua_pop(L, 1);
    return (uint16_t)value;
}

/* Reads records[index] (on the stack top) into record; raises when it is
 * not a record. */
static void read_record(lua_State *L, lua_Integer index, srv_record_t *record)
{
    if (!lua_istable(L, -1))
        luaL_error(L, "bad record #%I (table expected, got %s)", index, luaL_typename(L, -1));
    record->name = NULL;
    record->ttl = 0;
    record->port = 0;
    record->priority = read_u16(L, index, KEY_PRIORITY);
    record->weight = read_u16(L, index, KEY_WEIGHT);
    size_t length;
    if (get_key(L, KEY_TARGET) != LUA_TSTRING)
        luaL_error(L, "bad record #%I (target must be a string)", index);
    const char *target = lua_tolstring(L, -1, &length);
    record->target = length == 1 && target[0] == '.' ? root_target : other_target;
    lua_pop(L, 1);
}

/* Writes the chosen order of records[0..n) (a snapshot of the Lua array
 * at stack index list) as a new array of the same tables. */
static int push_order(lua_State *L, int list, const srv_record_t *records, size_t n,
                      srv_order_mode_t mode, srv_rng_t *rng, size_t *perm)
{
    size_t count = 0;
    srv_status_t status = srv_order(records, n, mode, rng, perm, &count);
    if (status != SRV_OK)
        return lsrv_push_failure(L, status);
    lua_createtable(L, (int)count, 0);
    for (size_t i = 0; i < count; i++) {
        lua_rawgeti(L, list, (lua_Integer)perm[i] + 1);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* A prepared list: the fields srv_order needs, read once. The Lua layer
 * prepares the candidates of a cached answer, which are ordered again on
 * every r:resolve, so the per-call cost is the shuffle and the result. */
typedef struct prepared {
    size_t count;
    srv_record_t records[];
} prepared_t;

static void read_records(lua_State *L, int list, srv_record_t *records, lua_Unsigned n)
{
    for (lua_Unsigned i = 0; i < n; i++) {
        lua_rawgeti(L, list, (lua_Integer)i + 1);
        read_record(L, (lua_Integer)i + 1, &records[i]);
        lua_pop(L, 1);
    }
}

/* core.prepare(records) -> a snapshot for core.order; the array must not
 * change afterwards (prepare again if it does). */
static int prepare(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Unsigned n = lua_rawlen(L, 1);
    if (n > (SIZE_MAX - sizeof(prepared_t)) / sizeof(srv_record_t) || n > INT32_MAX)
        return luaL_error(L, "too many records (%I)", (lua_Integer)n);
    prepared_t *p = lua_newuserdatauv(L, sizeof *p + (size_t)n * sizeof p->records[0], 1);
    p->count = 0;
    luaL_setmetatable(L, LSRV_PREPARED);
    read_records(L, 1, p->records, n);
    p->count = (size_t)n;
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    return 1;
}

static int order(lua_State *L)
{
    srv_rng_t *rng = lua_isnoneornil(L, 2) ? NULL : luaL_checkudata(L, 2, LSRV_RNG);
    srv_order_mode_t mode = lua_toboolean(L, 3) ? SRV_ORDER_STRICT : SRV_ORDER_WEIGHTED;
    size_t stack_perm[LSRV_ORDER_STACK_RECORDS];

    prepared_t *p = lua_type(L, 1) == LUA_TUSERDATA ? luaL_checkudata(L, 1, LSRV_PREPARED) : NULL;
    if (p) {
        lua_settop(L, 3);
        lua_getiuservalue(L, 1, 1);   /* 4: the array the snapshot was taken of */
        size_t *perm = stack_perm;
        if (p->count > LSRV_ORDER_STACK_RECORDS)
            perm = lua_newuserdatauv(L, p->count * sizeof *perm, 0);
        if (p->count == 0) {
            lua_newtable(L);
            return 1;
        }
        return push_order(L, 4, p->records, p->count, mode, rng, perm);
    }

    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Unsigned n = lua_rawlen(L, 1);
    if (n == 0) {
        lua_newtable(L);
        return 1;
    }
    srv_record_t stack_records[LSRV_ORDER_STACK_RECORDS];
    srv_record_t *records = stack_records;
    size_t *perm = stack_perm;
    if (n > LSRV_ORDER_STACK_RECORDS) {
        if (n > (SIZE_MAX / (sizeof *records + sizeof *perm)) || n > INT32_MAX)
            return luaL_error(L, "too many records (%I)", (lua_Integer)n);
        /* A userdata: the collector frees it even when a bad record raises. */
        records = lua_newuserdatauv(L, (size_t)n * (sizeof *records + sizeof *perm), 0);
        perm = (size_t *)(void *)(records + n);
    }
    read_records(L, 1, records, n);
    return push_order(L, 1, records, (size_t)n, mode, rng, perm);
}

void lsrv_open_order(lua_State *L)
{
    luaL_newmetatable(L, LSRV_PREPARED);
    lua_pop(L, 1);
    for (int key = KEY_PRIORITY; key <= KEY_TARGET; key++)
        lua_pushstring(L, key_names[key]);
    lua_pushvalue(L, -3);
    lua_pushvalue(L, -3);
    lua_pushvalue(L, -3);
    lua_pushcclosure(L, prepare, KEY_TARGET);
    lua_setfield(L, -5, "prepare");
    lua_pushcclosure(L, order, KEY_TARGET);
    lua_setfield(L, -2, "order");
}
