/* embedded.h - the Lua modules built into srv-run.
 *
 * srv-run carries the srv Lua modules (lua/srv.lua, lua/srv/ ... .lua) and
 * its own (lua/runner/ ... .lua, as srv.run.*) inside the executable, so it
 * runs the same from a checkout, after `make install` and after a LuaRocks
 * install, whatever LUA_PATH says. The table is generated at build time by
 * embed.lua. */
#ifndef SRV_RUN_EMBEDDED_H
#define SRV_RUN_EMBEDDED_H

#include <stddef.h>

struct srv_run_module {
    const char *name;           /* for require: "srv.fetch" */
    const char *chunkname;      /* for messages: "@lua/srv/fetch.lua" */
    const unsigned char *source;
    size_t size;
};

/* Ends with an entry whose name is NULL. */
extern const struct srv_run_module srv_run_modules[];

#endif
