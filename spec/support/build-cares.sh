#!/bin/sh
# build-cares.sh TARBALL - builds a c-ares from source, once, and prints
# the directory it is in.
#
# Unpacks TARBALL (c-ares-X.Y.Z.tar.gz) into $BUILD/cares-X.Y.Z/, builds it
# with CMake and installs it into $BUILD/cares-X.Y.Z/prefix (a later run
# reuses it), then prints $BUILD/cares-X.Y.Z (absolute). Used by
# test-cares.sh and by `make bench`.
#
# Environment: BUILD (build).
set -eu

tarball=${1:?usage: build-cares.sh c-ares-X.Y.Z.tar.gz}
BUILD=${BUILD:-build}

if [ ! -f "$tarball" ]; then
    echo "build-cares: no $tarball (give CARES_SRC=path/to/c-ares-X.Y.Z.tar.gz)" >&2
    exit 1
fi
command -v cmake >/dev/null 2>&1 || { echo "build-cares: cmake is needed" >&2; exit 1; }

name=$(basename "$tarball" .tar.gz)
case "$name" in
    c-ares-[0-9]*) ;;
    *) echo "build-cares: $tarball is not named c-ares-X.Y.Z.tar.gz" >&2; exit 1 ;;
esac
version=${name#c-ares-}
top=$(pwd)/$BUILD/cares-$version
prefix=$top/prefix

if [ ! -f "$prefix/include/ares.h" ]; then
    echo "== building c-ares $version into $prefix" >&2
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
        echo "build-cares: building c-ares $version failed" >&2
        exit 1
    fi
fi
echo "$top"
