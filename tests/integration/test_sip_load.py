"""test_sip_load.py - sipproxy under loss, overload and a long run, with sipp on both
trunks (tests/sipp/load_uac.xml -> sipproxy + mediad + cdrd -> load_uas.xml):

- 10% packet loss both ways for 2,000 calls: every call placed has exactly one CDR (no
  retransmitted INVITE becomes a second call), each answered, no SIP Call-ID twice;
- offered load far above what the (sanitizer) build carries, for a bounded time: the calls
  sipproxy admitted complete, the others got 503 with Retry-After, nothing crashed, and
  OPTIONS was answered throughout;
- 20,000 calls through the whole path under ASan/LSan: the harness fails the test on any
  sanitizer or leak report when the daemons stop.

Properties only: how fast is the benchmark's business (tests/bench/sip_bench.py)."""

import os
import socket
import threading
import time
from collections import Counter

import pytest

from helpers.trunks import cdr_counts, drained, sip_call_ids

# alone, before the parallel part: load and timing that other tests would disturb
pytestmark = pytest.mark.serial


def test_ten_percent_loss_one_cdr_per_call(trunk_suite):
    # about duplicates, not overload: no shedding, and at most 150 calls in progress (the
    # losses stretch calls to seconds), so a slower machine is not flooded
    s, t = trunk_suite(**{"sipproxy.overload_delay": "0"})
    t.start_uas("-lost", "10")
    res = t.place(100, 2000, "-lost", "10", limit=150)
    assert res["created"] == 2000, res
    drained(s, 2000)
    cdrs = cdr_counts(s)
    ids = sip_call_ids(s)
    dup = [i for i, n in Counter(ids).items() if n > 1]
    assert not dup, "INVITEs that became more than one call: %s" % dup[:10]
    assert len(ids) == 2000, "calls created %d for 2000 placed" % len(ids)
    assert sum(cdrs.values()) == 2000, cdrs
    # the far side answers every call it is offered: each CDR must say answered
    assert cdrs == {"answered": 2000}, (cdrs, not_answered(s))
    # sipp's own view is looser than the suite's record: at 10% loss it sometimes gives
    # up on a call whose last messages it lost (seen: 95 of 2000 once on a busy machine)
    # while the suite recorded that call exactly; most of them must still succeed
    assert res["ok"] >= 1900, res


def not_answered(s, limit=3):
    """sipproxy's log lines of the first calls that did not end answered, to say why."""
    log = s.log("sipproxy").splitlines()
    bad = [line.split("call=", 1)[1].split()[0] for line in log
           if "event=call.ended" in line and "disposition=answered" not in line][:limit]
    return ["\n".join(line for line in log if "call=%s " % cid in line) for cid in bad]


class OptionsProbe(threading.Thread):
    """OPTIONS every 200 ms on a socket of its own; keeps when each got its 200."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.stop = port, threading.Event()
        self.sent, self.answered = {}, {}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)

    def run(self):
        n, lport = 0, self.sock.getsockname()[1]
        next_at = 0.0
        while not self.stop.is_set():
            now = time.monotonic()
            if now >= next_at:
                n += 1
                cid = "probe-%d@test" % n
                msg = ("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\n"
                       "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-probe-%d\r\n"
                       "From: <sip:probe@127.0.0.1>;tag=p%d\r\nTo: <sip:127.0.0.1>\r\n"
                       "Call-ID: %s\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
                       "Content-Length: 0\r\n\r\n" % (self.port, lport, n, n, cid))
                self.sock.sendto(msg.encode(), ("127.0.0.1", self.port))
                self.sent[cid] = now
                next_at = now + 0.2
            try:
                data = self.sock.recv(4096).decode(errors="replace")
            except socket.timeout:
                continue
            if data.startswith("SIP/2.0 200"):
                for line in data.split("\r\n"):
                    if line.lower().startswith("call-id:"):
                        self.answered.setdefault(line.split(":", 1)[1].strip(), time.monotonic())

    def finish(self):
        time.sleep(3)  # answers to the last ones
        self.stop.set()
        self.join(5)
        self.sock.close()


def _invite_now(port):
    """One INVITE from a socket of our own; the status line and headers of the final
    answer (or "" when none came within 2 s)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2)
    lport = sock.getsockname()[1]
    tag = os.urandom(4).hex()
    msg = ("INVITE sip:9000@127.0.0.1:%d SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-shed-%s\r\n"
           "From: <sip:probe@127.0.0.1>;tag=%s\r\nTo: <sip:9000@127.0.0.1>\r\n"
           "Call-ID: shed-%s@test\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
           "Content-Length: 0\r\n\r\n" % (port, lport, tag, tag, tag))
    sock.sendto(msg.encode(), ("127.0.0.1", port))
    deadline = time.monotonic() + 2
    try:
        while time.monotonic() < deadline:
            data = sock.recv(4096).decode(errors="replace")
            if not data.startswith("SIP/2.0 1"):
                return data
    except socket.timeout:
        pass
    finally:
        sock.close()
    return ""


def test_overload_sheds_with_503_and_admitted_calls_complete(trunk_suite):
    s, t = trunk_suite()
    t.start_uas()
    probe = OptionsProbe(s.sip_port)
    probe.start()
    res = {}
    # -default_behaviors none: a call turned away is over for sipp once it has ACKed the
    # 503 (RFC 3261); by default sipp would also CANCEL each one it gives up on, a third
    # message per shed INVITE that no real caller sends
    load = threading.Thread(target=lambda: res.update(
        t.place(2000, 8000, "-default_behaviors", "none", timeout=120)), daemon=True)
    load.start()
    shed_answer = ""
    try:
        # while sipproxy sheds, an INVITE from anywhere is turned away before anything is
        # done for it: 503 with Retry-After
        while load.is_alive() and not shed_answer.startswith("SIP/2.0 503"):
            st = s.bus_call("sipproxy", "status")["result"]["details"]
            if st["overload"] != "none":
                shed_answer = _invite_now(s.sip_port)
            time.sleep(0.02)
        load.join(180)
    finally:
        probe.finish()
    assert shed_answer.startswith("SIP/2.0 503"), "no 503 while shedding: %r" % shed_answer
    assert "\r\nRetry-After: " in shed_answer, shed_answer
    st = s.bus_call("sipproxy", "status")["result"]["details"]
    assert st["invites_shed"] > 0, "the offered load never made sipproxy shed: %s" % st
    drained(s, 1)
    cdrs = cdr_counts(s)
    # every call that was admitted completed: answered CDRs are exactly sipp's successes
    assert cdrs.get("answered", 0) == res["ok"], (cdrs, res)
    assert res["created"] == res["ok"] + res["failed"], res
    # the failures are the INVITEs turned away (no CDR: they never became calls) and calls
    # mediad could not serve in time (a failed CDR each)
    assert res["failed"] <= st["invites_shed"] + cdrs.get("failed", 0), (res, st, cdrs)
    assert set(cdrs) <= {"answered", "failed"}, cdrs
    # OPTIONS was answered throughout, each within a couple of seconds
    missing = [c for c in probe.sent if c not in probe.answered]
    assert len(probe.sent) > 20 and len(missing) <= 1, \
        "OPTIONS unanswered: %d of %d" % (len(missing), len(probe.sent))
    slow = [c for c in probe.answered if probe.answered[c] - probe.sent[c] > 2.0]
    assert not slow, "OPTIONS answered late during overload: %d" % len(slow)
    for d in ("sipproxy", "mediad", "cdrd"):
        assert s.running(d), "%s died under overload:\n%s" % (d, s.log_tail(d))


@pytest.mark.skipif(os.environ.get("CC_TEST_QUICK") == "1", reason="long run")
def test_twenty_thousand_calls_leave_no_leak(trunk_suite):
    # overload control off: this is about memory, every call must go the whole way even
    # when other work on the machine slows the sanitizer build down
    s, t = trunk_suite(**{"common.log_level": "warn", "sipproxy.overload_delay": "0",
                          "mediad.port_quarantine_ms": "100"})
    t.start_uas()
    # a closed loop (at most 60 calls in progress): on a machine slower than this one the
    # run takes longer instead of piling up calls that time out in sipp
    res = t.place(300, 20000, timeout=400, limit=60)
    assert res["created"] == 20000, res
    drained(s, res["created"] - res["failed"])
    st = s.bus_call("sipproxy", "status")["result"]["details"]
    cdrs = cdr_counts(s)
    answered = cdrs.get("answered", 0)
    # every call placed has exactly one CDR and (nearly) all were answered. sipp's own
    # count may be a little lower: in one fresh-clone run sofia missed the ACK of about 4%
    # of the calls and sent its "ACK Timeout" BYE; 13 of those reached sipp before its own
    # BYE and sipp counted them failed, while all 20,000 were answered here (an open defect
    # of issue 9, in the note; test_exactly_once covers lost ACKs on purpose)
    assert sum(cdrs.values()) == 20000, (cdrs, res, st)
    assert answered >= res["ok"] >= 19000 and answered >= 19900, (cdrs, res, st)
    # the sanitizer build reports leaks when each daemon exits: the harness's teardown
    # stops them with SIGTERM and fails on any report in their logs
