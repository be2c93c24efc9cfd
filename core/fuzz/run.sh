#!/bin/sh
# run.sh FUZZER SECONDS CORPUS SEEDS [LIBFUZZER-OPTIONS...]
#
# Runs the libFuzzer binary FUZZER for SECONDS on the working corpus CORPUS
# (created from the seed directory SEEDS, which is only read: new inputs go
# to CORPUS, so the repository stays clean), with the log in CORPUS.log.
# Prints one line: seconds taken, runs, executions/s, coverage (cov = edges, ft = features)
# and the corpus size before and after. On a crash, a failed check or a
# leak it prints libFuzzer's report and where the reproducer was written,
# and exits 1.
set -u
fuzzer=$1 seconds=$2 corpus=$3 seeds=$4
shift 4
name=$(basename "$fuzzer")
log=$corpus.log

mkdir -p "$corpus"
cp "$seeds"/* "$corpus"/ 2>/dev/null
count() { find "$1" -type f | wc -l | tr -d ' '; }
before=$(count "$corpus")

start=$(date +%s)
"$fuzzer" -max_total_time="$seconds" -print_final_stats=1 "$@" "$corpus" >"$log" 2>&1
status=$?
elapsed=$(( $(date +%s) - start ))

after=$(count "$corpus")
# The last status line ("#N DONE cov: X ft: Y corp: ...", or the last
# pulse before a crash) holds the coverage; the final stats the rest.
last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
echo "$name: ${elapsed}s, ${runs:-?} runs, ${rate:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus $before -> $after"

if [ "$status" -ne 0 ]; then
    echo "$name: FAILED (libFuzzer exit status $status); the log is $log:" >&2
    grep -E 'check failed|ERROR: |SUMMARY: |runtime error|Test unit written|Base64' "$log" | head -n 20 >&2
    reproducer=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    [ -n "$reproducer" ] && echo "$name: reproduce with: $fuzzer $reproducer" >&2
    exit 1
fi
