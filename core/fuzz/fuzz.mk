# fuzz.mk - libFuzzer targets for the core (docs/fuzzing.md). Included from
# the Makefile; uses its BUILD, CARES_CFLAGS, CARES_LIBS and WARNINGS.
#
# Variables:
#   FUZZ_CC             a clang with libFuzzer (Debian: clang, libclang-rt-dev)  (clang)
#   FUZZ_SECONDS        how long `make fuzz` runs each target                     (60)
#   FUZZ_SMOKE_SECONDS  how long `make fuzz-smoke` runs each target               (10)
#   FUZZ_TIMEOUT        seconds one input may take before it counts as a hang     (10)
#   FUZZ_FLAGS          more libFuzzer options for every run (e.g. -use_value_profile=1)
#
# Targets:
#   fuzz-build  builds $(BUILD)/fuzz/fuzz_parse, fuzz_answer and fuzz_order
#   fuzz        runs each for FUZZ_SECONDS on its working corpus
#               $(BUILD)/fuzz/corpus-NAME, seeded from core/fuzz/corpus/NAME
#               (new inputs stay there: the checkout is never written);
#               prints runs, exec/s and coverage; fuzz-parse, fuzz-answer and
#               fuzz-order run one
#   fuzz-smoke  each for FUZZ_SMOKE_SECONDS from the committed corpus only
#               (part of make test)
# A crash, a failed check, a leak or a hang fails the target and leaves the
# reproducer in $(BUILD)/fuzz/NAME-crash-* (or -leak-, -timeout-); rerun it
# with $(BUILD)/fuzz/fuzz_NAME FILE.

# Whatever includes this keeps its own default goal (see the end).
fuzz_saved_default_goal := $(.DEFAULT_GOAL)

BUILD              ?= build
FUZZ_CC            ?= clang
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_TIMEOUT       ?= 10
FUZZ_FLAGS         ?=

FUZZ_NAMES    := parse answer order
FUZZ_DIR      := $(BUILD)/fuzz
FUZZ_BINS     := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_NAMES))
FUZZ_STD      := -std=c11 -D_GNU_SOURCE
FUZZ_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS   := -g -O1 -fno-omit-frame-pointer
FUZZ_CPPFLAGS := -Icore/include -Icore/src $(CARES_CFLAGS)
# The core, compiled by clang with coverage instrumentation for libFuzzer
# (fuzzer-no-link) and the same sanitizers: never the gcc-built objects.
FUZZ_CORE_OBJ := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(wildcard core/src/*.c))
# Per target dictionary: zone-file words for the parser, wire fragments
# for the answer reader.
FUZZ_DICT_parse  := core/fuzz/dict/zone.dict
FUZZ_DICT_answer := core/fuzz/dict/dns.dict
FUZZ_RUN = sh core/fuzz/run.sh
fuzz_options = -timeout=$(FUZZ_TIMEOUT) -artifact_prefix=$(FUZZ_DIR)/$(1)- \
    $(if $(FUZZ_DICT_$(1)),-dict=$(FUZZ_DICT_$(1))) $(FUZZ_FLAGS)

.PHONY: fuzz fuzz-build fuzz-smoke $(addprefix fuzz-,$(FUZZ_NAMES)) \
        $(addprefix fuzz-smoke-,$(FUZZ_NAMES))

fuzz-build: $(FUZZ_BINS)

# The makefiles read so far are prerequisites: changed flags rebuild.
$(FUZZ_DIR)/obj/%.o: %.c core/include/srv.h $(wildcard core/src/*.h) $(MAKEFILE_LIST)
	@mkdir -p $(dir $@)
	@echo '  build' $@
	@$(FUZZ_CC) $(FUZZ_STD) $(FUZZ_CFLAGS) $(FUZZ_SANITIZE) -fsanitize=fuzzer-no-link \
	    $(WARNINGS) $(FUZZ_CPPFLAGS) -c $< -o $@

$(FUZZ_DIR)/fuzz_%: core/fuzz/fuzz_%.c core/fuzz/fuzz_check.h $(FUZZ_CORE_OBJ)
	@mkdir -p $(dir $@)
	@echo '  build' $@
	@$(FUZZ_CC) $(FUZZ_STD) $(FUZZ_CFLAGS) $(FUZZ_SANITIZE) -fsanitize=fuzzer \
	    $(WARNINGS) $(FUZZ_CPPFLAGS) $< $(FUZZ_CORE_OBJ) -o $@ $(CARES_LIBS) -lm

fuzz: $(addprefix fuzz-,$(FUZZ_NAMES))

$(addprefix fuzz-,$(FUZZ_NAMES)): fuzz-%: $(FUZZ_DIR)/fuzz_%
	@$(FUZZ_RUN) $< $(FUZZ_SECONDS) $(FUZZ_DIR)/corpus-$* core/fuzz/corpus/$* \
	    $(call fuzz_options,$*)

# A fresh copy of the committed corpus each time: the same start on every run.
fuzz-smoke: $(addprefix fuzz-smoke-,$(FUZZ_NAMES))

$(addprefix fuzz-smoke-,$(FUZZ_NAMES)): fuzz-smoke-%: $(FUZZ_DIR)/fuzz_%
	@rm -rf $(FUZZ_DIR)/smoke-$*
	@$(FUZZ_RUN) $< $(FUZZ_SMOKE_SECONDS) $(FUZZ_DIR)/smoke-$* core/fuzz/corpus/$* \
	    $(call fuzz_options,$*)

# Empty when this was read before any rule: the next rule read becomes the
# default goal again, as if this file were not there.
.DEFAULT_GOAL := $(fuzz_saved_default_goal)
