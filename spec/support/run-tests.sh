#!/bin/sh
# run-tests.sh TEST_BINARY...
# Runs each C test binary from the repository root, prints one summary line
# in the form CI reads ("N passed, N failed") and fails if any test failed.
passed=0
failed=0
for test in "$@"; do
    echo "== $test"
    if "$test"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAILED: $test"
    fi
done
echo "test binaries: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
