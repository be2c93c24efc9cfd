-- srv as a rock: `luarocks --lua-version 5.4 make rockspec/srv-scm-1.rockspec`
-- from a checkout. The Makefile builds (target rock) and installs (target
-- rock-install); luarocks hands it the directories below. Everything comes
-- from the checkout and the system: nothing is downloaded.
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
   install_target = "rock-install",
   install_variables = {
      LUA_LMOD = "$(LUADIR)",
      LUA_CMOD = "$(LIBDIR)",
      BINDIR = "$(BINDIR)",
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
