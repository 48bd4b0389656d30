#!/usr/bin/env bash
# fuzz/run.sh [SECONDS] [TARGET...] - run each libFuzzer target (default: all built under
# build/fuzz/bin) for SECONDS (default 60; or FUZZ_RUNS=N for a fixed number of inputs, with
# SECONDS as a cap on each target's time, 0 for none),
# starting from the seeds in fuzz/corpus/TARGET. New inputs go to build/fuzz/corpus/TARGET,
# crashes to build/fuzz/crashes/, so the repository stays clean. Prints one line per target
# (inputs run, coverage, corpus size) and exits 1 if any target found a crash, a leak or
# a sanitizer report. Reproduce one with: build/fuzz/bin/TARGET build/fuzz/crashes/FILE
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$REPO/build/fuzz/bin
SECONDS_EACH=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in "$BIN"/fuzz_*; do [ -x "$f" ] && targets+=("$(basename "$f")"); done
fi
[ ${#targets[@]} -gt 0 ] || { echo "run.sh: no targets in $BIN (make fuzz builds them)" >&2; exit 2; }
mkdir -p "$REPO/build/fuzz/crashes" "$REPO/build/fuzz/logs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
limit=(-max_total_time="$SECONDS_EACH")
[ -n "${FUZZ_RUNS:-}" ] && limit+=(-runs="$FUZZ_RUNS")
failed=0
printf '%-20s %12s %8s %8s %7s  %s\n' target inputs exec/s cov corpus result
for t in "${targets[@]}"; do
    work=$REPO/build/fuzz/corpus/$t
    seeds=$REPO/fuzz/corpus/$t
    mkdir -p "$work"
    log=$REPO/build/fuzz/logs/$t.log
    "$BIN/$t" "${limit[@]}" -print_final_stats=1 -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$REPO/build/fuzz/crashes/$t-" "$work" "$seeds" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    corpus=$(find "$work" -type f | wc -l)
    result=ok
    if [ $rc -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$log"; then
        result="FAILED (rc $rc, see $log)"
        failed=1
    fi
    printf '%-20s %12s %8s %8s %7s  %s\n' "$t" "${runs:-?}" "${speed:-?}" "${cov:-?}" "$corpus" "$result"
done
exit $failed
