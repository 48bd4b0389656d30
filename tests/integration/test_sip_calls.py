"""Calls through sipproxy + mediad (+ cdrd when present) with real baresip phones:
A calls B with a 440 Hz tone, B answers with 880 Hz, each recording holds the other's
tone; the call.* events on the bus (and the CDR when cdrd runs) carry the outcome.
Busy, no answer (ring timeout), caller cancel and unknown number give the right codes."""

import json
import math
import os
import socket
import struct
import subprocess
import time
import wave
from pathlib import Path

import pytest

import suite as sm

DAEMONS = ["sipproxy", "mediad", "cdrd"]
RING_TIMEOUT = 4
MEDIA_TIMEOUT = 3


# ---- audio ----------------------------------------------------------------------------


def make_tone(path, freq, seconds=30):
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), "synth",
                    str(seconds), "sine", str(freq), "vol", "0.5"], check=True)


def tone_share(path, freq, window=400):
    """Fraction of loud 50 ms windows whose power at `freq` (Goertzel) is over 80% of the
    window's power; (share, loud windows)."""
    with wave.open(str(path)) as w:
        rate, n = w.getframerate(), w.getnframes()
        data = struct.unpack("<%dh" % n, w.readframes(n))
    k = 2 * math.cos(2 * math.pi * freq / rate)
    hits = loud = 0
    for start in range(0, len(data) - window, window):
        x = data[start:start + window]
        total = sum(v * v for v in x)
        if total / window < (32768 * 10 ** (-45 / 20)) ** 2:
            continue
        loud += 1
        s1 = s2 = 0.0
        for v in x:
            s0 = v + k * s1 - s2
            s2, s1 = s1, s0
        power = s1 * s1 + s2 * s2 - k * s1 * s2
        if power / (total * window / 2) > 0.8:
            hits += 1
    return (hits / loud if loud else 0.0), loud


def tone_windows(path, freq, window=400):
    """One letter per 50 ms window: T (loud, over 80% of its power at `freq`), M (loud,
    something else: music, speech), . (quiet, under -45 dBFS)."""
    with wave.open(str(path)) as w:
        rate, n = w.getframerate(), w.getnframes()
        data = struct.unpack("<%dh" % n, w.readframes(n))
    k = 2 * math.cos(2 * math.pi * freq / rate)
    out = []
    for start in range(0, len(data) - window, window):
        x = data[start:start + window]
        total = sum(v * v for v in x)
        if total / window < (32768 * 10 ** (-45 / 20)) ** 2:
            out.append(".")
            continue
        s1 = s2 = 0.0
        for v in x:
            s0 = v + k * s1 - s2
            s2, s1 = s1, s0
        power = s1 * s1 + s2 * s2 - k * s1 * s2
        out.append("T" if power / (total * window / 2) > 0.8 else "M")
    return "".join(out)


# ---- baresip ------------------------------------------------------------------------------


class Baresip:
    """A headless baresip UA in its own directory: registers as `ext`, plays `tone` as its
    microphone, records what it hears (sndfile), controlled over ctrl_tcp."""

    def __init__(self, suite, ext, password, tone, answer="auto"):
        self.suite, self.ext = suite, ext
        self.dir = suite.var_dir / ("ua-%s" % ext)
        self.dir.mkdir(exist_ok=True)
        self.sip_port = sm.free_port(span=2)
        self.ctrl_port = sm.free_port(udp=False)
        (self.dir / "config").write_text("\n".join([
            "poll_method epoll",
            "sip_listen 127.0.0.1:%d" % self.sip_port,
            "net_interface 127.0.0.1",
            "sip_trans_def udp",
            "module_path /usr/lib/baresip/modules",
            "module g711.so", "module aufile.so", "module aubridge.so", "module sndfile.so",
            "module_app account.so", "module_app menu.so", "module_app ctrl_tcp.so",
            "ctrl_tcp_listen 127.0.0.1:%d" % self.ctrl_port,
            "audio_source aufile,%s" % tone,
            "audio_player aubridge,ua%s" % ext,
            "audio_alert aubridge,alert%s" % ext,
            "ausrc_srate 8000", "auplay_srate 8000", "ausrc_channels 1", "auplay_channels 1",
            "audio_buffer 20-160",
            "rtp_timeout 0",
            "", ]))
        (self.dir / "accounts").write_text(
            "<sip:%s@127.0.0.1:%d>;auth_user=%s;auth_pass=%s;answermode=%s;"
            "audio_codecs=pcmu;regint=600;ptime=20\n"
            % (ext, suite.sip_port, ext, password, answer))
        self.log_path = self.dir / "baresip.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(["baresip", "-f", str(self.dir), "-v"], cwd=str(self.dir),
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, env=suite.env(),
                                     start_new_session=True)
        suite.all_pids.append(self.proc.pid)

    def text(self):
        return self.log_path.read_text(errors="replace")

    def wait_log(self, needle, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.text():
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def command(self, cmd, params=None):
        msg = {"command": cmd, "token": "t%d" % int(time.monotonic() * 1000)}
        if params is not None:
            msg["params"] = params
        data = json.dumps(msg).encode()
        with socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=5) as s:
            s.sendall(b"%d:%s," % (len(data), data))
            s.settimeout(5)
            try:
                return s.recv(4096)
            except socket.timeout:
                return b""

    def dial(self, number):
        return self.command("dial", "sip:%s@127.0.0.1:%d" % (number, self.suite.sip_port))

    def recordings(self, kind="dec"):
        return sorted(self.dir.glob("dump-*-%s.wav" % kind))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


# ---- fixtures -----------------------------------------------------------------------------


def five_phones(s, uas):
    """Phones 1001-1005 registered with the suite (password "secret"+ext): 1001, 1004 and
    1005 send 440 Hz, 1002 and 1003 880 Hz; 1003 and 1004 answer by hand. Sets s.tone440,
    s.tone880 and s.ua; each phone goes into `uas` as soon as it runs (the caller stops
    them, also when registering fails)."""
    s.tone440 = s.var_dir / "tone440.wav"
    s.tone880 = s.var_dir / "tone880.wav"
    make_tone(s.tone440, 440)
    make_tone(s.tone880, 880)
    s.ua = {}
    for ext, tone, mode in (("1001", s.tone440, "auto"), ("1002", s.tone880, "auto"),
                            ("1003", s.tone880, "manual"), ("1004", s.tone440, "manual"),
                            ("1005", s.tone440, "auto")):
        s.ua[ext] = Baresip(s, ext, "secret" + ext, tone, answer=mode)
        uas.append(s.ua[ext])
    for ua in s.ua.values():
        assert ua.wait_log("200 OK", 10), "%s did not register:\n%s" % (ua.ext, ua.text()[-2000:])


@pytest.fixture(scope="module")
def calls(pg_cluster, bin_dir):
    daemons = [d for d in DAEMONS if (bin_dir / d).exists()]
    s = sm.Suite(pg_cluster, name="test_sip_calls", daemons=daemons,
                 config={"sipproxy.ring_timeout": str(RING_TIMEOUT),
                         "mediad.media_timeout": str(MEDIA_TIMEOUT)})
    uas = []
    try:
        for ext in ("1001", "1002", "1003", "1004", "1005"):
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
            s.ccctl("route", "add", ext, "ext:" + ext, check=True)
        s.ccctl("user", "add", "1099", "--password", "secret1099", check=True)
        s.ccctl("route", "add", "1099", "ext:1099", check=True)  # a user that never registers
        s.start()
        five_phones(s, uas)
        yield s
    finally:
        for ua in uas:
            ua.stop()
        s.close()


def wait_event(sub, etype, call_id=None, timeout=10):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        ev = sub.recv(max(0.05, deadline - time.monotonic()))
        if ev is None:
            break
        topic, obj, _ = ev
        seen.append(obj)
        if topic == etype and (call_id is None or obj.get("call_id") == call_id):
            return obj, seen
    return None, seen


def cdr(calls, call_id, timeout=5):
    """The CDR row of call_id as a dict, None when cdrd is not part of this run; fails
    when cdrd runs and no row appears."""
    if not calls.running("cdrd"):
        print("cdrd not running: CDR not checked (call.* events were)")
        return None
    deadline = time.time() + timeout
    while time.time() < deadline:
        conn = calls.connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT * FROM cdrs WHERE call_id = %s", (call_id,))
                r = cur.fetchone()
                if r:
                    return dict(zip([d[0] for d in cur.description], r))
        finally:
            conn.close()
        time.sleep(0.2)
    pytest.fail("no CDR for call %s after %d s; cdrd log:\n%s" % (call_id, timeout, calls.log_tail("cdrd")))


def call_events(sub, seconds):
    return [obj for _, obj, _ in sub.collect(seconds)]


# ---- tests -----------------------------------------------------------------------------


def test_a_calls_b_tones_both_ways(calls):
    sub = calls.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    a, b = calls.ua["1001"], calls.ua["1002"]
    t_answer = None
    a.dial("1002")
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, "no call.created; saw %s\nsipproxy:\n%s" % (seen, calls.log_tail("sipproxy"))
    cid = created["call_id"]
    assert created["caller"] == "1001" and created["callee"] == "1002"
    assert created["direction"] == "internal"
    answered, seen = wait_event(sub, "call.answered", cid, timeout=10)
    assert answered, "no call.answered; saw %s\nsipproxy:\n%s\nB:\n%s" % (
        seen, calls.log_tail("sipproxy"), b.text()[-3000:])
    t_answer = time.monotonic()
    assert a.wait_log("Call established", 5), a.text()[-2000:]
    time.sleep(4)
    a.command("hangup")
    ended, seen = wait_event(sub, "call.ended", cid, timeout=10)
    talk = time.monotonic() - t_answer
    assert ended, "no call.ended; saw %s" % seen
    assert ended["disposition"] == "answered" and ended["hangup_side"] == "caller", ended
    assert ended["sip_code"] == 200
    media = ended.get("media") or {}
    assert media.get("caller", {}).get("packets_in", 0) > 100, ended
    assert media.get("callee", {}).get("packets_in", 0) > 100, ended
    time.sleep(1)
    # each side heard the other's tone
    rec_b = b.recordings()
    rec_a = a.recordings()
    assert rec_b and rec_a, "no sndfile recordings: A %s B %s" % (rec_a, rec_b)
    share_b, loud_b = tone_share(rec_b[-1], 440)
    share_a, loud_a = tone_share(rec_a[-1], 880)
    assert loud_b > 20 and share_b > 0.8, "B heard 440 Hz in %.2f of %d windows" % (share_b, loud_b)
    assert loud_a > 20 and share_a > 0.8, "A heard 880 Hz in %.2f of %d windows" % (share_a, loud_a)
    # the CDR (cdrd), when cdrd is part of this build
    row = cdr(calls, cid)
    if row is not None:
        assert (row["caller"], row["callee"], row["disposition"]) == ("1001", "1002", "answered"), row
        assert abs(row["talk_ms"] / 1000.0 - talk) <= 1.0, "talk_ms %s, real %.2f s" % (row["talk_ms"], talk)
    sub.close()


def _outcome(calls, caller, number, action=None, timeout=15):
    sub = calls.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    calls.ua[caller].dial(number)
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, "no call.created; saw %s\n%s" % (seen, calls.log_tail("sipproxy"))
    if action:
        action()
    ended, seen = wait_event(sub, "call.ended", created["call_id"], timeout=timeout)
    sub.close()
    assert ended, "no call.ended; saw %s\n%s" % (seen, calls.log_tail("sipproxy"))
    row = cdr(calls, created["call_id"])
    if row is not None:
        assert (row["disposition"], row["sip_code"]) == (ended["disposition"], ended["sip_code"]), row
    return created, ended


def test_unknown_number_404(calls):
    created, ended = _outcome(calls, "1001", "5555")
    assert "route_kind" not in created
    assert (ended["disposition"], ended["sip_code"]) == ("not_found", 404), ended


def test_not_registered_480(calls):
    created, ended = _outcome(calls, "1001", "1099")
    assert (ended["disposition"], ended["sip_code"]) == ("unavailable", 480), ended


def test_busy_486(calls):
    callee = calls.ua["1003"]

    def reject():
        assert callee.wait_log("Incoming call", 10), callee.text()[-2000:]
        time.sleep(0.3)
        callee.command("hangup")
    created, ended = _outcome(calls, "1001", "1003", reject)
    assert ended["disposition"] in ("busy", "declined"), ended
    assert ended["sip_code"] in (486, 603), ended


def test_no_answer_ring_timeout_480(calls):
    t0 = time.monotonic()
    created, ended = _outcome(calls, "1002", "1004", timeout=RING_TIMEOUT + 10)
    took = time.monotonic() - t0
    assert (ended["disposition"], ended["sip_code"], ended["hangup_side"]) == \
        ("no_answer", 480, "system"), ended
    assert RING_TIMEOUT - 0.5 <= took <= RING_TIMEOUT + 3, took


def test_caller_cancel(calls):
    caller = calls.ua["1001"]

    def cancel():
        assert calls.ua["1003"].wait_log("Incoming call", 10)
        time.sleep(0.5)
        caller.command("hangup")
    created, ended = _outcome(calls, "1001", "1003", cancel)
    assert (ended["disposition"], ended["hangup_side"]) == ("cancelled", "caller"), ended


def test_hold_resume_reinvite_relayed(calls):
    sub = calls.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    a, b = calls.ua["1001"], calls.ua["1002"]
    a.dial("1002")
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    cid = created["call_id"]
    answered, seen = wait_event(sub, "call.answered", cid, timeout=10)
    assert answered, seen
    time.sleep(1)
    before = calls.log("sipproxy").count("call=%s from=" % cid)
    a.command("hold")
    deadline = time.monotonic() + 5
    log = ""
    while time.monotonic() < deadline:
        log = calls.log("sipproxy")
        if "call=%s from=caller direction=sendonly" % cid in log:
            break
        time.sleep(0.1)
    assert "call=%s from=caller direction=sendonly" % cid in log, log[-2000:]
    time.sleep(MEDIA_TIMEOUT + 1.5)  # held longer than mediad's media timeout: call stays up
    a.command("resume")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if calls.log("sipproxy").count("call=%s from=" % cid) >= before + 2:
            break
        time.sleep(0.1)
    assert "call=%s from=caller direction=sendrecv" % cid in calls.log("sipproxy")
    # the re-INVITEs did not end the call
    ended, _ = wait_event(sub, "call.ended", cid, timeout=1)
    assert ended is None, ended
    a.command("hangup")
    ended, seen = wait_event(sub, "call.ended", cid, timeout=10)
    assert ended and ended["disposition"] == "answered", (ended, seen)
    sub.close()


def test_hold_plays_music_then_resume(calls):
    """A holds: sipproxy answers the re-INVITE itself (B is not re-INVITEd) and mediad loops
    hold music to B; on resume B hears A's tone again."""
    sub = calls.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    a, b = calls.ua["1001"], calls.ua["1002"]
    b_reinvites = b.text().count("re-INVITE")
    a.dial("1002")
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    cid = created["call_id"]
    answered, seen = wait_event(sub, "call.answered", cid, timeout=10)
    assert answered, seen
    assert answered["caller_endpoint"] > 0 and answered["callee_endpoint"] > 0, answered
    time.sleep(1.5)
    a.command("hold")
    calls.wait_log("sipproxy", "event=call.hold [^\\n]*call=%s by=caller" % cid, timeout=5)
    time.sleep(MEDIA_TIMEOUT + 1)  # longer than mediad's media timeout: the call stays up
    a.command("resume")
    calls.wait_log("sipproxy", "event=call.resume [^\\n]*call=%s by=caller" % cid, timeout=5)
    time.sleep(2)
    a.command("hangup")
    ended, seen = wait_event(sub, "call.ended", cid, timeout=10)
    sub.close()
    assert ended and ended["disposition"] == "answered", (ended, seen)
    assert b.text().count("re-INVITE") == b_reinvites, "the hold was forwarded to B"
    time.sleep(1)
    w = tone_windows(b.recordings()[-1], 440)
    music = max((len(r) for r in w.replace(".", "M").split("T")), default=0)
    assert music >= 40, "B heard no music while held (%d windows): %s" % (music, w)
    tail = w.rstrip(".")[-20:]
    assert tail.count("T") >= 15, "B did not hear A's tone after resume: %s" % w


def test_media_timeout_ends_call(calls):
    """Last: kills UA 1005 mid-call; its media stops, mediad reports media.timeout and
    sipproxy ends the call (BYE to the callee) with disposition media_timeout."""
    sub = calls.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    calls.ua["1005"].dial("1002")
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    cid = created["call_id"]
    answered, seen = wait_event(sub, "call.answered", cid, timeout=10)
    assert answered, seen
    time.sleep(1.5)
    calls.ua["1005"].proc.kill()
    ended, seen = wait_event(sub, "call.ended", cid, timeout=MEDIA_TIMEOUT + 8)
    sub.close()
    assert ended, "no call.ended after the caller's media stopped; saw %s\n%s" % (
        seen, calls.log_tail("sipproxy"))
    assert (ended["disposition"], ended["hangup_side"]) == ("media_timeout", "system"), ended
