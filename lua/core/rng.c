/* rng.c - the srv.rng userdata: a seedable generator for core.order, so
 * that tests and simulations can replay an order. */
#include "binding.h"

static srv_rng_t *check_rng(lua_State *L)
{
    return luaL_checkudata(L, 1, LSRV_RNG);
}

/* core.rng([seed]): same seed, same sequence; no seed, the OS's. */
int lsrv_rng_new(lua_State *L)
{
    lua_settop(L, 1);   /* the userdata goes to 2, even without a seed */
    srv_rng_t *rng = lua_newuserdatauv(L, sizeof *rng, 0);
    if (lua_isnoneornil(L, 1)) {
        srv_status_t status = srv_rng_seed_os(rng);
        if (status != SRV_OK)
            return lsrv_push_failure(L, status);
    } else {
        srv_rng_seed(rng, (uint64_t)luaL_checkinteger(L, 1));
    }
    luaL_setmetatable(L, LSRV_RNG);
    return 1;
}

static int rng_next(lua_State *L)
{
    /* The 64 bits as they are: Lua integers wrap the same way. */
    lua_pushinteger(L, (lua_Integer)srv_rng_next(check_rng(L)));
    return 1;
}

static int rng_below(lua_State *L)
{
    srv_rng_t *rng = check_rng(L);
    lua_Integer bound = luaL_checkinteger(L, 2);
    luaL_argcheck(L, bound > 0, 2, "bound must be > 0");
    lua_pushinteger(L, (lua_Integer)srv_rng_below(rng, (uint64_t)bound));
    return 1;
}

static int rng_tostring(lua_State *L)
{
    lua_pushfstring(L, "%s (%p)", LSRV_RNG, (void *)check_rng(L));
    return 1;
}

static const luaL_Reg rng_methods[] = {
    {"next", rng_next},
    {"below", rng_below},
    {NULL, NULL}
};

void lsrv_open_rng(lua_State *L)
{
    luaL_newmetatable(L, LSRV_RNG);
    lua_pushcfunction(L, rng_tostring);
    lua_setfield(L, -2, "__tostring");
    luaL_newlibtable(L, rng_methods);
    luaL_setfuncs(L, rng_methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}
