#!/bin/sh
# mix_bench.sh - the mixing benchmarks: mix_cpu (md_mix alone, CPU per mixed participant
# for rooms of 3, 10, 50 and 200 rooms of 5) built against the release libmediad.a, then
# mix_load.py (a real mediad, real sockets: CPU, loss and lateness of the mixed streams).
# Prints figures; no pass/fail.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
make -s -C "$top/common" >/dev/null
make -s -C "$top/mediad" >/dev/null
out="$top/build/release/bench"
mkdir -p "$out"
${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -I"$top/mediad" -I"$top/common" \
    -I"$top/build/gen" -o "$out/mix_cpu" "$top/tests/bench/mix_cpu.c" \
    "$top/build/release/lib/libmediad.a" "$top/build/release/lib/libcommon.a" \
    $(pkg-config --libs speexdsp) -lm
"$out/mix_cpu"
if [ -f "$top/tests/bench/mix_load.py" ]; then
    echo
    /usr/bin/python3 "$top/tests/bench/mix_load.py"
fi
