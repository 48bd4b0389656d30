"""Conference rooms end to end with real baresip phones: five participants each send their
own tone (Goertzel tells them apart) into room `team`; each hears the other four and not
itself; a participant muted (by ccctl, or by key 6 on its own phone) is heard by nobody;
ccctl conf kick hangs one up and lock turns a new caller away; a wrong PIN is refused after
three tries; with a moderator PIN the first caller waits (music) until the moderator joins.
Also ccctl conf's checks and exit codes, the conf:ROOM route, and the CDRs."""

import json
import re
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import suite as sm  # noqa: E402
from helpers.bus import wait_event, wait_until  # noqa: E402
from helpers.phones import tone_phones, tone_powers  # noqa: E402

DAEMONS = ["sipproxy", "mediad", "ivrd", "cdrd"]
# frequencies off each other's simple intermodulation products; quiet enough that five
# summed never clip
TONES = {"1001": 420, "1002": 590, "1003": 810, "1004": 1030, "1005": 1270}


def both_events(sub, call_id, types, timeout=10):
    """The events of `types` about call_id, in whatever order they come (ivrd's conf.left
    and sipproxy's call.ended race)."""
    got, seen = {}, []
    deadline = time.monotonic() + timeout
    while len(got) < len(types) and time.monotonic() < deadline:
        ev = sub.recv(max(0.05, deadline - time.monotonic()))
        if ev is None:
            break
        topic, obj, _ = ev
        seen.append(topic)
        if topic in types and obj.get("call_id") == call_id:
            got[topic] = obj
    assert len(got) == len(types), "wanted %s for %s, saw %s" % (types, call_id, seen[-30:])
    return got


@pytest.fixture(scope="module")
def conf(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_conference", daemons=DAEMONS)
    uas = []
    try:
        for ext in TONES:
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
        s.ccctl("conf", "add", "team", "--number", "700", check=True)
        s.ccctl("conf", "add", "secure", "--number", "701", "--pin", "4321", check=True)
        s.ccctl("conf", "add", "board", "--number", "702", "--pin", "1234", "--moderator-pin",
                "-", input="999\n", check=True)
        s.start()
        tone_phones(s, TONES, uas, volume=0.12)
        yield s
    finally:
        for ua in uas:
            ua.stop()
        s.close()


def heard(ua, seconds=1.5):
    return tone_powers(ua, TONES.values(), seconds)


def check(ua, want, not_want, what):
    p = heard(ua)
    weakest = min(p[TONES[e]] for e in want)
    loudest = max([p[TONES[e]] for e in not_want] or [0.0])
    assert weakest > 20 * loudest, "%s: %s heard %s (want %s, not %s)" % (
        what, ua.ext, {e: "%.3g" % p[f] for e, f in TONES.items()}, want, not_want)


def check_all(s, present, silent, what):
    """Every phone in `present` hears every other one of `present` but not itself nor
    anyone in `silent`."""
    for ext in present:
        others = [e for e in present if e != ext and e not in silent]
        check(s.ua[ext], others, [ext] + [e for e in silent if e != ext], what)


def keys(ua, digits):
    for d in digits:
        ua.command("sndcode", d)
        time.sleep(0.35)


def enter(s, sub, ext, number, pin=None):
    """ext dials number (and keys the PIN); returns (call_id, conf.joined). sipproxy's
    call.answered and ivrd's conf.joined come from two publishers, so they may arrive in
    either order: both are kept, whichever comes first."""
    s.ua[ext].dial(number)
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    cid = created["call_id"]
    got, seen = {}, []

    def until(etype, timeout=10):
        deadline = time.monotonic() + timeout
        while etype not in got and time.monotonic() < deadline:
            ev = sub.recv(max(0.05, deadline - time.monotonic()))
            if ev is None:
                break
            seen.append(ev[1])
            if ev[0] in ("call.answered", "conf.joined") and ev[1].get("call_id") == cid:
                got.setdefault(ev[0], ev[1])
        return got.get(etype)

    answered = until("call.answered")
    assert answered and answered["answered_by"].startswith("conf:"), seen
    if pin:
        time.sleep(1.0)
        keys(s.ua[ext], pin)
    joined = until("conf.joined")
    assert joined, (seen, s.log_tail("ivrd"))
    return cid, joined


def prompts_over(plays, call_ids, timeout=15):
    """Waits for mediad's media.play_done of each call: the join tone (and the first
    caller's "you are the first participant") is over, so the phone hears the room. A fixed
    sleep was not enough on a loaded machine."""
    left = set(call_ids)
    deadline = time.monotonic() + timeout
    while left and time.monotonic() < deadline:
        ev = plays.recv(max(0.05, deadline - time.monotonic()))
        if ev is not None and ev[1].get("reason") == "finished":
            left.discard(ev[1].get("call_id"))
    assert not left, "no media.play_done for %s" % sorted(left)


def ccctl_fails(s, code, *args, input=None, says=None):
    r = s.ccctl(*args, input=input)
    assert r.returncode == code, (args, r.returncode, r.stdout, r.stderr)
    if says:
        assert says in r.stderr, (args, r.stderr)
    return r


def test_five_participants_hear_each_other_mute_kick_lock(conf):
    s = conf
    sub = s.subscribe(["sipproxy", "ivrd"])
    plays = s.subscribe(["mediad"], prefix="media.play_done")
    time.sleep(0.3)
    calls = {}
    for ext in TONES:
        cid, joined = enter(s, sub, ext, "700")
        assert joined["room"] == "team" and joined["caller"] == ext and not joined["waiting"]
        calls[ext] = (cid, joined["member"])
    assert joined["members"] == 5, joined
    prompts_over(plays, [cid for cid, _ in calls.values()])
    time.sleep(0.3)
    everyone = list(TONES)
    check_all(s, everyone, [], "five in the room")

    listed = json.loads(s.ccctl("conf", "list", "--json", check=True).stdout)
    team = [r for r in listed if r["room"] == "team"][0]
    assert sorted(m["caller"] for m in team["members"]) == everyone, team
    assert all(m["state"] == "in" and not m["muted"] for m in team["members"]), team
    table = s.ccctl("conf", "list", check=True).stdout
    assert "team" in table and "4321" not in table and "999" not in table, table

    # muted from the console (by caller number): nobody hears 1003
    r = s.ccctl("conf", "mute", "team", "1003", check=True)
    assert "participant %d muted" % calls["1003"][1] in r.stdout, r.stdout
    ev, seen = wait_event(sub, "conf.muted", timeout=5)
    assert ev and ev["muted"] and ev["by"] == "admin", seen
    time.sleep(0.5)
    check_all(s, everyone, ["1003"], "1003 muted by ccctl")
    s.ccctl("conf", "unmute", "team", str(calls["1003"][1]), check=True)  # by participant id

    # key 6 on 1002's own phone
    keys(s.ua["1002"], "6")
    ev, seen = wait_event(sub, "conf.muted", calls["1002"][0], timeout=5)
    assert ev and ev["muted"] and ev["by"] == "self", seen
    time.sleep(0.5)
    check_all(s, [e for e in everyone if e != "1002"], ["1002"], "1002 muted itself")
    keys(s.ua["1002"], "6")
    ev, seen = wait_event(sub, "conf.muted", calls["1002"][0], timeout=5)
    assert ev and not ev["muted"], seen
    time.sleep(2.0)  # "you are no longer muted" played to 1002

    # kick 1005 (by call id): its call ends, the others no longer hear it
    s.ccctl("conf", "kick", "team", calls["1005"][0], check=True)
    got = both_events(sub, calls["1005"][0], ("call.ended", "conf.left"))
    left = got["conf.left"]
    assert left["reason"] == "kicked" and left["members"] == 4, left
    time.sleep(0.5)
    four = ["1001", "1002", "1003", "1004"]
    check_all(s, four, ["1005"], "after the kick")

    # locked: 1005 calling again is answered, told, and hung up; it never joins
    s.ccctl("conf", "lock", "team", check=True)
    ev, seen = wait_event(sub, "conf.locked", timeout=5)
    assert ev and ev["locked"] and ev["by"] == "admin", seen
    s.ua["1005"].dial("700")
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    ended, seen = wait_event(sub, "call.ended", created["call_id"], timeout=15)
    assert ended, seen
    assert not [e for e in seen if e.get("type") == "conf.joined"], seen
    s.ccctl("conf", "unlock", "team", check=True)

    ccctl_fails(s, 1, "conf", "kick", "team", "1999", says="unknown_member")
    for ext in four:
        s.ua[ext].command("hangup")
    for ext in four:
        ended, seen = wait_event(sub, "call.ended", calls[ext][0], timeout=10)
        assert ended, seen
    sub.close()
    # the room is empty: it was unlocked, and there is nobody to kick
    ccctl_fails(s, 1, "conf", "lock", "team", says="not_active")
    # each participant's call has its CDR, answered by the room
    def cdr():
        rows = s.psql("SELECT answered_by, disposition FROM cdrs WHERE call_id = %s",
                      (calls["1001"][0],))
        return rows
    rows = wait_until(cdr, what="the CDR of 1001's conference call")
    assert rows == [("conf:team", "answered")], rows


def test_wrong_pin_refused_after_three_tries(conf):
    s = conf
    sub = s.subscribe(["sipproxy", "ivrd"])
    time.sleep(0.3)
    s.ua["1001"].dial("701")
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    cid = created["call_id"]
    answered, seen = wait_event(sub, "call.answered", cid, timeout=10)
    assert answered and answered["answered_by"] == "conf:secure", seen
    time.sleep(1.0)
    for pin in ("1111#", "2222#", "3333#"):
        keys(s.ua["1001"], pin)
        time.sleep(0.8)
    ended, seen = wait_event(sub, "call.ended", cid, timeout=15)
    assert ended, (seen, s.log_tail("ivrd"))
    assert not [e for e in seen if e.get("type") == "conf.joined"], seen
    # no PIN in the log: as a value of its own, not inside a port, pid or call id
    pins = re.compile(r"(?<![0-9a-f])(4321|1111)(?![0-9a-f])")
    assert not pins.search(s.log("ivrd")), pins.search(s.log("ivrd"))
    # the right PIN gets in
    cid2, joined = enter(s, sub, "1002", "701", pin="4321#")
    assert joined["room"] == "secure" and not joined["moderator"], joined
    s.ua["1002"].command("hangup")
    ended, seen = wait_event(sub, "call.ended", cid2, timeout=10)
    assert ended, seen
    sub.close()


def test_waiting_for_the_moderator(conf):
    s = conf
    sub = s.subscribe(["sipproxy", "ivrd"])
    time.sleep(0.3)
    cid3, joined = enter(s, sub, "1003", "702", pin="1234#")
    assert joined["waiting"] and not joined["moderator"], joined
    time.sleep(5.0)  # "the conference will begin when the moderator joins", then music
    heard(s.ua["1003"])  # it hears something (the music) while it waits
    plays = s.subscribe(["mediad"], prefix="media.play_done")
    time.sleep(0.3)
    cid4, joined = enter(s, sub, "1004", "702", pin="999#")
    assert joined["moderator"] and not joined["waiting"], joined
    prompts_over(plays, [cid3, cid4])  # the music stops; both hear the join tone
    time.sleep(0.3)
    check(s.ua["1003"], ["1004"], ["1003"], "the waiting participant is let in")
    check(s.ua["1004"], ["1003"], ["1004"], "the moderator hears the room")
    keys(s.ua["1004"], "7")  # the moderator locks the room
    ev, seen = wait_event(sub, "conf.locked", timeout=5)
    assert ev and ev["locked"] and ev["by"] == "moderator", seen
    keys(s.ua["1003"], "7")  # a participant cannot
    ev, seen = wait_event(sub, "conf.locked", timeout=1.5)
    assert ev is None, seen
    for ext, cid in (("1003", cid3), ("1004", cid4)):
        s.ua[ext].command("hangup")
        ended, seen = wait_event(sub, "call.ended", cid, timeout=10)
        assert ended, seen
    sub.close()


def test_ccctl_conf_checks(conf):
    s = conf
    ccctl_fails(s, 2, "conf", "add", "bad name!", "--number", "710", says="bad room name")
    ccctl_fails(s, 2, "conf", "add", "x", says="--number N is required")
    ccctl_fails(s, 2, "conf", "add", "x", "--number", "7a", says="bad --number")
    ccctl_fails(s, 2, "conf", "add", "x", "--number", "710", "--pin", "12ab", says="bad --pin")
    ccctl_fails(s, 2, "conf", "add", "x", "--number", "710", "--pin", "1" * 13,
                says="bad --pin")
    ccctl_fails(s, 2, "conf", "add", "x", "--number", "710", "--pin", "55",
                "--moderator-pin", "55", says="must differ")
    ccctl_fails(s, 2, "conf", "add", "x", "--number", "710", "--max", "0", says="bad --max")
    ccctl_fails(s, 1, "conf", "add", "x", "--number", "700", says="already routed to conf:team")
    ccctl_fails(s, 1, "conf", "add", "team", "--number", "711", says="already exists")
    ccctl_fails(s, 2, "conf", "frobnicate")
    ccctl_fails(s, 1, "conf", "del", "nope", says="no room 'nope'")
    ccctl_fails(s, 1, "conf", "kick", "nope", "1", says="unknown_room")
    ccctl_fails(s, 2, "conf", "kick", "team")
    ccctl_fails(s, 1, "route", "add", "712", "conf:nope", says="unknown conference room")
    assert s.psql("SELECT count(*) FROM conferences WHERE name = 'x'") == [(0,)]

    # a room's number routes to it; a second number may too; del removes room and routes
    r = s.ccctl("route", "test", "700", check=True)
    assert "conf:team" in r.stdout, r.stdout
    s.ccctl("conf", "add", "tmp", "--number", "713", "--max", "3", check=True)
    s.ccctl("route", "add", "714", "conf:tmp", check=True)
    assert "conf:tmp" in s.ccctl("route", "test", "714", check=True).stdout
    r = s.ccctl("conf", "del", "tmp", check=True)
    assert "deleted room tmp" in r.stdout, r.stdout
    assert s.psql("SELECT count(*) FROM dialplan WHERE target_kind = 'conf' "
                  "AND target = 'tmp'") == [(0,)]
    ccctl_fails(s, 1, "route", "test", "713")
