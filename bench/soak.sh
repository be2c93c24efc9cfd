#!/bin/sh
# soak.sh [LOOKUPS] [SECONDS] - the bounded soak (bench/soak.lua): starts the
# misbehaving server spec/support/bad_dns.lua on a free 127.0.0.1 port,
# then runs the soak under a knotd (spec/support/with-knotd.sh) with
# SRV_BAD_DNS=127.0.0.1:PORT, and stops the server whatever happened.
# Exits with the soak's status (0: every callback once, RSS flat).
#
# Environment: LUA (lua5.4), BUILD (build); SOAK_REPORT (seconds between
# report lines, 10), SOAK_GENERATION (seconds between resolver sets, 5),
# SOAK_SEED, MALLOC_MMAP_THRESHOLD_ (131072). Defaults: 1e6 lookups, at
# most 300 s. Loopback only.
set -u
cd "$(dirname "$0")/.." || exit 2
LUA=${LUA:-lua5.4}
BUILD=${BUILD:-build}

workdir=$(mktemp -d "${TMPDIR:-/tmp}/srv-soak.XXXXXX")
bad_pid=
cleanup() {
    if [ -n "$bad_pid" ]; then
        kill "$bad_pid" 2>/dev/null
        wait "$bad_pid" 2>/dev/null
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The server exits by itself should this shell die without cleaning up.
"$LUA" spec/support/bad_dns.lua "$workdir/port" $$ 2>"$workdir/bad_dns.log" &
bad_pid=$!
tries=0
while [ ! -s "$workdir/port" ]; do
    tries=$((tries + 1))
    if [ $tries -gt 100 ] || ! kill -0 "$bad_pid" 2>/dev/null; then
        echo "soak: bad_dns did not start:" >&2
        cat "$workdir/bad_dns.log" >&2
        exit 1
    fi
    sleep 0.1
done

SRV_BAD_DNS=127.0.0.1:$(cat "$workdir/port")
LUA_PATH='lua/?.lua;lua/?/init.lua;;'
LUA_CPATH="$BUILD/?.so;;"
# A fixed mmap threshold (glibc's initial one): without it glibc raises the
# threshold once and RSS steps up once, which is not memory held (see
# bench/soak.lua).
MALLOC_MMAP_THRESHOLD_=${MALLOC_MMAP_THRESHOLD_:-131072}
export SRV_BAD_DNS LUA_PATH LUA_CPATH MALLOC_MMAP_THRESHOLD_
spec/support/with-knotd.sh "$LUA" bench/soak.lua "$@"
