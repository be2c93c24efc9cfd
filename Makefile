# srv - Lua-scriptable DNS SRV resolution engine.
#
# Variables (override on the command line: make CC=clang BUILD=out):
#   PREFIX     install prefix                       (/usr/local)
#   DESTDIR    staging root prepended to PREFIX     (empty)
#   BUILD      where every build output goes        (build)
#   CC         C compiler                           (cc)
#   CFLAGS     optimisation and debug flags         (-O2 -g)
#   CPPFLAGS, LDFLAGS  extra preprocessor and link flags (a distribution's hardening)
#   WARNINGS   warning flags; WERROR=1 makes them errors (CI sets it)
#   SANITIZE   flags for the check-memory build     (-fsanitize=address,undefined)
#   CARES_CFLAGS / CARES_LIBS  c-ares, from pkg-config by default; or give
#              CARES_INCDIR / CARES_LIBDIR (what the rockspec passes); a
#              CARES_LIBDIR outside /usr/lib and /lib is also the programs'
#              and the module's run path, so they run with that c-ares
#   CARES_SRC  a c-ares source tarball, for test-cares and bench
#              (../shared/deps/c-ares-1.34.8.tar.gz)
#   CMOCKA_CFLAGS / CMOCKA_LIBS  the C test library, from pkg-config
#   LUA_CFLAGS the Lua 5.4 headers for the binding (pkg-config lua5.4, or
#              -I$(LUA_INCDIR) when LUA_INCDIR is given); the
#              module does not link liblua, the interpreter provides it
#   LUA_LIBS   the Lua 5.4 library srv-run links (pkg-config lua5.4)
#   LUA        the Lua 5.4 interpreter                 (lua5.4); also runs
#              lua/runner/embed.lua at build time
#   BUSTED     the spec runner, on Lua 5.4             (busted --lua=lua5.4)
#   BUSTED_SCRIPT  busted's script, run by $(LUA) under valgrind (command -v busted)
#   VALGRIND   the memory checker for the Lua specs    (valgrind, leaks are errors)
# Where install puts things (all under DESTDIR when it is given):
#   BINDIR srv-run ($(PREFIX)/bin), MANDIR its man page ($(PREFIX)/share/man),
#   LIBDIR libsrv.a, libsrv.so ($(PREFIX)/lib), INCLUDEDIR srv.h ($(PREFIX)/include),
#   PKGCONFIGDIR srv.pc ($(LIBDIR)/pkgconfig),
#   LUA_LMOD the Lua modules ($(PREFIX)/share/lua/5.4),
#   LUA_CMOD the C module srv/core.so ($(PREFIX)/lib/lua/5.4): Lua 5.4's own
#            defaults, which Debian's lua5.4 searches for PREFIX=/usr/local
#
# Targets:
#   all           libsrvcore.a, the Lua module build/srv/core.so, the runner build/srv-run,
#                 the C tests, the C demo program
#   test          every test: test-c, test-lua (each against a knotd started for it),
#                 test-install, check-memory, fuzz-smoke
#   test-c        the C tests
#   test-lua      the busted specs in spec/ (LUA_CPATH build/?.so, LUA_PATH lua/?.lua);
#                 SPECS=spec/x_spec.lua runs some of them
#   check-memory  the C tests built with ASan+UBSan (check-asan), and the busted specs
#                 (the binding) under valgrind: zero leaks, zero errors
#   test-cares    builds c-ares from CARES_SRC into $(BUILD)/cares-VERSION, then runs
#                 test-c, test-lua and check-asan against it (spec/support/test-cares.sh)
#   fuzz          the libFuzzer targets of the core, FUZZ_SECONDS each (core/fuzz/fuzz.mk,
#                 docs/fuzzing.md); fuzz-smoke, a short run, is part of test
#   soak          the bounded soak (bench/soak.sh): up to a million lookups with
#                 faults mixed in, RSS must stay flat; minutes, not part of test
#   bench         benchmarks (not pass/fail): ratios against baselines run in the same run, C then Lua;
#                 the lookups also against the c-ares of CARES_SRC when that file exists
#   demo          the main job: builds srv-run (nothing else), then runs it on the bundled
#                 example zone (lookup, --explain, --simulate, a policy; no network)
#   demo-c        the C API's example program (core/demo) on the same zone, through knotd
#   install       the Lua module, srv-run and its man page, the C library (static and
#                 shared), srv.h and srv.pc; uninstall removes exactly those files
#   test-install  make install and luarocks make into temporary directories, then uses
#                 what they installed (spec/support/test-install.sh); part of test
#   rock          what rockspec/srv-scm-1.rockspec has luarocks build
#   deps          installs missing Debian packages (test and demo do this themselves)
#   clean

PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
CC       ?= cc
CFLAGS   ?= -O2 -g
WARNINGS ?= -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wcast-qual -Wwrite-strings -Wformat=2 -Wundef \
            -Wvla -Wnull-dereference -Wdouble-promotion
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif
SANITIZE ?= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

PKG_CONFIG    ?= pkg-config
# LuaRocks hands over the directories it found rather than flags.
ifdef CARES_INCDIR
CARES_CFLAGS  ?= -I$(CARES_INCDIR)
endif
ifdef CARES_LIBDIR
ifeq ($(filter /usr/lib% /lib%,$(CARES_LIBDIR)),)
CARES_LIBS    ?= -L$(CARES_LIBDIR) -Wl,-rpath,$(CARES_LIBDIR) -lcares
else
CARES_LIBS    ?= -L$(CARES_LIBDIR) -lcares
endif
endif
ifdef LUA_INCDIR
LUA_CFLAGS    ?= -I$(LUA_INCDIR)
endif
CARES_CFLAGS  ?= $(shell $(PKG_CONFIG) --cflags libcares 2>/dev/null)
CARES_LIBS    ?= $(shell $(PKG_CONFIG) --libs libcares 2>/dev/null || echo -lcares)
CMOCKA_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   ?= $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)
LUA_CFLAGS    ?= $(shell $(PKG_CONFIG) --cflags lua5.4 2>/dev/null)
LUA_LIBS      ?= $(shell $(PKG_CONFIG) --libs lua5.4 2>/dev/null || echo -llua5.4)
LUA           ?= lua5.4
BUSTED        ?= busted --lua=$(LUA)
BUSTED_SCRIPT ?= $(shell command -v busted)
VALGRIND      ?= valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99

STD      := -std=c11 -D_GNU_SOURCE
CPPFLAGS_CORE := -Icore/include $(CARES_CFLAGS) $(CPPFLAGS)

CORE_SRC   := $(wildcard core/src/*.c)
TEST_SRC   := $(wildcard core/tests/test_*.c)
TEST_SUPPORT_SRC := $(wildcard core/tests/support/*.c)
BENCH_SRC  := $(wildcard bench/bench_*.c)
BINDING_SRC := $(wildcard lua/core/*.c)

# $(call objs,DIR,SOURCES)
objs = $(patsubst %.c,$(1)/obj/%.o,$(2))

CORE_OBJ   := $(call objs,$(BUILD),$(CORE_SRC))
TEST_BINS  := $(patsubst core/tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
BINDING_OBJ := $(call objs,$(BUILD),$(BINDING_SRC))
LUA_MODULE := $(BUILD)/srv/core.so
# The library's Lua modules (installed), and srv-run's own Lua beside its C
# (lua/runner/*.lua but the build tool embed.lua; never installed). Both go
# into srv-run (lua/runner/embedded.h).
LUA_SOURCES := lua/srv.lua $(wildcard lua/srv/*.lua)
RUNNER_LUA  := $(filter-out lua/runner/embed.lua,$(wildcard lua/runner/*.lua))
SRV_RUN    := $(BUILD)/srv-run
# The installed C library: the core's objects as libsrv.a and libsrv.so.
VERSION    := $(shell sed -n 's/^\#define SRV_VERSION "\(.*\)"/\1/p' core/include/srv.h)
SOVERSION  := 0
LIB_STATIC := $(BUILD)/lib/libsrv.a
LIB_SHARED := $(BUILD)/lib/libsrv.so.$(VERSION)

ASAN       := $(BUILD)/asan
ASAN_OBJ   := $(call objs,$(ASAN),$(CORE_SRC))
ASAN_TESTS := $(patsubst core/tests/%.c,$(ASAN)/tests/%,$(TEST_SRC))

WITH_KNOTD := spec/support/with-knotd.sh

# Everything built depends on the flags it was built with: $(FLAGS_STAMP)
# is rewritten whenever they change (make CFLAGS=..., luarocks' flags and
# c-ares directories after a plain make, or the other way round), so that
# nothing built with other flags is linked or installed.
FLAGS_STAMP := $(BUILD)/flags
FLAGS_NOW   := $(CC) | $(CFLAGS) | $(CPPFLAGS) | $(LDFLAGS) | $(WARNINGS) | $(CARES_CFLAGS) | $(CARES_LIBS) | $(LUA_CFLAGS) | $(LUA_LIBS)
ifneq ($(file < $(FLAGS_STAMP)),$(FLAGS_NOW))
$(shell mkdir -p $(BUILD))
$(file > $(FLAGS_STAMP),$(FLAGS_NOW))
endif

# V=1 shows the full compiler command lines.
ifeq ($(V),1)
Q :=
else
Q = @echo '  build' $@;
endif

.PHONY: all test test-c test-lua check-memory check-asan test-cares bench soak demo demo-c deps clean \
        install uninstall test-install rock
# Keep the objects that chained rules build on the way (test support files).
.SECONDARY:
all: $(BUILD)/libsrvcore.a $(LUA_MODULE) $(SRV_RUN) $(LIB_STATIC) $(LIB_SHARED) $(TEST_BINS) $(BUILD)/srv-demo

# -- core ---------------------------------------------------------------
# -fPIC: the same objects go into the test programs and into the Lua module.
# The Makefile is a prerequisite so that changed rules rebuild the objects,
# $(FLAGS_STAMP) so that changed flags do.
$(BUILD)/obj/%.o: %.c core/include/srv.h $(wildcard core/src/*.h) Makefile $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(STD) $(CFLAGS) -fPIC $(WARNINGS) $(CPPFLAGS_CORE) -Icore/src $(CMOCKA_CFLAGS) -c $< -o $@

$(BUILD)/libsrvcore.a: $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(Q)$(AR) rcs $@ $^

$(BUILD)/tests/%: core/tests/%.c $(call objs,$(BUILD),$(TEST_SUPPORT_SRC)) $(BUILD)/libsrvcore.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(STD) $(CFLAGS) $(LDFLAGS) $(WARNINGS) $(CPPFLAGS_CORE) -Icore/src -Icore/tests/support $(CMOCKA_CFLAGS) \
	    $< $(call objs,$(BUILD),$(TEST_SUPPORT_SRC)) -o $@ $(BUILD)/libsrvcore.a $(CARES_LIBS) $(CMOCKA_LIBS) -lpthread -lm

$(BUILD)/srv-demo: core/demo/srv-demo.c $(BUILD)/libsrvcore.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(STD) $(CFLAGS) $(LDFLAGS) $(WARNINGS) $(CPPFLAGS_CORE) $< -o $@ $(BUILD)/libsrvcore.a $(CARES_LIBS) -lm

# -- Lua module -------------------------------------------------------------
$(BUILD)/obj/lua/core/%.o: lua/core/%.c lua/core/binding.h core/include/srv.h Makefile $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(STD) $(CFLAGS) -fPIC $(WARNINGS) $(CPPFLAGS_CORE) $(LUA_CFLAGS) -c $< -o $@

# No -llua: the symbols come from the interpreter that loads the module.
$(LUA_MODULE): $(BINDING_OBJ) $(BUILD)/libsrvcore.a $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -shared $(CFLAGS) $(LDFLAGS) $(BINDING_OBJ) -o $@ $(BUILD)/libsrvcore.a $(CARES_LIBS) -lm

# -- the runner ------------------------------------------------------------
$(BUILD)/runner/embedded.c: lua/runner/embed.lua $(LUA_SOURCES) $(RUNNER_LUA)
	@mkdir -p $(dir $@)
	$(Q)$(LUA) lua/runner/embed.lua $@ $(LUA_SOURCES) $(RUNNER_LUA)

# The binding's objects are linked in and srv.core preloaded from them;
# liblua5.4 is linked (shared) so C modules such as luasocket load as usual.
$(SRV_RUN): lua/runner/srv-run.c lua/runner/embedded.h $(BUILD)/runner/embedded.c $(BINDING_OBJ) $(BUILD)/libsrvcore.a $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(STD) $(CFLAGS) $(LDFLAGS) $(WARNINGS) $(CPPFLAGS_CORE) $(LUA_CFLAGS) -Ilua/runner \
	    lua/runner/srv-run.c $(BUILD)/runner/embedded.c $(BINDING_OBJ) -o $@ \
	    $(BUILD)/libsrvcore.a $(LUA_LIBS) $(CARES_LIBS) -lm

# -- the C library as installed ------------------------------------------------
# One relocatable object whose only global symbols are srv_*: the core's
# internal functions (parse_*, wire_*, ...) cannot clash with a program's.
OBJCOPY ?= objcopy
$(LIB_STATIC): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(Q)$(LD) -r -o $(BUILD)/lib/libsrv.o $(CORE_OBJ) && \
	    $(OBJCOPY) --wildcard --keep-global-symbol='srv_*' $(BUILD)/lib/libsrv.o && \
	    rm -f $@ && $(AR) rcs $@ $(BUILD)/lib/libsrv.o

# Only the srv_* functions are exported (core/libsrv.map); the soname carries
# SOVERSION, which changes when srv.h changes incompatibly.
$(LIB_SHARED): $(CORE_OBJ) core/libsrv.map $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -shared $(CFLAGS) $(LDFLAGS) -Wl,-soname,libsrv.so.$(SOVERSION) -Wl,--version-script=core/libsrv.map \
	    $(CORE_OBJ) -o $@ $(CARES_LIBS) -lm

# -- sanitizer build ----------------------------------------------------------
$(ASAN)/obj/%.o: %.c core/include/srv.h $(wildcard core/src/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(STD) -O1 -g $(SANITIZE) $(WARNINGS) $(CPPFLAGS_CORE) -Icore/src $(CMOCKA_CFLAGS) -c $< -o $@

$(ASAN)/libsrvcore.a: $(ASAN_OBJ)
	@mkdir -p $(dir $@)
	$(Q)$(AR) rcs $@ $^

$(ASAN)/tests/%: core/tests/%.c $(call objs,$(ASAN),$(TEST_SUPPORT_SRC)) $(ASAN)/libsrvcore.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(STD) -O1 -g $(SANITIZE) $(WARNINGS) $(CPPFLAGS_CORE) -Icore/src -Icore/tests/support $(CMOCKA_CFLAGS) \
	    $< $(call objs,$(ASAN),$(TEST_SUPPORT_SRC)) -o $@ $(ASAN)/libsrvcore.a $(CARES_LIBS) $(CMOCKA_LIBS) -lpthread -lm

# -- benchmarks ------------------------------------------------------------
$(BUILD)/bench/%: bench/%.c $(BUILD)/libsrvcore.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(STD) -O2 -g $(WARNINGS) $(CPPFLAGS_CORE) -Icore/src $< -o $@ $(BUILD)/libsrvcore.a $(CARES_LIBS) -lm

# -- running ---------------------------------------------------------------
deps:
	@sh spec/support/ensure-deps.sh

# The C tests run under one knotd serving spec/fixtures/*.zone; they find it
# through SRV_TEST_SERVER.
test-c: all
	@$(WITH_KNOTD) sh spec/support/run-tests.sh $(TEST_BINS)

# The specs load srv.core from $(BUILD) and the Lua modules from lua/. The
# paths go through the environment, not --lpath/--cpath: busted --lua re-runs
# itself through the shell with its arguments unquoted, and the ';' of a path
# list would end that command line.
SPECS ?= spec
test-lua: $(LUA_MODULE) $(SRV_RUN)
	@LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='$(BUILD)/?.so;;' $(WITH_KNOTD) $(BUSTED) $(SPECS)

test: deps
	@$(MAKE) --no-print-directory test-c
	@$(MAKE) --no-print-directory test-lua
	@$(MAKE) --no-print-directory test-install
	@$(MAKE) --no-print-directory check-memory
	@$(MAKE) --no-print-directory fuzz-smoke

# The binding is C as well: the busted specs run once more under valgrind
# (the interpreter is not built with ASan, so the shared module cannot be).
check-memory: check-asan $(LUA_MODULE) $(SRV_RUN)
	@echo "== busted specs under valgrind"
	@LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='$(BUILD)/?.so;;' \
	    $(WITH_KNOTD) $(VALGRIND) $(LUA) $(BUSTED_SCRIPT) spec
	@echo "== srv-run under valgrind"
	@VALGRIND='$(VALGRIND)' $(WITH_KNOTD) sh spec/support/srv-run-memory.sh $(SRV_RUN)

check-asan: $(ASAN_TESTS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    $(WITH_KNOTD) sh spec/support/run-tests.sh $(ASAN_TESTS)

# The second c-ares: built from source with CMake, then the C tests, the specs
# (the fault specs among them) and the ASan C tests against it. No valgrind
# pass: the first run has it.
CARES_SRC ?= ../shared/deps/c-ares-1.34.8.tar.gz
test-cares: deps
	@MAKE='$(MAKE)' BUILD='$(BUILD)' sh spec/support/test-cares.sh '$(CARES_SRC)'

# The C benchmarks, then the Lua ones (bench/bench_lua_*.lua: srv.order against
# plain Lua, cached r:resolve calls/s, lookups/s from Lua against the plain
# c-ares loop of bench_lookup --plain), all under one knotd. bench_lookup runs
# against the system's c-ares and, when CARES_SRC names a tarball, against
# that c-ares too (built once, as for test-cares), interleaved in the same run
# (bench/compare_lookup.lua). CARES_SRC= leaves the second out. A few minutes.
bench: $(BENCH_BINS) $(LUA_MODULE)
	@second=; \
	if [ -n '$(CARES_SRC)' ] && [ -f '$(CARES_SRC)' ]; then \
	    top=$$(BUILD='$(BUILD)' sh spec/support/build-cares.sh '$(CARES_SRC)') && \
	    $(MAKE) -s --no-print-directory BUILD="$$top/srv" CARES_INCDIR="$$top/prefix/include" \
	        CARES_LIBDIR="$$top/prefix/lib" "$$top/srv/bench/bench_lookup" && \
	    second="$$top/srv/bench/bench_lookup"; \
	elif [ -n '$(CARES_SRC)' ]; then \
	    echo "bench: no $(CARES_SRC): the system's c-ares only"; \
	fi; \
	LUA='$(LUA)' BUILD='$(BUILD)' $(WITH_KNOTD) sh bench/run.sh $(BENCH_BINS) $$second

# srv-run on the bundled zone, answered from the file: no network at all.
# Not part of test: minutes. SOAK_LOOKUPS, SOAK_SECONDS bound it.
SOAK_LOOKUPS ?= 1000000
SOAK_SECONDS ?= 300
soak: $(LUA_MODULE)
	@LUA='$(LUA)' BUILD='$(BUILD)' sh bench/soak.sh $(SOAK_LOOKUPS) $(SOAK_SECONDS)

# demo.sh runs srv-run only: the C tests and the C demo are not built for it.
demo: deps
	@$(MAKE) --no-print-directory $(SRV_RUN)
	@sh docs/examples/demo.sh $(SRV_RUN)

# The C API's example program: the same zone through a knotd on loopback.
demo-c: deps
	@$(MAKE) --no-print-directory $(BUILD)/srv-demo
	@SRV_FIXTURES=docs/examples $(WITH_KNOTD) sh -c '$(BUILD)/srv-demo docs/examples/example.net.zone "$$SRV_TEST_SERVER"'

clean:
	rm -rf $(BUILD)

include rockspec/install.mk

include core/fuzz/fuzz.mk
