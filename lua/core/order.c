/* order.c - core.order(records [, how [, strict]]) and core.prepare(records):
 * RFC 2782 order of a Lua array of record tables, as a new array of the
 * same tables.
 *
 * Benchmarked against plain Lua, so the common case (a handful of records)
 * makes as few Lua API calls per record as it can, allocates nothing but
 * the result and keeps its constants (field names, metatables) as
 * upvalues: lua_getfield and luaL_checkudata would look a C string up on
 * every call. */
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

/* Upvalues of both closures. */
enum {
    UP_PRIORITY = 1, UP_WEIGHT, UP_TARGET,   /* field names */
    UP_SEED, UP_STRICT,                     /* option names */
    UP_RNG_META, UP_PREPARED_META,          /* metatables */
    UP_COUNT = UP_PREPARED_META
};

static lua_Integer field_u16(lua_State *L, int slot, lua_Integer index, const char *field)
{
    int is_integer = 0;
    lua_Integer value = lua_type(L, slot) == LUA_TNUMBER ? lua_tointegerx(L, slot, &is_integer) : 0;
    if (!is_integer || value < 0 || value > 65535)
        luaL_error(L, "bad record #%I (%s must be an integer 0..65535)", index, field);
    return value;
}

/* Reads list[index] into record; raises when it is not a record. Reads
 * through lua_gettable, so records with an __index metamethod work. */
static void read_record(lua_State *L, int list, lua_Integer index, srv_record_t *record)
{
    int top = lua_gettop(L);
    if (lua_rawgeti(L, list, index) != LUA_TTABLE)
        luaL_error(L, "bad record #%I (table expected, got %s)", index, luaL_typename(L, -1));
    int rec = top + 1;
    lua_pushvalue(L, lua_upvalueindex(UP_PRIORITY));
    lua_gettable(L, rec);
    lua_pushvalue(L, lua_upvalueindex(UP_WEIGHT));
    lua_gettable(L, rec);
    lua_pushvalue(L, lua_upvalueindex(UP_TARGET));
    lua_gettable(L, rec);
    record->name = NULL;
    record->ttl = 0;
    record->port = 0;
    record->priority = (uint16_t)field_u16(L, rec + 1, index, "priority");
    record->weight = (uint16_t)field_u16(L, rec + 2, index, "weight");
    size_t length;
    const char *target = lua_type(L, rec + 3) == LUA_TSTRING ? lua_tolstring(L, rec + 3, &length) : NULL;
    if (!target)
        luaL_error(L, "bad record #%I (target must be a string)", index);
    record->target = length == 1 && target[0] == '.' ? root_target : other_target;
    lua_settop(L, top);
}

static void read_records(lua_State *L, int list, srv_record_t *records, lua_Unsigned n)
{
    luaL_checkstack(L, 5, "reading records");
    for (lua_Unsigned i = 0; i < n; i++)
        read_record(L, list, (lua_Integer)i + 1, &records[i]);
}

/* Whether the value at index has the metatable kept in upvalue up. */
static int has_metatable(lua_State *L, int index, int up)
{
    if (!lua_getmetatable(L, index))
        return 0;
    int same = lua_rawequal(L, -1, lua_upvalueindex(up));
    lua_pop(L, 1);
    return same;
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
    lua_pushvalue(L, lua_upvalueindex(UP_PREPARED_META));
    lua_setmetatable(L, -2);
    read_records(L, 1, p->records, n);
    p->count = (size_t)n;
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    return 1;
}

/* The second argument: an srv.rng, an integer seed (a generator seeded with
 * it, for this call), a table {seed=, strict=}, or nil (the core's
 * OS-seeded generator). Sets *strict from the table's strict field. */
static srv_rng_t *read_how(lua_State *L, srv_rng_t *seeded, int *strict)
{
    int type = lua_type(L, 2);
    if (type == LUA_TNONE || type == LUA_TNIL)
        return NULL;
    if (type == LUA_TUSERDATA && has_metatable(L, 2, UP_RNG_META))
        return lua_touserdata(L, 2);
    if (type == LUA_TNUMBER) {
        int is_integer = 0;
        lua_Integer seed = lua_tointegerx(L, 2, &is_integer);
        luaL_argcheck(L, is_integer, 2, "integer seed expected");
        srv_rng_seed(seeded, (uint64_t)seed);
        return seeded;
    }
    if (type == LUA_TTABLE) {
        srv_rng_t *rng = NULL;
        lua_pushvalue(L, lua_upvalueindex(UP_SEED));
        if (lua_gettable(L, 2) != LUA_TNIL) {
            int is_integer = 0;
            lua_Integer seed = lua_tointegerx(L, -1, &is_integer);
            luaL_argcheck(L, is_integer, 2, "field 'seed': integer expected");
            srv_rng_seed(seeded, (uint64_t)seed);
            rng = seeded;
        }
        lua_pushvalue(L, lua_upvalueindex(UP_STRICT));
        int strict_type = lua_gettable(L, 2);
        luaL_argcheck(L, strict_type == LUA_TNIL || strict_type == LUA_TBOOLEAN, 2,
                      "field 'strict': boolean expected");
        *strict = lua_toboolean(L, -1);
        lua_pop(L, 2);
        return rng;
    }
    luaL_typeerror(L, 2, "srv.rng, integer seed or options table");
    return NULL;
}

static int order(lua_State *L)
{
    srv_rng_t seeded;
    int strict = 0;
    srv_rng_t *rng = read_how(L, &seeded, &strict);
    if (lua_toboolean(L, 3))
        strict = 1;
    srv_order_mode_t mode = strict ? SRV_ORDER_STRICT : SRV_ORDER_WEIGHTED;
    size_t stack_perm[LSRV_ORDER_STACK_RECORDS];

    if (lua_type(L, 1) == LUA_TUSERDATA && has_metatable(L, 1, UP_PREPARED_META)) {
        prepared_t *p = lua_touserdata(L, 1);
        lua_settop(L, 3);
        lua_getiuservalue(L, 1, 1);   /* 4: the array the snapshot was taken of */
        if (p->count == 0) {
            lua_newtable(L);
            return 1;
        }
        size_t *perm = stack_perm;
        if (p->count > LSRV_ORDER_STACK_RECORDS)
            perm = lua_newuserdatauv(L, p->count * sizeof *perm, 0);
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

static void push_upvalues(lua_State *L)
{
    lua_pushliteral(L, "priority");
    lua_pushliteral(L, "weight");
    lua_pushliteral(L, "target");
    lua_pushliteral(L, "seed");
    lua_pushliteral(L, "strict");
    luaL_getmetatable(L, LSRV_RNG);
    luaL_getmetatable(L, LSRV_PREPARED);
}

void lsrv_open_order(lua_State *L)
{
    /* After lsrv_open_rng: its metatable must exist. */
    luaL_newmetatable(L, LSRV_PREPARED);
    lua_pop(L, 1);
    push_upvalues(L);
    lua_pushcclosure(L, prepare, UP_COUNT);
    lua_setfield(L, -2, "prepare");
    push_upvalues(L);
    lua_pushcclosure(L, order, UP_COUNT);
    lua_setfield(L, -2, "order");
}
