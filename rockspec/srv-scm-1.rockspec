-- srv as a rock: `luarocks --lua-version 5.4 make rockspec/srv-scm-1.rockspec`
-- from a checkout (docs/install.md). Everything comes from the checkout and
-- the system: nothing is downloaded. There is no published source to fetch,
-- so `luarocks build` and `luarocks pack` of this rockspec do not apply;
-- `luarocks make --pack-binary-rock` gives a binary rock.
rockspec_format = "3.0"
package = "srv"
version = "scm-1"

source = {
   url = "git+file://.",
}

description = {
   summary = "DNS SRV resolution on c-ares with RFC 2782 ordering and Lua policies",
   detailed = [[
srv resolves DNS SRV records asynchronously with c-ares and orders the
targets as RFC 2782 says (priority, then weighted random order). Lua
policies pin, exclude and prefer hosts and add fallbacks; XMPP and
STUN/TURN names are resolved with their own rules. The rock installs the
module `srv`, its C binding `srv.core` and the runner `srv-run`.
]],
   license = "MIT",
   labels = { "dns", "srv", "c-ares", "xmpp", "turn" },
}

dependencies = {
   "lua >= 5.4, < 5.5",
}

-- c-ares' header and library; luarocks looks in its external_deps_dirs
-- (/usr/local, /usr on Debian) unless CARES_INCDIR / CARES_LIBDIR are given
-- on its command line.
external_dependencies = {
   CARES = {
      header = "ares.h",
      library = "cares",
   },
}

-- The Makefile builds (target rock, which needs neither cmocka nor knotd);
-- luarocks installs what it built from the list below, so that a binary
-- rock (luarocks make --pack-binary-rock) holds the same files.
-- spec/rockspec_spec.lua checks that the list names every library module
-- (lua/srv.lua, lua/srv/); srv-run's own Lua (lua/runner/) is built into it.
build = {
   type = "make",
   build_target = "rock",
   build_variables = {
      CFLAGS = "$(CFLAGS)",
      LUA = "$(LUA)",
      LUA_INCDIR = "$(LUA_INCDIR)",
      CARES_INCDIR = "$(CARES_INCDIR)",
      CARES_LIBDIR = "$(CARES_LIBDIR)",
   },
   install_pass = false,
   install = {
      lua = {
         ["srv"] = "lua/srv.lua",
         ["srv.argcheck"] = "lua/srv/argcheck.lua",
         ["srv.cache"] = "lua/srv/cache.lua",
         ["srv.candidates"] = "lua/srv/candidates.lua",
         ["srv.codes"] = "lua/srv/codes.lua",
         ["srv.connect"] = "lua/srv/connect.lua",
         ["srv.fetch"] = "lua/srv/fetch.lua",
         ["srv.health"] = "lua/srv/health.lua",
         ["srv.lookup"] = "lua/srv/lookup.lua",
         ["srv.loop"] = "lua/srv/loop.lua",
         ["srv.names"] = "lua/srv/names.lua",
         ["srv.options"] = "lua/srv/options.lua",
         ["srv.policy"] = "lua/srv/policy.lua",
         ["srv.record"] = "lua/srv/record.lua",
         ["srv.resolve"] = "lua/srv/resolve.lua",
         ["srv.resolver"] = "lua/srv/resolver.lua",
         ["srv.services"] = "lua/srv/services.lua",
         ["srv.task"] = "lua/srv/task.lua",
         ["srv.turn"] = "lua/srv/turn.lua",
         ["srv.uri"] = "lua/srv/uri.lua",
         ["srv.watch"] = "lua/srv/watch.lua",
         ["srv.xmpp"] = "lua/srv/xmpp.lua",
         ["srv.zone_source"] = "lua/srv/zone_source.lua",
      },
      lib = {
         ["srv.core"] = "build/srv/core.so",
      },
      bin = {
         ["srv-run"] = "build/srv-run",
      },
   },
   copy_directories = { "docs", "scripts" },
}

-- `luarocks test` runs the specs against a knotd the harness starts on
-- loopback (spec/support/with-knotd.sh), with the build's srv.core.
test_dependencies = {
   "busted",
}

test = {
   type = "command",
   command = "make test-lua",
}
