#!/bin/sh
# run-tests.sh TEST_BINARY...
# Runs each cmocka test binary from the repository root, then prints the
# totals on one line ("tests: N passed, N failed") and fails if any test or
# binary failed. A binary that dies before its summary counts as one failure.
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for test in "$@"; do
    echo "== $test"
    "$test" >"$log" 2>&1
    status=$?
    cat "$log"
    run=$(sed -n 's/^\[==========\] \([0-9]*\) test(s) run\./\1/p' "$log" | tail -n 1)
    bad=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' "$log" | tail -n 1)
    run=${run:-0}
    bad=${bad:-0}
    if [ "$status" -ne 0 ] && [ "$bad" -eq 0 ]; then
        echo "FAILED: $test exited $status"
        bad=1
    fi
    passed=$((passed + run - bad))
    [ "$run" -lt "$bad" ] && passed=$((passed + bad - run))
    failed=$((failed + bad))
done
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
