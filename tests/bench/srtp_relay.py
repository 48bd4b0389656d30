#!/usr/bin/python3
"""srtp_relay.py - mediad's CPU per relayed packet with SRTP legs against plain relay.

For each load (CALLS, default "100 500") and each mode, in turn on one mediad: set up N
bridged calls over mediad's bus (as mediad_relay.py does) with
  plain      both legs plain RTP (the baseline),
  srtp-rtp   the caller's leg SRTP (AES_CM_128_HMAC_SHA1_80), the callee's plain: every
             packet is decrypted or encrypted once,
  srtp-srtp  both legs SRTP, each with its own keys: every packet is decrypted and
             encrypted again,
drive them with srtp_gen (rtpgen with SRTP legs, on mediad's OpenSSL cipher and auth for
libsrtp; built here) both ways, 50 packets/s per
direction, for DUR seconds after WARM, and print loss, delay and mediad's CPU-us per
relayed packet (utime+stime from /proc), then the ratio of each mode to plain.

Usage:  tests/bench/srtp_relay.py      (needs bin/mediad)
  env:  CALLS="100 500" DUR=10 WARM=2 REPEAT=1 MODES="plain srtp-rtp srtp-srtp"
        MEDIAD=bin/mediad MD_PORTS=12000-16999 GEN_BASE=61000
Traffic stays on 127.0.0.1; every process started here is stopped by its PID."""

import base64
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mediad_relay as mr  # noqa: E402  (the mediad driver and rtpgen's output parser)

HERE = Path(__file__).resolve().parent
CALLS = [int(x) for x in os.environ.get("CALLS", "100 500").split()]
MODES = os.environ.get("MODES", "plain srtp-rtp srtp-srtp").split()
SUITE = "AES_CM_128_HMAC_SHA1_80"


def key():
    return base64.b64encode(os.urandom(30)).decode()


class SrtpMediad(mr.MediadRelay):
    """mediad_relay's driver, with SRTP on the legs the mode asks for."""

    mode = "plain"

    def setup(self, legs):
        srtp_a = self.mode in ("srtp-rtp", "srtp-srtp")
        srtp_b = self.mode == "srtp-srtp"
        creates = []
        for i in range(len(legs)):
            for leg, on in (("caller", srtp_a), ("callee", srtp_b)):
                args = {"call_id": "bench-%d" % i, "leg": leg}
                if on:
                    args["srtp"] = {}
                creates.append(("endpoint.create", args))
        made = self.batch(creates)
        if any(m is None for m in made):
            raise SystemExit("mediad: endpoint.create failed")
        cmds, self.lines = [], []
        for i, (pa, pb) in enumerate(legs):
            a, b = made[2 * i], made[2 * i + 1]
            for ep, port in ((a, pa), (b, pb)):
                args = {"endpoint_id": ep["endpoint_id"], "address": "127.0.0.1", "port": port}
                line = "%d 127.0.0.1 %d" % (port, ep["port"])
                if ep.get("srtp_key"):
                    gen_key = key()  # the generator's: mediad's remote key
                    args["srtp"] = {"suite": SUITE, "key": gen_key}
                    line += " %s %s 80" % (gen_key, ep["srtp_key"])
                cmds.append(("endpoint.remote", args))
                self.lines.append(line)
            cmds.append(("endpoint.connect", {"endpoint_a": a["endpoint_id"],
                                              "endpoint_b": b["endpoint_id"]}))
            self.eps += [a["endpoint_id"], b["endpoint_id"]]
        if None in self.batch(cmds):
            raise SystemExit("mediad: endpoint.remote/connect failed")
        return [(pa, 0) for pa, _ in legs]


def run_one(md, mode, n, gen, work):
    md.mode = mode
    legs = [(mr.GEN_BASE + 2 * i, mr.GEN_BASE + 2 * i + 1) for i in range(n)]
    md.setup(legs)
    legs_file = work / ("legs-%s-%d.txt" % (mode, n))
    legs_file.write_text("".join(l + "\n" for l in md.lines))
    out = subprocess.run([str(gen), "-f", str(legs_file), "-d", str(mr.DUR), "-w", str(mr.WARM),
                          "-p", str(md.pid)], capture_output=True, text=True,
                         timeout=mr.DUR + mr.WARM + 60)
    load1 = float(open("/proc/loadavg").read().split()[0])
    md.teardown()
    f = mr.parse_rtpgen(out.stdout)
    if f.get("us_per_pkt") is None:
        mr.log("# srtp_gen output:\n" + out.stdout + out.stderr)
    f.update(mode=mode, calls=n, load1=load1)
    return f


def line(f):
    return ("mode=%-9s calls=%-4d loss=%.3f%% mediad_cpu=%.1f%% us_per_pkt=%.2f p50=%dus "
            "p99=%dus gen_cpu=%.1f%% load=%.1f" % (
                f["mode"], f["calls"], f["loss_pct"], f.get("relay_cpu_pct", -1),
                f.get("us_per_pkt", -1), f["p50_us"], f["p99_us"], f.get("gen_cpu_pct", -1),
                f.get("load1", -1)))


def main():
    if not os.access(mr.MEDIAD, os.X_OK):
        raise SystemExit("no %s: build it with make" % mr.MEDIAD)
    work = Path(tempfile.mkdtemp(prefix="bench-srtp-"))
    mr.log("# srtp_relay nproc=%d load=%s dur=%ss warm=%ss repeat=%d work=%s" % (
        os.cpu_count(), open("/proc/loadavg").read().split()[:3], mr.DUR, mr.WARM, mr.REPEAT,
        work))
    gen = work / "srtp_gen"
    mediad_src = HERE.parents[1] / "mediad"
    subprocess.run(["cc", "-O2", "-Wall", "-I", str(mediad_src), "-o", str(gen),
                    str(HERE / "srtp_gen.c"), str(mediad_src / "md_srtp_ossl.c"), "-lsrtp2",
                    "-lcrypto"], check=True)
    md = SrtpMediad(work)
    results = {}
    try:
        for rep in range(mr.REPEAT):
            for n in CALLS:
                for mode in (MODES if rep % 2 == 0 else list(reversed(MODES))):
                    f = run_one(md, mode, n, gen, work)
                    results.setdefault((mode, n), []).append(f)
                    mr.log(line(f))
                    time.sleep(2)
    finally:
        md.close()
    mr.log("# summary (medians of %d)" % mr.REPEAT)
    for n in CALLS:
        med = {}
        for mode in MODES:
            runs = results.get((mode, n), [])
            if not runs:
                continue
            m = {k: statistics.median(r[k] for r in runs)
                 for k in ("loss_pct", "us_per_pkt", "relay_cpu_pct", "p50_us", "p99_us",
                           "gen_cpu_pct", "load1") if all(k in r for r in runs)}
            m.update(mode=mode, calls=n)
            med[mode] = m
            mr.log(line(m))
        base = med.get("plain", {}).get("us_per_pkt", 0)
        for mode, m in med.items():
            if mode != "plain" and base > 0:
                mr.log("ratio calls=%d %s/plain us_per_pkt=%.2f (+%.2f us)" % (
                    n, mode, m["us_per_pkt"] / base, m["us_per_pkt"] - base))
    # a run that measured nothing is a failure, not a report
    if not any(r.get("us_per_pkt", -1) > 0 for runs in results.values() for r in runs):
        raise SystemExit("srtp_relay: no figures measured")


if __name__ == "__main__":
    main()
