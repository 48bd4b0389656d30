#!/usr/bin/env bash
# tests/run-tests.sh - run the unit and integration tests with pytest against the
# sanitizer build (what `make test` runs after building both variants). Extra arguments
# go to pytest (e.g. `tests/run-tests.sh -k foundation -x`). The last line is pytest's
# summary ("N passed, N failed in ..."); the exit status is pytest's.
#   CC_BIN_DIR   binaries to test (default build/san/bin)
#   CC_TEST_KEEP=1 keeps the temp dirs of the suites (for post-mortems)
#   CC_TEST_JOBS workers for a whole run (default cores + 1; 1: one process). A whole
#                run goes in two parts: the tests marked serial (load, CPU-heavy, page
#                timing) alone, then the rest with pytest-xdist, a test file per worker.
#                Naming test files or directories runs just those, in one process.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 1

export CC_BIN_DIR=${CC_BIN_DIR:-$REPO/build/san/bin}
# Sanitizers: stop at the first error with a stack; leaks fail the process at exit
# (third-party leaks we cannot fix are suppressed in tests/lsan.supp).
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=0:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:print_summary=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$REPO/tests/lsan.supp:print_suppressions=0}
export PYTHONDONTWRITEBYTECODE=1
# the Debian python with pytest, pyzmq and psycopg2 (not a pyenv shim)
PYTHON=${CC_TEST_PYTHON:-/usr/bin/python3}

# all of tests/ unless the arguments name test files or directories themselves
targets=("$REPO/tests")
for arg in "$@"; do
    if [[ "$arg" != -* && ( -e "${arg%%::*}" ) ]]; then
        targets=()
        break
    fi
done

PYTEST=("$PYTHON" -m pytest -p no:cacheprovider -rfE --tb=short --color=no
        --rootdir "$REPO/tests" -c "$REPO/tests/pytest.ini")
# one worker more than cores: most tests wait on real-time audio and timers (measured: a
# third worker on two cores left 37% idle and took the parallel part from 14.5 to 12 min)
JOBS=${CC_TEST_JOBS:-$(( $(nproc 2>/dev/null || echo 2) + 1 ))}
if [[ ${#targets[@]} -eq 0 || "$JOBS" -le 1 ]] || ! "$PYTHON" -c "import xdist" 2>/dev/null; then
    exec "${PYTEST[@]}" "${targets[@]}" "$@"
fi

# A whole run: the serial part, then the parallel part; each one's summary is kept for
# the last line.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# each part lists its slowest tests: where to look when the run nears CI's time budget
PYTEST+=(--durations=15)
"${PYTEST[@]}" -m serial "${targets[@]}" "$@" | tee "$log"
rc_serial=${PIPESTATUS[0]}
serial_summary=$(tail -n 1 "$log")
"${PYTEST[@]}" -m "not serial" -n "$JOBS" --dist loadfile "${targets[@]}" "$@" | tee "$log"
rc_parallel=${PIPESTATUS[0]}
parallel_summary=$(tail -n 1 "$log")
echo "serial part: ${serial_summary//=/}; parallel part (${JOBS} workers): ${parallel_summary//=/}"
# pytest's 5 (nothing collected) in a part is not a failure of the run
for rc in $rc_serial $rc_parallel; do
    [[ $rc -ne 0 && $rc -ne 5 ]] && exit "$rc"
done
exit 0
