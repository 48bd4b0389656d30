"""Call pickup and call park in sipproxy (sp_pickup.c/sp_callpickup.c, sp_park.c/
sp_callpark.c), with real baresip phones that each send their own tone: group pickup (*8)
by another member of the ringing phone's pickup group, directed pickup (**EXT), a phone
outside the group refused (404, the call keeps ringing); park by a blind transfer (REFER
from baresip) to the park number, the slot read out to the parker, retrieval by dialling
the slot from another phone, the ring-back to the parker after the park timeout (answered,
and not answered: the call ends). Every connected pair is checked with two-way tones, and
the bus events (call.picked_up, call.parked, call.unparked, call.answered) say who took
the call. Also `ccctl user pickup-group` and `ccctl park list`."""

import json
import time

import pytest

import suite as sm
from helpers.audio import goertzel, make_tone
from helpers.phones import Baresip, assert_hears, tone_phones

CALLER, RINGER, PICKER, OUTSIDER, OTHER, SLOW = "1001", "1002", "1003", "1004", "1005", "1006"
HZ = {CALLER: 500, RINGER: 700, PICKER: 900, OUTSIDER: 1100, OTHER: 1300, SLOW: 1500}
PARK_TIMEOUT = 6
RING_TIMEOUT = 8


@pytest.fixture(scope="module")
def pbx(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_pbx_pickup_park", daemons=["sipproxy", "mediad"],
                 config={"sipproxy.ring_timeout": str(RING_TIMEOUT),
                         "sipproxy.park_timeout": str(PARK_TIMEOUT)})
    uas = []
    try:
        for ext in HZ:
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
        for ext in (RINGER, PICKER, SLOW):
            s.ccctl("user", "pickup-group", ext, "sales", check=True)
        s.start()
        tone_phones(s, {e: HZ[e] for e in (CALLER, PICKER, OUTSIDER, OTHER)}, uas)
        for ext in (RINGER, SLOW):  # phones nobody answers unless the test says so
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


@pytest.fixture(autouse=True)
def clean(pbx):
    yield
    for ua in pbx.ua.values():
        ua.command("hangup")
    time.sleep(1.0)


class Events:
    """sipproxy's call.* events, kept from when this was made: next_of finds an event
    whichever order events of different calls arrived in."""

    def __init__(self, s):
        self.sub = s.subscribe(["sipproxy"], prefix="call.")
        self.kept = []
        time.sleep(0.3)

    def close(self):
        self.sub.close()

    def next_of(self, etype, call_id=None, timeout=15, **fields):
        """The first `etype` event not taken yet (of call_id, with these field values),
        or fail saying what came instead."""
        def match(topic, obj):
            return (topic == etype and (not call_id or obj.get("call_id") == call_id) and
                    all(obj.get(k) == v for k, v in fields.items()))
        deadline = time.monotonic() + timeout
        i = 0
        while True:
            while i < len(self.kept):
                if match(*self.kept[i]):
                    return self.kept.pop(i)[1]
                i += 1
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ev = self.sub.recv(max(0.05, left))
            if ev is not None:
                self.kept.append((ev[0], ev[1]))
        seen = [(t, o.get("call_id")) for t, o in self.kept[-20:]]
        raise AssertionError("no %s %s %s; saw %s" % (etype, call_id or "", fields, seen))


def events(s):
    return Events(s)


def next_of(sub, etype, call_id=None, timeout=15, **fields):
    return sub.next_of(etype, call_id, timeout, **fields)


def dial(s, sub, ext, number, callee=None):
    """ext dials number: the call id (of the call.created whose caller is ext)."""
    s.ua[ext].dial(number)
    return next_of(sub, "call.created", caller=ext, callee=callee or number)["call_id"]


def ringing(s, sub, ext, number):
    """ext calls number (a phone that answers by hand): the call id once it rings."""
    cid = dial(s, sub, ext, number)
    next_of(sub, "call.ringing", cid)
    return cid


def two_way(s, a, b):
    """a and b hear each other's tone, and nobody else's."""
    others = [f for e, f in HZ.items() if e not in (a, b)]
    assert_hears(s.ua[a], [HZ[b]], others + [HZ[a]], "party a")
    assert_hears(s.ua[b], [HZ[a]], others + [HZ[b]], "party b")


def hang_up(s, sub, ext, cid):
    s.ua[ext].command("hangup")
    return next_of(sub, "call.ended", cid, timeout=20)


# ---- ccctl -------------------------------------------------------------------------------


def test_ccctl_pickup_group(pbx):
    assert pbx.psql("SELECT ext FROM sip_users WHERE pickup_group = 'sales' ORDER BY ext") == [
        (RINGER,), (PICKER,), (SLOW,)]
    for args in (["pickup-group", OTHER, "two words"], ["pickup-group", OTHER],
                 ["pickup-group", "x1", "sales"], ["pickup-group", OTHER, "x" * 41]):
        r = pbx.ccctl("user", *args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
    r = pbx.ccctl("user", "pickup-group", "1999", "sales")
    assert r.returncode == 1 and "no extension 1999" in r.stderr, r.stderr
    r = pbx.ccctl("user", "pickup-group", OTHER, "floor-2", check=True)
    assert "pickup group floor-2" in r.stdout, r.stdout
    pbx.ccctl("user", "pickup-group", OTHER, "off", check=True)
    assert pbx.psql("SELECT pickup_group FROM sip_users WHERE ext = %s", (OTHER,)) == [("",)]
    assert pbx.psql("SELECT count(*) FROM sip_users WHERE pickup_group <> ''") == [(3,)]
    users = {u["ext"]: u for u in json.loads(pbx.ccctl("user", "list", "--json").stdout)}
    assert users[RINGER]["pickup_group"] == "sales" and users[OTHER]["pickup_group"] == "", users
    line = [ln for ln in pbx.ccctl("user", "list").stdout.splitlines() if ln.startswith(PICKER)]
    assert line and line[0].rstrip().endswith("sales"), line


# ---- pickup ------------------------------------------------------------------------------


def test_group_pickup_by_member(pbx):
    sub = events(pbx)
    cid = ringing(pbx, sub, CALLER, RINGER)
    rang = pbx.ua[RINGER].text().count("Incoming call")
    assert rang >= 1, pbx.ua[RINGER].text()[-1500:]
    pid = dial(pbx, sub, PICKER, "*8")
    picked = next_of(sub, "call.picked_up", cid)
    assert (picked["by"], picked["rung"], picked["mode"], picked["group"],
            picked["picker_call_id"]) == (PICKER, RINGER, "group", "sales", pid), picked
    answered = next_of(sub, "call.answered", cid)
    assert answered["answered_by"] == PICKER, answered
    ended = next_of(sub, "call.ended", pid)  # the picker's own call went into cid
    assert ended["reason"] == "picked up call %s" % cid, ended
    time.sleep(1.0)
    two_way(pbx, CALLER, PICKER)
    # the phone that rang got CANCEL: it is not ringing or talking any more
    txt = pbx.ua[RINGER].text()
    assert "Call established" not in txt, txt[-1500:]
    assert "session closed" in txt.split("Incoming call")[-1], txt[-1500:]  # baresip's CANCEL
    ended = hang_up(pbx, sub, CALLER, cid)
    assert ended["disposition"] == "answered" and ended["hangup_side"] == "caller", ended
    sub.close()


def test_directed_pickup_needs_no_group(pbx):
    sub = events(pbx)
    cid = ringing(pbx, sub, CALLER, RINGER)
    pid = dial(pbx, sub, OUTSIDER, "**" + RINGER)
    picked = next_of(sub, "call.picked_up", cid)
    assert (picked["by"], picked["rung"], picked["mode"]) == (OUTSIDER, RINGER, "directed")
    assert "group" not in picked and picked["picker_call_id"] == pid, picked
    assert next_of(sub, "call.answered", cid)["answered_by"] == OUTSIDER
    time.sleep(1.0)
    two_way(pbx, CALLER, OUTSIDER)
    hang_up(pbx, sub, OUTSIDER, cid)
    sub.close()


def test_outsider_cannot_group_pickup(pbx):
    """1004 is in no pickup group: *8 gets 404 and the call keeps ringing 1002; in another
    group, still 404. A directed pickup of an extension nothing rings: 404 too."""
    sub = events(pbx)
    cid = ringing(pbx, sub, CALLER, RINGER)
    pid = dial(pbx, sub, OUTSIDER, "*8")
    ended = next_of(sub, "call.ended", pid)
    assert (ended["sip_code"], ended["disposition"]) == (404, "not_found"), ended
    assert "no pickup group" in ended["reason"], ended
    pbx.ccctl("user", "pickup-group", OUTSIDER, "support", check=True)
    time.sleep(0.7)  # the reload
    try:
        pid = dial(pbx, sub, OUTSIDER, "*8")
        ended = next_of(sub, "call.ended", pid)
        assert ended["sip_code"] == 404 and "no call ringing" in ended["reason"], ended
        pid = dial(pbx, sub, OUTSIDER, "**" + OTHER)
        ended = next_of(sub, "call.ended", pid)
        assert ended["sip_code"] == 404, ended
    finally:
        pbx.ccctl("user", "pickup-group", OUTSIDER, "off", check=True)
    with pytest.raises(AssertionError):  # still ringing 1002, nobody took it
        next_of(sub, "call.answered", cid, timeout=0.5)
    ended = hang_up(pbx, sub, CALLER, cid)
    assert ended["disposition"] == "cancelled", ended
    sub.close()


# ---- park --------------------------------------------------------------------------------


def tone_shares(ua, freqs, seconds=1.5):
    """The share of what ua hears over the next `seconds` that is at each of freqs: near 1
    for a clean tone, near 0 for other sounds. It must hear something."""
    mark = ua.heard_mark()
    time.sleep(seconds)
    x = ua.heard_since(mark)
    energy = sum(v * v for v in x)
    assert len(x) > 4000 and energy > len(x) * 100 ** 2, "%s heard nothing" % ua.ext
    return {f: goertzel(x, f) / (len(x) * energy / 2) for f in freqs}


def transfer(s, ext, number):
    s.ua[ext].command("transfer", "sip:%s@127.0.0.1:%d" % (number, s.sip_port))


def connected(s, sub, a, b):
    """a calls b (which answers by itself): the call id once answered."""
    cid = dial(s, sub, a, b)
    next_of(sub, "call.answered", cid)
    assert s.ua[a].wait_log("Call established", 5)
    time.sleep(1.0)
    return cid


def test_park_by_transfer_and_retrieve(pbx):
    """1003 (the callee) parks 1001 by a blind transfer to 800: slot 801, read out to 1003,
    which is then released; 1001 hears music, not 1003; 1005 dials 801 and talks to 1001."""
    sub = events(pbx)
    cid = connected(pbx, sub, CALLER, PICKER)
    byes = pbx.ua[PICKER].text().count("terminated (duration")
    transfer(pbx, PICKER, "800")
    parked = next_of(sub, "call.parked", cid)
    assert (parked["slot"], parked["parker"], parked["parked"],
            parked["timeout_s"]) == (801, PICKER, CALLER, PARK_TIMEOUT), parked
    pbx.wait_log("sipproxy", "event=call.park_waiting [^\\n]*call=%s" % cid, timeout=10)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and pbx.ua[PICKER].text().count("terminated (duration") <= byes:
        time.sleep(0.1)
    assert pbx.ua[PICKER].text().count("terminated (duration") > byes, pbx.ua[PICKER].text()[-1500:]
    # waiting: the caller hears music on hold (tones under 600 Hz), not the parker's tone
    share = tone_shares(pbx.ua[CALLER], [HZ[PICKER], HZ[OTHER]])
    assert share[HZ[PICKER]] < 0.05 and share[HZ[OTHER]] < 0.05, share
    r = pbx.ccctl("park", "list", "--json", check=True)
    lot = json.loads(r.stdout)
    assert [(p["slot"], p["call_id"], p["parker"], p["parked"], p["state"]) for p in lot] == [
        (801, cid, PICKER, CALLER, "waiting")], lot
    rid = dial(pbx, sub, OTHER, "801")
    un = next_of(sub, "call.unparked", cid)
    assert (un["slot"], un["reason"], un["by"], un["retriever_call_id"]) == (
        801, "retrieved", OTHER, rid), un
    ended = next_of(sub, "call.ended", rid)
    assert ended["reason"] == "took parked call %s from slot 801" % cid, ended
    time.sleep(1.0)
    two_way(pbx, CALLER, OTHER)
    assert json.loads(pbx.ccctl("park", "list", "--json", check=True).stdout) == []
    ended = hang_up(pbx, sub, OTHER, cid)
    assert ended["disposition"] == "answered", ended
    sub.close()


def test_empty_slot_is_not_found(pbx):
    sub = events(pbx)
    rid = dial(pbx, sub, OTHER, "802")
    ended = next_of(sub, "call.ended", rid)
    assert ended["sip_code"] == 404 and "slot 802 is empty" in ended["reason"], ended
    sub.close()


def test_park_timeout_rings_parker_back(pbx):
    """1001 (the caller) parks 1005; nobody takes it; after the park timeout 1001 rings
    (from 1005, display name "Park 801") and answers by itself: 1001 and 1005 talk again."""
    sub = events(pbx)
    cid = connected(pbx, sub, CALLER, OTHER)
    transfer(pbx, CALLER, "800")
    parked = next_of(sub, "call.parked", cid)
    assert (parked["slot"], parked["parker"], parked["parked"]) == (801, CALLER, OTHER), parked
    t0 = time.monotonic()
    un = next_of(sub, "call.unparked", cid, timeout=PARK_TIMEOUT + 15)
    waited = time.monotonic() - t0
    assert (un["reason"], un["by"]) == ("returned", CALLER), un
    assert PARK_TIMEOUT - 0.5 < waited < PARK_TIMEOUT + 8, "rang back after %.1f s" % waited
    # the ring-back comes from the parked party
    assert "answering call on line 1 from sip:%s@" % OTHER in pbx.ua[CALLER].text(), \
        pbx.ua[CALLER].text()[-1500:]
    time.sleep(1.5)
    two_way(pbx, CALLER, OTHER)
    ended = hang_up(pbx, sub, OTHER, cid)
    assert ended["disposition"] == "answered", ended
    sub.close()


def test_park_not_taken_and_parker_away_ends(pbx):
    """1006 (answers only by hand) calls 1005 and parks it; nobody takes it and 1006 does
    not answer the ring-back: the call ends, saying so, and the slot is free again."""
    sub = events(pbx)
    cid = connected(pbx, sub, SLOW, OTHER)
    transfer(pbx, SLOW, "800")
    next_of(sub, "call.parked", cid, parker=SLOW)
    un = next_of(sub, "call.unparked", cid, timeout=PARK_TIMEOUT + RING_TIMEOUT + 15)
    assert un["reason"] == "timeout", un
    ended = next_of(sub, "call.ended", cid)
    assert ended["reason"] == ("parked at 801 and not taken; %s did not answer the ring-back "
                               "(408)" % SLOW), ended
    assert "Incoming call" in pbx.ua[SLOW].text(), "the parker was never rung back"
    assert json.loads(pbx.ccctl("park", "list", "--json", check=True).stdout) == []
    sub.close()


def test_parker_hanging_up_during_the_read_out_leaves_the_call_parked(pbx):
    """1003 parks 1001 and hangs up at once, before its slot has been read out: the call
    stays parked (it does not end with the parker's BYE) and 1005 takes it."""
    sub = events(pbx)
    cid = connected(pbx, sub, CALLER, PICKER)
    transfer(pbx, PICKER, "800")
    next_of(sub, "call.parked", cid, slot=801)
    pbx.ua[PICKER].command("hangup")
    pbx.wait_log("sipproxy", "event=call.park_waiting [^\\n]*call=%s" % cid, timeout=10)
    time.sleep(1.0)
    with pytest.raises(AssertionError):  # still there
        next_of(sub, "call.ended", cid, timeout=0.5)
    lot = json.loads(pbx.ccctl("park", "list", "--json", check=True).stdout)
    assert [(p["slot"], p["call_id"], p["state"]) for p in lot] == [(801, cid, "waiting")], lot
    dial(pbx, sub, OTHER, "801")
    assert next_of(sub, "call.unparked", cid)["reason"] == "retrieved"
    time.sleep(1.0)
    two_way(pbx, CALLER, OTHER)
    hang_up(pbx, sub, CALLER, cid)
    sub.close()
