"""sip_load_lib.py - the measuring pieces of sip_bench.py, free of what is measured.

  ports:    check_ports_free(), low_free_port(): this benchmark's own SIP and sipp media
            ports, all outside the kernel's ephemeral range (checked, never assumed)
  CPU:      tree_ticks(roots) and CpuSampler: utime+stime of processes and all their
            descendants (plus cutime+cstime, so Postgres backends that came and went are
            counted), sampled in a thread so a window (e.g. one step of sip_cps.sh, known
            from sipp's own stat.csv timestamps) can be priced afterwards per process group
  memory:   rss_kb(pid), tree_mem_kb(roots) -> (RSS, PSS) summed over a process tree
  sipp:     Sipp (a UAS kept running, stopped by PID), run_uac() for one bounded
            fixed-rate run, read_stat()/stat_summary() for sipp's -trace_stat files
  bus:      CallWatcher: a SUB on sipproxy's PUB, keeping the sip_call_id of every
            call.created, so a run can count calls and duplicate SIP Call-IDs
  output:   say() (flushed at once), med() (median of what was measured), fmt() ("-"
            for a figure that is missing)
"""

import json
import os
import re
import signal
import socket
import statistics
import subprocess
import threading
import time
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def say(msg=""):
    print(msg, flush=True)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(v, spec="%.0f"):
    return "-" if v is None else spec % v


def anchors_dir(repo):
    """CC_BENCH_ANCHORS, else shared/bench-anchors beside the repo or beside one of its
    parents (a git worktree under /work/wt/NAME finds /work/shared/bench-anchors)."""
    if os.environ.get("CC_BENCH_ANCHORS"):
        return Path(os.environ["CC_BENCH_ANCHORS"])
    for d in Path(repo).resolve().parents:
        cand = d / "shared" / "bench-anchors"
        if (cand / "sip_cps.sh").exists():
            return cand
    return Path(repo).resolve().parent / "shared" / "bench-anchors"


# ---- ports -----------------------------------------------------------------------------


def ephemeral_range():
    try:
        lo, hi = open("/proc/sys/net/ipv4/ip_local_port_range").read().split()
        return int(lo), int(hi)
    except (OSError, ValueError):
        return 32768, 60999


def overlaps_ephemeral(lo, hi):
    elo, ehi = ephemeral_range()
    return not (hi < elo or lo > ehi)


def udp_port_free(port, host="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def check_ports_free(ports):
    """Raise RuntimeError naming every port of `ports` that is busy or ephemeral."""
    bad = []
    for p in ports:
        if overlaps_ephemeral(p, p):
            bad.append("%d (inside the ephemeral range %d-%d)" % ((p,) + ephemeral_range()))
        elif not udp_port_free(p):
            bad.append("%d (busy: another benchmark?)" % p)
    if bad:
        raise RuntimeError("ports not usable: " + ", ".join(bad))


def low_free_port(span=4, lo=5800, hi=5999, avoid=()):
    """First of `span` consecutive UDP ports free in lo..hi (below the ephemeral range and
    below the random ports the test harness hands out), for sipp's -mp."""
    for base in range(lo, hi - span + 2, span):
        ports = range(base, base + span)
        if any(p in avoid for p in ports):
            continue
        if all(udp_port_free(p) for p in ports):
            return base
    raise RuntimeError("no %d free UDP ports in %d-%d" % (span, lo, hi))


# ---- processes: CPU and memory -----------------------------------------------------------


def _children(pid):
    out = []
    try:
        for task in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                    out.extend(int(x) for x in f.read().split())
            except OSError:
                pass
    except OSError:
        pass
    return out


def proc_tree(roots):
    """The live PIDs of `roots` and all their descendants."""
    seen, todo = [], [int(r) for r in roots if r]
    while todo:
        p = todo.pop()
        if p in seen or not os.path.exists("/proc/%d" % p):
            continue
        seen.append(p)
        todo.extend(_children(p))
    return seen


def _ticks(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return 0
    v = s[s.rindex(")") + 2:].split()
    # utime stime cutime cstime (fields 14-17): cutime/cstime hold reaped children, such as
    # the Postgres backends of ccctl runs, so a tree's total does not drop when one exits
    return int(v[11]) + int(v[12]) + int(v[13]) + int(v[14])


def tree_ticks(roots):
    return sum(_ticks(p) for p in proc_tree(roots))


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_mem_kb(roots):
    """(RSS, PSS) in kB summed over the tree: PSS splits shared pages (Kamailio's shared
    memory pool, shared libraries) between the processes that map them, so the PSS sum is
    the tree's real footprint where the RSS sum counts shared pages once per process."""
    rss = pss = 0
    for p in proc_tree(roots):
        rss += rss_kb(p)
        try:
            with open("/proc/%d/smaps_rollup" % p) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                        break
        except OSError:
            pass
    return rss, pss


class CpuSampler(threading.Thread):
    """Samples tree_ticks() of named process groups every `interval` s (wall-clock
    timestamps, comparable with sipp's). cpu_s(group, t0, t1) = CPU seconds the group used
    between t0 and t1, interpolated between samples."""

    def __init__(self, interval=0.2):
        super().__init__(daemon=True)
        self.interval = interval
        self.lock = threading.Lock()
        self.groups = {}
        self.samples = []  # (t, {group: ticks})
        self.stopping = threading.Event()

    def set_groups(self, groups):
        """{name: [root pids]}; forgets earlier samples (a restarted process starts at 0)."""
        with self.lock:
            self.groups = {k: list(v) for k, v in groups.items()}
            self.samples = []
        self.sample()

    def sample(self):
        with self.lock:
            groups = dict(self.groups)
        t = time.time()
        vals = {g: tree_ticks(p) for g, p in groups.items()}
        with self.lock:
            if groups == self.groups:
                self.samples.append((t, vals))
                if len(self.samples) > 60000:
                    del self.samples[:10000]

    def run(self):
        while not self.stopping.wait(self.interval):
            try:
                self.sample()
            except Exception:  # noqa: BLE001 - a vanished process must not end sampling
                pass

    def stop(self):
        self.stopping.set()

    def _at(self, group, t):
        with self.lock:
            s = [(ts, v[group]) for ts, v in self.samples if group in v]
        if not s or t < s[0][0] or t > s[-1][0]:
            return None
        for (t0, v0), (t1, v1) in zip(s, s[1:]):
            if t0 <= t <= t1:
                return v0 + (v1 - v0) * ((t - t0) / (t1 - t0) if t1 > t0 else 1.0)
        return s[-1][1]

    def cpu_s(self, group, t0, t1, wait=True):
        """CPU seconds of `group` in [t0, t1] (None if not covered by samples)."""
        if wait:
            while time.time() < t1 + 2 * self.interval:
                time.sleep(self.interval)
        a, b = self._at(group, t0), self._at(group, t1)
        if a is None or b is None:
            return None
        return max(0.0, (b - a) / CLK_TCK)

    def cpu_all(self, t0, t1):
        with self.lock:
            names = list(self.groups)
        out = {}
        for g in names:
            out[g] = self.cpu_s(g, t0, t1)
        return out


# ---- sipp ------------------------------------------------------------------------------


def read_stat(path):
    """sipp -trace_stat CSV -> list of {column: value string} rows (periodic, then final)."""
    try:
        lines = [ln.rstrip("\n") for ln in open(path, errors="replace") if ln.strip()]
    except OSError:
        return []
    if len(lines) < 2:
        return []
    head = lines[0].split(";")
    return [dict(zip(head, ln.split(";"))) for ln in lines[1:]]


def _epoch(field):
    # "2026-12-02\t06:40:16.351545\t1796193616.351545"
    try:
        return float(field.split("\t")[-1])
    except (ValueError, AttributeError):
        return None


def _int(row, key):
    try:
        return int(row.get(key, 0))
    except ValueError:
        return 0


FAIL_KINDS = (("timeout", "FailedTimeoutOnRecv(C)"), ("max_retrans", "FailedMaxUDPRetrans(C)"),
              ("unexpected", "FailedUnexpectedMessage(C)"), ("rejected", "FailedCallRejected(C)"),
              ("cannot_send", "FailedCannotSendMessage(C)"),
              ("congestion", "FailedOutboundCongestion(C)"))


def stat_summary(rows, window=None):
    """Totals of a sipp run from its stat rows: created/ok/failed at the end, start and end
    time, retransmissions, failure kinds, and if `window` (s) is given, the calls created
    and completed successfully within the first `window` seconds (interpolated)."""
    if not rows:
        return None
    last = rows[-1]
    t_start = _epoch(last.get("StartTime"))
    t_end = _epoch(last.get("CurrentTime"))
    out = {
        "created": _int(last, "TotalCallCreated"), "ok": _int(last, "SuccessfulCall(C)"),
        "failed": _int(last, "FailedCall(C)"), "current": _int(last, "CurrentCall"),
        "retrans": _int(last, "Retransmissions(C)"), "dead_msgs": _int(last, "DeadCallMsgs(C)"),
        "t_start": t_start, "t_end": t_end,
        "wall": (t_end - t_start) if t_start and t_end else None,
        "kinds": {k: _int(last, col) for k, col in FAIL_KINDS if _int(last, col)},
    }
    if window and t_start:
        def at(key, t):
            prev_t, prev_v = t_start, 0
            for r in rows:
                rt = _epoch(r.get("CurrentTime"))
                if rt is None:
                    continue
                v = _int(r, key)
                if rt >= t:
                    if rt == prev_t:
                        return v
                    return prev_v + (v - prev_v) * (t - prev_t) / (rt - prev_t)
                prev_t, prev_v = rt, v
            return prev_v
        out["ok_in_window"] = at("SuccessfulCall(C)", t_start + window)
        out["created_in_window"] = at("TotalCallCreated", t_start + window)
    return out


_EVENT_RX = re.compile(
    r"\d{10}\.\d+: (Aborting call on an unexpected \w+"
    r"|Aborting call on unexpected message for Call-Id '[^']*': while expecting '(\w+)'"
    r"[^']*'(?:SIP/2.0 (\d{3})|(\w+))"
    r"|Discarding message which can't be mapped to a known SIPp call"
    r"|Dead call [^ ]* \((\w+)[^)]*\), received '(?:SIP/2.0 (\d{3})|(\w+))"
    r"|Call-Id: [^ ]* Max retrans for message \d+ reached|\w[\w ]{0,40})")


def err_events(err_log, offset=0):
    """({kind: n}, end offset) of what sipp logged with -trace_err after `offset`: calls
    aborted on an unexpected request or response (and what was expected), messages of
    calls already over ("dead"), unmapped messages. The file is appended by a long-running
    sipp, so callers pass the previous end offset."""
    kinds = {}
    try:
        with open(err_log, "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
    except OSError:
        return kinds, offset
    for m in _EVENT_RX.finditer(text):
        whole, exp, rcode, rreq, dead_st, dcode, dreq = m.groups()
        if whole.startswith("Aborting call on an unexpected"):
            k = "abort_unexpected_" + whole.split()[-1]
        elif exp:
            k = "abort_expecting_%s_got_%s" % (exp, rcode or rreq)
        elif whole.startswith("Discarding"):
            k = "unmapped_msg"
        elif dead_st:
            k = "dead_%s_got_%s" % (dead_st, dcode or dreq)
        elif "Max retrans" in whole:
            k = "max_retrans"
        else:
            continue
        kinds[k] = kinds.get(k, 0) + 1
    # requests the peer sent with a Reason (sipproxy's BYE after "ACK Timeout", ...)
    for m in re.finditer(r"received '([A-Z]+) sip:", text):
        msg = text[m.end():m.end() + 2000].split("\n\n", 1)[0]
        r = re.search(r'\nReason: SIP;cause=(\d+);text="([^"]*)"', msg)
        if r:
            k = "%s_reason_%s_%s" % (m.group(1), r.group(1), r.group(2).replace(" ", "_"))
            kinds[k] = kinds.get(k, 0) + 1
    return kinds, offset + len(text.encode())


def events_text(kinds, top=5):
    return ",".join("%s:%d" % kv for kv in sorted(kinds.items(), key=lambda kv: -kv[1])[:top]) \
        or "-"


def response_codes(err_log):
    """{code: n} of unexpected responses sipp logged (-trace_err)."""
    codes = {}
    try:
        with open(err_log, errors="replace") as f:
            for line in f:
                m = re.search(r"received 'SIP/2.0 (\d{3})", line)
                if m:
                    codes[m.group(1)] = codes.get(m.group(1), 0) + 1
    except OSError:
        pass
    return codes


def _kill(proc, grace=3.0):
    if proc is None or proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    except ProcessLookupError:
        pass


class Sipp:
    """A sipp UAS (the anchors' uas_call.xml) on 127.0.0.1:port, stopped by its PID."""

    def __init__(self, scenario, port, media_port, work):
        self.work = Path(work)
        self.work.mkdir(parents=True, exist_ok=True)
        self.cmd = ["sipp", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(port),
                    "-mp", str(media_port), "-nostdin", "-l", "100000", "-trace_stat",
                    "-stf", "uas_stat.csv", "-fd", "1", "-trace_err", "-error_file",
                    "uas_err.log"]
        self.proc = None
        self.err_offset = 0
        self.last = {}

    def delta(self):
        """What the UAS saw since the previous call: ok and failed calls (its stat file is
        written once a second: wait a second after the traffic) and its error events."""
        rows = read_stat(self.work / "uas_stat.csv")
        now = {"ok": _int(rows[-1], "SuccessfulCall(C)"),
               "failed": _int(rows[-1], "FailedCall(C)")} if rows else {"ok": 0, "failed": 0}
        d = {k: now[k] - self.last.get(k, 0) for k in now}
        self.last = now
        d["events"], self.err_offset = err_events(self.work / "uas_err.log", self.err_offset)
        return d

    def start(self):
        self.proc = subprocess.Popen(self.cmd, cwd=str(self.work), stdin=subprocess.DEVNULL,
                                     stdout=open(self.work / "uas.out", "w"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        time.sleep(0.5)
        if self.proc.poll() is not None:
            raise RuntimeError("sipp UAS did not start (%s): %s" % (
                " ".join(self.cmd), (self.work / "uas.out").read_text()[-1500:]))
        return self

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def stop(self):
        _kill(self.proc)
        self.proc = None


def run_uac(work, target, scenario, rate, count, local_port, media_port, extra=(),
            window=None, timeout=None, recv_timeout=5000):
    """One fixed-rate sipp UAC run, bounded: -m count calls at -r rate, each receive
    waiting at most recv_timeout ms, the whole run at most `timeout` s (sipp's -timeout,
    and an outer kill 30 s later). Returns stat_summary() plus rc and codes (unexpected
    responses seen), or None when sipp wrote no statistics."""
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    if timeout is None:
        timeout = int(count / max(1, rate)) * 2 + 20
    cmd = ["sipp", target, "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(local_port),
           "-mp", str(media_port), "-r", str(rate), "-m", str(count), "-l", "50000",
           "-recv_timeout", str(recv_timeout), "-timeout", str(timeout), "-nostdin",
           "-trace_stat", "-stf", "stat.csv", "-fd", "1", "-trace_err",
           "-error_file", "err.log"] + [str(x) for x in extra]
    with open(work / "sipp.out", "w") as out:
        p = subprocess.Popen(cmd, cwd=str(work), stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT, start_new_session=True)
        try:
            rc = p.wait(timeout + 30)
        except subprocess.TimeoutExpired:
            _kill(p)
            rc = "killed"
        finally:
            _kill(p)
    res = stat_summary(read_stat(work / "stat.csv"), window)
    if res is None:
        return None
    res["rc"] = rc
    res["codes"] = response_codes(work / "err.log")
    res["events"] = err_events(work / "err.log")[0]
    return res


def fail_text(res):
    """'timeout:12,unexpected:3(503:3)' from a run's failure kinds and response codes."""
    parts = ["%s:%d" % kv for kv in sorted(res.get("kinds", {}).items())]
    codes = res.get("codes") or {}
    if codes:
        parts.append("codes(%s)" % ",".join("%s:%d" % kv for kv in sorted(codes.items())))
    return ",".join(parts) or "-"


# ---- the bus: call.created ---------------------------------------------------------------


class CallWatcher(threading.Thread):
    """Keeps the sip_call_id of every call.created sipproxy publishes. mark() -> position;
    since(pos) -> the SIP Call-IDs seen after it (empty string for a call without one)."""

    def __init__(self, endpoint):
        super().__init__(daemon=True)
        import zmq
        self.zmq = zmq
        self.sock = zmq.Context.instance().socket(zmq.SUB)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RCVHWM, 1000000)
        self.sock.setsockopt(zmq.SUBSCRIBE, b"call.created")
        self.sock.connect(endpoint)
        self.ids = []
        self.bad = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            if not self.sock.poll(200):
                continue
            while True:
                try:
                    frames = self.sock.recv_multipart(self.zmq.NOBLOCK)
                except self.zmq.Again:
                    break
                try:
                    ev = json.loads(frames[-1])
                    sid = ev.get("sip_call_id", "")
                except ValueError:
                    self.bad += 1
                    continue
                with self.lock:
                    self.ids.append(sid)
        self.sock.close()

    def mark(self):
        with self.lock:
            return len(self.ids)

    def since(self, pos):
        with self.lock:
            return self.ids[pos:]

    def stop(self):
        self.stopping.set()


def duplicates(ids):
    """Number of SIP Call-IDs that appear more than once, and the calls beyond the first."""
    seen = {}
    for i in ids:
        seen[i] = seen.get(i, 0) + 1
    dup_ids = [k for k, n in seen.items() if n > 1]
    return len(dup_ids), sum(seen[k] - 1 for k in dup_ids), dup_ids[:3]
