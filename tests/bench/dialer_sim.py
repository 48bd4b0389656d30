#!/usr/bin/env python3
"""dialer_sim.py - a simulated calling day, our predictive pacing against a baseline after
VICIdial's published adaptive method (a dial level raised while agents are idle, lowered
while answered calls wait, capped at 3, halved on drops over the cap), side by side.

Builds libdialer.a (release) and tests/bench/dialer_sim.c against it, so the simulator
runs the very pacing code dialerd runs (dialer/dl_pace.c), then runs each scenario for
both policies with the same random customers and prints per hour: dials, contacts, abandon
rate and agent occupancy. Prints figures; no pass/fail (the last lines say whether the
targets were met: abandon rate at or under the cap in every hour, occupancy above the
baseline's).

    python3 tests/bench/dialer_sim.py [--seeds N] [--cap 0.03]
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent.parent
OUT = TOP / "build" / "release" / "bench"

# 20 agents all day; answer rates between 10% and 40%; handle times 2-5 minutes.
DAY = [0.25, 0.20, 0.15, 0.10, 0.10, 0.20, 0.30, 0.40, 0.35, 0.25, 0.15]  # 09:00-20:00
SCENARIOS = [
    ("varying day, handle 2-5 min", 20, 120, 300, DAY),
    ("10% answer, handle 2-3 min", 20, 120, 180, [0.10] * 8),
    ("40% answer, handle 4-5 min", 20, 240, 300, [0.40] * 8),
]


def build():
    for d in ("common", "ivrflow", "dialer"):
        subprocess.run(["make", "-s", "-C", str(TOP / d)], check=True,
                       stdout=subprocess.DEVNULL)
    OUT.mkdir(parents=True, exist_ok=True)
    lib = TOP / "build" / "release" / "lib"
    exe = OUT / "dialer_sim"
    subprocess.run([os.environ.get("CC", "cc"), "-std=c11", "-O2", "-g", "-Wall", "-Wextra",
                    "-Werror", "-I%s" % (TOP / "dialer"), "-I%s" % (TOP / "ivrflow"),
                    "-I%s" % (TOP / "common"), "-o", str(exe),
                    str(TOP / "tests" / "bench" / "dialer_sim.c"), str(lib / "libdialer.a"),
                    str(lib / "libivrflow.a"), str(lib / "libcommon.a"), "-lm"], check=True)
    return exe


def run(exe, policy, seed, agents, hmin, hmax, cap, rates):
    r = subprocess.run([str(exe), policy, str(seed), str(agents), str(hmin), str(hmax),
                        str(cap), ",".join("%.2f" % x for x in rates)],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout)["hours"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3, help="days simulated per scenario")
    ap.add_argument("--cap", type=float, default=0.03)
    a = ap.parse_args()
    exe = build()
    worst_hour_ours = 0.0
    all_over = []
    occ_better = []
    for name, agents, hmin, hmax, rates in SCENARIOS:
        for seed in range(1, a.seeds + 1):
            ours = run(exe, "ours", seed, agents, hmin, hmax, a.cap, rates)
            base = run(exe, "baseline", seed, agents, hmin, hmax, a.cap, rates)
            print("\n%s, %d agents, seed %d (cap %.1f%%)" % (name, agents, seed, 100 * a.cap))
            print("%-5s %5s | %6s %8s %8s %6s | %6s %8s %8s %6s"
                  % ("hour", "ans%", "dials", "contacts", "abandon%", "occ%",
                     "dials", "contacts", "abandon%", "occ%"))
            print("%-11s | %-32s | %s" % ("", "ours (dl_pace)", "baseline (adaptive dial level)"))
            tot = {"ours": [0, 0, 0, 0.0], "base": [0, 0, 0, 0.0]}
            for h, (o, b) in enumerate(zip(ours, base)):
                row = []
                for key, x in (("ours", o), ("base", b)):
                    ab = x["abandons"] / x["contacts"] if x["contacts"] else 0.0
                    row += [x["dials"], x["contacts"], 100 * ab, 100 * x["occupancy"]]
                    t = tot[key]
                    t[0] += x["dials"]
                    t[1] += x["contacts"]
                    t[2] += x["abandons"]
                    t[3] += x["occupancy"]
                    if key == "ours":
                        worst_hour_ours = max(worst_hour_ours, ab)
                        if ab > a.cap:
                            all_over.append((name, seed, h, ab))
                print("%02d:00 %5.0f | %6d %8d %8.2f %6.1f | %6d %8d %8.2f %6.1f"
                      % (9 + h, 100 * o["rate"], *row))
            n = len(ours)
            summary = []
            for key in ("ours", "base"):
                t = tot[key]
                summary += [t[0], t[1], 100 * t[2] / max(1, t[1]), 100 * t[3] / n]
            print("%-11s | %6d %8d %8.2f %6.1f | %6d %8d %8.2f %6.1f" % ("day", *summary))
            occ_better.append(summary[3] > summary[7])
    print("\nEvery policy over the same days (%d seeds per scenario): mean occupancy, "
          "day's abandon rate, worst hour's abandon rate, hours over the cap" % a.seeds)
    print("%-30s %-22s %6s %8s %8s %5s" % ("scenario", "policy", "occ%", "abandon%",
                                          "worst%", "over"))
    for name, agents, hmin, hmax, rates in SCENARIOS:
        for policy in ("ours", "ours-memoryless", "baseline", "baseline:2.0", "baseline:1.5",
                       "baseline:1.2"):
            occ, cont, ab, worst, over = 0.0, 0, 0, 0.0, 0
            for seed in range(1, a.seeds + 1):
                hrs = run(exe, policy, seed, agents, hmin, hmax, a.cap, rates)
                for x in hrs:
                    occ += x["occupancy"] / len(hrs) / a.seeds
                    cont += x["contacts"]
                    ab += x["abandons"]
                    r = x["abandons"] / x["contacts"] if x["contacts"] else 0.0
                    worst = max(worst, r)
                    over += r > a.cap
            label = {"ours": "ours", "ours-memoryless": "ours, memoryless model",
                     "baseline": "baseline, max level 3"}.get(policy, policy.replace(
                         "baseline:", "baseline, max level "))
            print("%-30s %-22s %6.1f %8.2f %8.2f %5d" % (name, label, 100 * occ,
                                                        100 * ab / max(1, cont), 100 * worst,
                                                        over))
    print("\nworst hour, ours: abandon rate %.2f%% (cap %.1f%%)" % (100 * worst_hour_ours,
                                                                    100 * a.cap))
    print("hours over the cap, ours: %d%s" % (len(all_over), "".join(
        "\n  %s seed %d hour %d: %.2f%%" % (n, s, h, 100 * r) for n, s, h, r in all_over)))
    print("days where our occupancy beat the baseline's: %d of %d"
          % (sum(occ_better), len(occ_better)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
