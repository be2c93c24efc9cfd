# Installing srv: `make install` for a system or a prefix, and the target
# rockspec/srv-scm-1.rockspec has luarocks build. Included by the
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
LUA_INSTALLED := srv.lua $(patsubst lua/%,%,$(wildcard lua/srv/*.lua))

# c-ares in srv.pc: by its pkg-config name, unless it was found some other
# way (CARES_LIBDIR, or no libcares.pc): then by the flags srv was linked with.
ifeq ($(CARES_LIBDIR)$(shell $(PKG_CONFIG) --exists libcares 2>/dev/null || echo none),)
PC_REQUIRES_PRIVATE := libcares
PC_LIBS_PRIVATE     := -lm
else
PC_REQUIRES_PRIVATE :=
PC_LIBS_PRIVATE     := $(CARES_LIBS) -lm
endif

# ${prefix}-relative where possible, so that `pkg-config --define-prefix`
# can relocate a staged install.
pc_path = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))

# -- make install / uninstall --------------------------------------------------
install: $(LUA_MODULE) $(SRV_RUN) $(LIB_STATIC) $(LIB_SHARED)
	$(INSTALL) -d '$(DESTDIR)$(LUA_LMOD)/srv' '$(DESTDIR)$(LUA_CMOD)/srv' '$(DESTDIR)$(BINDIR)' \
	    '$(DESTDIR)$(MANDIR)/man1' '$(DESTDIR)$(LIBDIR)' '$(DESTDIR)$(INCLUDEDIR)' '$(DESTDIR)$(PKGCONFIGDIR)'
	$(INSTALL) -m 644 lua/srv.lua '$(DESTDIR)$(LUA_LMOD)/srv.lua'
	$(INSTALL) -m 644 $(wildcard lua/srv/*.lua) '$(DESTDIR)$(LUA_LMOD)/srv/'
	$(INSTALL) -m 755 $(LUA_MODULE) '$(DESTDIR)$(LUA_CMOD)/srv/core.so'
	$(INSTALL) -m 755 $(SRV_RUN) '$(DESTDIR)$(BINDIR)/srv-run'
	$(INSTALL) -m 644 docs/srv-run.1 '$(DESTDIR)$(MANDIR)/man1/srv-run.1'
	$(INSTALL) -m 644 core/include/srv.h '$(DESTDIR)$(INCLUDEDIR)/srv.h'
	$(INSTALL) -m 644 $(LIB_STATIC) '$(DESTDIR)$(LIBDIR)/libsrv.a'
	$(INSTALL) -m 755 $(LIB_SHARED) '$(DESTDIR)$(LIBDIR)/libsrv.so.$(VERSION)'
	ln -sf libsrv.so.$(VERSION) '$(DESTDIR)$(LIBDIR)/libsrv.so.$(SOVERSION)'
	ln -sf libsrv.so.$(SOVERSION) '$(DESTDIR)$(LIBDIR)/libsrv.so'
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(call pc_path,$(LIBDIR))|' \
	    -e 's|@INCLUDEDIR@|$(call pc_path,$(INCLUDEDIR))|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@REQUIRES_PRIVATE@|$(PC_REQUIRES_PRIVATE)|' -e 's|@LIBS_PRIVATE@|$(strip $(PC_LIBS_PRIVATE))|' \
	    core/srv.pc.in > '$(DESTDIR)$(PKGCONFIGDIR)/srv.pc'

# Removes the files install wrote and srv's own directories, nothing else.
uninstall:
	rm -f $(foreach f,$(LUA_INSTALLED),'$(DESTDIR)$(LUA_LMOD)/$(f)') \
	    '$(DESTDIR)$(LUA_CMOD)/srv/core.so' '$(DESTDIR)$(BINDIR)/srv-run' \
	    '$(DESTDIR)$(MANDIR)/man1/srv-run.1' '$(DESTDIR)$(INCLUDEDIR)/srv.h' \
	    '$(DESTDIR)$(LIBDIR)/libsrv.a' '$(DESTDIR)$(LIBDIR)/libsrv.so.$(VERSION)' \
	    '$(DESTDIR)$(LIBDIR)/libsrv.so.$(SOVERSION)' '$(DESTDIR)$(LIBDIR)/libsrv.so' \
	    '$(DESTDIR)$(PKGCONFIGDIR)/srv.pc'
	rmdir '$(DESTDIR)$(LUA_LMOD)/srv' '$(DESTDIR)$(LUA_CMOD)/srv' 2>/dev/null || true

# -- LuaRocks ------------------------------------------------------------------
# luarocks make runs `make rock` with CFLAGS, LUA_INCDIR, LUA, CARES_INCDIR and
# CARES_LIBDIR, then installs the files rockspec/srv-scm-1.rockspec lists.
rock: $(LUA_MODULE) $(SRV_RUN)

# -- checking both ---------------------------------------------------------------
test-install:
	@LUA='$(LUA)' sh spec/support/test-install.sh

