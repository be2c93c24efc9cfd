#!/bin/sh
# ensure-deps.sh - installs the Debian packages srv needs when any is
# missing (apt-get; as root, or through sudo). Does nothing when all are there.
set -e
# libclang-rt-dev is the fuzzing runtime of the distribution's default clang
# (a versioned name such as libclang-rt-14-dev exists only on one release);
# cmake builds the second c-ares (make test-cares).
packages="gcc make pkg-config libc-ares-dev libcmocka-dev knot knot-dnsutils
lua5.4 liblua5.4-dev lua-busted luarocks lua-dkjson lua-socket lua-cqueues lua-luv valgrind groff-base
clang libclang-rt-dev cmake"

missing=
for package in $packages; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $package"
    fi
done
[ -z "$missing" ] && exit 0

echo "ensure-deps: installing$missing"
if [ "$(id -u)" -eq 0 ]; then
    as_root=
elif command -v sudo >/dev/null 2>&1; then
    as_root=sudo
else
    echo "ensure-deps: missing packages:$missing; install them as root" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$as_root apt-get update -qq
# shellcheck disable=SC2086
$as_root apt-get install -y -qq --no-install-recommends $missing >/dev/null
