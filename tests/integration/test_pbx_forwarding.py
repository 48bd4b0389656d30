"""Per-extension routing in sipproxy (sp_divert.c, sp_forward.c): do-not-disturb and call
forwarding (always, busy, no answer after the extension's ring time, unavailable) to
another extension, a number through the dialplan and a trunk (a sipp UAS), or a mailbox
(handed to ivrd with the reason). Real baresip phones each send their own tone; a
diverted call is checked with two-way audio at both ends, call.diverted on the bus, and
the caller's SIP outcome. Also `ccctl user dnd|forward|ringtime|list` and the phone's
feature codes *78/*79 and *72<number>/*73."""

import json
import subprocess
import time

import pytest

import suite as sm
from helpers.audio import make_tone
from helpers.bus import wait_event, wait_until
from helpers.phones import Baresip, assert_hears, tone_phones
from helpers.trunks import SIPP_DIR

CALLER, TARGET, SLOW, NOBODY, OTHER, SOFT = "1001", "1002", "1003", "1004", "1005", "1006"
HZ = {CALLER: 500, TARGET: 700, SLOW: 900, OTHER: 1100, SOFT: 1300}


@pytest.fixture(scope="module")
def pbx(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_pbx_forwarding", daemons=["sipproxy", "mediad", "ivrd"],
                 config={"sipproxy.ring_timeout": "30"})
    uas = []
    uas_proc = None
    try:
        for ext in (CALLER, TARGET, SLOW, NOBODY, OTHER, SOFT):
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
        s.uas_port = sm.free_port()
        s.ccctl("trunk", "add", "far", "--host", "127.0.0.1:%d" % s.uas_port, check=True)
        s.ccctl("route", "add", "9.", "trunk:far", check=True)
        s.start()
        uas_proc = subprocess.Popen(
            ["sipp", "-sf", str(SIPP_DIR / "load_uas.xml"), "-i", "127.0.0.1", "-p",
             str(s.uas_port), "-nostdin", "-timeout", "600"],
            cwd=s.var_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        tone_phones(s, {CALLER: HZ[CALLER], TARGET: HZ[TARGET], OTHER: HZ[OTHER]}, uas)
        for ext in (SLOW, SOFT):  # phones nobody answers
            tone = s.var_dir / ("tone%d.wav" % HZ[ext])
            make_tone(tone, HZ[ext], 60)
            s.ua[ext] = Baresip(s, ext, "secret" + ext, tone, answer="manual")
            uas.append(s.ua[ext])
            assert s.ua[ext].wait_log("200 OK", 10), s.ua[ext].text()
        yield s
    finally:
        for ua in uas:
            ua.stop()
        if uas_proc and uas_proc.poll() is None:
            uas_proc.kill()
            uas_proc.wait(5)
        s.close()


@pytest.fixture(autouse=True)
def clean(pbx):
    yield
    for ua in pbx.ua.values():
        ua.command("hangup")
    pbx.psql("DELETE FROM pbx_user_settings")
    time.sleep(1.0)


def setting(s, *args):
    r = s.ccctl("user", *args)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    time.sleep(0.5)  # the NOTIFY reload


def dial(s, ext, number):
    sub = s.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    s.ua[ext].dial(number)
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    return sub, created["call_id"]


def events_until(sub, call_id, etype, timeout=20):
    """Events of call_id up to the first `etype`: [(type, body)]."""
    deadline = time.monotonic() + timeout
    out = []
    while time.monotonic() < deadline:
        ev = sub.recv(max(0.05, deadline - time.monotonic()))
        if ev is None:
            break
        topic, obj, _ = ev
        if obj.get("call_id") != call_id:
            continue
        out.append((topic, obj))
        if topic == etype:
            break
    return out


def hang_up(s, ext, sub, cid):
    s.ua[ext].command("hangup")
    evs = events_until(sub, cid, "call.ended", 20)
    sub.close()
    assert evs and evs[-1][0] == "call.ended", (evs, s.log_tail("sipproxy"))
    return evs[-1][1]


def assert_two_way(s, a, b):
    """a and b hear each other's tone, and nobody else's."""
    others = [f for e, f in HZ.items() if e not in (a, b)]
    assert_hears(s.ua[a], [HZ[b]], others + [HZ[a]], "caller")
    assert_hears(s.ua[b], [HZ[a]], others + [HZ[b]], "forward target")


def diverted(evs):
    return [(o["from"], o["to"], o["reason"]) for t, o in evs if t == "call.diverted"]


# ---- ccctl ---------------------------------------------------------------------------------


def test_ccctl_settings_and_list(pbx):
    setting(pbx, "dnd", TARGET, "on")
    setting(pbx, "forward", TARGET, "busy", "vm:" + TARGET)
    setting(pbx, "forward", TARGET, "noanswer", "number:95551234")
    setting(pbx, "ringtime", TARGET, "12")
    r = pbx.ccctl("user", "list", "--json")
    users = {u["ext"]: u for u in json.loads(r.stdout)}
    assert users[TARGET]["dnd"] is True and users[CALLER]["dnd"] is False
    assert users[TARGET]["forward"] == "busy=vm:%s noanswer=number:95551234" % TARGET
    assert users[TARGET]["ring_time_s"] == 12 and users[CALLER]["ring_time_s"] == 20
    r = pbx.ccctl("user", "list")
    line = [ln for ln in r.stdout.splitlines() if ln.startswith(TARGET)][0]
    assert " on " in line and "busy=vm:%s" % TARGET in line, r.stdout
    setting(pbx, "forward", TARGET, "busy", "off")
    assert pbx.psql("SELECT fwd_busy, dnd FROM pbx_user_settings WHERE ext = %s",
                    (TARGET,)) == [(None, True)]
    # bad usage: exit 2, nothing changed; unknown extension: exit 1
    for args in (["dnd", TARGET, "maybe"], ["forward", TARGET, "sometimes", "ext:1001"],
                 ["forward", TARGET, "always", "queue:support"],
                 ["forward", TARGET, "always", "ext:" + TARGET], ["ringtime", TARGET, "2"],
                 ["ringtime", TARGET, "ten"], ["dnd", "x1", "on"]):
        r = pbx.ccctl("user", *args)
        assert r.returncode == 2, (args, r.stderr)
    r = pbx.ccctl("user", "dnd", "1999", "on")
    assert r.returncode == 1 and "no extension 1999" in r.stderr, r.stderr
    assert pbx.psql("SELECT ext, dnd, fwd_always, ring_time_s FROM pbx_user_settings") == [
        (TARGET, True, None, 12)]


# ---- forwarding ------------------------------------------------------------------------------


def test_forward_always_to_extension(pbx):
    setting(pbx, "forward", SLOW, "always", "ext:" + TARGET)
    sub, cid = dial(pbx, CALLER, SLOW)
    evs = events_until(sub, cid, "call.answered")
    assert evs[-1][0] == "call.answered", evs
    assert diverted(evs) == [("ext:" + SLOW, "ext:" + TARGET, "always")]
    time.sleep(1.0)
    assert_two_way(pbx, CALLER, TARGET)
    ended = hang_up(pbx, CALLER, sub, cid)
    assert ended["disposition"] == "answered", ended
    assert "Incoming call" not in pbx.ua[SLOW].text(), "the forwarded phone rang"


def test_forward_unavailable_when_not_registered(pbx):
    setting(pbx, "forward", NOBODY, "unavailable", "ext:" + OTHER)
    sub, cid = dial(pbx, CALLER, NOBODY)
    evs = events_until(sub, cid, "call.answered")
    assert evs[-1][0] == "call.answered", evs
    assert diverted(evs) == [("ext:" + NOBODY, "ext:" + OTHER, "unavailable")]
    time.sleep(1.0)
    assert_two_way(pbx, CALLER, OTHER)
    hang_up(pbx, CALLER, sub, cid)


def test_forward_noanswer_after_ring_time(pbx):
    setting(pbx, "ringtime", SLOW, "5")
    setting(pbx, "forward", SLOW, "noanswer", "ext:" + TARGET)
    sub, cid = dial(pbx, CALLER, SLOW)
    t0 = time.monotonic()
    evs = events_until(sub, cid, "call.diverted", timeout=20)
    waited = time.monotonic() - t0
    assert diverted(evs) == [("ext:" + SLOW, "ext:" + TARGET, "noanswer")], evs
    assert 4.0 < waited < 9.0, "diverted after %.1f s, ring time 5 s" % waited
    evs = events_until(sub, cid, "call.answered")
    assert evs and evs[-1][0] == "call.answered", evs
    time.sleep(1.0)
    assert_two_way(pbx, CALLER, TARGET)
    hang_up(pbx, CALLER, sub, cid)
    assert pbx.ua[SLOW].wait_log("Incoming call", 1), "the no-answer phone never rang"


def test_forward_busy_to_number_through_trunk(pbx):
    setting(pbx, "forward", SLOW, "busy", "number:95551234")
    sub, cid = dial(pbx, CALLER, SLOW)
    evs = events_until(sub, cid, "call.ringing")
    assert evs[-1][0] == "call.ringing", evs
    time.sleep(0.5)
    pbx.ua[SLOW].command("hangup")  # rejects the ringing call: 486
    evs = events_until(sub, cid, "call.answered")
    assert evs[-1][0] == "call.answered", (evs, pbx.log_tail("sipproxy"))
    assert diverted(evs) == [("ext:" + SLOW, "number:95551234", "busy")]
    answered = evs[-1][1]
    assert answered["answered_by"] == "far", answered  # the trunk (sipp UAS) answered
    assert ":%d" % pbx.uas_port in answered.get("contact", ""), answered
    time.sleep(1.5)  # hanging up before the caller took the 200 would be a CANCEL
    ended = hang_up(pbx, CALLER, sub, cid)
    assert ended["disposition"] == "answered", ended


def test_loop_is_not_followed(pbx):
    setting(pbx, "forward", TARGET, "always", "ext:" + OTHER)
    setting(pbx, "forward", OTHER, "always", "ext:" + TARGET)
    sub, cid = dial(pbx, CALLER, TARGET)
    evs = events_until(sub, cid, "call.answered")
    assert evs[-1][0] == "call.answered", evs
    # 1002 -> 1005; 1005 -> 1002 would loop: 1005 rings and answers
    assert diverted(evs) == [("ext:" + TARGET, "ext:" + OTHER, "always")]
    time.sleep(1.0)
    assert_two_way(pbx, CALLER, OTHER)
    hang_up(pbx, CALLER, sub, cid)


# ---- do-not-disturb --------------------------------------------------------------------------


def test_dnd_caller_gets_busy(pbx):
    setting(pbx, "dnd", TARGET, "on")
    sub, cid = dial(pbx, CALLER, TARGET)
    evs = events_until(sub, cid, "call.ended")
    ended = evs[-1][1]
    sub.close()
    assert evs[-1][0] == "call.ended" and ended["disposition"] == "busy", evs
    assert ended["sip_code"] == 486, ended
    assert not diverted(evs)
    assert "Incoming call" not in pbx.ua[TARGET].text()[-3000:]


def test_dnd_with_busy_target_goes_there(pbx):
    setting(pbx, "dnd", TARGET, "on")
    setting(pbx, "forward", TARGET, "busy", "ext:" + OTHER)
    sub, cid = dial(pbx, CALLER, TARGET)
    evs = events_until(sub, cid, "call.answered")
    assert evs[-1][0] == "call.answered", evs
    assert diverted(evs) == [("ext:" + TARGET, "ext:" + OTHER, "dnd")]
    time.sleep(1.0)
    assert_two_way(pbx, CALLER, OTHER)
    hang_up(pbx, CALLER, sub, cid)


def vm_handover(s, cid):
    """sipproxy's hand-over of cid to ivrd (vm.deposit): taken, or refused by an ivrd
    without voicemail; either way sipproxy sent it. The log line that says so."""
    def found():
        return [ln for ln in s.log("sipproxy").splitlines() if "call=%s" % cid in ln and
                ("event=call.handed_over" in ln or "event=call.handover_failed" in ln)]
    wait_until(lambda: found(), timeout=10, what="hand-over to ivrd")
    return found()[0]


def test_dnd_to_voicemail_hands_over_with_reason(pbx):
    """vm: targets go to ivrd with vm.deposit and the reason; whether ivrd takes the call
    is voicemail's business, so only the hand-over is checked here."""
    setting(pbx, "dnd", TARGET, "on")
    setting(pbx, "forward", TARGET, "busy", "vm:" + TARGET)
    sub, cid = dial(pbx, CALLER, TARGET)
    evs = events_until(sub, cid, "call.ended", timeout=20)
    sub.close()
    assert diverted(evs) == [("ext:" + TARGET, "vm:" + TARGET, "dnd")], evs
    assert "controller=ivrd" in vm_handover(pbx, cid)


def test_noanswer_to_voicemail_after_ringing(pbx):
    """The extension rang (the caller's and callee's endpoints exist), then the call becomes
    ivrd's: the callee's endpoint goes and vm.deposit is sent with reason noanswer."""
    setting(pbx, "ringtime", SLOW, "5")
    setting(pbx, "forward", SLOW, "noanswer", "vm:" + SLOW)
    sub, cid = dial(pbx, CALLER, SLOW)
    evs = events_until(sub, cid, "call.diverted", timeout=20)
    assert diverted(evs) == [("ext:" + SLOW, "vm:" + SLOW, "noanswer")], evs
    line = vm_handover(pbx, cid)
    assert "controller=ivrd" in line, line
    if "handover_failed" in line:  # an ivrd without voicemail: the call ends, cleanly
        evs = events_until(sub, cid, "call.ended", timeout=10)
        assert evs and evs[-1][0] == "call.ended", evs
    sub.close()


def test_feature_codes(pbx):
    def code(number):
        sub, cid = dial(pbx, TARGET, number)
        evs = events_until(sub, cid, "call.ended", timeout=30)
        sub.close()
        assert evs and evs[-1][0] == "call.ended", (number, evs, pbx.log_tail("sipproxy"))
        return evs[-1][1]

    def row():
        got = pbx.psql("SELECT dnd, fwd_always FROM pbx_user_settings WHERE ext = %s", (TARGET,))
        return got[0] if got else None

    code("*78")
    wait_until(lambda: row() == (True, None), timeout=5, what="DND on")
    code("*79")
    wait_until(lambda: row() == (False, None), timeout=5, what="DND off")
    code("*72" + OTHER)
    wait_until(lambda: row() == (False, "ext:" + OTHER), timeout=5, what="forward on")
    time.sleep(0.5)
    sub, cid = dial(pbx, CALLER, TARGET)
    evs = events_until(sub, cid, "call.answered")
    assert diverted(evs) == [("ext:" + TARGET, "ext:" + OTHER, "always")], evs
    time.sleep(1.0)  # hanging up before the caller took the 200 would be a CANCEL, not sent
    hang_up(pbx, CALLER, sub, cid)
    time.sleep(0.5)
    code("*73")
    wait_until(lambda: row() == (False, None), timeout=5, what="forward off")


# ---- follow-me -------------------------------------------------------------------------------


def diverted_at(sub, cid, n, timeout=40):
    """The first n call.diverted of cid with the monotonic time each arrived, then the rest
    of the events up to call.answered or call.ended."""
    deadline = time.monotonic() + timeout
    got, rest = [], []
    while time.monotonic() < deadline:
        ev = sub.recv(max(0.05, deadline - time.monotonic()))
        if ev is None:
            break
        topic, obj, _ = ev
        if obj.get("call_id") != cid:
            continue
        if topic == "call.diverted":
            got.append((time.monotonic(), (obj["from"], obj["to"], obj["reason"])))
        else:
            rest.append((topic, obj))
        if topic in ("call.answered", "call.ended"):
            break
    return got, rest


def test_followme_desk_softphone_trunk(pbx):
    setting(pbx, "followme", SLOW, "set", "ext:%s/5,ext:%s/6,number:95550000/10" % (SLOW, SOFT))
    sub, cid = dial(pbx, CALLER, SLOW)
    got, rest = diverted_at(sub, cid, 3)
    steps = [d for _, d in got]
    assert steps == [("ext:" + SLOW, "ext:" + SLOW, "followme"),
                     ("ext:" + SLOW, "ext:" + SOFT, "followme"),
                     ("ext:" + SOFT, "number:95550000", "followme")], (steps, rest)
    t = [at for at, _ in got]
    assert 4.0 < t[1] - t[0] < 8.5, "desk rang %.1f s, not 5" % (t[1] - t[0])
    assert 5.0 < t[2] - t[1] < 9.5, "softphone rang %.1f s, not 6" % (t[2] - t[1])
    assert rest[-1][0] == "call.answered" and rest[-1][1]["answered_by"] == "far", rest
    assert pbx.ua[SOFT].wait_log("Incoming call", 1), "the softphone never rang"
    assert pbx.ua[CALLER].wait_log("Call established", 5)
    time.sleep(1.0)  # hanging up before the caller took the 200 would be a CANCEL
    ended = hang_up(pbx, CALLER, sub, cid)
    assert ended["disposition"] == "answered", ended


def test_followme_then_noanswer_target(pbx):
    setting(pbx, "followme", SLOW, "set", "ext:%s/5,ext:%s/5" % (SLOW, SOFT))
    setting(pbx, "forward", SLOW, "noanswer", "ext:" + TARGET)
    sub, cid = dial(pbx, CALLER, SLOW)
    got, rest = diverted_at(sub, cid, 3)
    assert [d for _, d in got] == [("ext:" + SLOW, "ext:" + SLOW, "followme"),
                                   ("ext:" + SLOW, "ext:" + SOFT, "followme"),
                                   ("ext:" + SOFT, "ext:" + TARGET, "noanswer")], (got, rest)
    assert rest[-1][0] == "call.answered", rest
    time.sleep(1.0)
    assert_two_way(pbx, CALLER, TARGET)
    hang_up(pbx, CALLER, sub, cid)


def test_followme_then_voicemail(pbx):
    """Desk, then softphone, each for its ring time, then the extension's own mailbox: the
    last step hands the call to ivrd with reason noanswer."""
    setting(pbx, "followme", SLOW, "set", "ext:%s/5,ext:%s/5" % (SLOW, SOFT))
    setting(pbx, "forward", SLOW, "noanswer", "vm:" + SLOW)
    sub, cid = dial(pbx, CALLER, SLOW)
    got, rest = diverted_at(sub, cid, 3)
    sub.close()
    assert [d for _, d in got] == [("ext:" + SLOW, "ext:" + SLOW, "followme"),
                                   ("ext:" + SLOW, "ext:" + SOFT, "followme"),
                                   ("ext:" + SOFT, "vm:" + SLOW, "noanswer")], (got, rest)
    t = [at for at, _ in got]
    assert 4.0 < t[2] - t[1] < 8.5, "softphone rang %.1f s, not 5" % (t[2] - t[1])
    assert "controller=ivrd" in vm_handover(pbx, cid)


def test_followme_ccctl_refuses_bad_steps(pbx):
    for spec in ("ext:1002", "ext:1002/2", "vm:1002/10", "ext:1002/10,", "queue:x/10"):
        r = pbx.ccctl("user", "followme", SLOW, "set", spec)
        assert r.returncode == 2, (spec, r.stderr)
    assert pbx.psql("SELECT count(*) FROM pbx_user_settings") == [(0,)]
    setting(pbx, "followme", SLOW, "set", "ext:%s/10" % SOFT)
    setting(pbx, "followme", SLOW, "off")
    assert pbx.psql("SELECT followme FROM pbx_user_settings WHERE ext = %s", (SLOW,)) == [(None,)]
