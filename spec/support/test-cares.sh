#!/bin/sh
# test-cares.sh TARBALL - the tests against a c-ares built from source.
#
# Builds TARBALL (c-ares-X.Y.Z.tar.gz) into $BUILD/cares-X.Y.Z/prefix, once
# (build-cares.sh), then builds srv against it in $BUILD/cares-X.Y.Z/srv and runs
# the C tests, the busted specs and the ASan C tests there. The programs and
# the Lua module carry the prefix's lib/ as their run path (Makefile,
# CARES_LIBDIR), so they run with that c-ares, not the system's.
#
# Environment: MAKE (make), BUILD (build), WERROR, SPECS as for make.
set -eu

tarball=${1:?usage: test-cares.sh c-ares-X.Y.Z.tar.gz}
MAKE=${MAKE:-make}
BUILD=${BUILD:-build}

top=$(BUILD="$BUILD" sh spec/support/build-cares.sh "$tarball")
version=${top##*/cares-}
prefix=$top/prefix

set -- BUILD="$top/srv" CARES_INCDIR="$prefix/include" CARES_LIBDIR="$prefix/lib"
$MAKE --no-print-directory "$@" all
# The run path must win over the system's c-ares, or this run tests nothing new.
loaded=$(LUA_CPATH="$top/srv/?.so;;" ${LUA:-lua5.4} -e 'io.write(require("srv.core").cares_version)')
if [ "$loaded" != "$version" ]; then
    echo "test-cares: srv.core runs on c-ares $loaded, not $version" >&2
    exit 1
fi
echo "== c-ares $version: C tests"
$MAKE --no-print-directory "$@" test-c
echo "== c-ares $version: busted specs"
$MAKE --no-print-directory "$@" test-lua
echo "== c-ares $version: C tests under ASan+UBSan"
$MAKE --no-print-directory "$@" check-asan
