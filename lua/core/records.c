/* records.c - records as Lua tables, and the presentation-format parser.
 *
 * A record is a plain table {name=, target=, priority=, weight=, port=,
 * ttl=} with the core's names: no trailing dot, the root as ".". */
#include "binding.h"

#include <sys/socket.h>

#define LSRV_ZONE_SCRATCH "srv.zone_scratch"

/* The field names of a record table, in the order lsrv_push_record_keys
 * pushes them. */
enum { KEY_NAME, KEY_TARGET, KEY_PRIORITY, KEY_WEIGHT, KEY_PORT, KEY_TTL, KEY_COUNT };
static const char *const record_keys[KEY_COUNT] = {"name", "target", "priority", "weight", "port", "ttl"};

int lsrv_push_record_keys(lua_State *L)
{
    /* The keys, and room above them for what is built with them: an array
     * of results and one slot's value, a record set, a record, a key and
     * its value. */
    luaL_checkstack(L, KEY_COUNT + 7, "pushing srv records");
    int first = lua_gettop(L) + 1;
    for (int i = 0; i < KEY_COUNT; i++)
        lua_pushstring(L, record_keys[i]);
    return first;
}

/* table[key] = value, the table on top of the stack. */
static void set_string(lua_State *L, int keys, int key, const char *value)
{
    lua_pushvalue(L, keys + key);
    lua_pushstring(L, value);
    lua_rawset(L, -3);
}

static void set_integer(lua_State *L, int keys, int key, lua_Integer value)
{
    lua_pushvalue(L, keys + key);
    lua_pushinteger(L, value);
    lua_rawset(L, -3);
}

void lsrv_push_record(lua_State *L, int keys, const srv_record_t *record)
{
    lua_createtable(L, 0, KEY_COUNT);
    if (record->name)
        set_string(L, keys, KEY_NAME, record->name);
    set_string(L, keys, KEY_TARGET, record->target);
    set_integer(L, keys, KEY_PRIORITY, record->priority);
    set_integer(L, keys, KEY_WEIGHT, record->weight);
    set_integer(L, keys, KEY_PORT, record->port);
    set_integer(L, keys, KEY_TTL, (lua_Integer)record->ttl);
}

void lsrv_push_recordset(lua_State *L, int keys, const srv_recordset_t *set)
{
    lua_createtable(L, (int)set->count, 0);
    for (size_t i = 0; i < set->count; i++) {
        lsrv_push_record(L, keys, &set->records[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

void lsrv_push_address(lua_State *L, const srv_address_t *address)
{
    lua_createtable(L, 0, 3);
    lua_pushstring(L, address->family == AF_INET6 ? "inet6" : "inet");
    lua_setfield(L, -2, "family");
    lua_pushstring(L, address->text);
    lua_setfield(L, -2, "address");
    lua_pushinteger(L, (lua_Integer)address->ttl);
    lua_setfield(L, -2, "ttl");
}

/* Parsing ------------------------------------------------------------------ */

/* The parse result lives in a userdata while its tables are built: a Lua
 * memory error there leaves it to the collector instead of leaking it. */
static srv_zone_t *new_scratch(lua_State *L)
{
    srv_zone_t *zone = lua_newuserdatauv(L, sizeof *zone, 0);
    srv_zone_init(zone);
    luaL_setmetatable(L, LSRV_ZONE_SCRATCH);
    return zone;
}

static int scratch_gc(lua_State *L)
{
    srv_zone_clear(luaL_checkudata(L, 1, LSRV_ZONE_SCRATCH));
    return 0;
}

/* nil, "line L, column C: reason", L */
static int push_parse_failure(lua_State *L, srv_status_t status, const srv_parse_error_t *error)
{
    if (status != SRV_EPARSE)
        return lsrv_push_failure(L, status);
    lua_pushnil(L);
    lua_pushfstring(L, "line %d, column %d: %s", (int)error->line, (int)error->column,
                    error->reason);
    lua_pushinteger(L, (lua_Integer)error->line);
    return 3;
}

int lsrv_parse(lua_State *L)
{
    size_t length;
    const char *text = luaL_checklstring(L, 1, &length);
    srv_zone_t *scratch = new_scratch(L);
    srv_parse_error_t error;
    srv_status_t status = srv_parse_srv(text, length, &scratch->srv, &error);
    if (status != SRV_OK)
        return push_parse_failure(L, status, &error);
    lsrv_push_recordset(L, lsrv_push_record_keys(L), &scratch->srv);
    srv_zone_clear(scratch);
    return 1;
}

static void push_type(lua_State *L, uint16_t type)
{
    switch (type) {
    case SRV_RR_A:     lua_pushliteral(L, "A"); break;
    case SRV_RR_NS:    lua_pushliteral(L, "NS"); break;
    case SRV_RR_CNAME: lua_pushliteral(L, "CNAME"); break;
    case SRV_RR_SOA:   lua_pushliteral(L, "SOA"); break;
    case SRV_RR_PTR:   lua_pushliteral(L, "PTR"); break;
    case SRV_RR_MX:    lua_pushliteral(L, "MX"); break;
    case SRV_RR_TXT:   lua_pushliteral(L, "TXT"); break;
    case SRV_RR_AAAA:  lua_pushliteral(L, "AAAA"); break;
    case SRV_RR_SRV:   lua_pushliteral(L, "SRV"); break;
    default:           lua_pushfstring(L, "TYPE%d", (int)type); break;   /* RFC 3597 */
    }
}

static void push_rr(lua_State *L, const srv_rr_t *rr)
{
    lua_createtable(L, 0, 4);
    lua_pushstring(L, rr->owner);
    lua_setfield(L, -2, "owner");
    push_type(L, rr->type);
    lua_setfield(L, -2, "type");
    lua_pushstring(L, rr->rdata);
    lua_setfield(L, -2, "rdata");
    lua_pushinteger(L, (lua_Integer)rr->ttl);
    lua_setfield(L, -2, "ttl");
}

int lsrv_parse_zone(lua_State *L)
{
    size_t length;
    const char *text = luaL_checklstring(L, 1, &length);
    srv_parse_options_t opts;
    srv_parse_options_init(&opts);
    opts.origin = luaL_optstring(L, 2, NULL);
    srv_zone_t *scratch = new_scratch(L);
    srv_parse_error_t error;
    srv_status_t status = srv_parse_zone(text, length, &opts, scratch, &error);
    if (status != SRV_OK)
        return push_parse_failure(L, status, &error);
    int keys = lsrv_push_record_keys(L);
    lua_createtable(L, 0, 2);
    lsrv_push_recordset(L, keys, &scratch->srv);
    lua_setfield(L, -2, "srv");
    lua_createtable(L, (int)scratch->rr_count, 0);
    for (size_t i = 0; i < scratch->rr_count; i++) {
        push_rr(L, &scratch->rrs[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "rrs");
    srv_zone_clear(scratch);
    return 1;
}

void lsrv_open_records(lua_State *L)
{
    luaL_newmetatable(L, LSRV_ZONE_SCRATCH);
    lua_pushcfunction(L, scratch_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
}
