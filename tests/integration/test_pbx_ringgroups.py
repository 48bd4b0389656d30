"""Ring groups (`ccctl ringgroup`, dialplan target group:NAME): sipproxy rings the member
extensions all at once, in order, or in turn starting one further at each call (hunt),
each for the group's ring time, then the fallback target. Real baresip phones, each with
its own tone (two of them never answer); the one that answers is checked by two-way
audio, the steps by call.diverted (reason group) and their timing."""

import json
import time

import pytest

import suite as sm
from helpers.audio import make_tone
from helpers.bus import wait_event
from helpers.phones import Baresip, assert_hears, tone_phones

CALLER, ANSWERS, SLOW, OTHER, SOFT = "1001", "1002", "1003", "1005", "1006"
HZ = {CALLER: 500, ANSWERS: 700, SLOW: 900, OTHER: 1100, SOFT: 1300}


@pytest.fixture(scope="module")
def pbx(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_pbx_ringgroups", daemons=["sipproxy", "mediad"],
                 config={"sipproxy.ring_timeout": "30"})
    uas = []
    try:
        for ext in HZ:
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
        s.start()
        tone_phones(s, {CALLER: HZ[CALLER], ANSWERS: HZ[ANSWERS], OTHER: HZ[OTHER]}, uas)
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
        s.close()


def group(s, *args):
    r = s.ccctl("ringgroup", "add", *args)
    assert r.returncode == 0, (args, r.stderr)
    time.sleep(0.5)  # the NOTIFY reload


def call_group(s, number, timeout=40):
    """CALLER dials number; returns (sub, call id, [(t, (from, to, reason))], last event)."""
    sub = s.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    s.ua[CALLER].dial(number)
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    cid = created["call_id"]
    deadline = time.monotonic() + timeout
    steps, last = [], None
    while time.monotonic() < deadline:
        ev = sub.recv(max(0.05, deadline - time.monotonic()))
        if ev is None:
            break
        topic, obj, _ = ev
        if obj.get("call_id") != cid:
            continue
        if topic == "call.diverted":
            steps.append((time.monotonic(), (obj["from"], obj["to"], obj["reason"])))
        if topic in ("call.answered", "call.ended"):
            last = (topic, obj)
            break
    return sub, cid, steps, last


def finish(s, sub, cid, talker):
    """The call is answered by talker: both hear each other; then the caller hangs up."""
    time.sleep(1.0)
    others = [f for e, f in HZ.items() if e not in (CALLER, talker)]
    assert_hears(s.ua[CALLER], [HZ[talker]], others + [HZ[CALLER]], "caller")
    assert_hears(s.ua[talker], [HZ[CALLER]], others + [HZ[talker]], "group member")
    s.ua[CALLER].command("hangup")
    ended, _ = wait_event(sub, "call.ended", cid, timeout=10)
    sub.close()
    assert ended and ended["disposition"] == "answered", ended
    for ua in s.ua.values():
        ua.command("hangup")
    time.sleep(1.0)


def test_ccctl_ringgroup(pbx):
    group(pbx, "g-list", "3900", "--members", "%s,%s" % (ANSWERS, OTHER), "--mode", "hunt",
          "--ring", "12", "--fallback", "vm:" + ANSWERS)
    r = pbx.ccctl("ringgroup", "list", "--json")
    got = {g["name"]: g for g in json.loads(r.stdout)}["g-list"]
    assert got == {"name": "g-list", "numbers": "3900", "mode": "hunt",
                   "members": "%s,%s" % (ANSWERS, OTHER), "ring_s": 12,
                   "fallback": "vm:" + ANSWERS}, got
    assert pbx.psql("SELECT target_kind, target FROM dialplan WHERE pattern = '3900'") == [
        ("group", "g-list")]
    for args, code in ((["g2", "3901", "--members", "1001,x"], 2),
                       (["g2", "3901", "--members", "1001", "--mode", "random"], 2),
                       (["g2", "3901", "--members", "1001", "--ring", "1"], 2),
                       (["g2", "3901", "--members", "1001", "--fallback", "queue:q"], 2),
                       (["g2", "3901"], 2),
                       (["g2", "3901", "--members", "1001,1999"], 1),
                       (["g-list", "3902", "--members", "1001"], 1),
                       (["g2", "3900", "--members", "1001"], 1)):
        r = pbx.ccctl("ringgroup", "add", *args)
        assert r.returncode == code, (args, r.returncode, r.stderr)
    assert pbx.psql("SELECT count(*) FROM ring_groups") == [(1,)]
    r = pbx.ccctl("route", "add", "3903", "group:nope")
    assert r.returncode == 1 and "unknown ring group" in r.stderr, r.stderr
    r = pbx.ccctl("ringgroup", "del", "g-list")
    assert r.returncode == 0, r.stderr
    assert pbx.psql("SELECT count(*) FROM dialplan WHERE target_kind = 'group'") == [(0,)]


def test_ring_all(pbx):
    """Both members ring at once; the one that picks up gets the caller, the other stops."""
    group(pbx, "g-all", "3910", "--members", "%s,%s" % (SLOW, SOFT), "--ring", "20")
    mark = {e: pbx.ua[e].text().count("Incoming call") for e in (SLOW, SOFT)}
    sub = pbx.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    pbx.ua[CALLER].dial("3910")
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    cid = created["call_id"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(
            pbx.ua[e].text().count("Incoming call") > mark[e] for e in (SLOW, SOFT)):
        time.sleep(0.2)
    assert all(pbx.ua[e].text().count("Incoming call") > mark[e] for e in (SLOW, SOFT)), \
        "not every member rang"
    pbx.ua[SOFT].command("accept")
    answered, seen = wait_event(sub, "call.answered", cid, timeout=10)
    assert answered and answered["answered_by"] == SOFT, (answered, seen)
    finish(pbx, sub, cid, SOFT)


def test_ring_in_order(pbx):
    group(pbx, "g-order", "3920", "--members", "%s,%s,%s" % (SLOW, SOFT, ANSWERS), "--mode",
          "order", "--ring", "5")
    sub, cid, steps, last = call_group(pbx, "3920")
    assert [d[1] for _, d in steps] == ["ext:" + SLOW, "ext:" + SOFT, "ext:" + ANSWERS], steps
    t = [at for at, _ in steps]
    for a, b in zip(t, t[1:]):
        assert 4.0 < b - a < 8.5, "a member rang %.1f s, not 5" % (b - a)
    assert last and last[0] == "call.answered", last
    finish(pbx, sub, cid, ANSWERS)


def test_hunt_round_robin(pbx):
    group(pbx, "g-hunt", "3930", "--members", "%s,%s" % (ANSWERS, OTHER), "--mode", "hunt",
          "--ring", "10")
    first = []
    for talker in (ANSWERS, OTHER, ANSWERS):
        sub, cid, steps, last = call_group(pbx, "3930")
        assert last and last[0] == "call.answered", last
        first.append(steps[0][1][1])
        finish(pbx, sub, cid, talker)
    assert first == ["ext:" + ANSWERS, "ext:" + OTHER, "ext:" + ANSWERS], first


def test_fallback_after_nobody_answered(pbx):
    group(pbx, "g-fb", "3940", "--members", "%s,%s" % (SLOW, SOFT), "--ring", "5",
          "--fallback", "ext:" + OTHER)
    sub, cid, steps, last = call_group(pbx, "3940")
    assert [d for _, d in steps] == [("group:g-fb", "group:g-fb", "group"),
                                     ("group:g-fb", "ext:" + OTHER, "noanswer")], steps
    assert 4.0 < steps[1][0] - steps[0][0] < 8.5, steps
    assert last and last[0] == "call.answered", last
    finish(pbx, sub, cid, OTHER)
