#!/usr/bin/python3
"""ivr_calls.py - CALLS concurrent IVR calls through the whole stack: sipp places them from
a trunk's address, sipproxy hands each to ivrd, ivrd answers and plays a menu through
mediad, and each caller's media is a "phone" of ivr_calls_phone.c that hears the prompt and
talks back (speech looped from a u-law raw file) and presses keys (RFC 4733).

    sipp UAC (127.0.0.1:UAC_PORT, trunk bench_in) --INVITE 7100--> sipproxy
        -> ivr:bench (ivrd: call.answer, play.start, media.dtmf) -> mediad endpoint
        <--RTP prompts / caller audio + keys--> phone socket i (port in call i's SDP)

Why this split: sipp speaks SIP (real client, -inf gives each call its own SDP media port)
but cannot time what it receives; the phones are one C process with one socket per call
that measures inter-packet gaps from kernel receive timestamps and sends from the same
socket, so mediad's symmetric-RTP latching keeps sending to it.

The flow (bench): a menu whose prompt is the 30 s hold music, keys 1-9 -> a short "thanks"
-> the menu again, timeout 60 s. Each phone presses 1, 2, 3, 4 at 4, 9, 14, 19 s after its
first prompt packet; the keys ivrd acts on (ivr.step key:N) must come in that order.

Figures (no pass/fail): calls established (ivrd's count; sipp's successful calls), CPU of
mediad, ivrd, sipproxy and of the phones themselves over a window with every call up, and
how busy the whole machine was (the load generator shares it: read the jitter with that
figure beside it), prompt timing jitter
|gap - 20 ms| p50/p90/p99/p99.9/max (only between consecutive packets of one prompt: a
prompt change is a break, not jitter), loss, mediad's own lateness counters, RSS idle and
with the calls and per-call memory, keys seen by mediad and acted on by ivrd vs sent, and
the warn/error events in the daemons' logs (counted by name).

    tests/bench/ivr_calls.py        (release build in bin/: `make`)
Env: CALLS=500 RATE=50 (calls/s) HOLD=30 (s) DUR=12 (measuring window, s) KEYS=4
     TALK=0 (callers send keys but no audio: mediad then only plays, to compare)
     CC_BIN_DIR (default bin/), PROMPTS=<dir> (a generated set to reuse), KEEP=1,
     LOG_LEVEL=warn (the daemons'; info logs every call).
Traffic stays on 127.0.0.1; every process started here is stopped by its PID."""

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
os.environ.setdefault("CC_BIN_DIR", str(REPO / "bin"))
sys.path.insert(0, str(REPO / "tests"))
import suite as sm  # noqa: E402

if os.environ.get("PROMPTS"):  # a generated set to reuse (deploy/prompts/generate.sh DIR)
    sm._prompts_dir = Path(os.environ["PROMPTS"]).resolve()

CALLS = int(os.environ.get("CALLS", "500"))
RATE = int(os.environ.get("RATE", "50"))
HOLD = float(os.environ.get("HOLD", "30"))
DUR = float(os.environ.get("DUR", "12"))
KEYS = int(os.environ.get("KEYS", "4"))
TALK = os.environ.get("TALK", "1") != "0"
KEY_FIRST, KEY_EVERY = 4.0, 5.0
NUMBER = "7100"
CLK_TCK = os.sysconf("SC_CLK_TCK")

FLOW = {
    "name": "bench", "language": "en", "start": "menu",
    "description": "tests/bench/ivr_calls.py: a long menu prompt, keys loop back to it",
    "nodes": {
        "menu": {"kind": "menu", "prompt": "music/default",
                 "options": {str(d): "ack" for d in range(1, 10)},
                 "invalid_prompt": "invalid-choice", "timeout_prompt": "no-input",
                 "timeout": 60, "retries": 5, "fallback": "bye"},
        "ack": {"kind": "play", "prompts": ["survey-thanks"], "next": "menu"},
        "bye": {"kind": "hangup", "prompts": ["goodbye"]},
    },
}


def log(msg):
    print(msg, flush=True)


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class EventCounter(threading.Thread):
    """Counts, from the bus: media.dtmf (mediad) by method, and per call the keys ivrd
    acted on (ivr.step key:N / invalid:N), in order."""

    def __init__(self, s):
        super().__init__(daemon=True)
        self.sub = s.subscribe(["mediad", "ivrd"])
        self.dtmf = {}
        self.keys = {}      # call_id -> [digit, ...]
        self.invalid = 0
        self.ended = 0
        self.stop_flag = False

    def run(self):
        while not self.stop_flag:
            ev = self.sub.recv(0.2)
            if ev is None:
                continue
            topic, obj, _ = ev
            if not obj:
                continue
            if topic == "media.dtmf":
                m = obj.get("method", "?")
                self.dtmf[m] = self.dtmf.get(m, 0) + 1
            elif topic == "ivr.step":
                inp = obj.get("input", "")
                if inp.startswith("key:"):
                    self.keys.setdefault(obj.get("call_id"), []).append(inp[4:])
                elif inp.startswith("invalid:"):
                    self.invalid += 1
            elif topic == "ivr.ended":
                self.ended += 1

    def close(self):
        self.stop_flag = True
        self.join(5)
        self.sub.close()


def machine_ticks():
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


def warnings(s, daemon):
    """The warn/error events of a daemon's log: one line per event name, with a count and
    the first such line."""
    seen = {}
    for line in s.log(daemon).splitlines():
        m = re.search(r" (warn|error) event=(\S+)", line)
        if m:
            n, first = seen.get(m.group(2), (0, line))
            seen[m.group(2)] = (n + 1, first)
    return ["%s x%d, first: %s" % (name, n, first[:300]) for name, (n, first) in seen.items()]


def status_details(s, daemon):
    try:
        r = s.bus_call(daemon, "status", timeout=5)
        return r.get("result", {}).get("details", {}) or {}
    except sm.HarnessError:
        return {}


def make_suite(cluster, uac_port):
    s = sm.Suite(cluster, name="ivr_calls", daemons=["sipproxy", "mediad", "ivrd"],
                 config={"common.log_level": os.environ.get("LOG_LEVEL", "warn"),
                         "common.rtp_ports": sm.free_port_range(max(400, 3 * CALLS))})
    s.ccctl("trunk", "add", "bench_in", "--host", "127.0.0.1:%d" % uac_port, check=True)
    # loaded before the daemons start (prompts checked against the files): sipproxy then
    # reads the route with its directory at start, whatever the timing of its LISTEN
    flow = s.var_dir / "bench.json"
    flow.write_text(json.dumps(FLOW, indent=1))
    s.ccctl("ivr", "load", flow, "--number", NUMBER, check=True)
    s.start()
    deadline = time.time() + 15
    while time.time() < deadline:
        flows = s.bus_call("ivrd", "ivr.flows").get("result", {}).get("flows", [])
        if any(f.get("flow") == "bench" for f in flows):
            return s
        time.sleep(0.2)
    raise SystemExit("ivrd did not take the flow live")


def main():
    bin_dir = Path(os.environ["CC_BIN_DIR"])
    if not os.access(bin_dir / "ivrd", os.X_OK):
        raise SystemExit("no %s/ivrd (run `make`)" % bin_dir)
    work = sm.make_tempdir("cc-ivr-calls-")
    cluster = sm.PgCluster().start()
    s = phone = sipp = counter = None
    uac_port = sm.free_port()
    try:
        subprocess.run(["cc", "-std=c11", "-O2", "-Wall", "-Wextra", "-o", str(work / "phone"),
                        str(Path(__file__).with_name("ivr_calls_phone.c"))], check=True)
        s = make_suite(cluster, uac_port)
        prompts = sm.prompts_dir()
        raw = work / "caller.raw"  # the caller talks: a spoken prompt as u-law
        subprocess.run(["sox", str(prompts / "en" / "greeting.wav"), "-r", "8000", "-c", "1",
                        "-t", "ul", str(raw)], check=True)
        pids = {d: s.pid(d) for d in ("mediad", "ivrd", "sipproxy")}
        time.sleep(1.0)
        idle = {d: rss_kb(p) for d, p in pids.items()}
        md0 = status_details(s, "mediad")

        phone = subprocess.Popen([str(work / "phone"), str(CALLS), str(raw), str(KEYS),
                                  str(KEY_FIRST), str(KEY_EVERY), "1" if TALK else "0"],
                                 stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
        ports = phone.stdout.readline().split()[1:]
        assert len(ports) == CALLS, "phone bound %d sockets" % len(ports)
        (work / "ports.csv").write_text("SEQUENTIAL\n" + "".join("%s;\n" % p for p in ports))

        counter = EventCounter(s)
        counter.start()
        time.sleep(0.3)
        ramp = CALLS / RATE
        bound = int(ramp + HOLD + 60)
        cmd = ["timeout", str(bound + 30), "sipp", "127.0.0.1:%d" % s.sip_port,
               "-sf", str(REPO / "tests" / "sipp" / "ivr_uac.xml"), "-inf", str(work / "ports.csv"),
               "-s", NUMBER, "-i", "127.0.0.1", "-p", str(uac_port), "-r", str(RATE),
               "-m", str(CALLS), "-l", str(CALLS), "-d", str(int(HOLD * 1000)),
               "-timeout", "%ds" % bound, "-timeout_error", "-trace_screen", "-trace_err",
               "-max_socket", "2048"]
        log("$ " + " ".join(cmd))
        t_start = time.monotonic()
        sipp = subprocess.Popen(cmd, cwd=str(work), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

        # ramp: wait for every call to be in the IVR (or for the count to stop growing)
        peak, last_growth = 0, time.monotonic()
        while time.monotonic() - t_start < ramp + 20:
            n = status_details(s, "ivrd").get("calls", 0)
            if n > peak:
                peak, last_growth = n, time.monotonic()
            if n >= CALLS or (time.monotonic() - last_growth > 8 and peak > 0):
                break
            if sipp.poll() is not None:
                break
            time.sleep(0.5)
        t_up = time.monotonic() - t_start
        log("%d calls in the IVR after %.1f s (ramp at %d calls/s)" % (peak, t_up, RATE))
        time.sleep(1.0)

        # the measuring window
        pids["phones"] = phone.pid
        cpu0 = {d: cpu_ticks(p) for d, p in pids.items()}
        mach0 = machine_ticks()
        md1 = status_details(s, "mediad")
        t0 = time.monotonic()
        phone.stdin.write("go %s\n" % DUR)
        phone.stdin.flush()
        rss_mid = None
        while time.monotonic() < t0 + DUR:
            time.sleep(0.5)
            if rss_mid is None and time.monotonic() > t0 + DUR / 2:
                rss_mid = {d: rss_kb(p) for d, p in pids.items()}
        cpu1 = {d: cpu_ticks(p) for d, p in pids.items()}
        mach1 = machine_ticks()
        load = os.getloadavg()[0]
        t1 = time.monotonic()
        md2 = status_details(s, "mediad")
        calls_end = status_details(s, "ivrd").get("calls", 0)
        gaps = json.loads(phone.stdout.readline())

        # let sipp hang up every call and finish
        try:
            _, err = sipp.communicate(timeout=bound + 40)
        except subprocess.TimeoutExpired:
            sipp.terminate()  # `timeout` passes SIGTERM on to sipp
            _, err = sipp.communicate()
        time.sleep(2)
        phone.stdin.write("quit\n")
        phone.stdin.flush()
        sent = json.loads(phone.stdout.readline())
        phone.wait(10)
        counter.close()
        screen = "".join(p.read_text(errors="replace") for p in work.glob("*_screen.log"))
        ok = re.findall(r"Successful call\s+\|\s+\d+\s+\|\s+(\d+)", screen)
        failed = re.findall(r"Failed call\s+\|\s+\d+\s+\|\s+(\d+)", screen)
        # sipp's own noise at exit is not an error of the suite
        errs = "\n".join(line for p in work.glob("*_errors.log")
                         for line in p.read_text(errors="replace").splitlines()
                         if line.strip() and "Failed to delete FD from epoll" not in line
                         and not line.startswith("The following events occurred"))[-1500:]

        wall = t1 - t0
        n_up = max(1, peak)
        in_order = sum(1 for ks in counter.keys.values()
                       if ks == [str(1 + k % 9) for k in range(len(ks))])
        acted = sum(len(ks) for ks in counter.keys.values())
        gen = md2.get("play_packets", 0) - md1.get("play_packets", 0)
        log("")
        log("calls placed / in the IVR   %d / %d (peak; %d still up at the window's end); "
            "callers %s" % (CALLS, peak, calls_end, "talk (u-law speech, 50 packets/s each)"
                            if TALK else "silent (keys only)"))
        log("sipp                        successful %s, failed %s (exit %s)"
            % (ok[-1] if ok else "?", failed[-1] if failed else "?", sipp.returncode))
        log("phones that heard a prompt  %d" % sent["phones_heard"])
        log("window                      %.1f s with every call up" % wall)
        for d in ("mediad", "ivrd", "sipproxy", "phones"):
            log("%-27s %.1f %% of one core" % (d + " CPU", 100 * (cpu1[d] - cpu0[d]) / CLK_TCK / wall))
        log("machine                     %d CPUs %.0f %% busy in the window, load average %.2f"
            % (os.cpu_count(), 100 * (mach1[0] - mach0[0]) / max(1, mach1[1] - mach0[1]), load))
        log("prompt packets generated    %d (%.0f/s; %d calls x 50/s = %d/s)"
            % (gen, gen / wall, n_up, n_up * 50))
        log("mediad CPU per packet       %.2f us (all mediad CPU / generated prompt packets, "
            "incl. reading the callers' packets and in-band DTMF detection on every call)"
            % ((cpu1["mediad"] - cpu0["mediad"]) / CLK_TCK * 1e6 / max(gen, 1)))
        log("received / lost             %d / %d" % (gaps["packets"], gaps["lost"]))
        log("prompt jitter |gap-20ms|    p50 %d us, p90 %d us, p99 %d us, p99.9 %d us, max %d us"
            " (%d gaps; %d prompt changes not counted)"
            % (gaps["p50_us"], gaps["p90_us"], gaps["p99_us"], gaps["p999_us"], gaps["max_us"],
               gaps["gaps"], gaps["breaks"]))
        late1 = md2.get("play_late_1ms", 0) - md1.get("play_late_1ms", 0)
        late5 = md2.get("play_late_5ms", 0) - md1.get("play_late_5ms", 0)
        log("mediad send lateness        >1 ms %.3f %%, >5 ms %.4f %% of packets in the window"
            % (100 * late1 / max(gen, 1), 100 * late5 / max(gen, 1)))
        # mediad loads a prompt on first use: that is not per-call memory
        prompts_kb = (md2.get("prompt_bytes", 0) - md0.get("prompt_bytes", 0)) / 1024
        for d in ("mediad", "ivrd", "sipproxy"):
            extra = prompts_kb if d == "mediad" else 0
            log("%-27s idle %d KB, with %d calls %d KB: %.1f KB per call%s"
                % (d + " RSS", idle[d], n_up, rss_mid[d], (rss_mid[d] - idle[d] - extra) / n_up,
                   " (growth minus the prompts loaded)" if extra else ""))
        log("mediad prompts in memory    %d files, %d KB (before the calls: %d KB)"
            % (md2.get("prompts_cached", 0), md2.get("prompt_bytes", 0) // 1024,
               md0.get("prompt_bytes", 0) // 1024))
        log("keys sent (RFC 4733)        %d" % sent["keys_sent"])
        log("keys seen by mediad         %s" % (", ".join("%s %d" % kv for kv in
                                                       sorted(counter.dtmf.items())) or "0"))
        log("keys acted on by ivrd       %d (calls whose keys came in order 1,2,3,...: %d of %d;"
            " invalid %d)" % (acted, in_order, len(counter.keys), counter.invalid))
        log("ivr.ended                   %d" % counter.ended)
        for d in ("sipproxy", "mediad", "ivrd"):
            for line in warnings(s, d):
                log("# %s: %s" % (d, line))
        if errs.strip():
            log("# sipp errors (tail):\n" + errs)
        err = "\n".join(line for line in (err or "").splitlines()
                        if "Failed to delete FD from epoll" not in line
                        and not line.startswith("Resolving remote host"))
        if err.strip():
            log("# sipp stderr: " + err.strip()[-500:])
    finally:
        if counter and counter.is_alive():
            counter.close()
        for p in (sipp, phone):
            if p and p.poll() is None:
                p.terminate()  # sipp runs under `timeout`, which passes SIGTERM on
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)
        if s:
            try:
                s.close()
            except Exception as e:
                log("# suite close: %s" % str(e)[:3000])
        cluster.cleanup()
        if os.environ.get("KEEP"):
            log("kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
