/* srv-run.c - the standalone runner: Lua 5.4 with srv built in.
 *
 * The skeleton is lua.c's: everything runs in pmain under lua_pcall, so an
 * error (out of memory included) is reported, never a crash; a message
 * handler adds the traceback; messages go to stderr as "srv-run: message";
 * SIGINT raises "interrupted!" in whatever Lua code runs next.
 *
 * What srv-run does lives in Lua (lua/runner/main.lua): this file only
 * builds the Lua state. The srv modules and srv.core are preloaded from the
 * executable itself (embedded.h), so no LUA_PATH or LUA_CPATH is needed;
 * other modules (luasocket, say) are found the usual way.
 *
 * For the policy sandbox (lua/runner/sandbox.lua) the state has an
 * allocator with a limit, and SIGALRM carries a policy's time limit; the
 * sandbox reaches both through srv.run.guard. */
#include "embedded.h"
#include "srv.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

/* The binding's entry point, linked in rather than loaded from core.so. */
int luaopen_srv_core(lua_State *L);

enum { EXIT_INTERRUPTED = 130 };   /* 128 + SIGINT, as shells report it */

static const char *progname = "srv-run";
static lua_State *global_state;
/* The coroutine running now (NULL: the main thread), kept up to date by
 * srv-run's coroutine.resume and coroutine.wrap (below), so that SIGINT can
 * stop a script busy inside a task, where a hook on the main thread never
 * fires. Only a running thread is recorded, so it cannot have been
 * collected. */
static lua_State *volatile running_thread;
/* 0: no SIGINT; 1: SIGINT came, not raised yet; 2: raised. It is raised
 * once, so that the code reporting it is not interrupted in turn. */
static volatile sig_atomic_t interrupted;

/* No position in the message: the hook fires wherever Lua happens to be,
 * often inside srv's event loop; the traceback says where the script was. */
static void raise_interrupt(lua_State *L)
{
    interrupted = 2;
    lua_pushliteral(L, "interrupted!");
    lua_error(L);
}

/* Whether L runs a sandboxed policy: lua/runner/sandbox.lua lists such
 * threads in the registry. */
static int is_sandboxed(lua_State *L)
{
    int found = 0;
    if (lua_getfield(L, LUA_REGISTRYINDEX, "srv.run.sandboxed") == LUA_TTABLE) {
        lua_pushthread(L);
        found = lua_rawget(L, -2) != LUA_TNIL;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return found;
}

/* Set by the signal handler: raises at the thread's next instruction. (A
 * hook that is always on would cost every instruction: Lua 5.4 checks each
 * one while any hook is set.) In a sandboxed policy's thread it stays on and
 * raises at every instruction: a __close handler that raises replaces the
 * error, and the policy's pcall would catch its own (docs/srv-run.md, "The
 * policy sandbox"); nothing of srv's runs in that thread. */
static void stop_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    if (interrupted != 0 && is_sandboxed(L)) {
        lua_sethook(L, stop_hook, LUA_MASKCOUNT, 1);
        raise_interrupt(L);
    }
    lua_sethook(L, NULL, 0, 0);
    if (interrupted == 1)
        raise_interrupt(L);
}

/* The policy's time limit (srv.run.guard.arm, below). 0: not armed; 1:
 * armed; 2: the time is up: every instruction of a sandboxed thread raises
 * (as for Ctrl-C, so that a pcall of the policy's cannot go on), and a
 * last, short timer runs. When that one fires too, the policy is stuck
 * inside one C function (a pathological pattern), which nothing in the
 * process can stop: srv-run writes its message and exits. */
static volatile sig_atomic_t deadline_state;
static char deadline_message[512];
static size_t deadline_message_length;
#define DEADLINE_ERROR "the policy ran past its time limit"
enum { DEADLINE_GRACE_SECONDS = 1 };

static void deadline_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    if (deadline_state == 2 && is_sandboxed(L)) {
        lua_sethook(L, deadline_hook, LUA_MASKCOUNT, 1);
        lua_pushliteral(L, DEADLINE_ERROR);
        lua_error(L);
    }
    lua_sethook(L, NULL, 0, 0);
}

static void set_timer(double seconds)
{
    struct itimerval timer = {{0, 0}, {0, 0}};
    /* --policy-seconds takes any number above 0: one past time_t's range
     * would make the conversion below undefined, and setitimer refuses a
     * negative or huge value (the limit would silently not be set). A
     * hundred million seconds (three years) is as good as for ever. */
    if (seconds > 1e8)
        seconds = 1e8;
    timer.it_value.tv_sec = (time_t)seconds;
    timer.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6);
    if (seconds > 0 && timer.it_value.tv_sec == 0 && timer.it_value.tv_usec == 0)
        timer.it_value.tv_usec = 1;
    setitimer(ITIMER_REAL, &timer, NULL);
}

static void on_deadline(int sig)
{
    (void)sig;
    if (deadline_state == 1) {
        deadline_state = 2;
        if (running_thread != NULL)
            lua_sethook(running_thread, deadline_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
        set_timer(DEADLINE_GRACE_SECONDS);
    } else if (deadline_state == 2) {
        ssize_t written = write(STDERR_FILENO, deadline_message, deadline_message_length);
        (void)written;
        _exit(EXIT_FAILURE);
    }
}

/* lua_sethook is the one Lua call that is safe in a signal handler. The
 * main thread and the running coroutine both get the hook; whichever runs
 * first raises. A second SIGINT gets the default action, so a script stuck
 * in C still dies. */
static void on_sigint(int sig)
{
    signal(sig, SIG_DFL);
    interrupted = 1;
    int mask = LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT;
    lua_sethook(global_state, stop_hook, mask, 1);
    if (running_thread != NULL)
        lua_sethook(running_thread, stop_hook, mask, 1);
}

/* coroutine.resume and coroutine.wrap as Lua 5.4's lcorolib.c has them,
 * with running_thread set around lua_resume, and put back on every path. */
static int resume_tracked(lua_State *L, lua_State *co, int narg)
{
    int nres;
    if (!lua_checkstack(co, narg)) {
        lua_pushliteral(L, "too many arguments to resume");
        return -1;
    }
    lua_xmove(L, co, narg);
    lua_State *previous = running_thread;
    running_thread = co;
    int status = lua_resume(co, L, narg, &nres);
    running_thread = previous;
    /* The time is up in a thread the policy resumed: the one resuming it
     * (the hook was set on the running one only) raises too. */
    if (deadline_state == 2 && is_sandboxed(L))
        lua_sethook(L, deadline_hook, LUA_MASKCOUNT, 1);
    if (status == LUA_OK || status == LUA_YIELD) {
        if (!lua_checkstack(L, nres + 1)) {
            lua_pop(co, nres);
            lua_pushliteral(L, "too many results to resume");
            return -1;
        }
        lua_xmove(co, L, nres);
        return nres;
    }
    lua_xmove(co, L, 1);   /* the error */
    return -1;
}

static int coroutine_resume(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTHREAD);
    lua_State *co = lua_tothread(L, 1);
    int r = resume_tracked(L, co, lua_gettop(L) - 1);
    if (r < 0) {
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    lua_pushboolean(L, 1);
    lua_insert(L, -(r + 1));
    return r + 1;
}

/* Lua 5.4.6 replaced lua_resetthread (deprecated there) with
 * lua_closethread, which also says which thread does the closing. */
static int close_thread(lua_State *co, lua_State *from)
{
#if LUA_VERSION_RELEASE_NUM >= 50406
    return lua_closethread(co, from);
#else
    (void)from;
    return lua_resetthread(co);
#endif
}

static int wrapped_call(lua_State *L)
{
    lua_State *co = lua_tothread(L, lua_upvalueindex(1));
    int r = resume_tracked(L, co, lua_gettop(L));
    if (r < 0) {
        int status = lua_status(co);
        if (status != LUA_OK && status != LUA_YIELD) {   /* an error in the coroutine */
            status = close_thread(co, L);                 /* closes its to-be-closed variables */
            lua_xmove(co, L, 1);
        }
        if (status != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {
            luaL_where(L, 1);
            lua_insert(L, -2);
            lua_concat(L, 2);
        }
        return lua_error(L);
    }
    return r;
}

static int coroutine_wrap(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_State *co = lua_newthread(L);
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);
    lua_pushcclosure(L, wrapped_call, 1);
    return 1;
}

static void install_tracked_coroutines(lua_State *L)
{
    lua_getglobal(L, "coroutine");
    lua_pushcfunction(L, coroutine_resume);
    lua_setfield(L, -2, "resume");
    lua_pushcfunction(L, coroutine_wrap);
    lua_setfield(L, -2, "wrap");
    lua_pop(L, 1);
}

static void report(const char *message)
{
    fprintf(stderr, "%s: %s\n", progname, message);
    fflush(stderr);
}

/* Message handler: the error as a string, with a traceback. */
static int message_handler(lua_State *L)
{
    if (interrupted)
        return 1;   /* where srv's loop was when Ctrl-C came is no news */
    const char *message = lua_tostring(L, 1);
    if (message == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        message = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, message, 1);
    return 1;
}

/* srv.run.guard: what the policy sandbox (lua/runner/sandbox.lua) needs
 * from C. Only srv-run preloads it, so the sandbox cannot be loaded as a
 * library module from another Lua (docs/srv-run.md, "The policy sandbox").
 *
 * at_caller(f) -> a C function calling f with its arguments. A Lua function
 * called in a tail call leaves no caller frame (Lua 5.4 manual, 3.4.10), so
 * its argument errors name no line: `return srv.policy { pinn = 1 }` at the
 * end of a policy file. A C function keeps its caller's frame while it
 * runs, so an argument error of f without a position gets its caller's. */
static int call_at_caller(lua_State *L)
{
    int nargs = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    int status = lua_pcall(L, nargs, LUA_MULTRET, 0);
    if (status != LUA_OK) {
        const char *message = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        if (status == LUA_ERRRUN && message != NULL && strncmp(message, "bad argument ", 13) == 0) {
            luaL_where(L, 1);
            lua_insert(L, -2);
            lua_concat(L, 2);
        }
        return lua_error(L);
    }
    return lua_gettop(L);
}

static int guard_at_caller(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_settop(L, 1);
    lua_pushcclosure(L, call_at_caller, 1);
    return 1;
}

/* Lua's allocator with a limit on the octets in use while a policy runs
 * (limit 0: none). Only growth is refused: Lua must be able to shrink and
 * free, and it answers a refusal by collecting garbage, then by raising
 * "not enough memory". */
struct limited_allocator {
    size_t in_use;
    size_t limit;
    int refused;
};

static struct limited_allocator allocator;

static void *limited_alloc(void *ud, void *block, size_t old_size, size_t new_size)
{
    struct limited_allocator *a = ud;
    size_t old = block != NULL ? old_size : 0;
    if (new_size == 0) {
        free(block);
        a->in_use -= old;
        return NULL;
    }
    if (a->limit != 0 && new_size > old && a->in_use - old + new_size > a->limit) {
        a->refused = 1;
        return NULL;
    }
    void *moved = realloc(block, new_size);
    if (moved != NULL)
        a->in_use = a->in_use - old + new_size;
    return moved;
}

static int panic(lua_State *L)
{
    const char *message = lua_tostring(L, -1);
    report(message != NULL ? message : "(error object is not a string)");
    return 0;
}

/* memory_in_use() -> octets the Lua state holds now. */
static int guard_memory_in_use(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)allocator.in_use);
    return 1;
}

/* limit_memory(octets | nil) -> whether an allocation was refused under
 * the limit now lifted or replaced. octets: the most the whole state may
 * hold. */
static int guard_limit_memory(lua_State *L)
{
    lua_Integer limit = luaL_optinteger(L, 1, 0);
    int refused = allocator.refused;
    allocator.limit = limit > 0 ? (size_t)limit : 0;
    allocator.refused = 0;
    lua_pushboolean(L, refused);
    return 1;
}

/* arm(seconds, message): the time limit of the policy code that runs now;
 * message is what srv-run writes before exiting when the policy is still
 * inside one C function a second after the limit. */
static int guard_arm(lua_State *L)
{
    double seconds = (double)luaL_checknumber(L, 1);
    size_t length;
    const char *message = luaL_checklstring(L, 2, &length);
    luaL_argcheck(L, seconds > 0, 1, "seconds above 0 expected");
    deadline_message_length = (size_t)snprintf(deadline_message, sizeof deadline_message, "%s: %.*s\n",
                                               progname, (int)length, message);
    if (deadline_message_length >= sizeof deadline_message)
        deadline_message_length = sizeof deadline_message - 1;
    deadline_state = 1;
    set_timer(seconds);
    return 0;
}

/* disarm() -> whether the time ran out. */
static int guard_disarm(lua_State *L)
{
    set_timer(0);
    int expired = deadline_state == 2;
    deadline_state = 0;
    lua_pushboolean(L, expired);
    return 1;
}

/* interrupted() -> whether Ctrl-C came. Raised once only, the interruption
 * may be caught where srv runs a policy (a POLICY failure); a command that
 * goes on after failures (srv-run watch) asks here, so as to end. */
static int guard_interrupted(lua_State *L)
{
    lua_pushboolean(L, interrupted != 0);
    return 1;
}

static int luaopen_srv_run_guard(lua_State *L)
{
    static const luaL_Reg functions[] = {
        {"at_caller", guard_at_caller},
        {"memory_in_use", guard_memory_in_use},
        {"limit_memory", guard_limit_memory},
        {"arm", guard_arm},
        {"disarm", guard_disarm},
        {"interrupted", guard_interrupted},
        {NULL, NULL},
    };
    luaL_newlib(L, functions);
    return 1;
}

/* Loads the embedded chunk whose index is upvalue 1 and runs it as require
 * would. */
static int load_embedded(lua_State *L)
{
    const struct srv_run_module *module = &srv_run_modules[lua_tointeger(L, lua_upvalueindex(1))];
    if (luaL_loadbufferx(L, (const char *)module->source, module->size, module->chunkname, "t") != LUA_OK)
        return lua_error(L);
    lua_pushstring(L, module->name);
    lua_pushliteral(L, ":srv-run:");
    lua_call(L, 2, 1);
    return 1;
}

static void preload_modules(lua_State *L)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_srv_core);
    lua_setfield(L, -2, "srv.core");
    lua_pushcfunction(L, luaopen_srv_run_guard);
    lua_setfield(L, -2, "srv.run.guard");
    for (lua_Integer i = 0; srv_run_modules[i].name != NULL; i++) {
        lua_pushinteger(L, i);
        lua_pushcclosure(L, load_embedded, 1);
        lua_setfield(L, -2, srv_run_modules[i].name);
    }
    lua_pop(L, 1);
}

/* The versions srv-run was built with, for --version. */
static void push_build_info(lua_State *L)
{
    lua_createtable(L, 0, 2);
    lua_pushliteral(L, LUA_RELEASE);
    lua_setfield(L, -2, "lua");
    lua_pushstring(L, srv_cares_version());
    lua_setfield(L, -2, "cares");
}

/* pmain(argc, argv): require("srv.run.main")(progname, {argv[1..]}, build)
 * under the message handler; leaves the exit status on the stack. */
static int pmain(lua_State *L)
{
    int argc = (int)lua_tointeger(L, 1);
    char **argv = lua_touserdata(L, 2);
    luaL_checkversion(L);
    luaL_openlibs(L);
    install_tracked_coroutines(L);
    preload_modules(L);

    lua_pushcfunction(L, message_handler);
    int handler = lua_gettop(L);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "srv.run.main");
    lua_call(L, 1, 1);
    lua_pushstring(L, progname);
    lua_createtable(L, argc > 1 ? argc - 1 : 0, 0);
    for (int i = 1; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i);
    }
    push_build_info(L);

    global_state = L;
    signal(SIGINT, on_sigint);
    signal(SIGALRM, on_deadline);
    int status = lua_pcall(L, 3, 1, handler);
    signal(SIGINT, SIG_DFL);
    signal(SIGALRM, SIG_DFL);
    if (status != LUA_OK) {
        report(lua_tostring(L, -1));
        lua_pushinteger(L, EXIT_FAILURE);
        return 1;
    }
    if (!lua_isinteger(L, -1)) {
        lua_pushinteger(L, EXIT_SUCCESS);
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argv[0] != NULL && argv[0][0] != '\0')
        progname = argv[0];
    lua_State *L = lua_newstate(limited_alloc, &allocator);
    if (L != NULL)
        lua_atpanic(L, panic);   /* as luaL_newstate; warnings stay off */
    if (L == NULL) {
        report("cannot create the Lua state: not enough memory");
        return EXIT_FAILURE;
    }
    lua_gc(L, LUA_GCGEN, 0, 0);
    lua_pushcfunction(L, pmain);
    lua_pushinteger(L, argc);
    lua_pushlightuserdata(L, argv);
    int status = lua_pcall(L, 2, 1, 0);
    int result = EXIT_FAILURE;
    if (status == LUA_OK) {
        result = (int)lua_tointeger(L, -1);
    } else {
        report(lua_tostring(L, -1) != NULL ? lua_tostring(L, -1) : "(error without a message)");
    }
    lua_close(L);
    if (interrupted && result != EXIT_SUCCESS)
        result = EXIT_INTERRUPTED;
    return result;
}
