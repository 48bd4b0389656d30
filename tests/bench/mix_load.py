#!/usr/bin/python3
"""mix_load.py - mixing on a real mediad with real sockets: for each scenario (rooms x
members: 1x3, 1x10, 1x50, 200x5 by default) start mediad, create the members' endpoints
aimed at mix_load.c's sockets, put each room in a mix, drive every member with a 20 ms
G.711 stream for DUR s after WARM s, and print what mix_load measured: loss and lateness
of the mixed streams the members receive and mediad's CPU per mixed member-second.

Usage:  tests/bench/mix_load.py        (needs bin/mediad; builds mix_load into build/)
  env:  ROOMS="1x3 1x10 1x50 200x5" DUR=10 WARM=2 MEDIAD=bin/mediad MD_PORTS=12000-16999
        GEN_BASE=61000 (the generator's ports: above the kernel's ephemeral range)
A run that produces no figure exits non-zero and says why. Traffic stays on 127.0.0.1;
mediad is stopped by its PID."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mediad_relay as mr  # noqa: E402  (its MediadRelay starts and drives a mediad)

REPO = Path(__file__).resolve().parents[2]
ROOMS = os.environ.get("ROOMS", "1x3 1x10 1x50 200x5").split()
DUR = float(os.environ.get("DUR", "10"))
WARM = float(os.environ.get("WARM", "2"))
GEN_BASE = int(os.environ.get("GEN_BASE", "61000"))


def build(work):
    exe = REPO / "build" / "release" / "bench" / "mix_load"
    exe.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-Wall", "-Wextra", "-Werror",
                    "-o", str(exe), str(REPO / "tests" / "bench" / "mix_load.c"), "-lm"],
                   check=True)
    return exe


def run(exe, work, rooms, size):
    here = work / ("%dx%d" % (rooms, size))
    here.mkdir()
    md = mr.MediadRelay(here, name="mediad")
    try:
        n = rooms * size
        made = md.batch([("endpoint.create", {"call_id": "room-%d" % (i // size),
                                              "leg": "caller"}) for i in range(n)])
        if any(m is None for m in made):
            raise SystemExit("mediad: endpoint.create failed (ports?)")
        gen_ports = [GEN_BASE + i for i in range(n)]
        cmds = [("endpoint.remote", {"endpoint_id": m["endpoint_id"], "address": "127.0.0.1",
                                     "port": p}) for m, p in zip(made, gen_ports)]
        if None in md.batch(cmds):
            raise SystemExit("mediad: endpoint.remote failed")
        mixes = md.batch([("mix.create", {"call_id": "room-%d" % r}) for r in range(rooms)])
        if None in mixes:
            raise SystemExit("mediad: mix.create failed")
        joins = [("mix.join", {"mix_id": mixes[i // size]["mix_id"],
                               "endpoint_id": made[i]["endpoint_id"]}) for i in range(n)]
        if None in md.batch(joins):
            raise SystemExit("mediad: mix.join failed")
        members = here / "members.txt"
        members.write_text("".join("%d %d\n" % (p, m["port"]) for p, m in zip(gen_ports, made)))
        out = subprocess.run([str(exe), "-f", str(members), "-d", str(DUR), "-w", str(WARM),
                              "-p", str(md.pid)], capture_output=True, text=True,
                             timeout=DUR + WARM + 30)
        if out.returncode != 0 or "loss=" not in out.stdout:
            raise SystemExit("mix_load failed (%d): %s %s" % (out.returncode, out.stdout,
                                                              out.stderr))
        status = md.batch([("status", {})])[0] or {}
        mix = (status.get("details") or {}).get("mix") or {}
        return out.stdout.strip(), mix
    finally:
        md.close()


def main():
    with tempfile.TemporaryDirectory(prefix="mix-load-") as tmp:
        work = Path(tmp)
        exe = build(work)
        print("mix_load: mediad %s, %gs measured after %gs, members send 20 ms G.711"
              % (mr.MEDIAD, DUR, WARM), flush=True)
        for spec in ROOMS:
            rooms, size = (int(x) for x in spec.split("x"))
            line, mix = run(exe, work, rooms, size)
            print("%-4d rooms of %-3d %s late_1ms=%s late_5ms=%s concealed=%s" % (
                rooms, size, line, mix.get("late_1ms"), mix.get("late_5ms"),
                mix.get("concealed")), flush=True)


if __name__ == "__main__":
    main()
