/* delivery.c - completed queries, from the core's C callbacks to Lua.
 *
 * The core calls back from inside srv_resolver_process() and
 * srv_resolver_destroy(). The callbacks below only take the result and
 * append it to the resolver's FIFO; Lua takes the FIFO in one batch with
 * fetch (lsrv_fetch) and runs its own callbacks (srv.loop). No Lua call
 * happens in C, so a Lua error can never unwind through c-ares. */
#include "binding.h"

#include <limits.h>
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
    resolver->unfetched++;
}

static lsrv_completion_t *take_first(lsrv_resolver_t *resolver)
{
    lsrv_completion_t *completion = resolver->head;
    if (completion) {
        resolver->head = completion->next;
        if (!resolver->head)
            resolver->tail = NULL;
        resolver->unfetched--;
        completion->next = NULL;
    }
    return completion;
}

void lsrv_on_srv(const srv_srv_result_t *result, void *arg)
{
    lsrv_completion_t *completion = arg;
    completion->status = result->status;
    completion->negative_ttl = result->negative_ttl;
    /* Taken, not copied: the core frees what a callback leaves (srv.h). */
    if ((result->status == SRV_OK || result->status == SRV_ENOSERVICE) && result->records)
        srv_recordset_take(&completion->records, result->records);
    append(completion->owner, completion);
}

void lsrv_on_addr(const srv_addr_result_t *result, void *arg)
{
    lsrv_completion_t *completion = arg;
    completion->status = result->status;
    completion->negative_ttl = result->negative_ttl;
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

void lsrv_completion_free(lsrv_completion_t *completion)
{
    srv_recordset_clear(&completion->records);
    free(completion->addresses);
    free(completion);
}

void lsrv_discard_unfetched(lsrv_resolver_t *resolver)
{
    lsrv_completion_t *completion;
    while ((completion = take_first(resolver)))
        lsrv_completion_free(completion);
}

/* Pushes the result slot of one completion; keys: lsrv_push_record_keys(). */
static void push_result(lua_State *L, int keys, const lsrv_completion_t *completion)
{
    if (completion->kind == LSRV_QUERY_SRV) {
        if (completion->status == SRV_OK || completion->status == SRV_ENOSERVICE)
            lsrv_push_recordset(L, keys, &completion->records);
        else
            lua_pushnil(L);
        return;
    }
    if (completion->status != SRV_OK) {
        lua_pushnil(L);
        return;
    }
    lua_createtable(L, (int)completion->address_count, 0);
    for (size_t i = 0; i < completion->address_count; i++) {
        lsrv_push_address(L, &completion->addresses[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

int lsrv_fetch(lua_State *L, lsrv_resolver_t *resolver)
{
    if (!resolver->head)
        return 0;
    luaL_checkstack(L, 4, "fetching srv.resolver results");
    int keys = lsrv_push_record_keys(L);
    size_t ready = resolver->unfetched;
    lua_createtable(L, ready > (size_t)INT_MAX / 4 ? INT_MAX : (int)ready * 4, 0);
    int count = 0;
    lua_Integer slot = 0;
    /* The completions leave the FIFO only once the whole array is built: a
     * memory error while building it leaves every one for a later fetch. */
    for (const lsrv_completion_t *completion = resolver->head; completion;
         completion = completion->next) {
        lua_pushinteger(L, completion->id);
        lua_rawseti(L, -2, slot + 1);
        lsrv_push_code(L, completion->status);
        lua_rawseti(L, -2, slot + 2);
        push_result(L, keys, completion);
        lua_rawseti(L, -2, slot + 3);
        /* An address result's only from a query of one family (srv.h). */
        if (completion->kind == LSRV_QUERY_SRV || completion->negative_ttl > 0) {
            lua_pushinteger(L, (lua_Integer)completion->negative_ttl);
            lua_rawseti(L, -2, slot + 4);
        }
        slot += 4;
        count++;
    }
    for (int i = 0; i < count; i++)
        lsrv_completion_free(take_first(resolver));
    return count;
}
