"""test_exactly_once.py - one CDR per call placed, whatever daemon is killed.

Two sipp UACs place calls for the whole run: through the trunks (tests/sipp/load_uac.xml ->
sipproxy + mediad -> load_uas.xml, answered, held HOLD_MS) and into a queue nobody staffs
(acdd holds the caller with music; the caller hangs up after QUEUE_WAIT_MS: abandoned).
Meanwhile sipproxy, mediad, acdd and cdrd are each killed with SIGKILL in turn and started
again after RESTART_S, as systemd would. Afterwards:

- every call sipp placed (each SIP Call-ID it sent an INVITE for) has exactly one CDR, and
  there is no other CDR;
- a call sipp completed has the record of what happened: answered by the far trunk with
  the talk time sipp held it, or abandoned in the queue after its wait, times in order;
- a call sipp saw fail was cut by a crash: its CDR says "interrupted", its start is its
  real start, and a call sipproxy's crash cut ends at the last moment sipproxy was known
  alive (no later than the kill, at most a heartbeat before it).

A second test kills sipproxy while cdrd is down, so that none of the events of the calls
of that time had been delivered: its journal hands them to its successor, and every call
still has its exact CDR.

The calls are matched through the SIP Call-ID (sipp's short message trace on one side,
sipproxy's call.created log lines on the other)."""

import threading
import time
from collections import Counter, defaultdict

import suite as sm
from helpers.bus import wait_until
from helpers.trunks import short_trace, sip_calls, traced_calls
import pytest  # noqa: E402

# alone, before the parallel part: load and timing that other tests would disturb
pytestmark = pytest.mark.serial

TRUNK_RATE, QUEUE_RATE = 20, 4  # calls per second
RUN_S = 40                      # how long each UAC places calls
HOLD_MS, QUEUE_WAIT_MS = 3000, 2000
TOLERANCE_MS = 1000             # sipp's pause against the CDR's times, on a busy CI machine
RESTART_S = 1.5                 # RestartSec
KILLS = [(6, "sipproxy"), (15, "mediad"), (24, "acdd"), (31, "cdrd")]  # (second, daemon)
CRASH = "interrupted"
ORPHAN = "sipproxy stopped during the call; ended at its last sign of life"


def _shed(tmp_path, names):
    """SIP Call-IDs whose INVITE was answered 503 (overload control, or a turned-away call
    while mediad was down), from the sipp traces."""
    out = set()
    for name in names:
        for line in (tmp_path / ("%s_msgs.log" % name)).read_text(errors="replace").splitlines():
            parts = line.split("\t")
            if (len(parts) >= 7 and parts[3] == "R" and parts[5].endswith("INVITE")
                    and parts[6].startswith("SIP/2.0 503")):
                out.add(parts[4])
    return out


def _cdrs_by_sip_call(s, placed, shed=frozenset()):
    """{SIP Call-ID: [CDR row]} for every CDR, after checking that each call placed has
    exactly one and no CDR belongs to a call nobody placed. An INVITE that overload control
    turned away (`shed`: 503 before any work, issue 9) never became a call: it may have no
    CDR (one turned away because mediad was down has one)."""
    sip_of = dict(sip_calls(s))
    rows = s.psql("SELECT call_id, disposition, hangup_side, reason, answered_by, "
                  "extract(epoch FROM created_at)::float8, "
                  "extract(epoch FROM answered_at)::float8, "
                  "extract(epoch FROM ended_at)::float8, ring_ms, talk_ms FROM cdrs")
    by_sip = defaultdict(list)
    for r in rows:
        by_sip[sip_of.get(r[0], "(no call.created logged for %s)" % r[0])].append(r)
    missing = [c for c in placed if c not in by_sip and c not in shed]
    doubled = {c: v for c, v in by_sip.items() if len(v) > 1}
    extra = {c: v for c, v in by_sip.items() if c not in placed}
    assert not missing and not doubled and not extra, (
        "%d calls placed, %d CDRs: %d calls without a CDR (first: %s), %d with more than one "
        "(%s), %d CDRs of no call placed (%s)" % (
            len(placed), len(rows), len(missing), missing[:5], len(doubled),
            list(doubled.items())[:3], len(extra), list(extra.items())[:3]))
    turned_away = [c for c in placed if c not in by_sip]  # all in shed (checked above)
    assert len(rows) == len(placed) - len(turned_away), (len(rows), len(placed), len(turned_away))
    return {c: v[0] for c, v in by_sip.items()}


def _check_record(cid, kind, completed, row, kills, t_start, hold_ms=HOLD_MS):
    """One call's CDR against what sipp did (held a trunk call hold_ms after the answer)
    and when the test killed what."""
    (_, disp, side, reason, answered_by, created, answered, ended, ring_ms, talk_ms) = row
    where = "call %s (%s, %s): %r" % (cid, kind, "completed" if completed else "failed", row)
    assert t_start - 1 <= created <= ended, where
    if completed:  # sipp held the call hold_ms (QUEUE_WAIT_MS) after the 200, then hung up
        assert answered is not None and created <= answered <= ended, where
        assert abs(ring_ms - (answered - created) * 1000) <= 1, where
        held_ms = (ended - answered) * 1000
    if completed and kind == "trunk":
        assert (disp, side) == ("answered", "caller"), where
        assert 0 <= ring_ms < 2000, where
        assert abs(talk_ms - held_ms) <= 1, where
        assert abs(talk_ms - hold_ms) <= TOLERANCE_MS, where
    elif completed:  # waited in the queue nobody staffs, then hung up
        assert (disp, side, answered_by) == ("abandoned", "caller", "queue:hold"), where
        assert talk_ms == 0, where
        assert abs(held_ms - QUEUE_WAIT_MS) <= TOLERANCE_MS, where
    else:
        assert (disp, side) == (CRASH, "system"), where
        if reason == ORPHAN:  # closed at sipproxy's last sign of life: just before the kill
            assert kills["sipproxy"] - 1.5 <= ended <= kills["sipproxy"] + 0.2, \
                (where, kills["sipproxy"])
        else:  # ended by a daemon that saw another one go
            assert any(k <= ended <= k + 15 for k in kills.values()), (where, kills)


def _placed(tmp_path, names):
    placed = {}
    for name in names:
        for cid, done in traced_calls(tmp_path / ("%s_msgs.log" % name)).items():
            placed[cid] = (name, done)
    return placed


def _drained(s):
    wait_until(lambda: s.bus_call("sipproxy", "status")["result"]["details"]["calls"] == 0 and
               s.psql("SELECT count(*) FROM calls_active")[0][0] == 0,
               timeout=30, step=0.5, what="every call over and written")
    time.sleep(1.0)  # anything extra (a duplicate) would land by now


def test_kill9_each_daemon_under_load_one_cdr_per_call(trunk_suite, tmp_path):
    s, t = trunk_suite(daemons=("sipproxy", "mediad", "acdd", "cdrd"),
                       **{"cdrd.flush_ms": "100", "common.heartbeat_interval": "1"})
    queue_port = sm.free_port()
    s.ccctl("trunk", "add", "near2", "--host", "127.0.0.1:%d" % queue_port, check=True)
    s.ccctl("queue", "add", "hold", "--number", "8000", check=True)
    time.sleep(1.0)  # sipproxy and acdd reload on NOTIFY cc_config
    t.start_uas()
    res, kills = {}, {}

    def place(name, rate, number, hold, port):
        res[name] = t.place(rate, rate * RUN_S, "-d", str(hold), "-recv_timeout", "8000",
                            *short_trace(tmp_path / ("%s_msgs.log" % name)), timeout=150,
                            number=number, port=port, name=name)

    uacs = [threading.Thread(target=place, args=("trunk", TRUNK_RATE, "9000", HOLD_MS, None),
                             daemon=True),
            threading.Thread(target=place, args=("queue", QUEUE_RATE, "8000", QUEUE_WAIT_MS,
                                                 queue_port), daemon=True)]
    t_start = time.time()
    t0 = time.monotonic()
    for th in uacs:
        th.start()
    for at, daemon in KILLS:
        time.sleep(max(0.0, t0 + at - time.monotonic()))
        kills[daemon] = time.time()
        code, _ = s.kill9(daemon)
        assert code == -9, "%s: exit %r" % (daemon, code)
        time.sleep(RESTART_S)
        s.start(daemon)
    for th in uacs:
        th.join(150)
    assert not any(th.is_alive() for th in uacs), "sipp still running"
    _drained(s)

    placed = _placed(tmp_path, ("trunk", "queue"))
    assert len(placed) == res["trunk"]["created"] + res["queue"]["created"], (len(placed), res)
    failed = sum(not done for _, done in placed.values())
    # every kill cost calls, but most went through
    assert 0 < failed < len(placed) // 4, (failed, res)
    shed = _shed(tmp_path, ("trunk", "queue"))
    cdrs = _cdrs_by_sip_call(s, placed, shed)
    not_calls = [c for c in shed if c not in cdrs]
    # a loaded machine makes sipproxy shed a few INVITEs (sip_delay, media_exhausted after
    # the restart): they are refused before any work and never calls; each such episode
    # is logged. Never many.
    assert len(not_calls) <= len(placed) // 20, (len(not_calls), len(placed))
    if not_calls:
        assert "state=shedding" in s.log("sipproxy"), not_calls[:5]
    for cid, (kind, done) in placed.items():
        if cid in cdrs:
            _check_record(cid, kind, done, cdrs[cid], kills, t_start)
    counts = Counter(r[1] for r in cdrs.values())
    why = Counter(r[3] for r in cdrs.values() if r[1] == CRASH)
    print("placed=%d failed=%d shed_without_call=%d cdrs=%s interrupted=%s sipp=%s"
          % (len(placed), failed, len(not_calls), dict(counts), dict(why), res))
    assert "event=bus.loss" not in s.log("cdrd"), "cdrd lost events"


def test_sipproxy_crash_while_cdrd_is_down_loses_no_event(trunk_suite, tmp_path):
    """The events of every call of the last seconds before the crash were still with
    sipproxy alone (cdrd was down): its journal hands them to its successor."""
    s, t = trunk_suite(**{"cdrd.flush_ms": "100", "common.heartbeat_interval": "1"})
    t.start_uas()
    code, _ = s.kill9("cdrd")
    assert code == -9
    res, kills = {}, {}
    trace = short_trace(tmp_path / "uac_msgs.log")
    th = threading.Thread(target=lambda: res.update(t.place(
        20, 80, "-d", "1000", "-recv_timeout", "8000", *trace, timeout=60)), daemon=True)
    t_start = time.time()
    th.start()
    time.sleep(2.5)  # some calls done, some up, none of their events delivered
    kills["sipproxy"] = time.time()
    s.kill9("sipproxy")
    time.sleep(RESTART_S)
    s.start("sipproxy")
    th.join(90)
    assert not th.is_alive()
    s.start("cdrd")
    _drained(s)
    placed = _placed(tmp_path, ("uac",))
    assert len(placed) == res["created"] == 80, (len(placed), res)
    # as above: an INVITE shed by overload control on a loaded machine never became a call
    cdrs = _cdrs_by_sip_call(s, placed, _shed(tmp_path, ("uac",)))
    assert len(cdrs) >= len(placed) - len(placed) // 20, (len(cdrs), len(placed))
    for cid, (kind, done) in placed.items():
        if cid in cdrs:
            _check_record(cid, "trunk", done, cdrs[cid], kills, t_start, hold_ms=1000)
    before = [r for r in cdrs.values() if r[7] < kills["sipproxy"]]
    assert sum(r[1] == "answered" for r in before) >= 10, before  # completed before the crash
    assert sum(r[3] == ORPHAN for r in before) >= 5, before      # up when it crashed
    assert "event=bus.loss" not in s.log("cdrd"), "cdrd lost events"
    assert "event=bus.journal_loaded" in s.log("sipproxy")
