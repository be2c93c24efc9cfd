/* connect.c - the srv.race userdata (one connection race of the core,
 * srv_connect_t), the srv.socket userdata (a descriptor srv owns until it
 * is detached or closed), the srv.poller userdata (one epoll descriptor
 * over others: what r:pollfd() hands out while races run beside the
 * source's queries), and core.wait, the poll(2) srv.loop waits on when it
 * drives races beside a resolver.
 *
 * Pull-based as the resolver binding: Lua adds addresses, starts, and asks
 * for offers and the outcome; nothing here calls Lua. */
#include "binding.h"

#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct lsrv_race {
    srv_connect_t *core;   /* NULL once closed */
} lsrv_race_t;

typedef struct lsrv_socket {
    int fd;                /* -1 once detached or closed */
} lsrv_socket_t;

typedef struct lsrv_poller {
    int fd;                /* the epoll descriptor; -1 once closed */
} lsrv_poller_t;

static int to_ms(lua_State *L, int index, const char *name)
{
    lua_Number seconds = luaL_checknumber(L, index);
    if (!(seconds >= 0))
        return luaL_error(L, "bad field '%s' (seconds >= 0 expected)", name);
    lua_Number ms = ceil(seconds * 1000);
    return ms >= (lua_Number)INT_MAX ? INT_MAX : (int)ms;
}

/* core.race(attempt_delay, timeout, connect_timeout, manual): seconds or
 * nil for the core's defaults, manual a boolean. Positional rather than a
 * table: a race is made per r:connect, and the table would cost more than
 * the rest of this call. */
static int race_new(lua_State *L)
{
    srv_connect_options_t opts;
    srv_connect_options_init(&opts);
    if (!lua_isnoneornil(L, 1))
        opts.attempt_delay_ms = to_ms(L, 1, "attempt_delay");
    if (!lua_isnoneornil(L, 2))
        opts.timeout_ms = to_ms(L, 2, "timeout");
    if (!lua_isnoneornil(L, 3))
        opts.connect_timeout_ms = to_ms(L, 3, "connect_timeout");
    opts.manual_accept = lua_toboolean(L, 4);
    lsrv_race_t *race = lua_newuserdatauv(L, sizeof *race, 0);
    race->core = NULL;
    luaL_setmetatable(L, LSRV_RACE);
    srv_status_t status = srv_connect_new(&race->core, &opts);
    if (status != SRV_OK)
        return lsrv_push_failure(L, status);
    return 1;
}

static lsrv_race_t *check_race(lua_State *L)
{
    return luaL_checkudata(L, 1, LSRV_RACE);
}

static srv_connect_t *check_open_race(lua_State *L)
{
    lsrv_race_t *race = check_race(L);
    if (!race->core)
        luaL_error(L, "attempt to use a closed race");
    return race->core;
}

/* race:add(candidate, address, port): true, or nil, message, code. */
static int race_add(lua_State *L)
{
    srv_connect_t *race = check_open_race(L);
    lua_Integer candidate = luaL_checkinteger(L, 2);
    const char *address = luaL_checkstring(L, 3);
    lua_Integer port = luaL_checkinteger(L, 4);
    luaL_argcheck(L, candidate >= 1, 2, "candidate number >= 1 expected");
    luaL_argcheck(L, port >= 1 && port <= 65535, 4, "port 1..65535 expected");
    srv_status_t status = srv_connect_add(race, (size_t)candidate, address, (uint16_t)port);
    if (status != SRV_OK)
        return lsrv_push_failure(L, status);
    lua_pushboolean(L, 1);
    return 1;
}

/* race:add_candidates(cands [, family]): race:add(i, address, c.port) for
 * every address of every candidate c = cands[i] (c.addresses, a list of IP
 * literals, may be nil), only those of family ("inet" or "inet6") when one
 * is given. The number added, or nil, message, code. One call per race
 * rather than one per address: r:connect makes a race per call. */
static int race_add_candidates(lua_State *L)
{
    srv_connect_t *race = check_open_race(L);
    luaL_checktype(L, 2, LUA_TTABLE);
    const char *family = luaL_optstring(L, 3, NULL);
    int want6 = family && strcmp(family, "inet6") == 0;
    lua_settop(L, 3);
    lua_Integer added = 0;
    lua_Integer count = (lua_Integer)lua_rawlen(L, 2);
    for (lua_Integer i = 1; i <= count; i++) {
        if (lua_rawgeti(L, 2, i) != LUA_TTABLE)
            return luaL_error(L, "bad candidate %d (table expected)", (int)i);
        lua_getfield(L, 4, "port");
        lua_Integer port = lua_tointeger(L, 5);
        if (lua_getfield(L, 4, "addresses") == LUA_TTABLE) {
            lua_Integer n = (lua_Integer)lua_rawlen(L, 6);
            for (lua_Integer j = 1; j <= n; j++) {
                lua_rawgeti(L, 6, j);
                const char *address = lua_tostring(L, -1);
                if (address && (!family || (strchr(address, ':') != NULL) == want6)) {
                    srv_status_t status = port >= 1 && port <= 65535
                        ? srv_connect_add(race, (size_t)i, address, (uint16_t)port) : SRV_EINVAL;
                    if (status != SRV_OK)
                        return lsrv_push_failure(L, status);
                    added++;
                }
                lua_pop(L, 1);
            }
        }
        lua_settop(L, 3);
    }
    lua_pushinteger(L, added);
    return 1;
}

/* race:expect_more(bool): while true, a race out of addresses waits for
 * more (race:add) instead of ending (srv_connect_expect_more). */
static int race_expect_more(lua_State *L)
{
    srv_connect_t *race = check_open_race(L);
    luaL_checkany(L, 2);
    srv_connect_expect_more(race, lua_toboolean(L, 2));
    return 0;
}

static int race_start(lua_State *L)
{
    srv_status_t status = srv_connect_start(check_open_race(L));
    if (status != SRV_OK)
        return lsrv_push_failure(L, status);
    lua_pushboolean(L, 1);
    return 1;
}

/* false; or true, the code and, with "OK", the winning attempt's number. */
static int push_done(lua_State *L, srv_connect_t *race)
{
    if (!srv_connect_done(race)) {
        lua_pushboolean(L, 0);
        return 1;
    }
    lua_pushboolean(L, 1);
    srv_status_t status = srv_connect_status(race);
    lsrv_push_code(L, status);
    if (status != SRV_OK)
        return 2;
    lua_pushinteger(L, (lua_Integer)srv_connect_winner(race) + 1);
    return 3;
}

/* race:process(): what race:done() then says. */
static int race_process(lua_State *L)
{
    srv_connect_t *race = check_open_race(L);
    (void)srv_connect_process(race);
    return push_done(L, race);
}

static int race_pollfd(lua_State *L)
{
    int fd = srv_connect_pollfd(check_open_race(L));
    if (fd < 0)
        return lsrv_push_failure(L, SRV_ESYSTEM);
    lua_pushinteger(L, fd);
    return 1;
}

/* race:timeout(): seconds until process has work, nil once over. */
static int race_timeout(lua_State *L)
{
    int ms = srv_connect_timeout_ms(check_open_race(L));
    if (ms < 0)
        lua_pushnil(L);
    else
        lua_pushnumber(L, (lua_Number)ms / 1000);
    return 1;
}

/* race:done(): whether it is over, its code ("OK", "CONNECT", "TIMEOUT",
 * "CANCELLED") and with "OK" the winning attempt's number. */
static int race_done(lua_State *L)
{
    return push_done(L, check_open_race(L));
}

static void set_number(lua_State *L, const char *field, lua_Number value)
{
    lua_pushnumber(L, value);
    lua_setfield(L, -2, field);
}

/* race:attempts([offset [, cands]]): {address=, family=, port=, started=,
 * ended=, result=, error=} per attempt, times in seconds plus offset (the
 * time the caller had spent before the race), and with cands (the
 * candidate tables, numbered as added) target= from the attempt's
 * candidate; then the array of the attempts' candidate numbers. */
static int race_attempts(lua_State *L)
{
    srv_connect_t *race = check_open_race(L);
    lua_Number offset = luaL_optnumber(L, 2, 0);
    int with_targets = !lua_isnoneornil(L, 3);
    if (with_targets)
        luaL_checktype(L, 3, LUA_TTABLE);
    lua_settop(L, 3);
    size_t count = 0;
    const srv_attempt_t *attempts = srv_connect_attempts(race, &count);
    lua_createtable(L, (int)count, 0);
    lua_createtable(L, (int)count, 0);
    for (size_t i = 0; i < count; i++) {
        const srv_attempt_t *a = &attempts[i];
        lua_pushinteger(L, (lua_Integer)a->candidate);
        lua_rawseti(L, 5, (lua_Integer)i + 1);
        lua_createtable(L, 0, 8);
        if (with_targets && lua_rawgeti(L, 3, (lua_Integer)a->candidate) == LUA_TTABLE) {
            lua_getfield(L, -1, "target");
            lua_setfield(L, -3, "target");
        }
        if (with_targets)
            lua_pop(L, 1);
        lua_pushstring(L, a->address);
        lua_setfield(L, -2, "address");
        lua_pushstring(L, a->family == AF_INET6 ? "inet6" : "inet");
        lua_setfield(L, -2, "family");
        lua_pushinteger(L, a->port);
        lua_setfield(L, -2, "port");
        set_number(L, "started", (lua_Number)a->started_ms / 1000 + offset);
        if (a->ended_ms >= 0)
            set_number(L, "ended", (lua_Number)a->ended_ms / 1000 + offset);
        lua_pushstring(L, srv_attempt_result_name(a->result));
        lua_setfield(L, -2, "result");
        if (a->error) {
            lua_pushstring(L, strerror(a->error));
            lua_setfield(L, -2, "error");
        }
        lua_rawseti(L, 4, (lua_Integer)i + 1);
    }
    return 2;
}

static int race_elapsed(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)srv_connect_elapsed_ms(check_open_race(L)) / 1000);
    return 1;
}

/* race:winner(): the winning attempt's number (1-based) or nil. */
static int race_winner(lua_State *L)
{
    long winner = srv_connect_winner(check_open_race(L));
    if (winner < 0)
        lua_pushnil(L);
    else
        lua_pushinteger(L, (lua_Integer)winner + 1);
    return 1;
}

static void push_socket(lua_State *L, int fd)
{
    lsrv_socket_t *sock = lua_newuserdatauv(L, sizeof *sock, 0);
    sock->fd = fd;
    luaL_setmetatable(L, LSRV_SOCKET);
}

/* race:take(): the winner's descriptor as an srv.socket, or nil. */
static int race_take(lua_State *L)
{
    srv_connect_t *race = check_open_race(L);
    luaL_checkstack(L, 2, NULL);
    /* The userdata first: creating it can raise, and the descriptor must
     * then still be the race's, which closes it. */
    push_socket(L, -1);
    int fd = srv_connect_take(race);
    if (fd < 0) {
        lua_pushnil(L);
        return 1;
    }
    ((lsrv_socket_t *)lua_touserdata(L, -1))->fd = fd;
    return 1;
}

/* race:offer(): the number of an attempt connected and not offered yet,
 * and its descriptor (still the race's), or nil. */
static int race_offer(lua_State *L)
{
    srv_connect_t *race = check_open_race(L);
    long attempt = srv_connect_offer(race);
    if (attempt < 0) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushinteger(L, (lua_Integer)attempt + 1);
    lua_pushinteger(L, srv_connect_attempt_fd(race, (size_t)attempt));
    return 2;
}

static size_t check_attempt(lua_State *L)
{
    lua_Integer attempt = luaL_checkinteger(L, 2);
    luaL_argcheck(L, attempt >= 1, 2, "attempt number expected");
    return (size_t)attempt - 1;
}

/* race:accept(n) / race:reject(n): true, or false when n is no open offer
 * (the race ended meanwhile). */
static int race_accept(lua_State *L)
{
    srv_connect_t *race = check_open_race(L);
    lua_pushboolean(L, srv_connect_accept(race, check_attempt(L)) == SRV_OK);
    return 1;
}

static int race_reject(lua_State *L)
{
    srv_connect_t *race = check_open_race(L);
    lua_pushboolean(L, srv_connect_reject(race, check_attempt(L)) == SRV_OK);
    return 1;
}

static int race_cancel(lua_State *L)
{
    srv_connect_cancel(check_open_race(L));
    return 0;
}

/* close(), __close and __gc: every descriptor the race owns is closed;
 * safe twice. */
static int race_close(lua_State *L)
{
    lsrv_race_t *race = check_race(L);
    if (race->core) {
        srv_connect_t *core = race->core;
        race->core = NULL;
        srv_connect_destroy(core);
    }
    return 0;
}

static int race_tostring(lua_State *L)
{
    lsrv_race_t *race = check_race(L);
    if (race->core)
        lua_pushfstring(L, "%s (%p)", LSRV_RACE, (void *)race);
    else
        lua_pushfstring(L, "%s (closed)", LSRV_RACE);
    return 1;
}

static const luaL_Reg race_methods[] = {
    {"add", race_add},
    {"add_candidates", race_add_candidates},
    {"expect_more", race_expect_more},
    {"start", race_start},
    {"process", race_process},
    {"pollfd", race_pollfd},
    {"timeout", race_timeout},
    {"done", race_done},
    {"attempts", race_attempts},
    {"elapsed", race_elapsed},
    {"winner", race_winner},
    {"take", race_take},
    {"offer", race_offer},
    {"accept", race_accept},
    {"reject", race_reject},
    {"cancel", race_cancel},
    {"close", race_close},
    {NULL, NULL}
};

static const luaL_Reg race_metamethods[] = {
    {"__index", NULL},
    {"__gc", race_close},
    {"__close", race_close},
    {"__tostring", race_tostring},
    {NULL, NULL}
};

/* srv.socket --------------------------------------------------------------- */

static lsrv_socket_t *check_socket(lua_State *L)
{
    return luaL_checkudata(L, 1, LSRV_SOCKET);
}

/* sock:fd(): the descriptor, still owned; nil once detached or closed. */
static int socket_fd(lua_State *L)
{
    lsrv_socket_t *sock = check_socket(L);
    if (sock->fd < 0)
        lua_pushnil(L);
    else
        lua_pushinteger(L, sock->fd);
    return 1;
}

/* sock:detach(): the descriptor, now the caller's; nil when there is none. */
static int socket_detach(lua_State *L)
{
    lsrv_socket_t *sock = check_socket(L);
    int fd = sock->fd;
    sock->fd = -1;
    if (fd < 0)
        lua_pushnil(L);
    else
        lua_pushinteger(L, fd);
    return 1;
}

static int socket_close(lua_State *L)
{
    lsrv_socket_t *sock = check_socket(L);
    if (sock->fd >= 0) {
        close(sock->fd);
        sock->fd = -1;
    }
    lua_pushboolean(L, 1);
    return 1;
}

static const luaL_Reg socket_methods[] = {
    {"fd", socket_fd},
    {"detach", socket_detach},
    {"close", socket_close},
    {NULL, NULL}
};

static const luaL_Reg socket_metamethods[] = {
    {"__index", NULL},
    {"__gc", socket_close},
    {"__close", socket_close},
    {NULL, NULL}
};

/* srv.poller ---------------------------------------------------------------- */

/* core.poller(): an epoll descriptor that polls readable when one of the
 * descriptors added to it is (each an epoll descriptor itself: the
 * source's, a race's; an epoll descriptor can be watched by another). */
static int poller_new(lua_State *L)
{
    lsrv_poller_t *poller = lua_newuserdatauv(L, sizeof *poller, 0);
    poller->fd = -1;
    luaL_setmetatable(L, LSRV_POLLER);
    poller->fd = epoll_create1(EPOLL_CLOEXEC);
    if (poller->fd < 0)
        return lsrv_push_failure(L, SRV_ESYSTEM);
    return 1;
}

static lsrv_poller_t *check_open_poller(lua_State *L)
{
    lsrv_poller_t *poller = luaL_checkudata(L, 1, LSRV_POLLER);
    if (poller->fd < 0)
        luaL_error(L, "attempt to use a closed poller");
    return poller;
}

static int poller_fd(lua_State *L)
{
    lua_pushinteger(L, check_open_poller(L)->fd);
    return 1;
}

/* poller:add(fd): watched for reading; true, or nil, message, code. */
static int poller_add(lua_State *L)
{
    lsrv_poller_t *poller = check_open_poller(L);
    int fd = (int)luaL_checkinteger(L, 2);
    struct epoll_event event = {.events = EPOLLIN, .data.fd = fd};
    if (epoll_ctl(poller->fd, EPOLL_CTL_ADD, fd, &event) != 0)
        return lsrv_push_failure(L, SRV_ESYSTEM);
    lua_pushboolean(L, 1);
    return 1;
}

/* poller:remove(fd): no longer watched (a descriptor that is not is fine). */
static int poller_remove(lua_State *L)
{
    lsrv_poller_t *poller = check_open_poller(L);
    int fd = (int)luaL_checkinteger(L, 2);
    (void)epoll_ctl(poller->fd, EPOLL_CTL_DEL, fd, NULL);
    return 0;
}

static int poller_close(lua_State *L)
{
    lsrv_poller_t *poller = luaL_checkudata(L, 1, LSRV_POLLER);
    if (poller->fd >= 0) {
        close(poller->fd);
        poller->fd = -1;
    }
    return 0;
}

static const luaL_Reg poller_methods[] = {
    {"fd", poller_fd},
    {"add", poller_add},
    {"remove", poller_remove},
    {"close", poller_close},
    {NULL, NULL}
};

static const luaL_Reg poller_metamethods[] = {
    {"__index", NULL},
    {"__gc", poller_close},
    {"__close", poller_close},
    {NULL, NULL}
};

/* core.wait(fds, seconds): waits up to seconds (nil: no limit) until one
 * of the descriptors in the array is readable (epoll descriptors are when
 * anything they watch is ready). Returns nothing. */
static int core_wait(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    int wait_ms = -1;
    if (!lua_isnoneornil(L, 2)) {
        lua_Number seconds = luaL_checknumber(L, 2);
        luaL_argcheck(L, seconds >= 0, 2, "timeout must be >= 0");
        lua_Number ms = ceil(seconds * 1000);
        wait_ms = ms >= (lua_Number)INT_MAX ? INT_MAX : (int)ms;
    }
    struct pollfd fds[32];
    nfds_t count = 0;
    lua_Integer n = luaL_len(L, 1);
    for (lua_Integer i = 1; i <= n && count < 32; i++) {
        lua_rawgeti(L, 1, i);
        fds[count].fd = (int)luaL_checkinteger(L, -1);
        fds[count].events = POLLIN;
        fds[count].revents = 0;
        count++;
        lua_pop(L, 1);
    }
    (void)poll(fds, count, wait_ms);
    return 0;
}

void lsrv_open_connect(lua_State *L)
{
    luaL_newmetatable(L, LSRV_RACE);
    luaL_setfuncs(L, race_metamethods, 0);
    luaL_newlibtable(L, race_methods);
    luaL_setfuncs(L, race_methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    luaL_newmetatable(L, LSRV_SOCKET);
    luaL_setfuncs(L, socket_metamethods, 0);
    luaL_newlibtable(L, socket_methods);
    luaL_setfuncs(L, socket_methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    luaL_newmetatable(L, LSRV_POLLER);
    luaL_setfuncs(L, poller_metamethods, 0);
    luaL_newlibtable(L, poller_methods);
    luaL_setfuncs(L, poller_methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}

/* Sets core.race, core.poller and core.wait in the module table on the
 * stack top. */
void lsrv_open_connect_functions(lua_State *L)
{
    lua_pushcfunction(L, race_new);
    lua_setfield(L, -2, "race");
    lua_pushcfunction(L, poller_new);
    lua_setfield(L, -2, "poller");
    lua_pushcfunction(L, core_wait);
    lua_setfield(L, -2, "wait");
}
