"""The call-control contract (common/events/callctl.def) against the real sipproxy and
mediad, with real baresip phones: the test drives calls with call.* commands over the bus
the way a controller does, on calls it places itself with call.originate (so no daemon is
imitated), and the hand-overs go to the real acdd -- or to an ivrd that is deliberately not
running, to see a hand-over time out.

Covered: call.originate, call.connect (tones both ways, caller name and X-CC-* headers on
the wire, ring-all first answer wins, unregistered target, no route, the first leg hanging
up while targets ring, on_callee_hangup=return), hand-over failure (refused by acdd, or
nobody there) answered 503, error replies, feature codes (*45 answered by acdd with a
prompt the phone hears, a refused one with the invalid prompt), blind transfer by either
party and to a queue (the real acdd takes the call), attended transfer with Replaces."""

import time

import pytest

import suite as sm
from helpers.audio import tone_share, tone_windows
from helpers.bus import wait_event
from helpers.phones import five_phones
from helpers.sipwire import SipWire, header

DAEMONS = ["sipproxy", "mediad", "acdd"]
CONTROLLER_TIMEOUT_MS = 1000
AGENT = "1004"   # an agent of queue support, for the feature codes


@pytest.fixture(scope="module")
def cc(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_callctl", daemons=DAEMONS,
                 config={"sipproxy.ring_timeout": "6",
                         "sipproxy.controller_timeout": str(CONTROLLER_TIMEOUT_MS)})
    uas = []
    try:
        for ext in ("1001", "1002", "1003", "1004", "1005", "1099"):
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
            s.ccctl("route", "add", ext, "ext:" + ext, check=True)
        s.ccctl("queue", "add", "support", "--number", "701", "--strategy", "longest-idle",
                "--no-announce", check=True)
        s.ccctl("agent", "add", AGENT, "--queue", "support", check=True)
        # routes to targets that do not exist (ccctl refuses to add them, so straight into
        # the table, as a route left behind by a deleted flow or queue would be)
        s.psql("INSERT INTO dialplan (pattern, target_kind, target) VALUES "
               "('700', 'ivr', 'main'), "     # no flow, and ivrd is not running
               "('702', 'queue', 'nosuch')")  # acdd refuses it
        s.start()
        five_phones(s, uas)
        yield s
    finally:
        for ua in uas:
            ua.stop()
        s.close()


def cmd(cc, name, **args):
    return cc.bus_call("sipproxy", name, args)


def ok(cc, name, **args):
    r = cmd(cc, name, **args)
    assert r.get("ok"), "%s %s -> %s\n%s" % (name, args, r, cc.log_tail("sipproxy"))
    return r.get("result") or {}


def originated(cc, sub, ext="1001", **extra):
    """A call the test places to `ext` (a phone that answers by itself) with call.originate,
    controlling it from then on as acdd or ivrd would; returns its call id."""
    r = ok(cc, "call.originate", target="ext:" + ext, caller="600", controller="tests",
           timeout_s=10, **extra)
    cid = r["call_id"]
    res = until(sub, "call.connect_result", cid)
    assert (res["connect_id"], res["result"]) == (r["connect_id"], "answered"), res
    assert cc.ua[ext].wait_log("Call established", 5)
    return cid


def rings(ua, before, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and ua.text().count("Incoming call") <= before:
        time.sleep(0.1)
    assert ua.text().count("Incoming call") > before, "%s never rang:\n%s" % (
        ua.ext, ua.text()[-1500:])


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


def test_connect_tones_caller_name_and_headers(cc):
    sub = subscribe(cc)
    cid = originated(cc, sub, "1001")
    with SipWire(cc.sip_port) as wire:
        r = ok(cc, "call.connect", call_id=cid, targets=["ext:1002"], caller_name="Jane Q",
               headers={"X-CC-Queue": "support"})
        result = until(sub, "call.connect_result", cid)
        invite = wire.wait(lambda m: m.startswith("INVITE ") and
                           header(m, "X-CC-Queue") is not None)
    assert result["connect_id"] == r["connect_id"]
    assert (result["result"], result["sip_code"], result["target"]) == ("answered", 200, "ext:1002")
    assert result["endpoint_id"] > 0
    # what 1002's phone received: the name to show and the header for a desktop
    assert "sip:1002@" in header(invite, "To"), invite
    assert header(invite, "From").startswith('"Jane Q"'), invite
    assert header(invite, "X-CC-Queue") == "support", invite
    time.sleep(4)
    cc.ua["1001"].command("hangup")
    ended = until(sub, "call.ended", cid)
    assert ended["disposition"] == "answered", ended
    time.sleep(1)
    heard(cc.ua["1002"], 440)
    heard(cc.ua["1001"], 880)
    sub.close()


def test_connect_ring_all_first_answer_wins(cc):
    sub = subscribe(cc)
    cid = originated(cc, sub, "1001")
    slow = cc.ua["1003"]
    before = slow.text().count("Incoming call")
    ok(cc, "call.connect", call_id=cid, targets=["ext:1003", "ext:1002"], timeout_s=10,
       caller_name="Jane Q")
    result = until(sub, "call.connect_result", cid)
    assert (result["result"], result["target"]) == ("answered", "ext:1002"), result
    rings(slow, before)
    assert "Incoming call from: Jane Q" in slow.text(), slow.text()[-1500:]
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
    cid = originated(cc, sub, "1001")
    ok(cc, "call.connect", call_id=cid, targets=["ext:1099"])
    result = until(sub, "call.connect_result", cid)
    assert (result["result"], result["sip_code"]) == ("unavailable", 480), result
    ok(cc, "call.connect", call_id=cid, targets=["number:5555"])
    result = until(sub, "call.connect_result", cid)
    assert (result["result"], result["sip_code"]) == ("not_found", 404), result
    ended, _ = wait_event(sub, "call.ended", cid, timeout=0.5)
    assert ended is None, "the first leg stays with the controller: %s" % ended
    ok(cc, "call.hangup", call_id=cid)
    until(sub, "call.ended", cid)
    sub.close()


def test_first_leg_hangs_up_while_targets_ring(cc):
    sub = subscribe(cc)
    cid = originated(cc, sub, "1001")
    callee = cc.ua["1004"]
    before = callee.text().count("Incoming call")
    ok(cc, "call.connect", call_id=cid, targets=["ext:1004"])
    rings(callee, before)
    cc.ua["1001"].command("hangup")
    result = until(sub, "call.connect_result", cid)
    assert (result["result"], result["sip_code"]) == ("cancelled", 487), result
    ended = until(sub, "call.ended", cid)
    assert (ended["disposition"], ended["hangup_side"]) == ("answered", "caller"), ended
    sub.close()


def test_on_callee_hangup_return(cc):
    sub = subscribe(cc)
    cid = originated(cc, sub, "1001")
    callee = cc.ua["1003"]
    before = callee.text().count("Incoming call")
    r = ok(cc, "call.connect", call_id=cid, targets=["ext:1003"], on_callee_hangup="return")
    rings(callee, before)
    callee.command("accept")
    result = until(sub, "call.connect_result", cid)
    assert result["result"] == "answered", result
    time.sleep(1.5)
    callee.command("hangup")
    back = until(sub, "call.connect_ended", cid)
    assert (back["connect_id"], back["target"], back["reason"]) == \
        (r["connect_id"], "ext:1003", "callee_hangup"), back
    ended, _ = wait_event(sub, "call.ended", cid, timeout=1)
    assert ended is None, "the first leg should still be up: %s" % ended
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


@pytest.mark.parametrize("number,controller,timed_out", [("702", "acdd", False),
                                                         ("700", "ivrd", True)])
def test_handover_failure_ends_call_503(cc, number, controller, timed_out):
    """702 goes to a queue the real acdd does not have (it refuses: failed); 700 to an IVR
    while ivrd is not running (nobody answers within controller_timeout: the call was cut by
    a daemon being down, so its record says interrupted, as for a crash)."""
    sub = subscribe(cc)
    cc.ua["1001"].dial(number)
    created = until(sub, "call.created", None)
    ended = until(sub, "call.ended", created["call_id"], timeout=CONTROLLER_TIMEOUT_MS / 1000 + 5)
    want = "interrupted" if timed_out else "failed"
    assert (ended["disposition"], ended["sip_code"]) == (want, 503), ended
    assert controller in ended["reason"], ended
    assert ("timeout" in ended["reason"]) == timed_out, ended
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
    cid = originated(cc, sub, "1001")
    r = cmd(cc, "call.connect", call_id=cid, targets=["ext:1002"], on_callee_hangup="maybe")
    assert not r["ok"] and r["error"]["code"] == "bad_args", r
    r = cmd(cc, "call.connect", call_id=cid, targets=[])
    assert not r["ok"] and r["error"]["code"] == "bad_args", r
    ok(cc, "call.connect", call_id=cid, targets=["ext:1004"])
    r = cmd(cc, "call.connect", call_id=cid, targets=["ext:1002"])
    assert not r["ok"] and r["error"]["code"] == "bad_state", r
    r = cmd(cc, "call.connect_cancel", call_id=cid, connect_id=999999)
    assert not r["ok"] and r["error"]["code"] == "unknown_connect", r
    # an answered call: sip_code (for refusing an unanswered one) has nothing to refuse
    ok(cc, "call.hangup", call_id=cid, sip_code=486)
    ended = until(sub, "call.ended", cid)
    assert (ended["disposition"], ended["hangup_side"]) == ("answered", "system"), ended
    sub.close()


@pytest.mark.parametrize("ext,dialled,code,done,prompt", [
    (AGENT, "*45", "45", "done", "thanks"),     # an agent logs in: acdd says thanks
    ("1005", "*471", "47", "failed", "invalid"),  # not an agent: acdd refuses
])
def test_feature_code(cc, ext, dialled, code, done, prompt):
    sub = subscribe(cc)
    acd = cc.subscribe(["acdd"], prefix="agent.state")
    time.sleep(0.3)
    cc.ua[ext].dial(dialled)
    created = until(sub, "call.created", None)
    cid = created["call_id"]
    assert (created["route_kind"], created["route_target"]) == ("feature", "*" + code), created
    answered = until(sub, "call.answered", cid)
    assert answered["answered_by"] == "feature:*" + code, answered
    ended = until(sub, "call.ended", cid, timeout=15)
    assert (ended["disposition"], ended["hangup_side"], ended["reason"]) == \
        ("answered", "system", "feature code *%s %s" % (code, done)), ended
    assert "call=%s prompt=%s" % (cid, prompt) in cc.log("sipproxy")
    states = [o for t, o, _ in acd.collect(1.0) if o.get("ext") == ext]
    acd.close()
    if done == "done":
        assert states and states[-1]["state"] == "ready", states
        cc.bus_call("acdd", "agent.logout", {"ext": ext})   # keep it out of later tests
    else:
        assert states == [], states
    time.sleep(1)
    w = tone_windows(newest(cc.ua[ext]), 440)
    assert w.count("M") >= 10, "%s heard no prompt: %s" % (ext, w)
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
    """1002 transfers its caller 1001 to 701: sipproxy hands the call to the real acdd,
    which queues it (nobody is ready) while 1002 is gone and 1001 stays."""
    sub = subscribe(cc)
    acd = cc.subscribe(["acdd"], prefix="queue.")
    cid = _direct_call(cc, sub, "1001", "1002")
    time.sleep(1)
    cc.ua["1002"].command("transfer", "sip:701@127.0.0.1:%d" % cc.sip_port)
    entered = None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not entered:
        ev = acd.recv(0.5)
        if ev and ev[0] == "queue.entered" and ev[1]["call_id"] == cid:
            entered = ev[1]
    acd.close()
    assert entered, "acdd did not take the call:\n%s\n%s" % (cc.log_tail("sipproxy"),
                                                           cc.log_tail("acdd"))
    assert (entered["queue"], entered["caller"]) == ("support", "1001"), entered
    ended, _ = wait_event(sub, "call.ended", cid, timeout=1)
    assert ended is None, ended
    ok(cc, "call.hangup", call_id=cid, reason="queue done")
    ended = until(sub, "call.ended", cid)
    assert ended["reason"] == "queue done", ended
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
