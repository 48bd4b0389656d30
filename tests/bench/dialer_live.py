#!/usr/bin/python3
"""dialer_live.py - a predictive campaign run live, release build: --leads leads (500) through
a trunk to a sipp UAS whose customers answer 20% of the time (tests/sipp/
dialer_customer_mix.xml: of the rest half busy, half ringing out after the campaign's 15 s),
--agents baresip agents (10) in the campaign's queue, each talking --talk seconds (5) with
every customer it gets, then hanging up. Prints dials per second, the abandon rate (the
view's definition: answered, no agent within 2 s), the time from the customer's answer to
the agent (median, p90, max) and agent occupancy; never pass/fail.

    tests/bench/dialer_live.py [--leads 500] [--agents 10] [--talk 5]

Env: CC_BIN_DIR (default bin/, the release build).
"""
import argparse
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
from helpers.bus import set_agents  # noqa: E402
from helpers.phones import tone_phones  # noqa: E402

SIPP = REPO / "tests" / "sipp" / "dialer_customer_mix.xml"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--leads", type=int, default=500)
    ap.add_argument("--agents", type=int, default=10)
    ap.add_argument("--talk", type=float, default=5.0)
    ap.add_argument("--timeout", type=float, default=900)
    a = ap.parse_args()
    cluster = sm.PgCluster().start()
    s = sm.Suite(cluster, name="dialer_live", daemons=["sipproxy", "mediad", "acdd", "dialerd"],
                 config={"common.log_level": "warn", "common.rtp_ports": sm.free_port_range(2000),
                         "dialerd.reload_s": "1", "dialerd.tick_ms": "200"})
    uas, sipp, stop = [], None, threading.Event()
    try:
        agents = {str(1100 + i): 500 + 50 * i for i in range(a.agents)}
        for ext in agents:
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
        s.ccctl("queue", "add", "bench", "--number", "670", "--ring-timeout", "10",
                "--no-announce", check=True)
        for ext in agents:
            s.ccctl("agent", "add", ext, "--queue", "bench", check=True)
        port, media = sm.free_port(), sm.free_port()
        s.ccctl("trunk", "add", "customers", "--host", "127.0.0.1:%d" % port, check=True)
        s.ccctl("route", "add", "91.", "trunk:customers", check=True)
        sipp = subprocess.Popen(["sipp", "-sf", str(SIPP), "-i", "127.0.0.1", "-p", str(port),
                                 "-nostdin", "-timeout", str(int(a.timeout) + 60), "-rtp_echo",
                                 "-mp", str(media)], cwd=s.var_dir, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        s.start()
        tone_phones(s, agents, uas)
        set_agents(s, ready=list(agents), agents=list(agents))
        csv = s.var_dir / "leads.csv"
        csv.write_text("number\n" + "".join("91%05d\n" % i for i in range(a.leads)))
        s.ccctl("campaign", "add", "bench", "--queue", "bench", "--caller-id", "5550000",
                "--mode", "predictive", "--hours", "daily 00:00-24:00", "--ring", "15",
                check=True)
        s.ccctl("campaign", "import", "bench", csv, check=True)

        sub = s.subscribe(["acdd"], prefix="queue.answered")
        time.sleep(0.3)

        def hang_up_after_talk():
            while not stop.is_set():
                got = sub.recv(timeout=0.5)
                if got and got[1] and got[1].get("type") == "queue.answered":
                    ext = got[1]["agent"]
                    threading.Timer(a.talk, lambda e=ext: s.ua[e].command("hangup")).start()

        talker = threading.Thread(target=hang_up_after_talk, daemon=True)
        talker.start()
        t0 = time.time()
        s.ccctl("campaign", "start", "bench", check=True)

        def untouched():
            return s.psql("SELECT count(*) FROM leads WHERE campaign = 'bench' "
                          "AND (attempts = 0 OR state = 'dialling')")[0][0]

        while untouched() > 0 and time.time() - t0 < a.timeout:
            time.sleep(1)
        elapsed = time.time() - t0
        s.ccctl("campaign", "pause", "bench", check=True)
        time.sleep(a.talk + 2)
        stop.set()
        talker.join(2)
        sub.close()
        report(s, a, elapsed)
    finally:
        stop.set()
        if sipp and sipp.poll() is None:
            sipp.kill()
            sipp.wait(5)
        for ua in uas:
            ua.stop()
        s.close()
        cluster.stop()
    return 0


def report(s, a, elapsed):
    (attempts, first, last, contacts, abandoned), = s.psql(
        "SELECT count(*), min(started_at), max(started_at), count(*) FILTER (WHERE contact), "
        "count(*) FILTER (WHERE abandoned) FROM v_dialer_attempts WHERE campaign = 'bench'")
    span = (last - first).total_seconds() if attempts > 1 else 0.0
    waits = sorted(r[0] for r in s.psql(
        "SELECT answer_to_agent_ms FROM v_dialer_attempts WHERE campaign = 'bench' "
        "AND agent_at IS NOT NULL"))
    talk_s = s.psql("SELECT coalesce(sum(talk_ms), 0) / 1000.0 FROM dialer_attempts "
                    "WHERE campaign = 'bench'")[0][0]
    outcomes = dict(s.psql("SELECT outcome, count(*) FROM dialer_attempts "
                           "WHERE campaign = 'bench' GROUP BY outcome"))
    print("dialer_live: %d leads, %d agents, %.0f s talk, 20%% answer" % (a.leads, a.agents,
                                                                          a.talk))
    print("  attempts %d in %.1f s (every lead tried once after %.1f s): %.2f dials/s"
          % (attempts, span, elapsed, attempts / span if span else 0.0))
    print("  outcomes %s" % outcomes)
    print("  contacts %d, abandoned %d: abandon rate %.2f%%"
          % (contacts, abandoned, 100.0 * abandoned / contacts if contacts else 0.0))
    if waits:
        p90 = waits[min(len(waits) - 1, int(0.9 * len(waits)))]
        print("  answer to agent: median %.0f ms, p90 %.0f ms, max %.0f ms (%d calls)"
              % (statistics.median(waits), p90, waits[-1], len(waits)))
    print("  agent occupancy (talk / agents x run time): %.1f%%"
          % (100.0 * float(talk_s) / (a.agents * elapsed)))


if __name__ == "__main__":
    sys.exit(main())
