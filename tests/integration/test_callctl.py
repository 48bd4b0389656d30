"""The call-control contract (common/events/callctl.def) between sipproxy and a controller,
as a CONTRACT TEST at unit level: ivrd and acdd are not started; the test itself plays
the controller, serving ivr.start / queue.enter on ROUTER sockets bound where ivrd and
acdd would be (ipc://<run_dir>/ivrd.cmd, acdd.cmd), and drives calls with call.* commands
over the bus. Phones are real baresip UAs; media goes through the real mediad.

Also feature codes (*45 ...) dialled from a phone: agent.feature to "acdd", the prompt
played, the call hung up.

Covered: hand-over (ivr: and queue:), call.answer, call.connect (tones both ways,
ring-all first answer wins, unregistered target, caller hangs up while ringing,
on_callee_hangup=return), call.originate + connect, hand-over failure and timeout, error
replies."""

import json
import threading
import time

import pytest

import suite as sm
from test_sip_calls import Baresip, make_tone, tone_share, tone_windows, wait_event

DAEMONS = ["sipproxy", "mediad"]
CONTROLLER_TIMEOUT_MS = 1000


class FakeController:
    """ROUTER sockets at <run_dir>/<name>.cmd answering commands the way `policy` says:
    "ok" (reply ok, empty result), "error" (reply an error), "silent" (never reply)."""

    def __init__(self, suite, names):
        import zmq
        self.zmq = zmq
        self.ctx = zmq.Context.instance()
        self.socks = {}
        for n in names:
            s = self.ctx.socket(zmq.ROUTER)
            s.setsockopt(zmq.LINGER, 0)
            s.bind(suite.cmd_endpoint(n))
            self.socks[n] = s
        self.policy = "ok"
        self.result = {}  # the result of "ok" replies
        self.received = []  # (daemon, command object)
        self.cond = threading.Condition()
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        poller = self.zmq.Poller()
        for s in self.socks.values():
            poller.register(s, self.zmq.POLLIN)
        while self.running:
            for sock, _ in poller.poll(100):
                frames = sock.recv_multipart()
                name = [n for n, s in self.socks.items() if s is sock][0]
                msg = json.loads(frames[-1])
                with self.cond:
                    self.received.append((name, msg))
                    self.cond.notify_all()
                    policy = self.policy
                if policy == "ok":
                    reply = {"req": msg["req"], "ok": True, "result": self.result}
                elif policy == "error":
                    reply = {"req": msg["req"], "ok": False,
                             "error": {"code": "unknown_flow", "message": "no such flow"}}
                else:
                    continue
                sock.send_multipart([frames[0], json.dumps(reply).encode()])

    def wait(self, cmd, since=0, timeout=10):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for name, m in self.received[since:]:
                    if m.get("type") == cmd:
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def close(self):
        self.running = False
        self.thread.join(2)
        for s in self.socks.values():
            s.close()


@pytest.fixture(scope="module")
def cc(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_callctl", daemons=DAEMONS,
                 config={"sipproxy.ring_timeout": "6",
                         "sipproxy.controller_timeout": str(CONTROLLER_TIMEOUT_MS)})
    uas = []
    ctl = None
    try:
        for ext in ("1001", "1002", "1003", "1004", "1005", "1099"):
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
            s.ccctl("route", "add", ext, "ext:" + ext, check=True)
        s.ccctl("route", "add", "700", "ivr:main", check=True)
        s.ccctl("route", "add", "701", "queue:support", check=True)
        ctl = FakeController(s, ["ivrd", "acdd"])
        s.start()
        s.ctl = ctl
        s.tone440 = s.var_dir / "tone440.wav"
        s.tone880 = s.var_dir / "tone880.wav"
        make_tone(s.tone440, 440)
        make_tone(s.tone880, 880)
        s.ua = {}
        for ext, tone, mode in (("1001", s.tone440, "auto"), ("1002", s.tone880, "auto"),
                                ("1003", s.tone880, "manual"), ("1004", s.tone440, "manual"),
                                ("1005", s.tone440, "auto")):
            ua = Baresip(s, ext, "secret" + ext, tone, answer=mode)
            uas.append(ua)
            s.ua[ext] = ua
        for ua in uas:
            assert ua.wait_log("200 OK", 10), "%s did not register:\n%s" % (ua.ext, ua.text()[-2000:])
        yield s
    finally:
        for ua in uas:
            ua.stop()
        if ctl:
            ctl.close()
        s.close()


def cmd(cc, name, **args):
    return cc.bus_call("sipproxy", name, args)


def ok(cc, name, **args):
    r = cmd(cc, name, **args)
    assert r.get("ok"), "%s %s -> %s\n%s" % (name, args, r, cc.log_tail("sipproxy"))
    return r.get("result") or {}


def handed_over(cc, sub, number, command):
    """The caller 1001 dials `number`; returns (call_id, hand-over command args)."""
    since = len(cc.ctl.received)
    cc.ua["1001"].dial(number)
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, "no call.created; saw %s\n%s" % (seen, cc.log_tail("sipproxy"))
    m = cc.ctl.wait(command, since)
    assert m, "no %s; controller got %s\n%s" % (command, cc.ctl.received[since:],
                                                 cc.log_tail("sipproxy"))
    assert m["args"]["call_id"] == created["call_id"]
    return created, m["args"]


def until(sub, etype, cid, timeout=10):
    ev, seen = wait_event(sub, etype, cid, timeout=timeout)
    assert ev, "no %s for %s; saw %s" % (etype, cid, [s.get("type") for s in seen if s])
    return ev


def newest(ua):
    recs = ua.recordings()
    assert recs, "%s has no recording" % ua.ext
    return recs[-1]


def heard(ua, freq):
    share, loud = tone_share(newest(ua), freq)
    assert loud > 20 and share > 0.8, "%s heard %d Hz in %.2f of %d loud windows" % (
        ua.ext, freq, share, loud)


def subscribe(cc):
    sub = cc.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    return sub


# ---- tests -----------------------------------------------------------------------------


def test_ivr_handover_answer_connect_tones(cc):
    sub = subscribe(cc)
    created, args = handed_over(cc, sub, "700", "ivr.start")
    cid = created["call_id"]
    assert (created["route_kind"], created["route_target"]) == ("ivr", "main"), created
    assert args["flow"] == "main" and args["caller"] == "1001" and args["callee"] == "700"
    assert args["endpoint_id"] > 0
    ok(cc, "call.answer", call_id=cid, answered_by="ivr:main")
    answered = until(sub, "call.answered", cid)
    assert answered["answered_by"] == "ivr:main", answered
    assert answered["caller_endpoint"] == args["endpoint_id"], answered
    assert cc.ua["1001"].wait_log("Call established", 5)
    assert ok(cc, "call.answer", call_id=cid) == {}  # idempotent
    r = ok(cc, "call.connect", call_id=cid, targets=["ext:1002"], caller_name="Jane Q",
           headers={"X-CC-Queue": "support"})
    result = until(sub, "call.connect_result", cid)
    assert result["connect_id"] == r["connect_id"]
    assert (result["result"], result["sip_code"], result["target"]) == ("answered", 200, "ext:1002")
    assert result["endpoint_id"] > 0 and result["endpoint_id"] != args["endpoint_id"]
    time.sleep(4)
    cc.ua["1001"].command("hangup")
    ended = until(sub, "call.ended", cid)
    assert (ended["disposition"], ended["hangup_side"], ended["sip_code"]) == \
        ("answered", "caller", 200), ended
    assert ended["media"]["callee"]["packets_in"] > 100, ended
    time.sleep(1)
    heard(cc.ua["1002"], 440)
    heard(cc.ua["1001"], 880)
    sub.close()


def test_queue_ring_all_first_answer_wins(cc):
    sub = subscribe(cc)
    created, args = handed_over(cc, sub, "701", "queue.enter")
    cid = created["call_id"]
    assert args["queue"] == "support" and args["answered"] is False and args["endpoint_id"] > 0
    ok(cc, "call.answer", call_id=cid, answered_by="queue:support")
    until(sub, "call.answered", cid)
    slow = cc.ua["1003"]
    before = slow.text().count("Incoming call")
    ok(cc, "call.connect", call_id=cid, targets=["ext:1003", "ext:1002"], timeout_s=10,
       caller_name="Jane Q")
    result = until(sub, "call.connect_result", cid)
    assert (result["result"], result["target"]) == ("answered", "ext:1002"), result
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and slow.text().count("Incoming call") <= before:
        time.sleep(0.1)
    assert slow.text().count("Incoming call") > before, "1003 never rang"
    assert "Incoming call from: Jane Q" in slow.text(), slow.text()[-1500:]  # screen pop
    time.sleep(1)
    # re reports the CANCEL it got as the session closing before it was answered
    assert "session closed" in slow.text().split("Incoming call")[-1], slow.text()[-1500:]
    ok(cc, "call.hangup", call_id=cid, reason="test done")
    ended = until(sub, "call.ended", cid)
    assert (ended["disposition"], ended["hangup_side"], ended["reason"]) == \
        ("answered", "system", "test done"), ended
    sub.close()


def test_connect_unregistered_target_unavailable(cc):
    sub = subscribe(cc)
    created, _ = handed_over(cc, sub, "700", "ivr.start")
    cid = created["call_id"]
    ok(cc, "call.answer", call_id=cid)
    ok(cc, "call.connect", call_id=cid, targets=["ext:1099"])
    result = until(sub, "call.connect_result", cid)
    assert (result["result"], result["sip_code"]) == ("unavailable", 480), result
    ok(cc, "call.connect", call_id=cid, targets=["number:5555"])
    result = until(sub, "call.connect_result", cid)
    assert (result["result"], result["sip_code"]) == ("not_found", 404), result
    ended, _ = wait_event(sub, "call.ended", cid, timeout=0.5)
    assert ended is None, "the caller stays with the controller: %s" % ended
    ok(cc, "call.hangup", call_id=cid)
    until(sub, "call.ended", cid)
    sub.close()


def test_caller_hangs_up_while_targets_ring(cc):
    sub = subscribe(cc)
    created, _ = handed_over(cc, sub, "701", "queue.enter")
    cid = created["call_id"]
    ok(cc, "call.answer", call_id=cid)
    until(sub, "call.answered", cid)
    callee = cc.ua["1004"]
    before = callee.text().count("Incoming call")
    ok(cc, "call.connect", call_id=cid, targets=["ext:1004"])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and callee.text().count("Incoming call") <= before:
        time.sleep(0.1)
    assert callee.text().count("Incoming call") > before
    cc.ua["1001"].command("hangup")
    result = until(sub, "call.connect_result", cid)
    assert (result["result"], result["sip_code"]) == ("cancelled", 487), result
    ended = until(sub, "call.ended", cid)
    assert (ended["disposition"], ended["hangup_side"]) == ("answered", "caller"), ended
    sub.close()


def test_on_callee_hangup_return(cc):
    sub = subscribe(cc)
    created, _ = handed_over(cc, sub, "700", "ivr.start")
    cid = created["call_id"]
    ok(cc, "call.answer", call_id=cid)
    callee = cc.ua["1003"]
    before = callee.text().count("Incoming call")
    r = ok(cc, "call.connect", call_id=cid, targets=["ext:1003"], on_callee_hangup="return")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and callee.text().count("Incoming call") <= before:
        time.sleep(0.1)
    callee.command("accept")
    result = until(sub, "call.connect_result", cid)
    assert result["result"] == "answered", result
    time.sleep(1.5)
    callee.command("hangup")
    back = until(sub, "call.connect_ended", cid)
    assert (back["connect_id"], back["target"], back["reason"]) == \
        (r["connect_id"], "ext:1003", "callee_hangup"), back
    ended, _ = wait_event(sub, "call.ended", cid, timeout=1)
    assert ended is None, "the caller should still be up: %s" % ended
    # the controller has the call again: it can connect someone else
    ok(cc, "call.connect", call_id=cid, targets=["ext:1002"])
    result = until(sub, "call.connect_result", cid)
    assert result["result"] == "answered", result
    cc.ua["1001"].command("hangup")
    ended = until(sub, "call.ended", cid)
    assert ended["hangup_side"] == "caller", ended
    sub.close()


def test_originate_then_connect_tones(cc):
    sub = subscribe(cc)
    r = ok(cc, "call.originate", target="ext:1002", caller="600", caller_name="Callback",
           controller="acdd", timeout_s=10)
    cid = r["call_id"]
    result = until(sub, "call.connect_result", cid)
    assert (result["connect_id"], result["result"], result["target"]) == \
        (r["connect_id"], "answered", "ext:1002"), result
    assert result["endpoint_id"] > 0
    r2 = ok(cc, "call.connect", call_id=cid, targets=["ext:1005"])
    result = until(sub, "call.connect_result", cid)
    assert (result["connect_id"], result["result"]) == (r2["connect_id"], "answered"), result
    time.sleep(4)
    ok(cc, "call.hangup", call_id=cid, reason="callback done")
    ended = until(sub, "call.ended", cid)
    assert ended["disposition"] == "answered", ended
    time.sleep(1)
    heard(cc.ua["1002"], 440)
    heard(cc.ua["1005"], 880)
    sub.close()


def test_originate_unregistered_ends_call(cc):
    sub = subscribe(cc)
    r = ok(cc, "call.originate", target="ext:1099", caller="600", controller="acdd")
    result = until(sub, "call.connect_result", r["call_id"])
    assert (result["result"], result["sip_code"]) == ("unavailable", 480), result
    ended = until(sub, "call.ended", r["call_id"])
    assert ended["disposition"] == "unavailable", ended
    sub.close()


@pytest.mark.parametrize("policy", ["error", "silent"])
def test_handover_failure_ends_call_503(cc, policy):
    sub = subscribe(cc)
    cc.ctl.policy = policy
    try:
        cc.ua["1001"].dial("700")
        created = until(sub, "call.created", None)
        ended = until(sub, "call.ended", created["call_id"], timeout=CONTROLLER_TIMEOUT_MS / 1000 + 5)
    finally:
        cc.ctl.policy = "ok"
    assert (ended["disposition"], ended["sip_code"]) == ("failed", 503), ended
    assert "ivrd" in ended["reason"], ended
    assert ("timeout" in ended["reason"]) == (policy == "silent"), ended
    sub.close()


def test_error_replies(cc):
    r = cmd(cc, "call.answer", call_id="nope")
    assert not r["ok"] and r["error"]["code"] == "unknown_call", r
    r = cmd(cc, "call.hangup", call_id="nope")
    assert not r["ok"] and r["error"]["code"] == "unknown_call", r
    r = cmd(cc, "call.originate", target="sip:evil", caller="1", controller="acdd")
    assert not r["ok"] and r["error"]["code"] == "bad_args", r
    r = cmd(cc, "call.originate", target="ext:1002", caller="1", controller="acdd",
            headers={"Via": "x"})
    assert not r["ok"] and r["error"]["code"] == "bad_args", r
    sub = subscribe(cc)
    created, _ = handed_over(cc, sub, "700", "ivr.start")
    cid = created["call_id"]
    r = cmd(cc, "call.connect", call_id=cid, targets=["ext:1002"], on_callee_hangup="maybe")
    assert not r["ok"] and r["error"]["code"] == "bad_args", r
    r = cmd(cc, "call.connect", call_id=cid, targets=[])
    assert not r["ok"] and r["error"]["code"] == "bad_args", r
    ok(cc, "call.connect", call_id=cid, targets=["ext:1004"])
    r = cmd(cc, "call.connect", call_id=cid, targets=["ext:1002"])
    assert not r["ok"] and r["error"]["code"] == "bad_state", r
    r = cmd(cc, "call.connect_cancel", call_id=cid, connect_id=999999)
    assert not r["ok"] and r["error"]["code"] == "unknown_connect", r
    ok(cc, "call.hangup", call_id=cid, sip_code=486)
    ended = until(sub, "call.ended", cid)
    assert (ended["disposition"], ended["sip_code"]) == ("busy", 486), ended
    sub.close()


@pytest.mark.parametrize("dialled,code,digits,policy", [("*45", "45", "", "ok"),
                                                        ("*471", "47", "1", "error")])
def test_feature_code(cc, dialled, code, digits, policy):
    sub = subscribe(cc)
    since = len(cc.ctl.received)
    cc.ctl.policy = policy
    cc.ctl.result = {"ext": "1001", "state": "ready", "previous": "logged_out",
                     "prompt": "goodbye"}
    try:
        cc.ua["1001"].dial(dialled)
        created = until(sub, "call.created", None)
        cid = created["call_id"]
        assert (created["route_kind"], created["route_target"]) == ("feature", "*" + code), created
        m = cc.ctl.wait("agent.feature", since)
        assert m and m["args"] == {"ext": "1001", "code": code, "digits": digits}, m
        answered = until(sub, "call.answered", cid)
        assert answered["answered_by"] == "feature:*" + code, answered
        ended = until(sub, "call.ended", cid, timeout=15)
    finally:
        cc.ctl.policy = "ok"
        cc.ctl.result = {}
    done = "done" if policy == "ok" else "failed"
    assert (ended["disposition"], ended["hangup_side"], ended["reason"]) == \
        ("answered", "system", "feature code *%s %s" % (code, done)), ended
    prompt = "goodbye" if policy == "ok" else "invalid"
    assert "call=%s prompt=%s" % (cid, prompt) in cc.log("sipproxy")
    time.sleep(1)
    w = tone_windows(newest(cc.ua["1001"]), 440)
    assert w.count("M") >= 10, "1001 heard no prompt: %s" % w
    sub.close()


# ---- transfer (REFER from baresip's `transfer`: blind) ------------------------------------


def _direct_call(cc, sub, caller, callee):
    cc.ua[caller].dial(callee)
    created = until(sub, "call.created", None)
    cid = created["call_id"]
    until(sub, "call.answered", cid)
    assert cc.ua[caller].wait_log("Call established", 5)
    return cid


def _ring_and_accept(ua, before):
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and ua.text().count("Incoming call") <= before:
        time.sleep(0.1)
    assert ua.text().count("Incoming call") > before, "%s never rang:\n%s" % (ua.ext, ua.text()[-1500:])
    time.sleep(0.3)
    ua.command("accept")


def test_blind_transfer_by_callee(cc):
    """1005 (440 Hz) calls 1002 (880 Hz); 1002 transfers 1005 to 1003 (880 Hz, answers by
    hand): 1002 gets BYE, 1005 and 1003 hear each other."""
    sub = subscribe(cc)
    cid = _direct_call(cc, sub, "1005", "1002")
    time.sleep(1)
    target = cc.ua["1003"]
    before = target.text().count("Incoming call")
    byes = cc.ua["1002"].text().count("session closed")
    cc.ua["1002"].command("transfer", "sip:1003@127.0.0.1:%d" % cc.sip_port)
    cc.wait_log("sipproxy", "event=call.transfer [^\\n]*call=%s number=1003" % cid, timeout=5)
    _ring_and_accept(target, before)
    time.sleep(3)
    assert cc.ua["1002"].text().count("session closed") > byes or \
        "terminated" in cc.ua["1002"].text(), cc.ua["1002"].text()[-1500:]
    ended, _ = wait_event(sub, "call.ended", cid, timeout=0.2)
    assert ended is None, ended
    cc.ua["1005"].command("hangup")
    ended = until(sub, "call.ended", cid)
    assert ended["disposition"] == "answered", ended
    time.sleep(1)
    heard(target, 440)
    w = tone_windows(newest(cc.ua["1005"]), 880)
    assert w.rstrip(".")[-30:].count("T") >= 20, "1005 did not hear 1003 at the end: %s" % w
    sub.close()


def test_blind_transfer_by_caller(cc):
    """1001 (440) calls 1002 (880); 1001 transfers 1002 to 1004 (440, by hand)."""
    sub = subscribe(cc)
    cid = _direct_call(cc, sub, "1001", "1002")
    time.sleep(1)
    target = cc.ua["1004"]
    before = target.text().count("Incoming call")
    cc.ua["1001"].command("transfer", "sip:1004@127.0.0.1:%d" % cc.sip_port)
    _ring_and_accept(target, before)
    time.sleep(3)
    target.command("hangup")
    ended = until(sub, "call.ended", cid)
    assert ended["disposition"] == "answered", ended
    time.sleep(1)
    heard(target, 880)
    sub.close()


def test_blind_transfer_to_queue(cc):
    sub = subscribe(cc)
    cid = _direct_call(cc, sub, "1001", "1002")
    answered_ep = None
    since = len(cc.ctl.received)
    time.sleep(1)
    cc.ua["1002"].command("transfer", "sip:701@127.0.0.1:%d" % cc.sip_port)
    m = cc.ctl.wait("queue.enter", since)
    assert m, cc.log_tail("sipproxy")
    assert (m["args"]["call_id"], m["args"]["queue"], m["args"]["answered"]) == \
        (cid, "support", True), m
    assert m["args"]["endpoint_id"] > 0
    ended, _ = wait_event(sub, "call.ended", cid, timeout=1)
    assert ended is None, ended
    ok(cc, "call.hangup", call_id=cid, reason="queue done")
    ended = until(sub, "call.ended", cid)
    assert ended["reason"] == "queue done", (ended, answered_ep)
    sub.close()


def test_attended_transfer_with_replaces(cc):
    """The transferor T (1006, two sipp instances) has call 1 with the customer 1001 (440 Hz)
    and call 2 with the target 1002 (880 Hz, Call-ID fixed); T sends REFER in call 1 with
    Refer-To 1002?Replaces=<call 2>: sipproxy bridges 1001 with 1002 and ends both of T's
    legs (BYE to each sipp)."""
    import subprocess
    sipp_dir = sm.REPO / "tests" / "sipp"
    cc.ccctl("user", "add", "1006", "--password", "secret1006", check=True)
    cc.ccctl("route", "add", "1006", "ext:1006", check=True)
    time.sleep(1)  # sipproxy reloads users and routes on NOTIFY
    port1, port2 = sm.free_port(), sm.free_port()
    callid2 = "xferdlg2-%d" % port2
    common = ["-i", "127.0.0.1", "-m", "1", "-timeout", "40s", "-timeout_error", "-nostdin",
              "-trace_err", "-error_file", str(cc.var_dir / "sipp-xfer.err")]
    r = subprocess.run(["sipp", "127.0.0.1:%d" % cc.sip_port, "-sf", str(sipp_dir / "register_ok.xml"),
                        "-s", "1006", "-ap", "secret1006", "-key", "expires", "600",
                        "-p", str(port1)] + common, capture_output=True, text=True, timeout=30,
                       cwd=str(cc.var_dir))
    assert r.returncode == 0, r.stdout[-1500:] + r.stderr[-1500:]
    sub = subscribe(cc)
    t1 = subprocess.Popen(["sipp", "127.0.0.1:%d" % cc.sip_port, "-sf", str(sipp_dir / "xfer_t1.xml"),
                           "-s", "1002", "-key", "replaces", callid2, "-d", "5000",
                           "-p", str(port1)] + common, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, cwd=str(cc.var_dir))
    cc.all_pids.append(t1.pid)
    t2 = None
    try:
        time.sleep(0.5)
        cc.ua["1001"].dial("1006")
        c1 = until(sub, "call.created", None)["call_id"]
        until(sub, "call.answered", c1)
        t2 = subprocess.Popen(["sipp", "127.0.0.1:%d" % cc.sip_port, "-sf",
                               str(sipp_dir / "xfer_t2.xml"), "-s", "1002", "-au", "1006",
                               "-ap", "secret1006", "-key", "caller", "1006", "-cid_str", callid2,
                               "-p", str(port2)] + common, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=str(cc.var_dir))
        cc.all_pids.append(t2.pid)
        created2 = until(sub, "call.created", None)
        c2 = created2["call_id"]
        assert c2 != c1
        until(sub, "call.answered", c2)
        ended2 = until(sub, "call.ended", c2, timeout=15)
        assert ended2["reason"] == "attended transfer into call %s" % c1, ended2
        out1, err1 = t1.communicate(timeout=20)
        out2, err2 = t2.communicate(timeout=20)
        assert t1.returncode == 0, "call 1 side: %s\n%s" % (err1[-1500:], cc.log_tail("sipproxy"))
        assert t2.returncode == 0, "call 2 side: %s\n%s" % (err2[-1500:], cc.log_tail("sipproxy"))
        time.sleep(3)
        ended1, _ = wait_event(sub, "call.ended", c1, timeout=0.2)
        assert ended1 is None, ended1
        cc.ua["1001"].command("hangup")
        ended1 = until(sub, "call.ended", c1)
        assert ended1["disposition"] == "answered", ended1
    finally:
        for p in (t1, t2):
            if p and p.poll() is None:
                p.kill()
                p.wait(5)
    time.sleep(1)
    w = tone_windows(newest(cc.ua["1002"]), 440)
    assert w.rstrip(".")[-30:].count("T") >= 20, "1002 did not hear 1001 at the end: %s" % w
    w = tone_windows(newest(cc.ua["1001"]), 880)
    assert w.rstrip(".")[-30:].count("T") >= 20, "1001 did not hear 1002 at the end: %s" % w
    sub.close()
