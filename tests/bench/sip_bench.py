#!/usr/bin/python3
"""sip_bench.py - call setup rate and REGISTER rate of the suite beside Kamailio(+rtpengine),
alternating target and anchor in one loop so both see the same machine noise.

Call setup: sipp UAC (127.0.0.1:UAC_PORT, a trunk of the suite) -> sipproxy -> route 9. ->
trunk to the sipp UAS on UAS_PORT, media anchored in mediad, CDRs by cdrd. Measured with the
shared anchor script sip_cps.sh (highest rate with <0.1% failed calls), against the suite and
against Kamailio + rtpengine (run_kamailio_anchor.sh, port 5061).
REGISTER: digest REGISTER rate, users 70000.. (the suite's extensions are digits), with the
anchor's lib.sh and uac_reg.xml, beside sip_reg.sh against Kamailio (users bench0000..).

    tests/bench/sip_bench.py [--rounds N] [--only cps|reg] [--budget S]
Env: CC_BIN_DIR (default bin/, the release build), CC_BENCH_ANCHORS (default
../shared/bench-anchors next to the repo). Prints one line per run and the medians/ratios.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
os.environ.setdefault("CC_BIN_DIR", str(REPO / "bin"))
sys.path.insert(0, str(REPO / "tests"))
import suite as sm  # noqa: E402

ANCHORS = Path(os.environ.get("CC_BENCH_ANCHORS") or REPO.parent / "shared" / "bench-anchors")
UAS_PORT, UAC_PORT, REG_PORT = 5062, 5063, 5064
REG_USERS = int(os.environ.get("REG_USERS", "1000"))
REG_PASS = "benchpw1"


def run(cmd, env=None, timeout=900):
    print("$ " + " ".join(str(c) for c in cmd), flush=True)
    r = subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True,
                       timeout=timeout)
    for line in r.stdout.splitlines():
        if line.startswith(("step", "cps=", "reg_per_s=", "#")):
            print("  " + line, flush=True)
    if r.returncode != 0 and r.stderr:
        print(r.stderr[-2000:], flush=True)
    return r.stdout


def last_value(out, key):
    m = re.findall(r"^%s=(\d+)" % key, out, re.M)
    return int(m[-1]) if m else 0


def make_suite(cluster):
    s = sm.Suite(cluster, name="sip_bench", daemons=["sipproxy", "mediad", "cdrd"],
                 config={"common.log_level": "warn", "common.rtp_ports": sm.free_port_range(1000)})
    s.ccctl("trunk", "add", "bench_in", "--host", "127.0.0.1:%d" % UAC_PORT, check=True)
    s.ccctl("trunk", "add", "bench_out", "--host", "127.0.0.1:%d" % UAS_PORT, check=True)
    s.ccctl("route", "add", "9.", "trunk:bench_out", check=True)
    return s


def add_reg_users(s):
    t0 = time.time()
    for i in range(REG_USERS):
        s.ccctl("user", "add", "7%04d" % i, "--password", REG_PASS, check=True)
    print("# %d users added with ccctl in %.1f s" % (REG_USERS, time.time() - t0), flush=True)


def reg_suite(s, budget):
    """The anchor's REGISTER ramp against the suite with numeric users."""
    w = s.var_dir / "reg"
    w.mkdir(exist_ok=True)
    users = w / "users.csv"
    users.write_text("SEQUENTIAL\n" + "".join("7%04d;%s\n" % (i, REG_PASS) for i in range(REG_USERS)))
    script = w / "reg.sh"
    script.write_text(r'''set -u
HERE=%(anchors)s
. "$HERE/lib.sh"
TARGET=$1; W=%(w)s; TARGET_PIDS="%(pid)s"; GEN_PIDS=""
STEP_S=${STEP_S:-8}; BUDGET_S=%(budget)d
step() {
	local rate=$1 count=$(($1 * STEP_S))
	sipp_step "r$rate" "$rate" "$count" "$TARGET" -sf "$HERE/scenarios/uac_reg.xml" \
		-inf "%(users)s" -s '[field0]' -ap "%(pw)s" -i 127.0.0.1 -p %(port)d
	local res=FAIL
	step_pass "$rate" "$count" && res=PASS
	LAST_LINE="rate=$rate regs=$count ok=$S_OK failed=$S_FAIL med_ms=$S_MED wall_s=$S_WALL target_cpu=$S_TCPU%%"
	echo "step $LAST_LINE -> $res"
	[ $res = PASS ]
}
ramp step 100 20000
echo "reg_per_s=$BEST  # $BEST_LINE"
''' % {"anchors": ANCHORS, "w": w, "pid": s.pid("sipproxy"), "budget": budget, "users": users,
       "pw": REG_PASS, "port": REG_PORT})
    return last_value(run(["bash", str(script), "127.0.0.1:%d" % s.sip_port]), "reg_per_s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--only", choices=["cps", "reg"], default=None)
    ap.add_argument("--budget", type=int, default=120)
    a = ap.parse_args()
    cluster = sm.PgCluster().start()
    s = None
    results = {"suite_cps": [], "kam_cps": [], "suite_reg": [], "kam_reg": []}
    kam = ANCHORS / "run_kamailio_anchor.sh"
    try:
        s = make_suite(cluster)
        if a.only != "cps":
            add_reg_users(s)
        s.start()
        pids = " ".join(str(s.pid(d)) for d in ("sipproxy", "mediad", "cdrd"))
        env = dict(os.environ, UAS_PORT=str(UAS_PORT), UAC_PORT=str(UAC_PORT),
                   BUDGET_S=str(a.budget))
        for rnd in range(a.rounds):
            print("# round %d" % (rnd + 1), flush=True)
            if a.only != "reg":
                out = run([ANCHORS / "sip_cps.sh", "127.0.0.1:%d" % s.sip_port],
                          env=dict(env, TARGET_PIDS=pids))
                results["suite_cps"].append(last_value(out, "cps"))
                run([kam, "start"], env=env)
                out = run([ANCHORS / "sip_cps.sh", "127.0.0.1:5061"], env=env)
                results["kam_cps"].append(last_value(out, "cps"))
            if a.only != "cps":
                results["suite_reg"].append(reg_suite(s, a.budget))
                run([kam, "start"], env=env)
                out = run([ANCHORS / "sip_reg.sh", "127.0.0.1:5060"], env=dict(env, BUDGET_S=str(a.budget)))
                results["kam_reg"].append(last_value(out, "reg_per_s"))
            run([kam, "stop"], env=env)
            st = s.bus_call("sipproxy", "status")
            print("# sipproxy status: %s" % st.get("result", {}).get("details"), flush=True)
    finally:
        subprocess.run([str(kam), "stop"], capture_output=True)
        if s:
            try:
                s.close()
            except Exception as e:
                print("# suite close: %s" % e)
        cluster.cleanup()

    def med(k):
        return statistics.median(results[k]) if results[k] else 0
    print("# results %s" % results)
    if results["suite_cps"]:
        print("calls_per_s suite=%d kamailio+rtpengine=%d ratio=%.2f" % (
            med("suite_cps"), med("kam_cps"), med("suite_cps") / max(1, med("kam_cps"))))
    if results["suite_reg"]:
        print("registers_per_s suite=%d kamailio=%d ratio=%.2f" % (
            med("suite_reg"), med("kam_reg"), med("suite_reg") / max(1, med("kam_reg"))))


if __name__ == "__main__":
    main()
