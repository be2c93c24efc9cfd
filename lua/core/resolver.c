/* resolver.c - the srv.resolver userdata: options, queries, and the
 * pollable interface (cqueues convention: pollfd, events, timeout).
 *
 * Pull-based, as cqueues' binding: submit returns an id at once, process
 * and step move the core on, fetch hands Lua every result that is ready in
 * one array. Waiting and callbacks are Lua's (srv.loop); nothing here calls
 * Lua.
 *
 * The userdata embeds its state. That is enough because nothing outlives
 * it: the core only calls back from inside processing and destroy calls,
 * which the methods make with the userdata on their stack. */
#include "binding.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Options ----------------------------------------------------------------- */

/* Pushes opts.name; 0 when it is nil, else checks its type (raises). */
static int get_field(lua_State *L, const char *name, int type)
{
    int actual = lua_getfield(L, 1, name);
    if (actual == LUA_TNIL)
        return 0;
    if (actual != type)
        luaL_error(L, "bad field '%s' (%s expected, got %s)", name, lua_typename(L, type),
                   luaL_typename(L, -1));
    return 1;
}

static int get_count_field(lua_State *L, const char *name, lua_Integer *out)
{
    if (!get_field(L, name, LUA_TNUMBER))
        return 0;
    int is_integer;
    lua_Integer value = lua_tointegerx(L, -1, &is_integer);
    if (!is_integer)
        luaL_error(L, "bad field '%s' (number has no integer representation)", name);
    if (value < 1 || value > INT_MAX)
        luaL_error(L, "bad field '%s' (integer 1..%d expected, got %I)", name, INT_MAX, value);
    *out = value;
    return 1;
}

/* Seconds to whole milliseconds, rounded up so a short wait is not 0. */
static int seconds_to_ms(lua_Number seconds)
{
    lua_Number ms = ceil(seconds * 1000);
    return ms >= (lua_Number)INT_MAX ? INT_MAX : (int)ms;
}

/* Reads the options table at index 1. The servers string stays on the
 * stack, so opts->servers is valid until the caller returns. */
static void read_options(lua_State *L, srv_resolver_options_t *opts)
{
    lua_Integer count;
    if (get_field(L, "timeout", LUA_TNUMBER)) {
        lua_Number seconds = lua_tonumber(L, -1);
        if (!(seconds > 0))
            luaL_error(L, "bad field 'timeout' (positive number of seconds expected)");
        opts->timeout_ms = seconds_to_ms(seconds);
    }
    if (get_count_field(L, "tries", &count))
        opts->tries = (int)count;
    if (get_count_field(L, "max_inflight", &count))
        opts->max_inflight = (size_t)count;
    if (get_field(L, "edns", LUA_TBOOLEAN))
        opts->edns = lua_toboolean(L, -1);
    if (get_field(L, "servers", LUA_TSTRING))
        opts->servers = lua_tostring(L, -1);
}

int lsrv_resolver_new(lua_State *L)
{
    srv_resolver_options_t opts;
    srv_resolver_options_init(&opts);
    if (!lua_isnoneornil(L, 1)) {
        luaL_checktype(L, 1, LUA_TTABLE);
        read_options(L, &opts);
    }
    /* The userdata first: creating it can raise, which must not leak a
     * core resolver. Until the core exists it reads as closed. */
    lsrv_resolver_t *resolver = lua_newuserdatauv(L, sizeof *resolver, 0);
    memset(resolver, 0, sizeof *resolver);
    luaL_setmetatable(L, LSRV_RESOLVER);
    srv_status_t status = srv_resolver_new(&resolver->core, &opts);
    if (status != SRV_OK) {
        resolver->core = NULL;
        return lsrv_push_failure(L, status);
    }
    return 1;
}

/* Checking ---------------------------------------------------------------- */

/* The methods and metamethods hold the metatable as their upvalue
 * (lsrv_open_resolver): comparing with it costs less than
 * luaL_checkudata's lookup of the metatable by name in the registry, on
 * every submit, step and fetch. */
static lsrv_resolver_t *check_resolver(lua_State *L)
{
    lsrv_resolver_t *resolver = lua_touserdata(L, 1);
    if (!resolver || !lua_getmetatable(L, 1) || !lua_rawequal(L, -1, lua_upvalueindex(1)))
        luaL_typeerror(L, 1, LSRV_RESOLVER);
    lua_pop(L, 1);
    return resolver;
}

/* As liolib does for closed files. */
static lsrv_resolver_t *check_open(lua_State *L)
{
    lsrv_resolver_t *resolver = check_resolver(L);
    if (!resolver->core)
        luaL_error(L, "attempt to use a closed resolver");
    return resolver;
}

/* Queries ------------------------------------------------------------------ */

/* submit_srv(name) / submit_addr(name [, family]): the query's id, or
 * nil, message, code when the core refuses it at once (a NUL in the name,
 * memory). family: "inet" (A only) or "inet6" (AAAA only); nil for both
 * (srv_resolver_query_addr_family). */
static int submit(lua_State *L, lsrv_query_kind_t kind)
{
    static const char *const families[] = {"inet", "inet6", NULL};
    lsrv_resolver_t *resolver = check_open(L);
    size_t length;
    const char *name = luaL_checklstring(L, 2, &length);
    int family = AF_UNSPEC;
    if (kind == LSRV_QUERY_ADDR && !lua_isnoneornil(L, 3))
        family = luaL_checkoption(L, 3, NULL, families) == 0 ? AF_INET : AF_INET6;
    if (strlen(name) != length)
        return lsrv_push_failure(L, SRV_EBADNAME);
    lsrv_completion_t *completion = calloc(1, sizeof *completion);
    if (!completion)
        return lsrv_push_failure(L, SRV_ENOMEM);
    completion->owner = resolver;
    completion->kind = kind;
    completion->id = resolver->last_id + 1;
    srv_status_t status = kind == LSRV_QUERY_SRV
        ? srv_resolver_query_srv(resolver->core, name, lsrv_on_srv, completion)
        : srv_resolver_query_addr_family(resolver->core, name, family, lsrv_on_addr, completion);
    if (status != SRV_OK) {
        lsrv_completion_free(completion);
        return lsrv_push_failure(L, status);
    }
    resolver->last_id = completion->id;
    lua_pushinteger(L, completion->id);
    return 1;
}

static int resolver_submit_srv(lua_State *L)
{
    return submit(L, LSRV_QUERY_SRV);
}

static int resolver_submit_addr(lua_State *L)
{
    return submit(L, LSRV_QUERY_ADDR);
}

/* fetch(): an array of what is ready (lsrv_fetch) and how many results it
 * holds; nil, 0 when nothing is. Also on a closed resolver: closing leaves
 * the CANCELLED results of its queries to fetch. */
static int resolver_fetch(lua_State *L)
{
    lsrv_resolver_t *resolver = check_resolver(L);
    int count = lsrv_fetch(L, resolver);
    if (count == 0)
        lua_pushnil(L);
    lua_pushinteger(L, count);
    return 2;
}

/* Driving ------------------------------------------------------------------ */

/* Pushes how many results wait for fetch; returns 1. */
static int push_ready(lua_State *L, const lsrv_resolver_t *resolver)
{
    lua_pushinteger(L, (lua_Integer)resolver->unfetched);
    return 1;
}

/* process(): handles whatever the sockets and timers have, without
 * waiting; returns how many results wait for fetch. */
static int resolver_process(lua_State *L)
{
    lsrv_resolver_t *resolver = check_open(L);
    (void)srv_resolver_process(resolver->core);
    return push_ready(L, resolver);
}

/* step([timeout]): unless results wait for fetch already, waits up to
 * timeout seconds (nil: until the core's next deadline) for a socket, then
 * processes; returns how many results wait for fetch. */
static int resolver_step(lua_State *L)
{
    lsrv_resolver_t *resolver = check_open(L);
    int wait_ms = -1;
    if (!lua_isnoneornil(L, 2)) {
        lua_Number seconds = luaL_checknumber(L, 2);
        luaL_argcheck(L, seconds >= 0, 2, "timeout must be >= 0");
        wait_ms = seconds_to_ms(seconds);
    }
    /* Results waiting for fetch: nothing to wait for. */
    if (resolver->head)
        (void)srv_resolver_process(resolver->core);
    else
        (void)srv_resolver_wait(resolver->core, wait_ms);
    return push_ready(L, resolver);
}

/* stats(): queries started and queries that joined an identical one
 * (srv_resolver_stats). Also on a closed resolver: the counts as it was
 * closed. */
static int resolver_stats(lua_State *L)
{
    lsrv_resolver_t *resolver = check_resolver(L);
    srv_resolver_stats_t stats = resolver->stats;
    if (resolver->core)
        srv_resolver_stats(resolver->core, &stats);
    lua_pushinteger(L, (lua_Integer)stats.queries);
    lua_pushinteger(L, (lua_Integer)stats.shared);
    return 2;
}

/* pending(): queries in the core plus results not fetched yet. */
static int resolver_pending(lua_State *L)
{
    lsrv_resolver_t *resolver = check_open(L);
    lua_pushinteger(L, (lua_Integer)(srv_resolver_pending(resolver->core) + resolver->unfetched));
    return 1;
}

static int resolver_pollfd(lua_State *L)
{
    lsrv_resolver_t *resolver = check_open(L);
    int fd = srv_resolver_pollfd(resolver->core);
    if (fd < 0)
        return lsrv_push_failure(L, SRV_ESYSTEM);
    lua_pushinteger(L, fd);
    return 1;
}

static int resolver_events(lua_State *L)
{
    (void)check_open(L);
    /* The epoll descriptor polls readable for any socket event. */
    lua_pushliteral(L, "r");
    return 1;
}

static int resolver_timeout(lua_State *L)
{
    lsrv_resolver_t *resolver = check_open(L);
    if (resolver->head) {
        lua_pushnumber(L, 0);
        return 1;
    }
    int ms = srv_resolver_timeout_ms(resolver->core);
    if (ms < 0)
        lua_pushnil(L);
    else
        lua_pushnumber(L, (lua_Number)ms / 1000);
    return 1;
}

/* Closing ------------------------------------------------------------------ */

/* Destroying the core completes every query still in it (CANCELLED unless
 * its answer had arrived); safe twice. */
static void destroy_core(lsrv_resolver_t *resolver)
{
    if (resolver->core) {
        srv_resolver_t *core = resolver->core;
        resolver->core = NULL;
        srv_resolver_stats(core, &resolver->stats);
        srv_resolver_destroy(core);
    }
}

/* close() and __close: the results of every query, CANCELLED or not, stay
 * for fetch. */
static int resolver_close(lua_State *L)
{
    destroy_core(check_resolver(L));
    lua_pushboolean(L, 1);
    return 1;
}

/* __gc: nobody is left to fetch. */
static int resolver_gc(lua_State *L)
{
    lsrv_resolver_t *resolver = check_resolver(L);
    destroy_core(resolver);
    lsrv_discard_unfetched(resolver);
    return 0;
}

static int resolver_tostring(lua_State *L)
{
    lsrv_resolver_t *resolver = check_resolver(L);
    if (resolver->core)
        lua_pushfstring(L, "%s (%p)", LSRV_RESOLVER, (void *)resolver);
    else
        lua_pushfstring(L, "%s (closed)", LSRV_RESOLVER);
    return 1;
}

static const luaL_Reg resolver_methods[] = {
    {"submit_srv", resolver_submit_srv},
    {"submit_addr", resolver_submit_addr},
    {"fetch", resolver_fetch},
    {"process", resolver_process},
    {"step", resolver_step},
    {"pending", resolver_pending},
    {"stats", resolver_stats},
    {"pollfd", resolver_pollfd},
    {"events", resolver_events},
    {"timeout", resolver_timeout},
    {"close", resolver_close},
    {NULL, NULL}
};

static const luaL_Reg resolver_metamethods[] = {
    {"__index", NULL},   /* the methods table, set below */
    {"__gc", resolver_gc},
    {"__close", resolver_close},
    {"__tostring", resolver_tostring},
    {NULL, NULL}
};

void lsrv_open_resolver(lua_State *L)
{
    luaL_newmetatable(L, LSRV_RESOLVER);
    lua_pushvalue(L, -1);
    luaL_setfuncs(L, resolver_metamethods, 1);
    luaL_newlibtable(L, resolver_methods);
    lua_pushvalue(L, -2);
    luaL_setfuncs(L, resolver_methods, 1);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}
