"""Load on the suite's trunks for the tests: a sipp UAS behind one trunk and a sipp UAC
on another (tests/sipp/load_uac.xml, load_uas.xml), sipp's own statistics, and waiting
until the calls have drained and their CDRs are written."""

import subprocess
import threading
import time
from pathlib import Path

import suite as sm
from .bus import wait_until

SIPP_DIR = Path(__file__).resolve().parent.parent / "sipp"


class Trunks:
    """A sipp UAS behind trunk 'far' (route 9. -> far) and a UAC on trunk 'near'."""

    def __init__(self, s, work):
        self.s, self.work = s, Path(work)
        self.uas_port, self.uac_port = sm.free_port(), sm.free_port()
        s.ccctl("trunk", "add", "near", "--host", "127.0.0.1:%d" % self.uac_port, check=True)
        s.ccctl("trunk", "add", "far", "--host", "127.0.0.1:%d" % self.uas_port, check=True)
        s.ccctl("route", "add", "9.", "trunk:far", check=True)
        self.uas = None

    def start_uas(self, *extra):
        self.uas = subprocess.Popen(
            ["sipp", "-sf", str(SIPP_DIR / "load_uas.xml"), "-i", "127.0.0.1",
             "-p", str(self.uas_port), "-nostdin", "-l", "100000", "-buff_size", "4194304",
             "-timeout", "600"] + list(extra),
            cwd=self.work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)
        assert self.uas.poll() is None, "the sipp UAS did not start"

    def place(self, rate, calls, *extra, timeout=300, number="9000", port=None, name="uac",
              limit=50000):
        """Run the UAC (from `port`, default the trunk 'near', dialling `number`); returns
        sipp's final statistics {created, ok, failed}. Two UACs at once need their own
        port and `name` (their statistics file). `limit` caps the calls in progress: sipp
        waits for one to end before it places the next (a closed loop, so a test about
        correctness does not become an overload test on a slower machine)."""
        stat = self.work / ("%s_stat.csv" % name)
        r = subprocess.run(
            ["sipp", "127.0.0.1:%d" % self.s.sip_port, "-sf", str(SIPP_DIR / "load_uac.xml"),
             "-s", number, "-i", "127.0.0.1", "-p", str(port or self.uac_port), "-r", str(rate),
             "-m", str(calls), "-l", str(limit), "-buff_size", "4194304", "-nostdin",
             "-recv_timeout", "40000", "-timeout", str(timeout), "-trace_stat",
             "-stf", str(stat), "-fd", "1", "-trace_err", "-error_file",
             str(self.work / ("%s_err.log" % name))] + list(extra),
            cwd=self.work, capture_output=True, text=True, timeout=timeout + 30)
        lines = [ln for ln in stat.read_text().splitlines() if ln.strip()]
        head, last = lines[0].split(";"), lines[-1].split(";")
        val = lambda k: int(last[head.index(k)])
        return {"created": val("TotalCallCreated"), "ok": val("SuccessfulCall(C)"),
                "failed": val("FailedCall(C)"), "rc": r.returncode}

    def place_held(self, sub, n, hold_ms, rate=5, timeout=60, within=15):
        """Places n calls that the UAC holds for hold_ms (sipp -d) in a thread, and waits up
        to `within` seconds for sipproxy to answer them all (call.answered on `sub`, a
        subscription to its call.* events). Returns (the thread, sipp's statistics once it
        has ended, {call id: its call.answered event})."""
        res = {}
        th = threading.Thread(
            target=lambda: res.update(self.place(rate, n, "-d", str(hold_ms), timeout=timeout)),
            daemon=True)
        th.start()
        answered = {}
        deadline = time.monotonic() + within
        while len(answered) < n and time.monotonic() < deadline:
            ev = sub.recv(0.5)
            if ev and ev[0] == "call.answered":
                answered[ev[1]["call_id"]] = ev[1]
        assert len(answered) == n, "%d of %d calls answered: %s" % (len(answered), n,
                                                                  sorted(answered))
        return th, res, answered

    def close(self):
        if self.uas and self.uas.poll() is None:
            self.uas.kill()
            self.uas.wait(5)


def cdr_counts(s):
    return dict(s.psql("SELECT disposition, count(*) FROM cdrs GROUP BY 1"))


def sip_calls(s):
    """[(call id, the caller's SIP Call-ID)] of every call sipproxy created (from its log,
    every run of it)."""
    out = []
    for line in s.log("sipproxy").splitlines():
        if "event=call.created" in line and "sip_call_id=" in line:
            cid = line.split(" call=", 1)[1].split()[0] if " call=" in line else None
            out.append((cid, line.split("sip_call_id=", 1)[1].split()[0]))
    return out


def sip_call_ids(s):
    """The caller's SIP Call-ID of every call sipproxy created (from its log)."""
    return [sip for _, sip in sip_calls(s)]


def short_trace(path):
    """sipp arguments that write every message it sends and receives, one line each, to
    `path` (read back with traced_calls)."""
    return ("-trace_shortmsg", "-shortmessage_file", str(path))


def traced_calls(path):
    """{SIP Call-ID: completed} of every call a UAC placed, from its short_trace file:
    completed means the 200 to its BYE came back."""
    calls = {}
    for line in Path(path).read_text(errors="replace").splitlines():
        parts = line.split("\t")  # date, time, seconds, S/R, Call-ID, CSeq, first line
        if len(parts) < 7:
            continue
        direction, cid, cseq, first = parts[3], parts[4], parts[5], parts[6]
        if direction == "S" and first.startswith("INVITE"):
            calls.setdefault(cid, False)
        elif direction == "R" and first.startswith("SIP/2.0 200") and cseq.endswith("BYE"):
            calls[cid] = True
    return calls


def drained(s, expected, timeout=90):
    """All calls over and written: no live calls in sipproxy, cdrd has every CDR. On a
    timeout the message names what was still outstanding."""
    seen = {}

    def done():
        seen["sipproxy_calls"] = s.bus_call("sipproxy", "status")["result"]["details"]["calls"]
        seen["cdrs"] = s.psql("SELECT count(*) FROM cdrs")[0][0]
        seen["calls_active"] = s.psql("SELECT count(*) FROM calls_active")[0][0]
        return seen["sipproxy_calls"] == 0 and seen["cdrs"] >= expected and \
            seen["calls_active"] == 0
    try:
        wait_until(done, timeout=timeout, step=0.5, what="calls to drain and CDRs to be written")
    except AssertionError:
        raise AssertionError("calls did not drain in %d s: %r (expected %d CDRs)"
                             % (timeout, seen, expected)) from None
