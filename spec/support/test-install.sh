#!/bin/sh
# test-install.sh - runs the commands of docs/install.md, each ```sh block as
# written, in fresh copies of the checkout, and checks between them what got
# installed: the Lua module from lua5.4, srv-run, and the C library through
# pkg-config, dynamically and statically; after uninstalling, that nothing is
# left. Removes everything it made.
#
# HOME points into the temporary directory, so the page's "$HOME/.local",
# "$HOME/rocks" and "$HOME/stage" never touch the real home.
# LuaRocks gets a configuration of its own (LUAROCKS_CONFIG) whose only tree
# is a temporary one, so that its default tree is exercised without writing
# to /usr/local, and whose only server is a directory that does not exist,
# so nothing can be downloaded.
#
# Offline: every lookup answers from docs/examples/example.net.zone.
set -eu

checkout=$(cd "$(dirname "$0")/../.." && pwd)
LUA=${LUA:-lua5.4}

# What the page's commands would pick up from an enclosing make or the
# caller's environment instead of their own defaults: make's command-line
# variables (MAKEFLAGS), an install location, another build directory, Lua
# paths (LUA_PATH_5_4 wins over the LUA_PATH the checks set).
unset MAKEFLAGS MAKEOVERRIDES MFLAGS MAKELEVEL BUILD PREFIX DESTDIR BINDIR LIBDIR INCLUDEDIR \
      MANDIR PKGCONFIGDIR LUA_LMOD LUA_CMOD CARES_INCDIR CARES_LIBDIR PKG_CONFIG_PATH \
      LUA_PATH LUA_CPATH LUA_PATH_5_4 LUA_CPATH_5_4 LUA_INIT LUA_INIT_5_4 LUAROCKS_CONFIG

# srv.pc cannot hold a path with a blank (pkg-config's output is split on
# blanks), so the temporary directory must not have one.
case ${TMPDIR:-/tmp} in *[[:space:]]*) TMPDIR=/tmp ;; esac
work=$(mktemp -d "${TMPDIR:-/tmp}/srv-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
zone=$checkout/docs/examples/example.net.zone
version=$(sed -n 's/^#define SRV_VERSION "\(.*\)"/\1/p' "$checkout/core/include/srv.h")

mkdir -p "$work/home"
HOME=$work/home
export HOME

fail() {
    echo "test-install: FAIL: $*" >&2
    exit 1
}
step() {
    echo "== test-install: $*"
}

# The checkout as a fresh clone would have it once committed: the files git
# tracks or would track (as they are in the working tree), without build
# outputs; without git, everything but build/.
fresh_copy() {
    mkdir -p "$1"
    if git -C "$checkout" rev-parse --git-dir >/dev/null 2>&1; then
        (cd "$checkout" && git ls-files -z --cached --others --exclude-standard \
            | xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh \
            | tar --null -T - -cf -) | tar -C "$1" -xf -
    else
        (cd "$checkout" && tar --exclude=./build --exclude=./.git -cf - .) | tar -C "$1" -xf -
    fi
}

# check_lua LUA_PATH LUA_CPATH ROOT: srv loads from ROOT and resolves; the
# runner's own modules (srv.run.*) are not installed as library modules.
check_lua() {
    out=$(cd "$work" && LUA_PATH=$1 LUA_CPATH=$2 "$LUA" - "$3" "$zone" 2>&1 <<'LUA'
local root, zone = ...
local srv = require "srv"
for _, name in ipairs { "srv", "srv.core" } do
    local file = package.searchpath(name, name == "srv" and package.path or package.cpath)
    assert(file and file:sub(1, #root) == root, name .. " loaded from " .. tostring(file))
end
assert(not package.searchpath("srv.run.main", package.path), "srv.run.main is installed as a library module")
local r = assert(srv.resolver { zone = zone, seed = 1 })
local cands = assert(r:resolve("_xmpp-client._tcp.example.net"))
print(srv.version, #cands, cands[1].target)
LUA
    ) || fail "lua5.4 with $3: $out"
    [ "$out" = "$version	5	server1.example.net" ] || fail "lua5.4 with $3 printed: $out"
}

# check_runner PROGRAM: the installed srv-run runs with no Lua paths at all,
# its own modules (srv.run.*) built in.
check_runner() {
    out=$(env -u LUA_PATH -u LUA_CPATH "$1" --version) || fail "$1 --version"
    case $out in "srv-run $version "*) ;; *) fail "$1 --version printed: $out" ;; esac
    out=$(cd "$work" && env -u LUA_PATH -u LUA_CPATH "$1" lookup _xmpp-client._tcp.example.net \
        --zone "$zone" --seed 1) || fail "$1 lookup"
    echo "$out" | sed -n 2p | grep -qx '5 50 5222 server1.example.net. srv' || fail "$1 lookup printed: $out"
    out=$(echo 'print(type(require("srv.run.source").resolver))' | env -u LUA_PATH -u LUA_CPATH "$1" -) \
        || fail "$1 running a script that requires srv.run.source"
    [ "$out" = function ] || fail "$1: srv.run.source printed: $out"
}

# The C program of docs/install.md's C block: app.c orders two records.
cat > "$work/app.c" <<'EOF'
#include <srv.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    const char *text =
        "_x._tcp.example.net. 60 IN SRV 20 0 5222 late.example.net.\n"
        "_x._tcp.example.net. 60 IN SRV 10 0 5222 early.example.net.\n";
    srv_recordset_t set = {0};
    srv_parse_error_t err;
    size_t perm[2], n;
    srv_rng_t rng;

    if (srv_parse_srv(text, strlen(text), &set, &err) != SRV_OK)
        return 1;
    srv_rng_seed(&rng, 1);
    if (srv_order(set.records, set.count, SRV_ORDER_WEIGHTED, &rng, perm, &n) != SRV_OK)
        return 1;
    for (size_t i = 0; i < n; i++)
        printf("%s\n", set.records[perm[i]].target);
    printf("%s\n", SRV_VERSION);
    srv_recordset_clear(&set);
    return 0;
}
EOF

# check_c LIBDIR [PKG_CONFIG_ARGS]: ./app and ./app-static, which the C
# block of docs/install.md built from app.c, use LIBDIR's libsrv.so and
# libsrv.a and print what app.c computes; the same program builds with
# PKG_CONFIG_ARGS (--define-prefix for a staged install).
check_c() {
    libdir=$1
    shift
    LD_LIBRARY_PATH=$libdir ldd ./app | grep -q "libsrv.so.0 => $libdir/" \
        || fail "app does not use $libdir/libsrv.so.0"
    if ldd ./app-static | grep -q libsrv; then fail "app-static uses libsrv.so"; fi
    # shellcheck disable=SC2046
    cc -o app-again app.c $(pkg-config "$@" --cflags --libs srv) || fail "building with pkg-config $*"
    expected=$(printf 'early.example.net\nlate.example.net\n%s' "$version")
    for program in app app-static app-again; do
        out=$(LD_LIBRARY_PATH=$libdir "./$program") || fail "$program failed"
        [ "$out" = "$expected" ] || fail "$program printed: $out"
    done
    # Both libraries export the API of srv.h and nothing else.
    others=$(nm -D --defined-only "$libdir/libsrv.so" | awk '$3 !~ /^srv_/ { print $3 }')
    [ -z "$others" ] || fail "libsrv.so exports more than srv_*: $others"
    others=$(nm -g --defined-only "$libdir/libsrv.a" | awk 'NF == 3 && $3 !~ /^srv_/ { print $3 }')
    [ -z "$others" ] || fail "libsrv.a exports more than srv_*: $others"
}

# run_block FIRST_LINE: runs the ```sh block of docs/install.md that starts
# with FIRST_LINE, in the current directory, as `sh -e` would.
run_block() {
    awk -v first="$1" '
        /^```/ { if (inside) exit; if ($0 == "```sh") { getline; if ($0 == first) { inside = 1; print } } next }
        inside { print }
    ' "$checkout/docs/install.md" > "$work/block.sh"
    [ -s "$work/block.sh" ] || fail "docs/install.md has no sh block starting with: $1"
    echo "== test-install: docs/install.md: $1"
    sh -e "$work/block.sh" >"$work/block.log" 2>&1 || { cat "$work/block.log"; fail "the block failed: $1"; }
    ran=$((ran + 1))
}
ran=0

# nothing_left DIR: only directories remain under DIR.
nothing_left() {
    left=$(find "$1" ! -type d)
    [ -z "$left" ] || fail "left behind: $left"
}

# -- make install / uninstall into a prefix ---------------------------------
fresh_copy "$work/make"
cd "$work/make"
cp "$work/app.c" app.c
run_block 'make install PREFIX="$HOME/.local"'
prefix=$HOME/.local
for file in bin/srv-run share/man/man1/srv-run.1 include/srv.h lib/libsrv.a lib/libsrv.so \
            lib/libsrv.so.0 "lib/libsrv.so.$version" lib/pkgconfig/srv.pc \
            share/lua/5.4/srv.lua share/lua/5.4/srv/resolver.lua lib/lua/5.4/srv/core.so; do
    [ -e "$prefix/$file" ] || fail "make install did not write $prefix/$file"
done
check_lua "$prefix/share/lua/5.4/?.lua" "$prefix/lib/lua/5.4/?.so" "$prefix"
check_runner "$prefix/bin/srv-run"
groff -man -Tutf8 -ww "$prefix/share/man/man1/srv-run.1" 2>&1 | grep -q 'srv-run' \
    || fail "the installed man page does not render"
run_block 'export PKG_CONFIG_PATH="$HOME/.local/lib/pkgconfig"'
PKG_CONFIG_PATH=$prefix/lib/pkgconfig check_c "$prefix/lib"
installed=$(cd "$prefix" && find . ! -type d | sort)
run_block 'make uninstall PREFIX="$HOME/.local"'
nothing_left "$prefix"

# -- a staged install, as a package build does it ------------------------------
run_block 'make install PREFIX=/usr DESTDIR="$HOME/stage"'
[ "$(ls "$HOME/stage")" = usr ] || fail "DESTDIR holds more than usr/: $(ls "$HOME/stage")"
# The same files as under a prefix: none written elsewhere instead.
[ "$(cd "$HOME/stage/usr" && find . ! -type d | sort)" = "$installed" ] \
    || fail "DESTDIR does not hold what make install PREFIX=$prefix wrote: $(cd "$HOME/stage/usr" && find . ! -type d | sort)"
grep -qx 'prefix=/usr' "$HOME/stage/usr/lib/pkgconfig/srv.pc" || fail "srv.pc does not say prefix=/usr"
check_lua "$HOME/stage/usr/share/lua/5.4/?.lua" "$HOME/stage/usr/lib/lua/5.4/?.so" "$HOME/stage/usr"
check_runner "$HOME/stage/usr/bin/srv-run"
rm -f app app-static app-again
PKG_CONFIG_PATH=$HOME/stage/usr/lib/pkgconfig sh -c \
    'cc -o app app.c $(pkg-config --define-prefix --cflags --libs srv) &&
     cc -o app-static app.c $(pkg-config --define-prefix --cflags srv) "$HOME/stage/usr/lib/libsrv.a" \
        $(pkg-config --libs libcares) -lm' || fail "building against the staged srv"
PKG_CONFIG_PATH=$HOME/stage/usr/lib/pkgconfig check_c "$HOME/stage/usr/lib" --define-prefix
run_block 'make uninstall PREFIX=/usr DESTDIR="$HOME/stage"'
nothing_left "$HOME/stage"

# -- LuaRocks ------------------------------------------------------------------
cat > "$work/luarocks.lua" <<EOF
rocks_trees = { "$work/default-tree" }
-- An empty list would bring back the default servers; a directory that does
-- not exist is a server that has nothing.
rocks_servers = { "$work/no-rocks-server" }
-- busted comes from Debian (lua-busted), not from a rock.
rocks_provided = { busted = "2.1.1-1" }
EOF
LUAROCKS_CONFIG=$work/luarocks.lua
export LUAROCKS_CONFIG
fresh_copy "$work/rock"
cd "$work/rock"

run_block 'luarocks --lua-version 5.4 --tree "$HOME/rocks" make rockspec/srv-scm-1.rockspec'
eval "$(luarocks --lua-version 5.4 --tree "$HOME/rocks" path)"
check_lua "$LUA_PATH" "$LUA_CPATH" "$HOME/rocks"
check_runner "$HOME/rocks/bin/srv-run"
run_block 'luarocks --lua-version 5.4 --tree "$HOME/rocks" remove srv'
[ ! -e "$HOME/rocks/bin/srv-run" ] && [ ! -e "$HOME/rocks/share/lua/5.4/srv.lua" ] \
    && [ ! -e "$HOME/rocks/lib/lua/5.4/srv/core.so" ] || fail "luarocks remove left srv behind"

run_block 'luarocks --lua-version 5.4 make --pack-binary-rock rockspec/srv-scm-1.rockspec'
ls srv-scm-1.*.rock >/dev/null 2>&1 || fail "no binary rock was made"
[ ! -e "$work/default-tree/share/lua/5.4/srv.lua" ] || fail "packing a binary rock installed into the default tree"
(eval "$(luarocks --lua-version 5.4 --tree "$HOME/binary" path)" \
    && check_lua "$LUA_PATH" "$LUA_CPATH" "$HOME/binary") || exit 1
check_runner "$HOME/binary/bin/srv-run"

run_block 'luarocks --lua-version 5.4 make rockspec/srv-scm-1.rockspec'
eval "$(luarocks --lua-version 5.4 path)"
check_lua "$LUA_PATH" "$LUA_CPATH" "$work/default-tree"
check_runner "$work/default-tree/bin/srv-run"

run_block 'luarocks --lua-version 5.4 test rockspec/srv-scm-1.rockspec -- SPECS=spec/uri_spec.lua'
# It ran that spec file, every test of it, and nothing else.
expected=$(LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='build/?.so;;' \
    busted --lua="$LUA" --list spec/uri_spec.lua | grep -c '^spec/uri_spec.lua:')
grep -q "^$expected successes / 0 failures / 0 errors / 0 pending" "$work/block.log" \
    || { cat "$work/block.log"; fail "luarocks test did not run the $expected tests of spec/uri_spec.lua"; }

# Every sh block of the page ran.
blocks=$(grep -c '^```sh$' "$checkout/docs/install.md")
[ "$blocks" -eq "$ran" ] || fail "docs/install.md has $blocks sh blocks, $ran ran"
echo "== test-install: all installs work ($ran blocks of docs/install.md)"
