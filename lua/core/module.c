/* module.c - luaopen_srv_core and the free functions of srv.core.
 *
 * srv.core is the private binding under the Lua API: thin, no policy.
 * Convention, as luv's: a failure the caller should handle returns
 * nil, srv_strerror(status), srv_status_code(status); a wrong argument
 * raises. */
#include "binding.h"

#include <poll.h>
#include <string.h>
#include <time.h>

void lsrv_push_code(lua_State *L, srv_status_t status)
{
    lua_pushstring(L, srv_status_code(status));
}

int lsrv_push_failure(lua_State *L, srv_status_t status)
{
    lua_pushnil(L);
    lua_pushstring(L, srv_strerror(status));
    lsrv_push_code(L, status);
    return 3;
}

/* core.now(): monotonic seconds, for timing and deadlines. */
static int core_now(lua_State *L)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    lua_pushnumber(L, (lua_Number)now.tv_sec + (lua_Number)now.tv_nsec / 1e9);
    return 1;
}

/* core.sleep(seconds): waits that long (at most a day; a signal may end it
 * early). srv.loop sleeps here when a timer is the only thing pending, so
 * that r:run() and r:step() wait for it instead of spinning. */
static int core_sleep(lua_State *L)
{
    lua_Number seconds = luaL_checknumber(L, 1);
    luaL_argcheck(L, seconds >= 0, 1, "seconds must be >= 0");
    if (seconds > 86400)
        seconds = 86400;
    int ms = (int)(seconds * 1000 + 0.999);   /* rounded up: never wake before it */
    if (ms > 0)
        (void)poll(NULL, 0, ms);
    return 0;
}

/* core.message(code): the sentence for a status code string. */
static int core_message(lua_State *L)
{
    const char *code = luaL_checkstring(L, 1);
    for (int status = 0; status < SRV_STATUS_COUNT; status++) {
        if (strcmp(code, srv_status_code((srv_status_t)status)) == 0) {
            lua_pushstring(L, srv_strerror((srv_status_t)status));
            return 1;
        }
    }
    lua_pushnil(L);
    return 1;
}

static const luaL_Reg core_functions[] = {
    {"new", lsrv_resolver_new},
    {"rng", lsrv_rng_new},
    {"parse", lsrv_parse},
    {"parse_zone", lsrv_parse_zone},
    {"now", core_now},
    {"sleep", core_sleep},
    {"message", core_message},
    {NULL, NULL}
};

int luaopen_srv_core(lua_State *L)
{
    luaL_checkversion(L);
    lsrv_open_resolver(L);
    lsrv_open_rng(L);
    lsrv_open_records(L);
    lsrv_open_connect(L);
    luaL_newlib(L, core_functions);
    lsrv_open_order(L);
    lsrv_open_connect_functions(L);
    lua_pushliteral(L, SRV_VERSION);
    lua_setfield(L, -2, "version");
    lua_pushstring(L, srv_cares_version());
    lua_setfield(L, -2, "cares_version");
    return 1;
}
