#!/bin/sh
# acd_bench.sh - builds libacdd.a (release), compiles the ACD routing benchmark and the
# expected-wait simulation against it, and runs both. Prints figures; no pass/fail.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
make -s -C "$top/common" >/dev/null
make -s -C "$top/acdd" >/dev/null
out="$top/build/release/bench"
mkdir -p "$out"
for prog in acd_bench acd_sim; do
    ${CC:-cc} -std=c11 -O2 -g -Wall -Wextra -Werror -I"$top/acdd" -I"$top/common" -I"$top/build/gen" \
        -o "$out/$prog" "$top/tests/bench/$prog.c" \
        "$top/build/release/lib/libacdd.a" "$top/build/release/lib/libcommon.a" -lm
done
"$out/acd_bench"
echo
"$out/acd_sim"
