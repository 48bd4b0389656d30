#!/usr/bin/python3
"""acd_e2e.py - the ACD end to end under a sipp load: callers (a sipp UAC through a trunk
of the suite) dial a queue's number faster than its agents can serve them; the agents are
sipp phones (one UAS for every registered contact) that answer an offer at once, talk for
a fixed time and hang up. sipproxy, mediad and acdd of the release build run as `make run`
runs them. Prints figures, never pass/fail:

- calls handled per second (answers by agents over the run, and in the steady part where
  calls were waiting the whole time), against the agents' capacity (agents / talk time);
- queue wait (queue.answered wait_s): median, p90, max;
- time from agent free to offer: sipproxy's call.ended for the agent's hang-up to acdd's
  queue.offered for that agent's next call, counted only while calls were waiting (the
  whole path: bus to acdd, the routing step, the event out); and inside acdd, its own
  agent.state ready to queue.offered; offer to answer (sipproxy rings the phone, 200 back);
- CPU used by each daemon during the load.

    tests/bench/acd_e2e.py [--agents 10] [--talk 2.0] [--rate CPS] [--duration 30]
Defaults: 10 agents, 2 s talk, calls at 1.25 x capacity for 30 s (about 40 s in all).
Env: CC_BIN_DIR (default bin/, the release build); ACD_E2E_TRACE=1 traces the agents' SIP
and prints the events of up to 3 abandoned calls.

Measured on the 2-core build machine (load average about 2, other builds running):
10 agents at 6.25 calls/s: 187/187 answered, 5.01 calls/s handled (capacity 5.00), queue
wait median 3.7 s (p90 6.6 s), agent free -> offer median 0.5 ms (p99 2.8 ms), inside acdd
0.1 ms (p99 1.3 ms), acdd 1.3% CPU. 40 agents at 22 calls/s: 660/660 answered, 19.96
calls/s (capacity 20), agent free -> offer median 0.6 ms (p99 5.3 ms), acdd 4.8% CPU."""

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
os.environ.setdefault("CC_BIN_DIR", str(REPO / "bin"))
sys.path.insert(0, str(REPO / "tests"))
import suite as sm  # noqa: E402

HERE = Path(__file__).resolve().parent
QUEUE, NUMBER = "bench", "650"
FIRST_EXT = 4000
PASSWORD = "agentpw1"


def ts_of(ev):
    return datetime.datetime.fromisoformat(ev["ts"].replace("Z", "+00:00")).timestamp()


def cpu_ticks(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except OSError:
        return 0


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def summary(values, unit="ms", scale=1000.0):
    if not values:
        return "none"
    v = [x * scale for x in values]
    return "n=%d median=%.1f%s p90=%.1f%s p99=%.1f%s max=%.1f%s" % (
        len(v), statistics.median(v), unit, pct(v, 90), unit, pct(v, 99), unit, max(v), unit)


class Collector(threading.Thread):
    """Every event of acdd and sipproxy during the run, as (ts, type, body)."""

    def __init__(self, suite):
        super().__init__(daemon=True)
        self.suite = suite
        self.events = []
        self.stop_flag = threading.Event()
        self.ready = threading.Event()

    def run(self):
        sub = self.suite.subscribe(["acdd", "sipproxy"])
        self.ready.set()
        try:
            while not self.stop_flag.is_set():
                ev = sub.recv(0.2)
                if ev and ev[1]:
                    self.events.append((ts_of(ev[1]), ev[0], ev[1]))
        finally:
            sub.close()


def sipp(args, cwd, timeout):
    """Runs sipp to its end (killed after `timeout` s: returncode None)."""
    cmd = ["sipp"] + [str(a) for a in args]
    try:
        return subprocess.run(cmd, cwd=str(cwd), capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(cmd, None, e.stdout or "", e.stderr or "")


def sipp_stats(stat_csv):
    try:
        lines = [line.rstrip("\n") for line in open(stat_csv) if line.strip()]
        head, last = lines[0].split(";"), lines[-1].split(";")
        return {k: int(last[head.index(k)]) for k in
                ("TotalCallCreated", "SuccessfulCall(C)", "FailedCall(C)")}
    except (OSError, IndexError, ValueError):
        return {}


def analyse(events, agents, talk_s):
    events.sort(key=lambda e: e[0])
    answered = [(t, b) for t, kind, b in events if kind == "queue.answered"]
    agent_of = {b["call_id"]: b["agent"] for _, b in answered}
    waiting = set()
    free_at, ready_at = {}, {}
    free_to_offer, ready_to_offer, offer_to_answer = [], [], []
    offered_at = {}
    busy_from = busy_to = None   # first and last moment with calls waiting
    for t, kind, b in events:
        if kind == "queue.entered":
            waiting.add(b["call_id"])
        elif kind == "queue.offer_failed":
            waiting.add(b["call_id"])
        elif kind == "queue.abandoned":
            waiting.discard(b["call_id"])
        elif kind == "call.ended" and b.get("call_id") in agent_of and \
                b.get("hangup_side") == "callee":
            if waiting:
                free_at[agent_of[b["call_id"]]] = t
        elif kind == "agent.state" and b.get("state") == "ready":
            if waiting:
                ready_at[b["ext"]] = t
        elif kind == "queue.offered":
            waiting.discard(b["call_id"])
            offered_at[b["call_id"]] = t
            a = b["agent"]
            if a in free_at:
                free_to_offer.append(t - free_at.pop(a))
            if a in ready_at:
                ready_to_offer.append(t - ready_at.pop(a))
        elif kind == "queue.answered" and b["call_id"] in offered_at:
            offer_to_answer.append(t - offered_at[b["call_id"]])
        if waiting and busy_from is None:
            busy_from = t
        if waiting:
            busy_to = t
    waits = [b["wait_s"] for _, b in answered]
    out = {"answered": len(answered), "waits": waits, "free_to_offer": free_to_offer,
           "ready_to_offer": ready_to_offer, "offer_to_answer": offer_to_answer}
    if len(answered) > 1:
        span = answered[-1][0] - answered[0][0]
        out["cps_all"] = (len(answered) - 1) / span if span > 0 else float("nan")
    if busy_from is not None and busy_to and busy_to - busy_from > 5:
        inside = [t for t, _ in answered if busy_from + 2 <= t <= busy_to]
        if len(inside) > 1:
            out["cps_busy"] = (len(inside) - 1) / (inside[-1] - inside[0])
            out["busy_s"] = busy_to - busy_from
    out["capacity"] = agents / talk_s
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agents", type=int, default=10)
    ap.add_argument("--talk", type=float, default=2.0, help="seconds an agent talks")
    ap.add_argument("--rate", type=float, default=None, help="calls per second offered")
    ap.add_argument("--duration", type=float, default=30.0, help="seconds of arrivals")
    a = ap.parse_args()
    rate = a.rate or round(1.25 * a.agents / a.talk, 2)
    calls = max(1, int(rate * a.duration))
    print("# ACD end to end: %d sipp agents (talk %.1f s, capacity %.2f calls/s), callers at "
          "%.2f calls/s for %.0f s (%d calls), build %s"
          % (a.agents, a.talk, a.agents / a.talk, rate, a.duration, calls, sm.BIN_DIR),
          flush=True)
    cluster = sm.PgCluster().start()
    s = None
    uas = None
    try:
        uac_port, agent_port = sm.free_port(), sm.free_port()
        s = sm.Suite(cluster, name="acd_e2e", daemons=["sipproxy", "mediad", "acdd"],
                     config={"common.log_level": "warn",
                             "common.rtp_ports": sm.free_port_range(1000),
                             "mediad.media_timeout": "0"})
        s.ccctl("trunk", "add", "bench_in", "--host", "127.0.0.1:%d" % uac_port, check=True)
        s.ccctl("queue", "add", QUEUE, "--number", NUMBER, "--strategy", "longest-idle",
                "--ring-timeout", "10", "--wrapup", "0", "--no-announce", check=True)
        exts = [str(FIRST_EXT + i) for i in range(a.agents)]
        for ext in exts:
            s.ccctl("user", "add", ext, "--password", PASSWORD, check=True)
            s.ccctl("agent", "add", ext, "--queue", QUEUE, check=True)
        s.start()
        work = s.var_dir / "bench"
        work.mkdir()
        users = work / "agents.csv"
        users.write_text("SEQUENTIAL\n" + "".join("%s;%s\n" % (e, PASSWORD) for e in exts))
        target = "127.0.0.1:%d" % s.sip_port
        r = sipp(["-sf", HERE / "acd_e2e_register.xml", "-inf", users, "-s", "[field0]",
                  "-ap", PASSWORD, "-i", "127.0.0.1",
                  "-p", agent_port, "-m", a.agents, "-r", 50, "-timeout", 30, "-nostdin",
                  "-trace_err", "-error_file", work / "register_err.log", target],
                 work, timeout=60)
        if r.returncode != 0:
            err = work / "register_err.log"
            print("# agents did not register (sipp exit %d): %s" % (
                r.returncode, err.read_text()[-1500:] if err.exists() else r.stdout[-800:]))
            return 1
        for ext in exts:
            res = s.bus_call("acdd", "agent.login", {"ext": ext})
            assert res.get("ok"), res
        uas = subprocess.Popen(
            ["sipp", "-sf", str(HERE / "acd_e2e_agent.xml"), "-i", "127.0.0.1", "-p",
             str(agent_port), "-mp", str(sm.free_port(span=4)), "-d", str(int(a.talk * 1000)),
             "-nostdin", "-trace_err", "-error_file", str(work / "agents_err.log")]
            + (["-trace_msg"] if os.environ.get("ACD_E2E_TRACE") else []),
            cwd=str(work), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=s.env())
        time.sleep(1.0)
        if uas.poll() is not None:
            err = work / "agents_err.log"
            print("# the agents' sipp exited (%s): %s" % (
                uas.returncode, err.read_text()[-1500:] if err.exists() else ""))
            return 1
        collector = Collector(s)
        collector.start()
        collector.ready.wait(5)
        time.sleep(0.5)
        pids = {d: s.pid(d) for d in ("sipproxy", "mediad", "acdd")}
        ticks0 = {d: cpu_ticks(p) for d, p in pids.items()}
        t0 = time.monotonic()
        drain = calls / (a.agents / a.talk) + 60
        r = sipp(["-sf", HERE / "acd_e2e_caller.xml", "-s", NUMBER, "-i", "127.0.0.1",
                  "-p", uac_port, "-mp", sm.free_port(span=4), "-r", rate, "-m", calls,
                  "-l", 10000, "-timeout", int(a.duration + drain), "-nostdin",
                  "-trace_stat", "-stf", work / "callers.csv", "-fd", 1, "-trace_err",
                  "-error_file", work / "callers_err.log", target],
                 work, timeout=a.duration + drain + 30)
        wall = time.monotonic() - t0
        ticks1 = {d: cpu_ticks(p) for d, p in pids.items()}
        time.sleep(0.5)
        collector.stop_flag.set()
        collector.join(5)
        stats = sipp_stats(work / "callers.csv")
        clk = os.sysconf("SC_CLK_TCK")
        res = analyse(collector.events, a.agents, a.talk)
        print("callers: sipp exit %s, created %s, successful %s, failed %s, wall %.1f s"
              % (r.returncode, stats.get("TotalCallCreated"), stats.get("SuccessfulCall(C)"),
                 stats.get("FailedCall(C)"), wall))
        print("answered by agents: %d; calls handled per second: %.2f over the run, %.2f "
              "while calls waited (%.0f s); capacity %.2f (agents / talk time)"
              % (res["answered"], res.get("cps_all", float("nan")),
                 res.get("cps_busy", float("nan")), res.get("busy_s", 0), res["capacity"]))
        print("queue wait: %s" % summary(res["waits"], unit="s", scale=1.0))
        print("agent free -> offer (sipproxy call.ended -> acdd queue.offered): %s"
              % summary(res["free_to_offer"]))
        print("inside acdd (agent.state ready -> queue.offered): %s"
              % summary(res["ready_to_offer"]))
        print("offer -> answer (sipproxy rings the phone, 200 back): %s"
              % summary(res["offer_to_answer"]))
        abandoned = {b["call_id"] for _, k, b in collector.events if k == "queue.abandoned"}
        print("abandoned: %d" % len(abandoned))
        for cid in sorted(abandoned)[:3] if os.environ.get("ACD_E2E_TRACE") else []:
            t_first = min(t for t, _, b in collector.events if b.get("call_id") == cid)
            print("# events of abandoned call %s:" % cid)
            for t, k, b in collector.events:
                if b.get("call_id") == cid:
                    print("#   +%.3f %s %s" % (t - t_first, k, {x: y for x, y in b.items()
                                                            if x not in ("id", "ts", "type")}))
        print("cpu during the load: %s" % ", ".join(
            "%s %.1f%%" % (d, 100.0 * (ticks1[d] - ticks0[d]) / clk / wall) for d in pids))
        st = s.bus_call("acdd", "status")
        print("# acdd status: %s" % st.get("result", {}).get("details"))
        ql = s.bus_call("acdd", "queue.list")
        for q in ql.get("result", {}).get("queues", []):
            print("# queue %s: answered %s abandoned %s handle_s %.2f" % (
                q["name"], q["answered"], q["abandoned"], q["handle_s"]))
        return 0
    finally:
        if uas and uas.poll() is None:
            uas.terminate()
            try:
                uas.wait(5)
            except subprocess.TimeoutExpired:
                uas.kill()
                uas.wait(5)
        if s:
            try:
                s.close()
            except Exception as e:
                print("# suite close: %s" % e)
        cluster.cleanup()


if __name__ == "__main__":
    sys.exit(main())
