#!/bin/sh
# demo.sh SRV_RUN - what `make demo` shows: srv-run on the bundled example
# zone, answered from the zone file (no DNS server, no network).
set -e
srv_run=${1:-build/srv-run}
zone=docs/examples/example.net.zone
name=_xmpp-client._tcp.example.net

show() {
    echo
    echo "\$ srv-run $*"
    "$srv_run" "$@"
}

echo "The records of $name in $zone:"
grep "^_xmpp-client" "$zone"
show lookup "$name" --zone "$zone" --addresses
show lookup "$name" --zone "$zone" --explain
show lookup "$name" --zone "$zone" --simulate 100000
show lookup "$name" --zone "$zone" --simulate 100000 --down server1.example.net
show lookup "$name" --zone "$zone" --policy scripts/pin.lua --explain
show lookup --xmpp client example.net --zone "$zone"
show lookup --turn turn:example.net --zone "$zone"
