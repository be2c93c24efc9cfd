/* resolver.c - the srv.resolver userdata: options, queries, and the
 * pollable interface (cqueues convention: pollfd, events, timeout).
 *
 * The userdata embeds its state. That is enough because nothing outlives
 * it: the core only calls back from inside processing and destroy calls,
 * which the methods make with the userdata on their stack, and close (also
 * __gc) destroys the core and delivers every completion before returning. */
#include "binding.h"

#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

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

static lsrv_resolver_t *check_resolver(lua_State *L)
{
    return luaL_checkudata(L, 1, LSRV_RESOLVER);
}

/* As liolib does for closed files. */
static lsrv_resolver_t *check_open(lua_State *L)
{
    lsrv_resolver_t *resolver = check_resolver(L);
    if (!resolver->core)
        luaL_error(L, "attempt to use a closed resolver");
    return resolver;
}

/* Completions waiting for delivery (also from inside a callback: nested
 * calls deliver, see lsrv_deliver). */
static int has_deliverable(const lsrv_resolver_t *resolver)
{
    return resolver->head != NULL;
}

/* Raises the error kept in error_slot, if any; else pushes delivered. */
static int finish_delivery(lua_State *L, int error_slot, int delivered)
{
    if (!lua_isnil(L, error_slot)) {
        lua_pushvalue(L, error_slot);
        return lua_error(L);
    }
    lua_pushinteger(L, delivered);
    return 1;
}

/* Queries ------------------------------------------------------------------ */

static int submit(lua_State *L, lsrv_query_kind_t kind)
{
    lsrv_resolver_t *resolver = check_open(L);
    size_t length;
    const char *name = luaL_checklstring(L, 2, &length);
    luaL_checktype(L, 3, LUA_TFUNCTION);
    if (strlen(name) != length)
        return lsrv_push_failure(L, SRV_EBADNAME);
    /* Pin the callback first: luaL_ref can raise, the malloc'd completion
     * must not be lost to that. */
    lua_pushvalue(L, 3);
    int callback_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lsrv_completion_t *completion = calloc(1, sizeof *completion);
    if (!completion) {
        luaL_unref(L, LUA_REGISTRYINDEX, callback_ref);
        return lsrv_push_failure(L, SRV_ENOMEM);
    }
    completion->owner = resolver;
    completion->kind = kind;
    completion->callback_ref = callback_ref;
    srv_status_t status = kind == LSRV_QUERY_SRV
        ? srv_resolver_query_srv(resolver->core, name, lsrv_on_srv, completion)
        : srv_resolver_query_addr(resolver->core, name, lsrv_on_addr, completion);
    if (status != SRV_OK) {
        lsrv_completion_free(L, completion);
        return lsrv_push_failure(L, status);
    }
    lua_pushboolean(L, 1);
    return 1;
}

static int resolver_query_srv(lua_State *L)
{
    return submit(L, LSRV_QUERY_SRV);
}

static int resolver_query_addr(lua_State *L)
{
    return submit(L, LSRV_QUERY_ADDR);
}

/* Driving ------------------------------------------------------------------ */

/* Blocks up to wait_ms until a socket of the resolver is ready. */
static void wait_for_sockets(lsrv_resolver_t *resolver, int wait_ms)
{
    int fd = srv_resolver_pollfd(resolver->core);
    if (fd >= 0) {
        struct pollfd poll_fd = {.fd = fd, .events = POLLIN, .revents = 0};
        (void)poll(&poll_fd, 1, wait_ms);
        return;
    }
    /* No epoll descriptor (out of descriptors): watch the sockets. */
    srv_pollfd_t sockets[16];
    size_t count = srv_resolver_fds(resolver->core, sockets, 16);
    struct pollfd fds[16];
    if (count > 16)
        count = 16;
    for (size_t i = 0; i < count; i++) {
        fds[i].fd = sockets[i].fd;
        fds[i].events = (short)((sockets[i].events & SRV_POLL_READ ? POLLIN : 0) |
                                (sockets[i].events & SRV_POLL_WRITE ? POLLOUT : 0));
        fds[i].revents = 0;
    }
    (void)poll(fds, count, wait_ms);
}

/* One round: wait up to wait_ms (-1: until the core's next deadline) for
 * work, unless completions are waiting; process; deliver. Returns how many
 * callbacks ran. The resolver must be open; it may be closed on return (a
 * callback closed it). */
static int step(lua_State *L, lsrv_resolver_t *resolver, int wait_ms, int error_slot)
{
    if (!has_deliverable(resolver)) {
        int deadline = srv_resolver_timeout_ms(resolver->core);
        if (deadline < 0)
            return 0;   /* nothing pending in the core */
        int wait = wait_ms < 0 || deadline < wait_ms ? deadline : wait_ms;
        if (wait > 0)
            wait_for_sockets(resolver, wait);
    }
    (void)srv_resolver_process(resolver->core);
    return lsrv_deliver(L, resolver, error_slot);
}

static int resolver_process(lua_State *L)
{
    lsrv_resolver_t *resolver = check_open(L);
    lua_settop(L, 1);
    lua_pushnil(L);   /* 2: the first callback error */
    (void)srv_resolver_process(resolver->core);
    return finish_delivery(L, 2, lsrv_deliver(L, resolver, 2));
}

static int resolver_step(lua_State *L)
{
    lsrv_resolver_t *resolver = check_open(L);
    int wait_ms = -1;
    if (!lua_isnoneornil(L, 2)) {
        lua_Number seconds = luaL_checknumber(L, 2);
        luaL_argcheck(L, seconds >= 0, 2, "timeout must be >= 0");
        wait_ms = seconds_to_ms(seconds);
    }
    lua_settop(L, 2);
    lua_pushnil(L);   /* 3: the first callback error */
    return finish_delivery(L, 3, step(L, resolver, wait_ms, 3));
}

static int resolver_run(lua_State *L)
{
    lsrv_resolver_t *resolver = check_open(L);
    lua_settop(L, 1);
    lua_pushnil(L);   /* 2: the first callback error */
    /* A callback error does not stop the run: the rest still get their
     * answers, then the first error is raised. */
    while (resolver->core &&
           (srv_resolver_pending(resolver->core) > 0 || has_deliverable(resolver)))
        (void)step(L, resolver, -1, 2);
    if (!lua_isnil(L, 2))
        return lua_error(L);
    lua_pushboolean(L, 1);
    return 1;
}

static int resolver_pending(lua_State *L)
{
    lsrv_resolver_t *resolver = check_open(L);
    lua_pushinteger(L, (lua_Integer)(srv_resolver_pending(resolver->core) + resolver->undelivered));
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
    if (has_deliverable(resolver)) {
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

/* close, __close and __gc. Destroying the core calls back every pending
 * query (CANCELLED unless it had completed); those completions are then
 * delivered here, before close returns (also when a callback closes its
 * own resolver). */
static int close_resolver(lua_State *L, int in_finalizer)
{
    lsrv_resolver_t *resolver = check_resolver(L);
    if (resolver->core) {
        srv_resolver_t *core = resolver->core;
        resolver->core = NULL;
        srv_resolver_destroy(core);
    }
    lua_settop(L, 1);
    lua_pushnil(L);   /* 2: the first callback error */
    (void)lsrv_deliver(L, resolver, in_finalizer ? 0 : 2);
    if (!lua_isnil(L, 2))
        return lua_error(L);
    lua_pushboolean(L, 1);
    return 1;
}

static int resolver_close(lua_State *L)
{
    return close_resolver(L, 0);
}

static int resolver_gc(lua_State *L)
{
    return close_resolver(L, 1);
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
    {"query_srv", resolver_query_srv},
    {"query_addr", resolver_query_addr},
    {"process", resolver_process},
    {"step", resolver_step},
    {"run", resolver_run},
    {"pending", resolver_pending},
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
    luaL_setfuncs(L, resolver_metamethods, 0);
    luaL_newlibtable(L, resolver_methods);
    luaL_setfuncs(L, resolver_methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}
