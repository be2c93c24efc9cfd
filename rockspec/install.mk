# Installing srv: `make install` for a system or a prefix, and the two
# targets rockspec/srv-scm-1.rockspec has luarocks run. Included by the
# Makefile, which defines PREFIX, DESTDIR, BUILD and what gets built.

BINDIR       ?= $(PREFIX)/bin
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
MANDIR       ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
LUA_LMOD     ?= $(PREFIX)/share/lua/5.4
LUA_CMOD     ?= $(PREFIX)/lib/lua/5.4

INSTALL      ?= install

# The Lua modules, each with its path under LUA_LMOD.
LUA_INSTALLED := srv.lua $(patsubst lua/%,%,$(wildcard lua/srv/*.lua) $(wildcard lua/srv/run/*.lua))

# ${prefix}-relative where possible, so that `pkg-config --define-prefix`
# can relocate a staged install.
pc_path = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))

# -- pieces shared by install and rock-install --------------------------------
install-lua-files: $(LUA_MODULE)
	$(INSTALL) -d '$(DESTDIR)$(LUA_LMOD)/srv/run' '$(DESTDIR)$(LUA_CMOD)/srv'
	$(INSTALL) -m 644 lua/srv.lua '$(DESTDIR)$(LUA_LMOD)/srv.lua'
	$(INSTALL) -m 644 $(wildcard lua/srv/*.lua) '$(DESTDIR)$(LUA_LMOD)/srv/'
	$(INSTALL) -m 644 $(wildcard lua/srv/run/*.lua) '$(DESTDIR)$(LUA_LMOD)/srv/run/'
	$(INSTALL) -m 755 $(LUA_MODULE) '$(DESTDIR)$(LUA_CMOD)/srv/core.so'

install-runner: $(SRV_RUN)
	$(INSTALL) -d '$(DESTDIR)$(BINDIR)'
	$(INSTALL) -m 755 $(SRV_RUN) '$(DESTDIR)$(BINDIR)/srv-run'

# -- make install / uninstall --------------------------------------------------
install: install-lua-files install-runner $(LIB_STATIC) $(LIB_SHARED)
	$(INSTALL) -d '$(DESTDIR)$(MANDIR)/man1' '$(DESTDIR)$(LIBDIR)' '$(DESTDIR)$(INCLUDEDIR)' \
	    '$(DESTDIR)$(PKGCONFIGDIR)'
	$(INSTALL) -m 644 docs/srv-run.1 '$(DESTDIR)$(MANDIR)/man1/srv-run.1'
	$(INSTALL) -m 644 core/include/srv.h '$(DESTDIR)$(INCLUDEDIR)/srv.h'
	$(INSTALL) -m 644 $(LIB_STATIC) '$(DESTDIR)$(LIBDIR)/libsrv.a'
	$(INSTALL) -m 755 $(LIB_SHARED) '$(DESTDIR)$(LIBDIR)/libsrv.so.$(VERSION)'
	ln -sf libsrv.so.$(VERSION) '$(DESTDIR)$(LIBDIR)/libsrv.so.$(SOVERSION)'
	ln -sf libsrv.so.$(SOVERSION) '$(DESTDIR)$(LIBDIR)/libsrv.so'
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(call pc_path,$(LIBDIR))|' \
	    -e 's|@INCLUDEDIR@|$(call pc_path,$(INCLUDEDIR))|' -e 's|@VERSION@|$(VERSION)|' \
	    core/srv.pc.in > '$(DESTDIR)$(PKGCONFIGDIR)/srv.pc'

# Removes the files install wrote and srv's own directories, nothing else.
uninstall:
	rm -f $(foreach f,$(LUA_INSTALLED),'$(DESTDIR)$(LUA_LMOD)/$(f)') \
	    '$(DESTDIR)$(LUA_CMOD)/srv/core.so' '$(DESTDIR)$(BINDIR)/srv-run' \
	    '$(DESTDIR)$(MANDIR)/man1/srv-run.1' '$(DESTDIR)$(INCLUDEDIR)/srv.h' \
	    '$(DESTDIR)$(LIBDIR)/libsrv.a' '$(DESTDIR)$(LIBDIR)/libsrv.so.$(VERSION)' \
	    '$(DESTDIR)$(LIBDIR)/libsrv.so.$(SOVERSION)' '$(DESTDIR)$(LIBDIR)/libsrv.so' \
	    '$(DESTDIR)$(PKGCONFIGDIR)/srv.pc'
	rmdir '$(DESTDIR)$(LUA_LMOD)/srv/run' '$(DESTDIR)$(LUA_LMOD)/srv' '$(DESTDIR)$(LUA_CMOD)/srv' 2>/dev/null || true

# -- LuaRocks ------------------------------------------------------------------
# luarocks make runs `make rock` with CFLAGS, LUA_INCDIR, LUA, CARES_INCDIR and
# CARES_LIBDIR, then `make rock-install` with LUA_LMOD, LUA_CMOD and BINDIR set
# to the rock's directories. Neither needs cmocka nor knotd.
rock: $(LUA_MODULE) $(SRV_RUN)

rock-install: install-lua-files install-runner

# -- checking both ---------------------------------------------------------------
test-install:
	@LUA='$(LUA)' sh spec/support/test-install.sh

.PHONY: install-lua-files install-runner
