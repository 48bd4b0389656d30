#!/usr/bin/env bash
# tests/bench/run-all.sh - what `make bench` runs: every benchmark in turn, each printing
# its own figures (no pass/fail; timing never belongs in tests). Name some to run only
# those: `tests/bench/run-all.sh acd mediad`. Benchmarks use the release build (bin/) and,
# for the side-by-side anchors, Kamailio and rtpengine (deploy/install-deps.sh --bench).
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO" || exit 1
PY=/usr/bin/python3

declare -A BENCH=(
    [acd]="tests/bench/acd_bench.sh"
    [acd_e2e]="$PY tests/bench/acd_e2e.py"
    [mediad]="$PY tests/bench/mediad_relay.py"
    [srtp]="$PY tests/bench/srtp_relay.py"
    [ivr_media]="$PY tests/bench/ivr_media.py"
    [sip]="$PY tests/bench/sip_bench.py"
    [tls]="$PY tests/bench/tls_bench.py"
    [rtp_sip]="$PY tests/bench/rtp_sip_bench.py"
    [rec]="$PY tests/bench/rec_load.py"
    [recovery]="$PY tests/bench/recovery_bench.py"
    [ivr_calls]="$PY tests/bench/ivr_calls.py"
    [webd]="$PY tests/bench/webd_bench.py"
    [desk]="$PY tests/bench/desk_bench.py"
    [cdr_ingest]="$PY tests/bench/cdr_ingest.py"
    [kpi_history]="$PY tests/bench/kpi_history.py"
    [dialer_sim]="$PY tests/bench/dialer_sim.py"
    [dialer_live]="$PY tests/bench/dialer_live.py"
)
ORDER=(acd acd_e2e mediad srtp ivr_media ivr_calls sip tls rtp_sip rec webd desk recovery cdr_ingest kpi_history dialer_sim dialer_live)

deploy/install-deps.sh --bench
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=("${ORDER[@]}")
rc=0
for name in "${wanted[@]}"; do
    cmd=${BENCH[$name]:-}
    if [ -z "$cmd" ]; then
        echo "unknown benchmark '$name' (have: ${ORDER[*]})" >&2
        rc=2
        continue
    fi
    echo "==== $name: $cmd"
    $cmd || { echo "==== $name failed (exit $?)"; rc=1; }
done
exit $rc
