#!/usr/bin/env python3
"""amd_bench.py - how well mediad's answering-machine detector (mediad/md_amd.c) tells
people from machines on generated answers, and how fast it decides.

Builds tests/bench/amd_bench.c against libmediad.a and its test fixture (the very detector
mediad runs, fed as 20 ms G.711 packets) and runs it over N answers of each kind: people
saying a short "hello?" (1-4 syllables), people saying more ("Hello, Smith residence",
1.4-2.4 s), people saying "hello?" twice; machines with 3-10 s greetings, slow machines
(pauses of 0.5-0.9 s between phrases), machines with a short greeting ("Leave a message",
1-1.8 s) and a beep. Levels -30 to -10 dBFS, background noise none or -65 to -45 dBFS.
Prints the confusion matrix (truth x verdict), per kind, accuracy and decision times
(median, p90). Prints figures; no pass/fail.

    python3 tests/bench/amd_bench.py [--n 200] [--seed 1] [--variant release|san]
                                     [--set machine_ms=2500]...   (thresholds as in
                                     endpoint.amd_start; default: mediad's defaults)
"""

import argparse
import os
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent.parent


def build(variant):
    env = dict(os.environ)
    flags = []
    if variant == "san":
        env["SAN"] = "1"
        flags = ["-fsanitize=address,undefined"]
    for d in ("common", "mediad"):
        subprocess.run(["make", "-s", "-C", str(TOP / d)], check=True, env=env,
                       stdout=subprocess.DEVNULL)
    lib = TOP / "build" / variant / "lib"
    out = TOP / "build" / variant / "bench"
    out.mkdir(parents=True, exist_ok=True)
    exe = out / "amd_bench"
    subprocess.run([os.environ.get("CC", "cc"), "-std=c11", "-D_GNU_SOURCE", "-O2", "-g",
                    "-Wall", "-Wextra", "-Werror"] + flags +
                   ["-I%s" % (TOP / "mediad"), "-I%s" % (TOP / "common"), "-o", str(exe),
                    str(TOP / "tests" / "bench" / "amd_bench.c"),
                    str(lib / "libmediad_fixture.a"), str(lib / "libmediad.a"),
                    str(lib / "libcommon.a"), "-lm"], check=True)
    return exe


def pct(xs, q):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, int(q * (len(xs) - 1) + 0.5))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200, help="answers of each kind")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--variant", choices=("release", "san"), default="release")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=MS",
                    help="a threshold other than the default (max_ms, initial_silence_ms, "
                    "human_max_ms, human_silence_ms, machine_ms)")
    a = ap.parse_args()
    exe = build(a.variant)
    r = subprocess.run([str(exe), str(a.n), str(a.seed)] + a.set, capture_output=True,
                       text=True)
    if r.returncode != 0:
        sys.exit(r.stderr.strip())
    rows = [line.split() for line in r.stdout.splitlines()]
    verdicts = ("human", "machine", "unsure")
    by_truth = defaultdict(Counter)
    by_kind = defaultdict(Counter)
    reasons = defaultdict(Counter)
    times = defaultdict(list)
    for kind, truth, verdict, reason, ms, _noise in rows:
        by_truth[truth][verdict] += 1
        by_kind[(truth, kind)][verdict] += 1
        reasons[kind][reason] += 1
        times[truth].append(int(ms))
        times[kind].append(int(ms))

    print("answering-machine detection on %d generated answers (%d per kind, seed %d%s)"
          % (len(rows), a.n, a.seed, ", " + " ".join(a.set) if a.set else ", defaults"))
    print("\nconfusion matrix (rows: truth; columns: verdict)")
    print("%-10s %8s %8s %8s %8s" % ("", *verdicts, "total"))
    for truth in ("human", "machine"):
        c = by_truth[truth]
        print("%-10s %8d %8d %8d %8d" % (truth, *(c[v] for v in verdicts), sum(c.values())))
    print("\nper kind")
    print("%-14s %-8s %7s %7s %7s  %9s %9s  %s" % ("kind", "truth", *verdicts, "median_ms",
                                                  "p90_ms", "reasons"))
    for (truth, kind), c in by_kind.items():
        n = sum(c.values())
        print("%-14s %-8s %6.1f%% %6.1f%% %6.1f%%  %9d %9d  %s" % (
            kind, truth, *(100.0 * c[v] / n for v in verdicts), pct(times[kind], 0.5),
            pct(times[kind], 0.9), " ".join("%s=%d" % kv for kv in reasons[kind].most_common())))
    h, m = by_truth["human"], by_truth["machine"]
    nh, nm = sum(h.values()), sum(m.values())
    correct = h["human"] + m["machine"]
    print("\naccuracy (verdict = truth, unsure counted wrong): %.1f%%"
          % (100.0 * correct / (nh + nm)))
    print("people hung up on (verdict machine): %.1f%% (%d of %d)"
          % (100.0 * h["machine"] / nh, h["machine"], nh))
    print("people sent to an agent (human or unsure): %.1f%%"
          % (100.0 * (h["human"] + h["unsure"]) / nh))
    print("machines caught: %.1f%%; machines sent to an agent (human or unsure): %.1f%%"
          % (100.0 * m["machine"] / nm, 100.0 * (m["human"] + m["unsure"]) / nm))
    for truth in ("human", "machine"):
        print("decision time, %s: median %d ms, p90 %d ms" % (
            truth, pct(times[truth], 0.5), pct(times[truth], 0.9)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
