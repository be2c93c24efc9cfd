#!/bin/sh
# run.sh BENCH_PROGRAM... - runs each C benchmark in turn (every
# bench_lookup given, one per c-ares, together through
# bench/compare_lookup.lua), then the Lua benchmarks (bench/bench_lua_*.lua)
# on the module in $BUILD (not pass/fail).
#
# Environment: SRV_TEST_SERVER (the knotd of spec/support/with-knotd.sh),
# LUA (lua5.4), BUILD (build). bench_lua_lookup.lua runs
# $BUILD/bench/bench_lookup --plain as its baseline.
LUA=${LUA:-lua5.4}
BUILD=${BUILD:-build}
lookups=
for bench in "$@"; do
    case "$bench" in
        */bench_lookup) lookups="$lookups $bench"; continue ;;
    esac
    echo "== $bench"
    "$bench" || echo "($bench exited $?)"
done
if [ -n "$lookups" ]; then
    echo "== bench/compare_lookup.lua$lookups"
    # shellcheck disable=SC2086
    "$LUA" bench/compare_lookup.lua $lookups || echo "(bench/compare_lookup.lua exited $?)"
fi

LUA_PATH='lua/?.lua;lua/?/init.lua;bench/?.lua;spec/?.lua;;'
LUA_CPATH="$BUILD/?.so;;"
SRV_BENCH_LOOKUP=$BUILD/bench/bench_lookup
export LUA_PATH LUA_CPATH SRV_BENCH_LOOKUP
for script in bench/bench_lua_order.lua bench/bench_lua_resolve.lua bench/bench_lua_lookup.lua \
              bench/bench_lua_cqueues.lua bench/bench_lua_connect.lua; do
    echo "== $script"
    "$LUA" "$script" || echo "($script exited $?)"
done
