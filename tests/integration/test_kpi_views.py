"""The KPI views against a scripted day of real calls (issue 14): baresip callers and agents
through sipproxy, mediad, acdd and cdrd play answers inside and outside the service level,
a burst that waits behind a busy agent, short and long abandons, a ring-no-answer, an
overflow to another queue, a callback, a blind transfer and wrap-ups. The test keeps its
own ledger of what it did (which caller, which case, the bus events' timestamps), computes
every figure of every KPI view from it in Python, by the definitions of docs/REPORTS.md,
and compares them column by column with what the views say. It also measures how good the
expected wait told on entry was (docs/ACD-ROUTING.md quotes the figures it prints)."""

import collections
import datetime
import math
import signal
import statistics
import subprocess
import threading
import time

import pytest

import suite as sm
from helpers.bus import bus_ok, set_agents, wait_until
from helpers.phones import agent_and_caller_phones, event_time

# alone, before the parallel part: load and timing that other tests would disturb
pytestmark = pytest.mark.serial

AGENTS = ("1002", "1003", "1004")
CALLERS = ("2001", "2002", "2003", "2004")
SALES = dict(number="630", sl=3, wrapup=2, max_wait=14, skill="billing")
BURST = 6  # sipp callers at once behind two agents
SUPPORT = dict(number="631", sl=10, wrapup=0)
TALK = 1.5
UTC = datetime.timezone.utc


@pytest.fixture(scope="module")
def cc(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_kpi_views",
                 daemons=["sipproxy", "mediad", "acdd", "cdrd"],
                 config={"sipproxy.ring_timeout": "10", "mediad.media_timeout": "60"})
    uas = []
    try:
        for ext in AGENTS + CALLERS:
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
        s.ccctl("queue", "add", "sales", "--number", SALES["number"], "--strategy", "skills",
                "--skill", "%s:1" % SALES["skill"], "--ring-timeout", "4",
                "--wrapup", str(SALES["wrapup"]), "--sl", str(SALES["sl"]),
                "--max-wait", str(SALES["max_wait"]), "--overflow", "queue:support",
                "--callback-key", "1", "--no-announce", check=True)
        s.ccctl("queue", "add", "support", "--number", SUPPORT["number"], "--strategy",
                "longest-idle", "--ring-timeout", "4", "--sl", str(SUPPORT["sl"]),
                "--no-announce", check=True)
        for ext in ("1002", "1003"):
            s.ccctl("agent", "add", ext, "--queue", "sales", "--skill", "billing:5", check=True)
        s.ccctl("agent", "add", "1004", "--queue", "support", check=True)
        s.start()
        agent_and_caller_phones(s, AGENTS, CALLERS, uas)
        yield s
    finally:
        for ua in uas:
            ua.stop()
        s.close()


# ---- the ledger: every bus event of the day, in order ------------------------------------


class Ledger:
    """acdd's and sipproxy's events as they come (a thread reads them), so the script can
    wait for one and the figures can be computed from all of them afterwards."""

    def __init__(self, s):
        self.sub = s.subscribe(["acdd", "sipproxy"], prefix="")
        self.events, self.lock, self.stop = [], threading.Lock(), False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        time.sleep(0.3)

    def _run(self):
        while not self.stop:
            ev = self.sub.recv(0.2)
            if ev and ev[1] is not None and (ev[0].startswith("queue.") or ev[0] in (
                    "agent.state", "call.created", "call.ended")):
                with self.lock:
                    self.events.append(ev[1])

    def close(self):
        self.stop = True
        self.thread.join(2)
        self.sub.close()

    def all(self, etype=None, **match):
        with self.lock:
            evs = list(self.events)
        return [e for e in evs if (etype is None or e["type"] == etype) and
                all(e.get(k) == v for k, v in match.items())]

    def wait(self, etype, what=None, timeout=15, **match):
        return wait_until(lambda: (self.all(etype, **match) or [None])[-1], timeout=timeout,
                          what=what or "%s %s" % (etype, match))


def dial(s, led, caller, number):
    """caller dials number; the call id, once it entered a queue."""
    before = {e["call_id"] for e in led.all("queue.entered")}
    s.ua[caller].dial(number)
    try:
        ent = wait_until(lambda: [e for e in led.all("queue.entered", caller=caller)
                                  if e["call_id"] not in before])
    except AssertionError:
        raise AssertionError("%s dialled %s and reached no queue; the phone:\n%s\nsipproxy:\n%s"
                             % (caller, number, s.ua[caller].text()[-3000:],
                                s.log_tail("sipproxy", 40)))
    return ent[0]["call_id"]


def state_of(s, ext):
    return {a["ext"]: a for a in bus_ok(s, "acdd", "agent.list")["agents"]}[ext]["state"]


def wait_state(s, ext, state, timeout=15):
    wait_until(lambda: state_of(s, ext) == state, timeout=timeout,
               what="%s %s" % (ext, state))


# ---- the day ------------------------------------------------------------------------------


def play_day(s, led):
    """The script. Returns {case: [call ids]} in the order the calls were made."""
    cases = collections.defaultdict(list)
    set_agents(s, ("1002",), agents=AGENTS)
    bus_ok(s, "acdd", "agent.login", {"ext": "1004"})
    # A: answered at once (inside the 3 s of sales), the caller hangs up; 2 s wrap-up
    cid = dial(s, led, "2001", SALES["number"])
    led.wait("queue.answered", call_id=cid)
    time.sleep(TALK)
    s.ua["2001"].command("hangup")
    led.wait("queue.completed", call_id=cid)
    cases["in_sl"].append(cid)
    wait_state(s, "1002", "ready")
    # B: three callers at once behind one agent: the first is answered, the others wait
    # (told position 1 and 2, answered outside the service level); each talks TALK s
    burst = []
    for caller in ("2002", "2003", "2004"):
        burst.append((caller, dial(s, led, caller, SALES["number"])))
        time.sleep(0.3)
    for caller, cid in burst:
        led.wait("queue.answered", call_id=cid, timeout=20)
        time.sleep(TALK)
        s.ua[caller].command("hangup")
        led.wait("queue.completed", call_id=cid)
    cases["in_sl"].append(burst[0][1])
    cases["out_sl"] += [c for _, c in burst[1:]]
    # C: 1002 goes to lunch (after its wrap-up); a short and a long abandon
    bus_ok(s, "acdd", "agent.pause", {"ext": "1002", "reason": "lunch"})
    wait_state(s, "1002", "not_ready")
    cid = dial(s, led, "2001", SALES["number"])
    time.sleep(1.0)
    s.ua["2001"].command("hangup")
    led.wait("queue.abandoned", call_id=cid)
    cases["abandon_short"].append(cid)
    cid = dial(s, led, "2002", SALES["number"])
    time.sleep(SALES["sl"] + 1.5)
    s.ua["2002"].command("hangup")
    led.wait("queue.abandoned", call_id=cid)
    cases["abandon_long"].append(cid)
    # D: nobody for sales: after max wait the call overflows to support, 1004 takes it
    # and hangs up
    cid = dial(s, led, "2003", SALES["number"])
    led.wait("queue.answered", call_id=cid, queue="support", timeout=SALES["max_wait"] + 10)
    time.sleep(TALK)
    s.ua["1004"].command("hangup")
    led.wait("queue.completed", call_id=cid)
    cases["overflow"].append(cid)
    # E: a caller asks for a callback (key 1) and is hung up; 1002 comes back from lunch,
    # is called first, then the customer, who answers
    established = s.ua["2004"].text().count("Call established")
    cid = dial(s, led, "2004", SALES["number"])
    wait_until(lambda: s.ua["2004"].text().count("Call established") > established,
               what="2004's call established")
    for _ in range(3):  # a key pressed before the media is up may go unheard: again
        time.sleep(1.0)
        s.ua["2004"].command("sndcode", "1")
        try:
            led.wait("queue.callback_requested", call_id=cid, timeout=3)
            break
        except AssertionError:
            pass
    led.wait("queue.callback_requested", call_id=cid, timeout=1)
    led.wait("call.ended", call_id=cid, what="acdd hanging up the caller after the confirmation")
    time.sleep(0.5)
    rings = s.ua["2004"].text().count("Incoming call")
    bus_ok(s, "acdd", "agent.ready", {"ext": "1002"})
    wait_until(lambda: s.ua["2004"].text().count("Incoming call") > rings,
               what="the callback ringing the customer")
    s.ua["2004"].command("accept")
    led.wait("queue.callback_done", call_id=cid, result="connected")
    time.sleep(TALK)
    s.ua["2004"].command("hangup")
    led.wait("queue.completed", call_id=cid)
    cases["callback"].append(cid)
    # F: ring no answer: 1003's phone is frozen; it rings 4 s, 1003 goes not ready
    # (no_answer) and the call waits again until 1002 is back from its wrap-up
    wait_state(s, "1002", "ready")
    bus_ok(s, "acdd", "agent.pause", {"ext": "1002", "reason": "meeting"})
    s.ua["1003"].proc.send_signal(signal.SIGSTOP)
    try:
        bus_ok(s, "acdd", "agent.login", {"ext": "1003"})
        cid = dial(s, led, "2001", SALES["number"])
        led.wait("queue.offer_failed", call_id=cid, agent="1003", timeout=10)
    finally:
        s.ua["1003"].proc.send_signal(signal.SIGCONT)
    bus_ok(s, "acdd", "agent.ready", {"ext": "1002"})
    led.wait("queue.answered", call_id=cid, agent="1002")
    time.sleep(TALK)
    s.ua["1002"].command("hangup")
    led.wait("queue.completed", call_id=cid)
    cases["no_answer"].append(cid)
    # G: 1003 takes a call and transfers it blind to support, where 1004 answers
    bus_ok(s, "acdd", "agent.ready", {"ext": "1003"})
    bus_ok(s, "acdd", "agent.pause", {"ext": "1002", "reason": "meeting"})
    wait_state(s, "1002", "not_ready")
    cid = dial(s, led, "2002", SALES["number"])
    led.wait("queue.answered", call_id=cid, agent="1003")
    time.sleep(1.0)
    s.ua["1003"].command("transfer", "sip:%s@127.0.0.1:%d" % (SUPPORT["number"], s.sip_port))
    led.wait("queue.answered", call_id=cid, queue="support", agent="1004")
    time.sleep(TALK)
    s.ua["2002"].command("hangup")
    led.wait("queue.completed", call_id=cid, queue="support")
    cases["transfer"].append(cid)
    # H: a burst of callers from a carrier (sipp) behind both sales agents: two are
    # answered at once, the others wait, told their positions 1 to 4 and the wait; each
    # agent hangs up TALK s after answering
    wait_state(s, "1003", "ready")
    bus_ok(s, "acdd", "agent.ready", {"ext": "1002"})
    cases["burst"] = sipp_burst(s, led)
    # the end of the shift: everyone logs out, so every state the day had has ended
    time.sleep(0.5)
    for ext in AGENTS:
        bus_ok(s, "acdd", "agent.logout", {"ext": ext})
    for ext in AGENTS:
        wait_state(s, ext, "logged_out")
    time.sleep(0.3)
    for ua in s.ua.values():
        ua.command("hangup")
    return cases


def sipp_burst(s, led):
    before = {e["call_id"] for e in led.all("queue.entered")}
    # the carrier's port is picked now, so that nothing else on the machine took it since
    port, media = sm.free_port(), sm.free_port(udp=True, span=2, align=2)
    s.ccctl("trunk", "add", "carrier", "--host", "127.0.0.1:%d" % port, check=True)
    time.sleep(0.5)  # sipproxy reloads its directory on NOTIFY
    err = s.var_dir / "sipp-burst.err"
    sipp = subprocess.Popen(
        ["sipp", "-sf", str(sm.REPO / "tests" / "sipp" / "queue_caller.xml"), "-s",
         SALES["number"], "-i", "127.0.0.1", "-p", str(port), "-mp", str(media),
         "-m", str(BURST), "-r", "20", "-d", "60000", "-timeout", "90", "-nostdin",
         "127.0.0.1:%d" % s.sip_port],
        cwd=str(s.var_dir), env=s.env(), stdout=subprocess.DEVNULL,
        stderr=open(err, "wb"), start_new_session=True)
    s.all_pids.append(sipp.pid)

    def entered():
        new = [e["call_id"] for e in led.all("queue.entered") if e["call_id"] not in before]
        assert sipp.poll() is None, "sipp exited: %s" % err.read_text()[-2000:]
        return new if len(new) >= BURST else None
    try:
        calls = wait_until(entered, timeout=15, what="the burst in the queue")
        hung = set()
        deadline = time.monotonic() + 40
        while len(hung) < BURST and time.monotonic() < deadline:
            for e in led.all("queue.answered"):
                if e["call_id"] in calls and e["call_id"] not in hung and \
                        time.time() >= ts(e) + TALK:
                    s.ua[e["agent"]].command("hangup")
                    hung.add(e["call_id"])
            time.sleep(0.05)
        assert len(hung) == BURST, "answered %d of the burst" % len(hung)
        for cid in calls:
            led.wait("queue.completed", call_id=cid)
    finally:
        sipp.kill()
        sipp.wait(5)
    return calls


# ---- the figures, computed from the ledger -------------------------------------------------


def ts(ev):
    return event_time(ev)


def hour_of(t):
    return datetime.datetime.fromtimestamp(t, UTC).replace(minute=0, second=0, microsecond=0)


def day_of(t):
    return hour_of(t).replace(hour=0)


def r1(x):
    """Postgres' round(numeric, 1) (half away from zero) of a float, or None."""
    if x is None:
        return None
    return float(math.copysign(math.floor(abs(x) * 10 + 0.5) / 10, x))


def pct(n, d):
    return None if not d else r1(100.0 * n / d)


def avg(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def entries_of(led, sl_of):
    """One dict per call and queue it entered, from acdd's events."""
    out, open_ = [], {}

    def last(cid, queue):  # a transfer's new entry may come before the old one's end
        return [x for x in out if x["call_id"] == cid and x["queue"] == queue][-1]
    for e in led.all():
        t, cid = e["type"], e.get("call_id")
        if t == "queue.entered":
            open_[cid] = dict(call_id=cid, queue=e["queue"], entered=ts(e), outcome="open",
                              position=e["position"], expected=e.get("expected_wait_s"),
                              answered=None, agent=None, wait=None, talk=None, callback=False,
                              skill=SALES["skill"] if e["queue"] == "sales" else None,
                              caller=e["caller"], priority=e["priority"], left=None,
                              abandon_position=None, overflow=None, entered_by=None)
            out.append(open_[cid])
        elif t == "queue.overflowed":
            x = open_[cid]
            x.update(outcome="overflowed", wait=ts(e) - x["entered"], left=ts(e),
                     overflow="%s/%s:%s" % (e["reason"], e["kind"], e.get("target", "")))
            if e["kind"] == "queue":
                # moved on in the same step: a new wait there, needing the same skill
                # (offered at once in the script, so no estimate)
                open_[cid] = dict(x, queue=e["target"], entered=ts(e), outcome="open",
                                  position=0, expected=None, wait=None, left=None,
                                  overflow=None, entered_by="overflow")
                out.append(open_[cid])
        elif t == "queue.callback_requested":
            open_[cid]["callback"] = True
        elif t == "queue.answered":
            x = last(cid, e["queue"])
            x.update(outcome="answered", answered=ts(e), agent=e["agent"],
                     wait=ts(e) - x["entered"])
            x["in_sl"] = x["wait"] <= sl_of[x["queue"]]
        elif t == "queue.abandoned":
            x = open_[cid]
            x.update(outcome="abandoned", wait=ts(e) - x["entered"], left=ts(e),
                     abandon_position=e["position"])
        elif t == "queue.completed":
            x = last(cid, e["queue"])
            x.update(talk=ts(e) - x["answered"], completed=ts(e))
    return out


def since_of(e):
    """An agent.state event's `since` as seconds since the epoch."""
    since = datetime.datetime.strptime(e["since"].rstrip("Z")[:26], "%Y-%m-%dT%H:%M:%S.%f")
    return since.replace(tzinfo=UTC).timestamp()


def state_periods(led):
    """(ext, state, reason, start, end) of every agent state that ended, from agent.state."""
    by_ext = collections.defaultdict(list)
    for e in led.all("agent.state"):
        by_ext[e["ext"]].append((since_of(e), e["state"], e.get("reason", "")))
    out = []
    for ext, evs in by_ext.items():
        for (t0, st, why), (t1, _, _) in zip(evs, evs[1:]):
            out.append((ext, st, why, t0, t1))
    return out


def queue_stats(entries, key, sl_of, by="queue"):
    rows = {}
    groups = collections.defaultdict(list)
    for x in entries:
        if x[by] is not None:
            groups[(x[by], key(x["entered"]))].append(x)
    for k, xs in groups.items():
        n = len(xs)
        ans = [x for x in xs if x["outcome"] == "answered"]
        ab = [x for x in xs if x["outcome"] == "abandoned"]
        ov = [x for x in xs if x["outcome"] == "overflowed"]
        in_sl = sum(1 for x in ans if x["in_sl"])
        ab_sl = sum(1 for x in ab if x["wait"] <= sl_of[x["queue"]])
        waits = [x["wait"] for x in xs if x["wait"] is not None]
        rows[k] = dict(offered=n, answered=len(ans), abandoned=len(ab), overflowed=len(ov),
                       answer_rate_pct=pct(len(ans), n), abandon_rate_pct=pct(len(ab), n),
                       asa_s=r1(avg(x["wait"] for x in ans)),
                       avg_wait_s=r1(avg(waits)), max_wait_s=r1(max(waits) if waits else None),
                       avg_talk_s=r1(avg(x["talk"] for x in ans)),
                       service_level_pct=pct(in_sl, len(ans) + len(ab)),
                       answered_in_sl=in_sl, abandoned_in_sl=ab_sl,
                       sl_answered_pct=pct(in_sl, len(ans)),
                       sl_offered_pct=pct(in_sl + ab_sl, n))
    return rows


def view(s, sql, key_cols):
    """{key: {column: value}} of a view as cc_bi sees it, times in UTC."""
    conn = s.connect(role="cc_bi")
    try:
        with conn.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")
            cur.execute(sql)
            cols = [d[0] for d in cur.description]
            out = {}
            for row in cur.fetchall():
                d = dict(zip(cols, row))
                key = tuple(d.pop(c) for c in key_cols)
                for c, v in d.items():  # times as seconds since the epoch, like the ledger's
                    if isinstance(v, datetime.datetime):
                        d[c] = v.timestamp()
                    elif v is not None and not isinstance(v, (int, str, bool)):
                        d[c] = float(v)
                out[key] = d
            return out
    finally:
        conn.close()


def close_enough(want, got, tol):
    if want is None or got is None:
        return want is None and got is None
    if isinstance(want, bool) or isinstance(want, int) and isinstance(got, int):
        return want == got
    if isinstance(want, str) or isinstance(got, str):
        return want == got
    return abs(float(want) - float(got)) <= tol + 1e-9


def assert_rows(name, want, got, tol=0.1, exact=()):
    """Every row and column of want equals got's; durations (and what is derived from them)
    within tol: the ledger's times are the events', the views' those of acdd's rows, a
    millisecond apart, which can move a rounding."""
    assert set(want) == set(got), "%s: rows %s, view has %s" % (name, sorted(want), sorted(got))
    bad = []
    for k, cols in want.items():
        for c, v in cols.items():
            if not close_enough(v, got[k].get(c), 0 if c in exact else tol):
                bad.append("%s %s: expected %r, view %r" % (k, c, v, got[k].get(c)))
    assert not bad, "%s:\n  %s" % (name, "\n  ".join(bad))


def show(name, rows):
    """The figures the test expected (and found), for the worked example in REPORTS.md
    (pytest -s prints them)."""
    print("\n%s" % name)
    for k in sorted(rows, key=str):
        key = " ".join(v.strftime("%H:%M") if isinstance(v, datetime.datetime) and v.hour
                       else "day" if isinstance(v, datetime.datetime) else str(v) for v in k)
        print("  %s: %s" % (key, ", ".join("%s=%s" % (c, v) for c, v in rows[k].items())))


COUNTS = ("offered", "answered", "abandoned", "overflowed", "missed", "answered_in_sl",
          "abandoned_in_sl", "handled", "estimated", "periods", "called_again")


def test_a_scripted_day_equals_every_kpi_view(cc):
    s = cc
    sl_of = {"sales": SALES["sl"], "support": SUPPORT["sl"]}
    wrapup_of = {"sales": SALES["wrapup"], "support": SUPPORT["wrapup"]}
    led = Ledger(s)
    try:
        cases = play_day(s, led)
    finally:
        time.sleep(1.0)  # acdd's writer commits the last rows; cdrd the last CDRs
        led.close()
    entries = entries_of(led, sl_of)

    # the script did what it says (else the figures below would prove little)
    by_call = collections.defaultdict(list)
    for x in entries:
        by_call[x["call_id"]].append(x)
    assert all(by_call[c][0]["outcome"] == "answered" and by_call[c][0]["in_sl"]
               for c in cases["in_sl"]), entries
    assert all(by_call[c][0]["outcome"] == "answered" and not by_call[c][0]["in_sl"]
               for c in cases["out_sl"] + cases["no_answer"]), entries
    (short,), (long_,) = cases["abandon_short"], cases["abandon_long"]
    assert by_call[short][0]["outcome"] == "abandoned" and by_call[short][0]["wait"] < 3
    assert by_call[long_][0]["outcome"] == "abandoned" and by_call[long_][0]["wait"] > 3
    ov = by_call[cases["overflow"][0]]
    assert [(x["queue"], x["outcome"]) for x in ov] == [("sales", "overflowed"),
                                                        ("support", "answered")], ov
    assert by_call[cases["callback"][0]][0]["callback"]
    tr = by_call[cases["transfer"][0]]
    assert [(x["queue"], x["agent"]) for x in tr] == [("sales", "1003"), ("support", "1004")], tr
    for x in entries:
        assert x["outcome"] != "open", x
    case_of = {c: name for name, cids in cases.items() for c in cids}
    print("\nthe day's queue entries")
    for x in entries:
        print("  %-13s %-6s %-7s %-10s %-4s wait %5.1f%s told %s talk %s" % (
            case_of[x["call_id"]], x["caller"], x["queue"], x["outcome"], x["agent"] or "-",
            x["wait"], " in SL" if x.get("in_sl") else "", x["expected"],
            "%.1f" % x["talk"] if x["talk"] is not None else "-"))

    # ---- queues -----------------------------------------------------------------------
    calls = {}
    for x in entries:
        ans, ab, ov = (x["outcome"] == o for o in ("answered", "abandoned", "overflowed"))
        calls[(x["call_id"], x["queue"])] = dict(
            entered_at=x["entered"], caller=x["caller"], priority=x["priority"],
            answered_at=x["answered"], agent=x["agent"], answer_wait_s=x["wait"] if ans else None,
            in_sl=x["in_sl"] if ans else None,
            abandoned_at=x["left"] if ab else None, abandon_wait_s=x["wait"] if ab else None,
            abandon_position=x["abandon_position"], overflowed_at=x["left"] if ov else None,
            overflow=x["overflow"], talk_s=x["talk"], outcome=x["outcome"],
            entry_position=x["position"], expected_wait_s=x["expected"], skill=x["skill"],
            skill_level=1 if x["skill"] else None, overflow_wait_s=x["wait"] if ov else None,
            callback=bool(x["callback"] and ans),
            entered_by=x["entered_by"])
    got = view(s, "SELECT * FROM v_queue_calls", ("call_id", "queue"))
    assert_rows("v_queue_calls", calls, got, tol=0.05,
                exact=("priority", "abandon_position", "entry_position", "expected_wait_s",
                       "skill_level"))
    hourly = queue_stats(entries, hour_of, sl_of)
    want = {k: {c: v[c] for c in ("offered", "answered", "abandoned", "overflowed",
                                  "answer_rate_pct", "abandon_rate_pct", "asa_s", "avg_wait_s",
                                  "max_wait_s", "avg_talk_s", "service_level_pct")}
            for k, v in hourly.items()}
    got = view(s, "SELECT * FROM v_queue_stats_hourly", ("queue", "hour"))
    assert_rows("v_queue_stats_hourly", want, got, exact=COUNTS)
    daily = queue_stats(entries, day_of, sl_of)
    want = {k: {c: v[c] for c in v if c not in ("avg_wait_s", "max_wait_s")}
            for k, v in daily.items()}
    got = view(s, "SELECT * FROM v_queue_stats_daily", ("queue", "day"))
    assert_rows("v_queue_stats_daily", want, got, exact=COUNTS)
    show("v_queue_stats_daily", want)

    # ---- agents -----------------------------------------------------------------------
    periods = state_periods(led)
    offers = led.all("queue.offered")
    failed = [e for e in led.all("queue.offer_failed") if e["reason"] in ("no_answer",
                                                                         "rejected")]
    done = [x for x in entries if x.get("completed")]
    want = collections.defaultdict(lambda: dict(offered=0, answered=0, missed=0, talk=0.0,
                                                st=collections.Counter()))
    for e in offers:
        want[(e["agent"], day_of(ts(e)))]["offered"] += 1
    for e in failed:
        want[(e["agent"], day_of(ts(e)))]["missed"] += 1
    for x in done:
        w = want[(x["agent"], day_of(x["completed"]))]
        w["answered"] += 1
        w["talk"] += x["talk"]
    for ext, st, _, t0, t1 in periods:
        want[(ext, day_of(t1))]["st"][st] += t1 - t0
    agents = {}
    for k, w in want.items():
        st = w["st"]
        logged = sum(v for name, v in st.items() if name != "logged_out")
        busy = st["on_call"] + st["wrap_up"]
        agents[k] = dict(offered=w["offered"], answered=w["answered"], missed=w["missed"],
                         talk_s=r1(w["talk"]) if w["answered"] else None,
                         avg_talk_s=r1(w["talk"] / w["answered"]) if w["answered"] else None,
                         aht_s=r1(busy / w["answered"]) if w["answered"] else None,
                         logged_in_s=r1(logged) if set(st) - {"logged_out"} else None,
                         ready_s=r1(st["ready"]) if "ready" in st else None,
                         not_ready_s=r1(st["not_ready"]) if "not_ready" in st else None,
                         wrap_up_s=r1(st["wrap_up"]) if "wrap_up" in st else None,
                         occupancy_pct=r1(100.0 * busy / logged) if logged else None)
    got = view(s, "SELECT * FROM v_agent_stats_daily", ("ext", "day"))
    assert_rows("v_agent_stats_daily", agents, got, tol=0.15, exact=COUNTS)
    show("v_agent_stats_daily", agents)
    hourly = collections.defaultdict(lambda: dict(offered=0, answered=0, missed=0, talks=[]))
    for e in offers:
        hourly[(e["agent"], e["queue"], hour_of(ts(e)))]["offered"] += 1
    for e in failed:
        hourly[(e["agent"], e["queue"], hour_of(ts(e)))]["missed"] += 1
    for e in led.all("queue.answered"):
        hourly[(e["agent"], e["queue"], hour_of(ts(e)))]["answered"] += 1
    for x in done:
        hourly[(x["agent"], x["queue"], hour_of(x["completed"]))]["talks"].append(x["talk"])
    want = {k: dict(offered=v["offered"], answered=v["answered"], missed=v["missed"],
                    avg_talk_s=r1(avg(v["talks"]))) for k, v in hourly.items()}
    got = view(s, "SELECT * FROM v_agent_stats_hourly", ("ext", "queue", "hour"))
    assert_rows("v_agent_stats_hourly", want, got, exact=COUNTS)

    # the rows behind them: calls finished, state changes, the state each agent is in
    want = {(x["call_id"], x["queue"]): dict(agent=x["agent"], completed_at=x["completed"],
                                             talk_s=x["talk"]) for x in done}
    got = view(s, "SELECT * FROM v_agent_calls", ("call_id", "queue"))
    assert_rows("v_agent_calls", want, got, tol=0.05)
    changes = collections.defaultdict(list)
    for e in led.all("agent.state"):
        changes[e["ext"]].append(e)
    want, last = {}, {}
    for ext, evs in changes.items():
        for i, e in enumerate(evs):  # keyed by time: changes in one step share a millisecond
            t = since_of(e)
            k = (ext, round(t * 1000), e["state"])
            want[k] = dict(reason=e.get("reason", ""), previous=e["previous"])
            if i:  # the first follows a logged_out that began before the day
                want[k]["previous_s"] = t - since_of(evs[i - 1])
        last[(ext,)] = dict(state=evs[-1]["state"], reason=evs[-1].get("reason", ""),
                            since=since_of(evs[-1]))
    rows = view(s, "SELECT ext, round(extract(epoch FROM started_at) * 1000)::bigint AS ms, "
                "state, reason, previous, previous_s FROM v_agent_state_changes",
                ("ext", "ms", "state"))
    assert_rows("v_agent_state_changes", want, rows, tol=0.002)
    got = view(s, "SELECT ext, state, reason, since FROM v_agent_states", ("ext",))
    assert_rows("v_agent_states", last, got, tol=0.002)

    # queue handle time: each wrap-up counts for the queue of the agent's last call
    handle = collections.defaultdict(lambda: dict(handled=0, talk=0.0, wrap=0.0))
    for x in done:
        h = handle[(x["queue"], day_of(x["completed"]))]
        h["handled"] += 1
        h["talk"] += x["talk"]
    for ext, st, _, t0, t1 in periods:
        if st == "wrap_up":
            last = max((x for x in done if x["agent"] == ext and x["completed"] <= t1 + 0.01),
                       key=lambda x: x["completed"])
            handle[(last["queue"], day_of(t1))]["wrap"] += t1 - t0
    want = {k: dict(handled=h["handled"], talk_s=r1(h["talk"]), wrap_up_s=r1(h["wrap"]),
                    aht_s=r1((h["talk"] + h["wrap"]) / h["handled"]))
            for k, h in handle.items()}
    got = view(s, "SELECT * FROM v_queue_handle_daily", ("queue", "day"))
    assert_rows("v_queue_handle_daily", want, got, tol=0.15, exact=COUNTS)
    show("v_queue_handle_daily", want)

    # not ready per reason: lunch, meeting, no_answer (and the login of none)
    nr = collections.defaultdict(lambda: [0, 0.0])
    for ext, st, why, t0, t1 in periods:
        if st == "not_ready":
            nr[(ext, day_of(t1), why)][0] += 1
            nr[(ext, day_of(t1), why)][1] += t1 - t0
    want = {k: dict(periods=v[0], not_ready_s=r1(v[1])) for k, v in nr.items()}
    assert {k[2] for k in want} >= {"lunch", "meeting", "no_answer"}, want
    got = view(s, "SELECT * FROM v_agent_not_ready_daily", ("ext", "day", "reason"))
    assert_rows("v_agent_not_ready_daily", want, got, exact=COUNTS)
    show("v_agent_not_ready_daily", want)

    # per skill: sales calls need billing (and keep it when they overflow to support);
    # calls dialled to support need nothing
    skill = {k: {c: v[c] for c in ("offered", "answered", "abandoned", "overflowed", "asa_s",
                                   "avg_talk_s", "service_level_pct")}
             for k, v in queue_stats(entries, day_of, sl_of, by="skill").items()}
    got = view(s, "SELECT * FROM v_skill_stats_daily", ("skill", "day"))
    assert_rows("v_skill_stats_daily", skill, got, exact=COUNTS)
    show("v_skill_stats_daily", skill)

    # ---- the wait told on entry against the wait -------------------------------------
    check_estimates(s, entries, wrapup_of, periods)

    # ---- callers who call again ---------------------------------------------------------
    check_repeat_callers(s, led, entries)


def serving_at(periods, members, t):
    """Members logged in and not paused at t; all logged in if every one is paused."""
    now = {}
    for ext, st, _, t0, t1 in periods:
        if ext in members and t0 <= t < t1:
            now[ext] = st
    logged = [e for e, st in now.items() if st != "logged_out"]
    serving = [e for e in logged if now[e] != "not_ready"]
    return len(serving or logged)


def check_estimates(s, entries, wrapup_of, periods):
    """What acdd told each waiting caller, recomputed here from the calls before it (the
    formula of docs/ACD-ROUTING.md), then compared with the wait and the views."""
    for x in entries:
        if x["queue"] != "sales":
            continue
        before = [y for y in entries if y["queue"] == "sales" and y.get("completed") and
                  y["completed"] < x["entered"]]
        if x["position"] == 0:
            assert x["expected"] is None, x
            continue
        handle = avg([y["talk"] + wrapup_of["sales"] for y in before]) if before else 180
        want = x["position"] * handle / serving_at(periods, ("1002", "1003"), x["entered"])
        assert x["expected"] is not None and abs(x["expected"] - want) <= 1.0, (x, want)
    est = [x for x in entries if x["expected"] is not None and not x["callback"]]
    rows = {}
    for x in est:
        k = (x["call_id"], x["queue"])
        ok = x["outcome"] == "answered"
        rows[k] = dict(position=x["position"], expected_wait_s=x["expected"],
                       outcome=x["outcome"], waited_s=x["wait"],
                       actual_wait_s=x["wait"] if ok else None,
                       error_s=x["expected"] - x["wait"] if ok else None,
                       abs_error_s=abs(x["expected"] - x["wait"]) if ok else None)
    for x in est:
        rows[(x["call_id"], x["queue"])]["entered_at"] = x["entered"]
    got = view(s, "SELECT * FROM v_wait_estimate_accuracy", ("call_id", "queue"))
    assert_rows("v_wait_estimate_accuracy", rows, got, tol=0.05,
                exact=("position", "expected_wait_s"))
    errors = [x["expected"] - x["wait"] for x in est if x["outcome"] == "answered"]
    abs_err = sorted(abs(e) for e in errors)
    day = day_of(est[0]["entered"])

    def pcont(xs, p):  # percentile_cont: linear between the closest ranks
        i = p * (len(xs) - 1)
        lo = int(math.floor(i))
        return xs[lo] + (xs[min(lo + 1, len(xs) - 1)] - xs[lo]) * (i - lo)
    answered = [x for x in est if x["outcome"] == "answered"]
    want = {("sales", day): dict(
        estimated=len(est), answered=len(answered),
        mean_actual_s=r1(avg(x["wait"] for x in answered)),
        mean_expected_s=r1(avg(x["expected"] for x in answered)),
        bias_s=r1(avg(errors)), mean_abs_error_s=r1(avg(abs_err)),
        median_abs_error_s=r1(pcont(abs_err, 0.5)), p90_abs_error_s=r1(pcont(abs_err, 0.9)),
        within_60s_pct=pct(sum(1 for e in abs_err if e <= 60), len(abs_err)))}
    got = view(s, "SELECT * FROM v_wait_estimate_daily", ("queue", "day"))
    assert_rows("v_wait_estimate_daily", want, got, exact=COUNTS)
    show("v_wait_estimate_daily", want)
    print("\nwait estimate on the scripted day: %d callers told, %d answered; expected %s, "
          "waited %s; median abs error %.1f s, p90 %.1f s, bias %+.1f s" % (
              len(est), len(answered), [x["expected"] for x in answered],
              ["%.1f" % x["wait"] for x in answered], statistics.median(abs_err),
              pcont(abs_err, 0.9), avg(errors)))


def check_repeat_callers(s, led, entries):
    """Every call the script made, with the same number's previous and next call; first
    contact resolution over 24 hours and over a window shorter than the day's gaps."""
    first = {}
    for x in entries:
        first.setdefault(x["call_id"], x)
    created = {e["call_id"]: ts(e) for e in led.all("call.created") if e["call_id"] in first}
    dialled = {e["call_id"]: e["callee"] for e in led.all("call.created")}
    assert set(created) == set(first), "call.created of every queue call"
    calls = sorted(first.values(), key=lambda x: created[x["call_id"]])
    by_caller = collections.defaultdict(list)
    for x in calls:
        by_caller[x["caller"]].append(x)
    want = {}
    for seq in by_caller.values():
        for i, x in enumerate(seq):
            prev = seq[i - 1] if i else None
            nxt = seq[i + 1] if i + 1 < len(seq) else None
            agent = next((y["agent"] for y in entries if y["call_id"] == x["call_id"] and
                          y["agent"]), None)
            want[(x["call_id"],)] = dict(
                created_at=created[x["call_id"]], caller=x["caller"], callee=dialled[x["call_id"]],
                queue=x["queue"], agent=agent,
                previous_call_id=prev and prev["call_id"],
                previous_at=prev and created[prev["call_id"]],
                since_previous_s=prev and created[x["call_id"]] - created[prev["call_id"]],
                next_call_id=nxt and nxt["call_id"], next_at=nxt and created[nxt["call_id"]],
                until_next_s=nxt and created[nxt["call_id"]] - created[x["call_id"]])
    # disposition is the CDR's (test_cdr.py checks those)
    got = view(s, "SELECT call_id, created_at, caller, callee, queue, agent, previous_call_id, "
               "previous_at, since_previous_s, next_call_id, next_at, until_next_s "
               "FROM v_repeat_calls", ("call_id",))
    assert_rows("v_repeat_calls", want, got, tol=0.01)
    for window in (24 * 3600.0, 20.0):
        fcr = collections.defaultdict(lambda: [0, 0])
        for k, w in want.items():
            if w["agent"]:
                g = fcr[(day_of(created[k[0]]), w["queue"], w["agent"])]
                g[0] += 1
                g[1] += 1 if w["until_next_s"] is not None and w["until_next_s"] <= window else 0
        rows = {k: dict(answered=v[0], called_again=v[1], fcr_pct=pct(v[0] - v[1], v[0]))
                for k, v in fcr.items()}
        sql = ("SELECT * FROM v_fcr_daily" if window > 3600 else
               "SELECT * FROM cc_first_contact(interval '%d seconds')" % window)
        got = view(s, sql, ("day", "queue", "agent"))
        assert_rows("first contact (%g s)" % window, rows, got, exact=COUNTS)
        show("first contact (%g s)" % window, rows)
