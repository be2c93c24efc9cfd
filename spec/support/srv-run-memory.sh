#!/bin/sh
# srv-run-memory.sh SRV_RUN - runs srv-run under $VALGRIND through each of its
# paths (lookup with every output, a script with tasks, a failing script, a
# usage error) and fails on any memory error or leak. Needs SRV_TEST_SERVER.
set -u
srv_run=$1
zone=docs/examples/example.net.zone
name=_xmpp-client._tcp.example.net
failed=0

# check EXPECTED_STATUS ARGS...: valgrind's own status is 99 on errors.
check() {
    expected=$1
    shift
    # shellcheck disable=SC2086
    $VALGRIND "$srv_run" "$@" >/dev/null 2>/tmp/srv-run-memory.$$
    status=$?
    if [ "$status" -ne "$expected" ]; then
        echo "srv-run $*: status $status, expected $expected" >&2
        cat /tmp/srv-run-memory.$$ >&2
        failed=1
    fi
}

check 0 lookup "$name" --zone "$zone" --addresses --explain
check 0 lookup "$name" --server "$SRV_TEST_SERVER" --json --explain --down server1.example.net
check 0 lookup "$name" --zone "$zone" --simulate 500 --json
check 0 lookup --xmpp client example.net --zone "$zone" --policy scripts/pin.lua
check 0 lookup --turn turn:example.net --server "$SRV_TEST_SERVER"
check 3 lookup _foo._tcp.example.net --zone "$zone"
# watch runs until SIGINT, which ends it with status 0. The signal goes once
# it has printed its first set (its handler is in place by then, however
# slowly valgrind starts on a busy machine: at most 120 s), after a second
# more of refreshes every 0.2 s.
# shellcheck disable=SC2086
$VALGRIND "$srv_run" watch "$name" --server "$SRV_TEST_SERVER" \
    --json --min-ttl 0.2 --max-ttl 0.2 >/tmp/srv-run-memory-out.$$ 2>/tmp/srv-run-memory.$$ &
watch_pid=$!
waited=0
while [ ! -s /tmp/srv-run-memory-out.$$ ] && [ "$waited" -lt 600 ]; do
    sleep 0.2
    waited=$((waited + 1))
done
sleep 1
kill -INT "$watch_pid"
wait "$watch_pid"
status=$?
rm -f /tmp/srv-run-memory-out.$$
if [ "$status" -ne 0 ]; then
    echo "srv-run watch: status $status, expected 0" >&2
    cat /tmp/srv-run-memory.$$ >&2
    failed=1
fi
check 2 lookup "$name" --bogus
printf 'local srv = require "srv"\nlocal r = srv.resolver { servers = { ... } }\nfor i = 1, 3 do srv.spawn(function() assert(r:resolve("%s")) end) end\n' "$name" \
    > /tmp/srv-run-memory-script.$$
check 0 /tmp/srv-run-memory-script.$$ "$SRV_TEST_SERVER"
printf 'error("on purpose")\n' > /tmp/srv-run-memory-script.$$
check 1 /tmp/srv-run-memory-script.$$
rm -f /tmp/srv-run-memory.$$ /tmp/srv-run-memory-script.$$
[ "$failed" -eq 0 ] && echo "srv-run: no memory errors, no leaks"
exit "$failed"
