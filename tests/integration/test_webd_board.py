"""The wallboard with real calls: baresip agents and callers through sipproxy, mediad, acdd
and cdrd, watched through webd. A call's wait, answer, abandon and move reach the board and
its live stream; today's figures (in the centre's time zone, here Europe/Berlin) equal the
BI views, also after webd restarts; a dropped stream resumes from its Last-Event-ID with
nothing missed or repeated; the console's actions change real state (a priority that
reorders the queue, a hang-up in the CDR, a callback that rings the number); an alert
reaches the bus."""

import time

import pytest

import suite as sm
from helpers.phones import agent_and_caller_phones
from helpers.bus import wait_until as wait_for
from helpers.webclient import Http, Sse, web_user

PW = "pw-for-board-1"
TZ = "Europe/Berlin"
AGENTS = ("1002", "1003", "1004")
CALLERS = ("2001", "2002", "2003")


@pytest.fixture(scope="module")
def cc(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_webd_board",
                 daemons=["sipproxy", "mediad", "acdd", "cdrd", "webd"],
                 config={"sipproxy.ring_timeout": "10", "mediad.media_timeout": "60",
                         "webd.time_zone": TZ, "acdd.callback_retry_s": "5"})
    uas = []
    try:
        for ext in AGENTS + CALLERS:
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
            s.ccctl("route", "add", ext, "ext:" + ext, check=True)
        for name, number in (("q1", "620"), ("q2", "621")):
            s.ccctl("queue", "add", name, "--number", number, "--strategy", "longest-idle",
                    "--ring-timeout", "6", "--no-announce", "--sl", "20", check=True)
        for ext in ("1002", "1003"):
            s.ccctl("agent", "add", ext, "--queue", "q1", check=True)
        s.ccctl("agent", "add", "1004", "--queue", "q2", check=True)
        web_user(s, "sup", "supervisor", PW, queues="*")
        s.start()
        agent_and_caller_phones(s, AGENTS, CALLERS, uas)
        s.web = Http(s.http_port)
        s.web.login("sup", PW)
        yield s
    finally:
        for ua in uas:
            ua.stop()
        s.close()


def set_agents(s, ready=()):
    for ext in AGENTS:
        s.bus_call("acdd", "agent.logout", {"ext": ext})
    for ext in ready:
        r = s.bus_call("acdd", "agent.login", {"ext": ext})
        assert r.get("ok"), r
    time.sleep(0.2)


def hangup_all(s):
    for ua in s.ua.values():
        ua.command("hangup")
    time.sleep(1.0)


def board_call(s, caller, state=None, timeout=10):
    """The call of `caller` on the board (GET /api/calls), in `state` if given."""
    def find():
        for c in s.web.get("/api/calls").json["calls"]:
            if c["caller"] == caller and (state is None or c["state"] == state):
                return c
        return None
    return wait_for(find, timeout=timeout, what="%s's call on the board (%s)" % (caller, state))


def agent(s, ext):
    return {a["ext"]: a for a in s.web.get("/api/agents").json["agents"]}[ext]


def api_queue(s, name):
    return s.web.get("/api/queues/" + name).json


def view_today(s, sql, params):
    """One row of a view for today in the centre's time zone (as the wallboard counts)."""
    conn = s.connect(role="cc_bi")
    try:
        with conn.cursor() as cur:
            cur.execute("SET TIME ZONE '%s'" % TZ)
            cur.execute(sql, params)
            return cur.fetchone()
    finally:
        conn.close()


def num(v):
    return None if v is None else float(v)


def assert_board_equals_views(s, queues, agents):
    """Every figure the board shows for today equals the views' for today."""
    for q in queues:
        row = view_today(s, "SELECT offered, answered, abandoned, overflowed, abandon_rate_pct, "
                         "answer_rate_pct, service_level_pct, asa_s FROM v_queue_stats_daily "
                         "WHERE queue = %s AND day = date_trunc('day', now())", (q,))
        handle = view_today(s, "SELECT handled, aht_s FROM v_queue_handle_daily WHERE queue = %s "
                            "AND day = date_trunc('day', now())", (q,)) or (0, None)
        t = api_queue(s, q)["today"]
        seen = (t["offered"], t["answered"], t["abandoned"], t["overflowed"],
                t["abandon_rate_pct"], t["answer_rate_pct"], t["sl_pct"], t["asa_s"],
                t["handled"], t["aht_s"])
        want = tuple(row[:4]) + tuple(num(x) for x in row[4:]) + (handle[0], num(handle[1])) \
            if row else (0, 0, 0, 0, None, None, None, None, handle[0], num(handle[1]))
        assert seen == want, "queue %s: board %s, views %s" % (q, seen, want)
    board = {a["ext"]: a for a in s.web.get("/api/agents").json["agents"]}
    for ext in agents:
        row = view_today(s, "SELECT answered, talk_s FROM v_agent_stats_daily WHERE ext = %s "
                         "AND day = date_trunc('day', now())", (ext,)) or (0, 0)
        seen = (board[ext]["today"]["calls"], board[ext]["today"]["talk_s"])
        assert seen == (row[0], num(row[1]) or 0.0), "agent %s: board %s, views %s" % (
            ext, seen, row)


def test_a_day_of_calls_on_the_board_equals_the_views(cc):
    s = cc
    set_agents(s, ready=("1002",))
    stream = Sse(s.http_port, cookies=s.web.cookies)
    stream.wait(lambda e: e[1] == "snapshot", what="the snapshot")
    # answered: 1002 answers, talks, the caller hangs up
    s.ua["2001"].dial("620")
    answered = board_call(s, "2001", "talking")
    stream.wait(lambda e: e[2].get("t") == "agent" and e[2]["v"]["ext"] == "1002" and
                e[2]["v"]["call"] and e[2]["v"]["call"]["call_id"] == answered["call_id"],
                what="1002 on the call")
    time.sleep(1.5)
    s.ua["2001"].command("hangup")
    wait_for(lambda: not agent(s, "1002")["call"] and
             api_queue(s, "q1")["today"]["handled"] == 1, what="the call to end")
    # abandoned: nobody ready, the caller gives up after 2 s
    set_agents(s)
    s.ua["2002"].dial("620")
    waiting = board_call(s, "2002", "waiting")
    assert api_queue(s, "q1")["waiting"] == 1
    assert api_queue(s, "q1")["oldest"] == waiting["entered"]
    time.sleep(2)
    s.ua["2002"].command("hangup")
    ab = stream.wait(lambda e: e[2].get("t") == "abandoned" and
                     e[2]["v"]["call_id"] == waiting["call_id"], what="the abandoned call")
    assert ab[2]["v"]["queue"] == "q1" and ab[2]["v"]["wait_s"] >= 1.5
    assert ab[2]["v"]["caller"] == "2002"
    # moved: a waiting call goes to q2 through the console, 1004 answers it there
    s.ua["2003"].dial("620")
    c = board_call(s, "2003", "waiting")
    r = s.web.post("/api/calls/%s/move" % c["call_id"], {"queue": "q2"})
    assert r.status == 200 and r.json["queue"] == "q2", r
    moved = board_call(s, "2003", "waiting")
    assert moved["queue"] == "q2" and moved["entered"] >= c["entered"]
    s.bus_call("acdd", "agent.login", {"ext": "1004"})
    talking = board_call(s, "2003", "talking")
    assert talking["agent"] == "1004"
    time.sleep(1)
    # the supervisor hangs it up: the CDR says so
    r = s.web.post("/api/calls/%s/hangup" % talking["call_id"])
    assert r.status == 200, r
    cdr = wait_for(lambda: s.psql("SELECT disposition, hangup_side, reason FROM cdrs WHERE "
                                  "call_id = %s", (talking["call_id"],)), what="the CDR")
    assert cdr[0][1] == "system" and "hung up by sup" in cdr[0][2], cdr
    stream.close()
    time.sleep(1.0)  # acdd's writer commits what the last events say
    assert_board_equals_views(s, ("q1", "q2"), AGENTS)
    q1 = api_queue(s, "q1")["today"]
    assert (q1["offered"], q1["answered"], q1["abandoned"], q1["overflowed"]) == (3, 1, 1, 1), q1
    assert api_queue(s, "q2")["today"]["answered"] == 1
    # a webd started mid-shift rebuilds the same figures from Postgres (and acdd's replay)
    s.restart("webd")
    assert s.web.get("/api/session").status == 200  # the session survived the restart
    assert_board_equals_views(s, ("q1", "q2"), AGENTS)
    hangup_all(s)


def test_priority_reorders_the_queue(cc):
    s = cc
    set_agents(s)
    s.ua["2001"].dial("620")
    first = board_call(s, "2001", "waiting")
    time.sleep(0.5)
    s.ua["2002"].dial("620")
    second = board_call(s, "2002", "waiting")
    r = s.web.post("/api/calls/%s/move" % second["call_id"], {"priority": 50})
    assert r.status == 200 and r.json["position"] == 1, r
    wait_for(lambda: board_call(s, "2002")["priority"] == 50, what="the new priority")
    s.bus_call("acdd", "agent.login", {"ext": "1002"})
    taken = board_call(s, "2002", "talking")
    assert taken["agent"] == "1002"
    assert board_call(s, "2001")["call_id"] == first["call_id"]
    hangup_all(s)


def test_stream_resumes_from_last_event_id_exactly(cc):
    s = cc
    set_agents(s, ready=("1003",))
    whole = Sse(s.http_port, cookies=s.web.cookies)
    part = Sse(s.http_port, cookies=s.web.cookies)
    whole.wait(lambda e: e[1] == "snapshot")
    part.wait(lambda e: e[1] == "snapshot")
    path = "/api/agents/1003/state"
    for i in range(12):
        assert s.web.post(path, {"state": "pause", "reason": "r%d" % i}).status == 200
        assert s.web.post(path, {"state": "ready"}).status == 200
        if i == 3:
            part.wait(lambda e: e[1] == "update", what="an update")
            part.close()  # dropped in the middle of the burst
            last = [e[0] for e in part.events if e[0]][-1]
    resumed = Sse(s.http_port, cookies=s.web.cookies, last_event_id=last)
    def agent_updates(stream):
        return [e for e in list(stream.events)
                if e[1] == "update" and e[2]["t"] == "agent" and e[2]["v"]["ext"] == "1003"]
    wait_for(lambda: len(agent_updates(whole)) >= 24, what="24 state changes on the stream")
    final = agent_updates(whole)[-1]
    assert final[2]["v"]["state"] == "ready" and final[2]["v"]["reason"] == "", final
    resumed.wait(lambda e: e[0] == final[0], what="the same last update after resuming")
    assert not [e for e in resumed.events if e[1] == "snapshot"], "a resume is not a snapshot"
    upto = whole.ids().index(final[0]) + 1
    before = part.ids()
    after = resumed.ids()[:resumed.ids().index(final[0]) + 1]
    joined = before + after
    want = whole.ids()[whole.ids().index(before[0]):upto]
    assert joined == want, "resumed stream %d ids, continuous %d; first difference at %s" % (
        len(joined), len(want),
        next((i for i, (a, b) in enumerate(zip(joined, want)) if a != b), "end"))
    assert len(set(joined)) == len(joined), "an update was sent twice"
    # an id webd never sent gets a fresh snapshot instead
    stale = Sse(s.http_port, cookies=s.web.cookies, last_event_id="acdd:1:1.0")
    stale.wait(lambda e: e[1] == "snapshot", what="a snapshot for an unknown id")
    for st in (whole, resumed, stale):
        st.close()


def test_alert_goes_to_the_page_and_the_bus(cc):
    s = cc
    s.ccctl("web", "alert", "set", "q1", "--max-wait", "2", check=True)
    wait_for(lambda: api_queue(s, "q1")["rules"]["max_wait_s"] == 2, what="the new rule")
    set_agents(s)
    sub = s.subscribe(["webd"], prefix="web.alert")
    time.sleep(0.3)
    s.ua["2003"].dial("620")
    board_call(s, "2003", "waiting")
    raised = None
    for topic, ev, _ in sub.collect(8, until=lambda evs: any(
            e[1]["alert"] == "wait_long" for e in evs)):
        if ev["alert"] == "wait_long":
            raised = ev
    assert raised and raised["state"] == "raised" and raised["queue"] == "q1", raised
    assert raised["threshold"] == 2 and raised["value"] > 2
    alerts = s.web.get("/api/alerts").json["alerts"]
    assert any(a["alert"] == "wait_long" and a["queue"] == "q1" for a in alerts), alerts
    s.ua["2003"].command("hangup")
    cleared = [e for _, e, _ in sub.collect(5, until=lambda evs: any(
        x[1]["state"] == "cleared" and x[1]["alert"] == "wait_long" for x in evs))]
    sub.close()
    assert any(e["state"] == "cleared" and e["alert"] == "wait_long" for e in cleared), cleared
    s.ccctl("web", "alert", "del", "q1", check=True)


def test_call_back_an_abandoned_caller(cc):
    s = cc
    hangup_all(s)
    set_agents(s)
    ab = [a for a in s.web.get("/api/abandoned").json["abandoned"] if a["caller"] == "2002"]
    assert ab, "2002's abandoned call is listed"
    r = s.web.post("/api/callbacks", {"queue": "q1", "number": "2002"})
    assert r.status == 200 and r.json["call_id"].startswith("callback-"), r
    cb = r.json["call_id"]
    assert board_call(s, "2002", "callback")["call_id"] == cb
    wait_for(lambda: any(a["called_back"] for a in s.web.get("/api/abandoned").json["abandoned"]
                         if a["caller"] == "2002"), what="the abandoned entry marked")
    assert api_queue(s, "q1")["today"]["callbacks_pending"] >= 1
    before = api_queue(s, "q1")["today"]["offered"]
    s.bus_call("acdd", "agent.login", {"ext": "1002"})  # its phone rings first, answers
    assert s.ua["2002"].wait_log("Incoming call", 20), s.log_tail("acdd")
    s.ua["2002"].command("accept")
    row = wait_for(lambda: s.psql("SELECT result, agent FROM v_callbacks WHERE call_id = %s",
                                  (cb,)) if s.psql("SELECT result FROM v_callbacks WHERE "
                                                   "call_id = %s AND result = 'connected'",
                                                   (cb,)) else None,
                   timeout=20, what="the callback connected")
    assert row == [("connected", "1002")], row
    time.sleep(1)
    hangup_all(s)
    wait_for(lambda: api_queue(s, "q1")["today"]["callbacks_pending"] == 0,
             what="no callback pending")
    assert api_queue(s, "q1")["today"]["offered"] == before  # a callback is not a new offer
    time.sleep(1.0)
    assert_board_equals_views(s, ("q1", "q2"), AGENTS)


def test_ccctl_sends_the_console_commands_too(cc):
    """The console's commands are the ones ccctl sends: the same effects from the shell."""
    s = cc
    hangup_all(s)
    set_agents(s)
    s.ua["2001"].dial("620")
    c = board_call(s, "2001", "waiting")
    r = s.ccctl("queue", "calls", "--json", check=True)
    listed = {x["call_id"]: x for x in __import__("json").loads(r.stdout)}
    assert listed[c["call_id"]]["state"] == "waiting" and listed[c["call_id"]]["queue"] == "q1"
    r = s.ccctl("queue", "move", c["call_id"], "--priority", "30", check=True)
    assert "priority 30" in r.stdout, r.stdout
    wait_for(lambda: board_call(s, "2001")["priority"] == 30, what="the board to follow")
    assert s.ccctl("queue", "move", c["call_id"], "--priority", "101").returncode == 2
    assert s.ccctl("queue", "callback", "q1", "12ab").returncode == 2
    r = s.ccctl("call", "hangup", c["call_id"], check=True)
    wait_for(lambda: not [x for x in s.web.get("/api/calls").json["calls"]
                          if x["call_id"] == c["call_id"]], what="the call to leave the board")
    cdr = wait_for(lambda: s.psql("SELECT reason FROM cdrs WHERE call_id = %s", (c["call_id"],)),
                   what="the CDR")
    assert "ccctl" in cdr[0][0], cdr
    hangup_all(s)


def test_click_to_call_rings_the_agent_then_the_number(cc):
    s = cc
    hangup_all(s)
    sub = s.subscribe(["sipproxy"], prefix="call.connect_result")
    time.sleep(0.3)
    r = s.web.post("/api/originate", {"agent": "1002", "number": "2003"})
    assert r.status == 200 and r.json["state"] == "ringing_agent", r
    call_id = r.json["call_id"]
    assert s.ua["2003"].wait_log("Incoming call", 15), "the number never rang"
    s.ua["2003"].command("accept")
    results = []
    for _, ev, _ in sub.collect(10, until=lambda evs: any(
            e[1].get("target") == "number:2003" for e in evs)):
        if ev["call_id"] == call_id:
            results.append((ev.get("target"), ev["result"]))
    sub.close()
    assert ("ext:1002", "answered") in results and ("number:2003", "answered") in results, results
    time.sleep(1)
    hangup_all(s)
    rows = s.psql("SELECT actor, action, result FROM web_audit WHERE action = 'originate'")
    assert rows == [("sup", "originate", "ok")], rows
