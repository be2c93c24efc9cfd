/* delivery.c - completed queries, from the core's C callbacks to Lua.
 *
 * The core calls back from inside srv_resolver_process() and
 * srv_resolver_destroy(). A Lua call there could raise, and a longjmp
 * through c-ares would leave its state half updated, so the C callbacks
 * below only copy the result and append it to the resolver's FIFO. The
 * methods deliver that FIFO once the core call has returned. */
#include "binding.h"

#include <stdlib.h>
#include <string.h>

static void append(lsrv_resolver_t *resolver, lsrv_completion_t *completion)
{
    completion->next = NULL;
    if (resolver->tail)
        resolver->tail->next = completion;
    else
        resolver->head = completion;
    resolver->tail = completion;
    resolver->undelivered++;
}

static lsrv_completion_t *take_first(lsrv_resolver_t *resolver)
{
    lsrv_completion_t *completion = resolver->head;
    if (completion) {
        resolver->head = completion->next;
        if (!resolver->head)
            resolver->tail = NULL;
        resolver->undelivered--;
        completion->next = NULL;
    }
    return completion;
}

void lsrv_on_srv(const srv_srv_result_t *result, void *arg)
{
    lsrv_completion_t *completion = arg;
    completion->status = result->status;
    completion->negative_ttl = result->negative_ttl;
    if ((result->status == SRV_OK || result->status == SRV_ENOSERVICE) && result->records &&
        srv_recordset_copy(&completion->records, result->records) != SRV_OK) {
        srv_recordset_clear(&completion->records);
        completion->status = SRV_ENOMEM;
    }
    append(completion->owner, completion);
}

void lsrv_on_addr(const srv_addr_result_t *result, void *arg)
{
    lsrv_completion_t *completion = arg;
    completion->status = result->status;
    if (result->status == SRV_OK && result->count > 0) {
        completion->addresses = malloc(result->count * sizeof *completion->addresses);
        if (completion->addresses) {
            memcpy(completion->addresses, result->addresses,
                   result->count * sizeof *completion->addresses);
            completion->address_count = result->count;
        } else {
            completion->status = SRV_ENOMEM;
        }
    }
    append(completion->owner, completion);
}

void lsrv_completion_free(lua_State *L, lsrv_completion_t *completion)
{
    luaL_unref(L, LUA_REGISTRYINDEX, completion->callback_ref);
    srv_recordset_clear(&completion->records);
    free(completion->addresses);
    free(completion);
}

/* The message handler of every callback call, as lua.c's msghandler:
 * the error and where it came from. */
static int traceback(lua_State *L)
{
    const char *message = lua_tostring(L, 1);
    if (!message) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        message = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, message, 1);
    return 1;
}

/* Runs under lua_pcall: building the argument tables can raise too, and
 * the completion must be freed whatever happens. */
static int call_callback(lua_State *L)
{
    const lsrv_completion_t *completion = lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, completion->callback_ref);
    lsrv_push_code(L, completion->status);
    if (completion->kind == LSRV_QUERY_SRV) {
        if (completion->status == SRV_OK || completion->status == SRV_ENOSERVICE)
            lsrv_push_recordset(L, &completion->records);
        else
            lua_pushnil(L);
        lua_pushinteger(L, (lua_Integer)completion->negative_ttl);
        lua_call(L, 3, 0);
    } else {
        if (completion->status == SRV_OK) {
            lua_createtable(L, (int)completion->address_count, 0);
            for (size_t i = 0; i < completion->address_count; i++) {
                lsrv_push_address(L, &completion->addresses[i]);
                lua_rawseti(L, -2, (lua_Integer)i + 1);
            }
        } else {
            lua_pushnil(L);
        }
        lua_call(L, 2, 0);
    }
    return 0;
}

static void warn_error(lua_State *L)
{
    const char *message = lua_tostring(L, -1);
    lua_warning(L, "srv.resolver: error in a callback run by the finalizer: ", 1);
    lua_warning(L, message ? message : "(error object is not a string)", 0);
}

int lsrv_deliver(lua_State *L, lsrv_resolver_t *resolver, int error_slot)
{
    /* A callback may itself wait for an answer (a blocking lookup inside a
     * policy or a callback): process/step/run called from it deliver too,
     * taking completions from the same FIFO, so the order stays the order
     * in which answers arrived. The C stack grows only with such nesting. */
    if (!resolver->head)
        return 0;
    luaL_checkstack(L, 4, "delivering srv.resolver callbacks");
    int delivered = 0;
    lsrv_completion_t *completion;
    while ((completion = take_first(resolver))) {
        lua_pushcfunction(L, traceback);
        lua_pushcfunction(L, call_callback);
        lua_pushlightuserdata(L, completion);
        if (lua_pcall(L, 1, 0, -3) != LUA_OK) {
            if (error_slot == 0)
                warn_error(L);
            else if (lua_isnil(L, error_slot)) {
                lua_replace(L, error_slot);
                lua_pushnil(L);   /* keeps the pop below even */
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);   /* traceback */
        lsrv_completion_free(L, completion);
        delivered++;
    }
    return delivered;
}
