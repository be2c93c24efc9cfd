#!/bin/sh
# with-knotd.sh COMMAND [ARGS...]
#
# Starts knotd in the foreground on a free 127.0.0.1 port, serving every
# spec/fixtures/NAME.zone as zone NAME, waits until it answers, runs COMMAND
# with SRV_TEST_SERVER=127.0.0.1:PORT in its environment, then stops knotd and
# removes its run directory, whatever COMMAND did. Exits with COMMAND's status.
# Specs that change a zone (spec/watch_spec.lua) rewrite its copy in
# SRV_TEST_ZONES/NAME.zone and run `knotc -s "$SRV_TEST_KNOTC_SOCKET" -b
# zone-reload NAME`.
#
# Loopback only: knotd listens on 127.0.0.1 and nothing here sends elsewhere.
set -u

here=$(cd "$(dirname "$0")" && pwd)
fixtures=${SRV_FIXTURES:-$here/../fixtures}
workdir=$(mktemp -d "${TMPDIR:-/tmp}/srv-knotd.XXXXXX")
knotd_pid=

stop_knotd() {
    if [ -n "$knotd_pid" ] && kill -0 "$knotd_pid" 2>/dev/null; then
        kill "$knotd_pid" 2>/dev/null
        wait "$knotd_pid" 2>/dev/null
    fi
    knotd_pid=
}
cleanup() {
    stop_knotd
    rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

write_config() {
    port=$1
    {
        echo "server:"
        echo "    rundir: \"$workdir/run\""
        echo "    listen: 127.0.0.1@$port"
        echo "    tcp-workers: 2"
        echo "    udp-workers: 2"
        echo "    background-workers: 1"
        echo "log:"
        # stderr, which is unbuffered: the readiness check reads it live.
        echo "  - target: stderr"
        echo "    any: info"
        echo "database:"
        echo "    storage: \"$workdir/db\""
        echo "template:"
        echo "  - id: default"
        echo "    storage: \"$workdir/zones\""
        echo "    file: \"%s.zone\""
        # Serve the files as they are: never write them back or journal.
        echo "    zonefile-sync: -1"
        echo "    zonefile-load: whole"
        echo "    journal-content: none"
        echo "zone:"
        for zone_file in "$workdir"/zones/*.zone; do
            name=$(basename "$zone_file" .zone)
            echo "  - domain: $name"
        done
    } > "$workdir/knot.conf"
}

# Every zone has finished loading, or failed to (knotd loads them in the
# background after it starts answering; a test must not see a zone mid-load).
all_zones_settled() {
    for zone_file in "$workdir"/zones/*.zone; do
        name=$(basename "$zone_file" .zone)
        grep -q -e "\[$name\.\] loaded" -e "\[$name\.\] zone event 'load' failed" \
            "$workdir/knotd.out" 2>/dev/null || return 1
    done
}

# Waits until every zone settled and knotd answers on the port; fails if
# knotd exited (the port was taken, say) or was not ready within 10 s.
wait_until_ready() {
    port=$1
    zone=$(basename "$(ls "$workdir"/zones/*.zone | head -n 1)" .zone)
    tries=0
    while [ $tries -lt 100 ]; do
        kill -0 "$knotd_pid" 2>/dev/null || return 1
        if all_zones_settled &&
           kdig @127.0.0.1 -p "$port" +timeout=1 +retry=0 SOA "$zone" 2>/dev/null | grep -q 'status: '; then
            return 0
        fi
        tries=$((tries + 1))
        sleep 0.1
    done
    return 1
}

mkdir -p "$workdir/run" "$workdir/db" "$workdir/zones"
cp "$fixtures"/*.zone "$workdir/zones/"

attempt=0
# Debian puts knotd in /usr/sbin, which is not on a user's PATH.
knotd=$(command -v knotd || echo /usr/sbin/knotd)
while :; do
    attempt=$((attempt + 1))
    if [ $attempt -gt 20 ]; then
        echo "with-knotd: knotd did not start; its log:" >&2
        cat "$workdir/knotd.out" >&2 2>/dev/null
        exit 1
    fi
    # A random high port; a taken one makes knotd fail to bind and we retry.
    port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
    write_config "$port"
    "$knotd" -c "$workdir/knot.conf" >"$workdir/knotd.out" 2>&1 &
    knotd_pid=$!
    if wait_until_ready "$port"; then
        break
    fi
    stop_knotd
done

SRV_TEST_SERVER=127.0.0.1:$port
SRV_TEST_ZONES=$workdir/zones
SRV_TEST_KNOTC_SOCKET=$workdir/run/knot.sock
export SRV_TEST_SERVER SRV_TEST_ZONES SRV_TEST_KNOTC_SOCKET
"$@"
status=$?
exit $status
