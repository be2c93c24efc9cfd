#!/bin/sh
# test-cares.sh TARBALL - the tests against a c-ares built from source.
#
# Unpacks TARBALL (c-ares-X.Y.Z.tar.gz) into $BUILD/cares-X.Y.Z/, builds it
# with CMake and installs it into $BUILD/cares-X.Y.Z/prefix (once: a later run
# reuses it), then builds srv against it in $BUILD/cares-X.Y.Z/srv and runs
# the C tests, the busted specs and the ASan C tests there. The programs and
# the Lua module carry the prefix's lib/ as their run path (Makefile,
# CARES_LIBDIR), so they run with that c-ares, not the system's.
#
# Environment: MAKE (make), BUILD (build), WERROR, SPECS as for make.
set -eu

tarball=${1:?usage: test-cares.sh c-ares-X.Y.Z.tar.gz}
MAKE=${MAKE:-make}
BUILD=${BUILD:-build}

if [ ! -f "$tarball" ]; then
    echo "test-cares: no $tarball (give CARES_SRC=path/to/c-ares-X.Y.Z.tar.gz)" >&2
    exit 1
fi
command -v cmake >/dev/null 2>&1 || { echo "test-cares: cmake is needed" >&2; exit 1; }

name=$(basename "$tarball" .tar.gz)
case "$name" in
    c-ares-[0-9]*) ;;
    *) echo "test-cares: $tarball is not named c-ares-X.Y.Z.tar.gz" >&2; exit 1 ;;
esac
version=${name#c-ares-}
top=$(pwd)/$BUILD/cares-$version
prefix=$top/prefix

if [ ! -f "$prefix/include/ares.h" ]; then
    echo "== building c-ares $version into $prefix"
    rm -rf "$top/src" "$top/cmake"
    mkdir -p "$top/src"
    tar xzf "$tarball" -C "$top/src"
    log=$top/build.log
    if ! { cmake -S "$top/src/$name" -B "$top/cmake" -DCMAKE_INSTALL_PREFIX="$prefix" \
               -DCMAKE_INSTALL_LIBDIR=lib -DCARES_BUILD_TESTS=OFF -DCARES_BUILD_TOOLS=OFF \
               -DCARES_STATIC=OFF -DCMAKE_BUILD_TYPE=Release &&
           cmake --build "$top/cmake" -j2 &&
           cmake --install "$top/cmake"; } >"$log" 2>&1; then
        cat "$log" >&2
        echo "test-cares: building c-ares $version failed" >&2
        exit 1
    fi
fi

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
