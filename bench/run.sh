#!/bin/sh
# run.sh BENCH_BINARY... - runs each benchmark in turn (not pass/fail).
for bench in "$@"; do
    echo "== $bench"
    "$bench" || echo "($bench exited $?)"
done
