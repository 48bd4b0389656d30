"""ACD behind the IVR, with real phones: calls take their priority and skill from the IVR
(a lookup of the caller in customers, a branch on the tier, a route node to a skills queue
with priority and skill from variables, as deploy/ivr/vip-support.json does), so a skill
call reaches the agent with the skill and a VIP call overtakes older normal calls. Also
the agent's phone itself: feature codes (*45 log in, *46 log out, *47N pause, *48 ready)
answered with a prompt the phone hears, and a phone that unregisters logs its agent out.

Daemons: sipproxy, mediad, acdd, ivrd. Phones: baresip (agents answer by themselves)."""

import json
import struct
import time
import wave

import pytest

import suite as sm
from helpers.audio import make_tone, tone_share
from helpers.bus import bus_ok, set_agents, wait_until
from helpers.phones import Baresip, hangup_all
from helpers.sipwire import SipWire, header

IVR_NUMBER = "7100"
SURVEY_NUMBER = "7101"
QUEUE, QUEUE_NUMBER = "vq", "620"
VIP, NORMAL = "2001", ("2002", "2003")
PLAIN_AGENT, SKILLED_AGENT, CODE_AGENT, UNREG_AGENT = "1002", "1003", "1004", "1005"
AGENTS = (PLAIN_AGENT, SKILLED_AGENT, CODE_AGENT)
RING = 6

FLOW = {
    "name": "acd-tier", "language": "en", "start": "who",
    "description": "Known callers by tier: VIPs get priority 90 and need the vip skill.",
    "nodes": {
        "who": {"kind": "lookup", "table": "customers", "key": "${caller}", "timeout": 2,
                "next": "tier", "not_found": "queue"},
        "tier": {"kind": "branch", "variable": "tier", "cases": {"VIP": "vip"},
                 "default": "queue"},
        "vip": {"kind": "set", "variable": "priority", "value": "90", "next": "vip-skill"},
        "vip-skill": {"kind": "set", "variable": "skill", "value": "vip", "next": "queue"},
        "queue": {"kind": "route", "to": "queue", "target": QUEUE,
                  "priority": "${priority}", "skill": "${skill}"},
    },
}

# a queued call that comes back to the flow for a survey when the agent hangs up
SURVEY_FLOW = {
    "name": "acd-survey", "language": "en", "start": "queue",
    "nodes": {
        "queue": {"kind": "route", "to": "queue", "target": QUEUE, "then": "rate"},
        "rate": {"kind": "survey", "prompt": "survey-question", "question": "agent-score",
                 "timeout": 8, "retries": 2, "thanks_prompt": "survey-thanks"},
    },
}


# ---- helpers ---------------------------------------------------------------------------


def agent_state(s, ext):
    for a in bus_ok(s, "acdd", "agent.list")["agents"]:
        if a["ext"] == ext:
            return a
    raise AssertionError("acdd does not list agent %s" % ext)


def next_event(s, sub, etype, timeout, match=None, seen=None):
    """The next event of type `etype` (and for which match(obj) holds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ev = sub.recv(max(0.05, deadline - time.monotonic()))
        if ev is None:
            continue
        if seen is not None:
            seen.append(ev[1])
        if ev[0] == etype and (match is None or match(ev[1])):
            return ev[1]
    raise AssertionError("no %s within %.0f s; acdd:\n%s\nivrd:\n%s"
                         % (etype, timeout, s.log_tail("acdd", 15), s.log_tail("ivrd", 10)))


def only_ready(s, ready=()):
    """Every agent logged out, then `ready` logged in one by one, in that order."""
    set_agents(s, ready, agents=AGENTS)


def loud_frames(path, threshold_dbfs=-40):
    """20 ms frames of a recording louder than threshold_dbfs."""
    with wave.open(str(path)) as w:
        n = w.getnframes()
        data = struct.unpack("<%dh" % n, w.readframes(n))
    limit = (32768 * 10 ** (threshold_dbfs / 20)) ** 2
    return sum(1 for i in range(0, len(data) - 160, 160)
               if sum(v * v for v in data[i:i + 160]) / 160 > limit)


# ---- fixture -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def acdivr(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_acd_ivr",
                 daemons=["sipproxy", "mediad", "acdd", "ivrd", "recorderd", "cdrd"],
                 config={"sipproxy.ring_timeout": "10", "mediad.media_timeout": "30",
                         "ivrd.path_flush_ms": "50"})
    uas = []
    try:
        for ext in AGENTS + (UNREG_AGENT, VIP) + NORMAL:
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
            s.ccctl("route", "add", ext, "ext:" + ext, check=True)
        s.ccctl("queue", "add", QUEUE, "--number", QUEUE_NUMBER, "--strategy", "skills",
                "--ring-timeout", str(RING), "--no-announce", check=True)
        s.ccctl("agent", "add", PLAIN_AGENT, "--queue", QUEUE, "--skill", "english:5",
                check=True)
        s.ccctl("agent", "add", SKILLED_AGENT, "--queue", QUEUE, "--skill", "english:5",
                "--skill", "vip:5", check=True)
        for ext in (CODE_AGENT, UNREG_AGENT):
            s.ccctl("agent", "add", ext, "--queue", QUEUE, check=True)
        # every call of the queue is recorded, though it reaches the queue through the IVR
        s.ccctl("recording", "policy", "queue:" + QUEUE, "always", check=True)
        s.psql("INSERT INTO customers (number, name, tier, account) "
               "VALUES (%s, 'Ada Lovelace', 'VIP', 'AC-1815')", (VIP,))
        s.start()
        for doc, number in ((FLOW, IVR_NUMBER), (SURVEY_FLOW, SURVEY_NUMBER)):
            flow = s.var_dir / (doc["name"] + ".json")
            flow.write_text(json.dumps(doc, indent=2))
            r = s.ccctl("ivr", "load", flow, "--number", number)
            assert r.returncode == 0, r.stderr
            s.wait_log("ivrd", r"event=ivr.flow_loaded daemon=ivrd flow=%s version=1"
                       % doc["name"], timeout=15)
        tone = s.var_dir / "tone440.wav"
        make_tone(tone, 440, 120)
        s.tone = tone
        s.ua = {}
        for ext in AGENTS:
            s.ua[ext] = Baresip(s, ext, "secret" + ext, tone, answer="auto")
        for ext in (VIP,) + NORMAL:
            s.ua[ext] = Baresip(s, ext, "secret" + ext, tone, answer="manual")
        uas.extend(s.ua.values())
        for ua in uas:
            assert ua.wait_log("200 OK", 15), "%s did not register:\n%s" % (
                ua.ext, ua.text()[-2000:])
        wait_until(lambda: len(bus_ok(s, "acdd", "agent.list")["agents"]) == 4,
                   what="acdd to know the agents")
        yield s
    finally:
        for ua in uas:
            ua.stop()
        s.close()


# ---- skills and priority from the IVR -----------------------------------------------------


def test_skill_call_reaches_the_agent_with_the_skill(acdivr):
    s = acdivr
    only_ready(s, (PLAIN_AGENT,))     # only the agent without the vip skill is ready
    sub = s.subscribe(["acdd"], prefix="queue.")
    time.sleep(0.3)
    seen = []
    s.ua[VIP].dial(IVR_NUMBER)
    ent = next_event(s, sub, "queue.entered", 15, seen=seen)
    assert (ent["caller"], ent["priority"], ent.get("skill")) == (VIP, 90, "vip"), ent
    # it waits: the ready agent lacks the skill
    for _, obj, _ in sub.collect(3):
        seen.append(obj)
    assert not [e for e in seen if e["type"] == "queue.offered"], seen
    assert agent_state(s, PLAIN_AGENT)["state"] == "ready"
    with SipWire(s.sip_port) as wire:
        bus_ok(s, "acdd", "agent.login", {"ext": SKILLED_AGENT})
        offered = next_event(s, sub, "queue.offered", 10)
        assert offered["agent"] == SKILLED_AGENT and offered["call_id"] == ent["call_id"], \
            offered
        # the screen pop carries what the IVR learnt: in the event for a desktop ...
        assert offered["variables"].get("tier") == "VIP", offered
        assert offered["variables"].get("name") == "Ada Lovelace", offered
        # ... and in the INVITE the agent's phone received
        invite = wire.wait(lambda m: m.startswith("INVITE ")
                           and header(m, "X-CC-Caller") == VIP)
    assert header(invite, "To") and "sip:%s@" % SKILLED_AGENT in header(invite, "To"), invite
    assert header(invite, "From").startswith('"Ada Lovelace" <sip:%s@' % VIP), invite
    assert header(invite, "X-CC-Queue") == QUEUE, invite
    assert header(invite, "X-CC-Priority") == "90", invite
    assert header(invite, "X-CC-Tier") == "VIP", invite
    assert header(invite, "X-CC-Customer") == "AC-1815", invite
    assert int(header(invite, "X-CC-Wait")) >= 3, invite
    ans = next_event(s, sub, "queue.answered", 10)
    assert ans["agent"] == SKILLED_AGENT, ans
    # a normal call (no skill) goes to the agent without it
    s.ua[NORMAL[0]].dial(IVR_NUMBER)
    ent2 = next_event(s, sub, "queue.entered", 15)
    assert (ent2["caller"], ent2["priority"], ent2.get("skill")) == (NORMAL[0], 0, None), ent2
    ans2 = next_event(s, sub, "queue.answered", 10)
    sub.close()
    hangup_all(s)
    assert (ans2["call_id"], ans2["agent"]) == (ent2["call_id"], PLAIN_AGENT), ans2


def test_vip_overtakes_older_normal_calls(acdivr):
    s = acdivr
    only_ready(s, ())
    sub = s.subscribe(["acdd"], prefix="queue.")
    time.sleep(0.3)
    entered = {}
    for caller in NORMAL + (VIP,):    # the VIP calls last
        s.ua[caller].dial(IVR_NUMBER)
        ent = next_event(s, sub, "queue.entered", 15, match=lambda e: e["caller"] == caller)
        entered[ent["call_id"]] = ent
        time.sleep(0.5)
    by_caller = {e["caller"]: e for e in entered.values()}
    assert [by_caller[c]["position"] for c in NORMAL] == [1, 2], by_caller
    assert by_caller[VIP]["position"] == 1 and by_caller[VIP]["priority"] == 90, by_caller
    # one agent (with the vip skill, so it may take every call) serves them one by one
    bus_ok(s, "acdd", "agent.login", {"ext": SKILLED_AGENT})
    served = []
    for _ in range(3):
        ans = next_event(s, sub, "queue.answered", 15)
        served.append(entered[ans["call_id"]]["caller"])
        time.sleep(1.0)
        s.ua[SKILLED_AGENT].command("hangup")   # wrap-up 0: the agent takes the next one
    sub.close()
    hangup_all(s)
    assert served == [VIP, NORMAL[0], NORMAL[1]], "served %s" % served
    rows = wait_until(lambda: s.psql(
        "SELECT caller, priority FROM queue_log WHERE event = 'answered' AND queue = %s "
        "ORDER BY ts DESC LIMIT 3", (QUEUE,)), what="the answered rows")
    assert sorted(rows) == sorted([(VIP, 90), (NORMAL[0], 0), (NORMAL[1], 0)]), rows


# ---- the agent's phone ------------------------------------------------------------------


def test_feature_codes_change_state_and_the_phone_hears_the_prompt(acdivr):
    s = acdivr
    ua = s.ua[CODE_AGENT]
    s.bus_call("acdd", "agent.logout", {"ext": CODE_AGENT})
    time.sleep(0.3)
    sub = s.subscribe(["acdd"], prefix="agent.state")
    time.sleep(0.3)
    steps = [("*45", "logged_out", "ready", ""), ("*472", "ready", "not_ready", "lunch"),
             ("*48", "not_ready", "ready", ""), ("*47", "ready", "not_ready", "pause"),
             ("*46", "not_ready", "logged_out", "")]
    for code, before, after, reason in steps:
        t0 = time.time()
        ua.dial(code)
        ev = next_event(s, sub, "agent.state", 10, match=lambda e: e["ext"] == CODE_AGENT)
        assert (ev["previous"], ev["state"], ev.get("reason", "")) == (before, after, reason), (
            code, ev)
        # sipproxy plays the prompt acdd names, then hangs up: the phone recorded it
        rec = wait_until(lambda: [r for r in ua.recordings() if r.stat().st_mtime >= t0 - 1],
                         timeout=15, what="%s's recording of %s" % (CODE_AGENT, code))
        time.sleep(1.5)   # the prompt ends, sipproxy hangs up, baresip closes the file
        loud = loud_frames(rec[-1])
        assert loud >= 15, "%s: only %d loud 20 ms frames in what the phone heard (%s)" % (
            code, loud, rec[-1])
        share, _ = tone_share(rec[-1], 440)   # speech, not the phone's own tone sent back
        assert share < 0.5, (code, share)
        ua.command("hangup")
        time.sleep(0.5)
    sub.close()
    hist = wait_until(lambda: s.psql(
        "SELECT previous, state, reason FROM agent_state_history WHERE ext = %s ORDER BY id",
        (CODE_AGENT,)) if len(s.psql("SELECT 1 FROM agent_state_history WHERE ext = %s",
                                     (CODE_AGENT,))) >= len(steps) else None,
        what="the history rows")
    assert [tuple(h) for h in hist[-len(steps):]] == [st[1:] for st in steps], hist


def test_unregistered_phone_logs_the_agent_out(acdivr):
    s = acdivr
    ua = Baresip(s, UNREG_AGENT, "secret" + UNREG_AGENT, s.tone, answer="auto")
    try:
        assert ua.wait_log("200 OK", 15), ua.text()[-2000:]
        bus_ok(s, "acdd", "agent.login", {"ext": UNREG_AGENT})
        assert agent_state(s, UNREG_AGENT)["state"] == "ready"
        sub = s.subscribe(["acdd"], prefix="agent.state")
        time.sleep(0.3)
        ua.command("quit")             # baresip un-registers (Expires: 0) and exits
        ev = next_event(s, sub, "agent.state", 15, match=lambda e: e["ext"] == UNREG_AGENT)
        sub.close()
    finally:
        ua.stop()
    assert (ev["previous"], ev["state"], ev.get("reason")) == (
        "ready", "logged_out", "unregistered"), ev
    assert agent_state(s, UNREG_AGENT)["state"] == "logged_out"
    rows = wait_until(lambda: s.psql(
        "SELECT previous, state, reason FROM agent_state_history WHERE ext = %s "
        "AND state = 'logged_out'", (UNREG_AGENT,)), what="the history row")
    assert [tuple(r) for r in rows] == [("ready", "logged_out", "unregistered")], rows


# ---- after the agent: back to the IVR for a survey ------------------------------------------


def test_survey_after_a_queued_call(acdivr):
    """A route to a queue with `then`: acdd connects the agent with on_callee_hangup=return,
    the agent hangs up, the caller stays, the flow goes on to the survey, the caller presses
    4; the score names the agent, the agent is free again, queue_log has the completed row."""
    s = acdivr
    only_ready(s, (PLAIN_AGENT,))
    caller = NORMAL[1]
    sub = s.subscribe(["sipproxy", "acdd", "ivrd"])
    time.sleep(0.3)
    seen = []
    s.ua[caller].dial(SURVEY_NUMBER)
    ent = next_event(s, sub, "queue.entered", 15, match=lambda e: e["caller"] == caller,
                     seen=seen)
    cid = ent["call_id"]
    ans = next_event(s, sub, "queue.answered", 10, match=lambda e: e["call_id"] == cid)
    assert ans["agent"] == PLAIN_AGENT, ans
    time.sleep(2)
    s.ua[PLAIN_AGENT].command("hangup")
    back = next_event(s, sub, "call.connect_ended", 10, match=lambda e: e["call_id"] == cid)
    assert (back["reason"], back["target"]) == ("callee_hangup", "ext:" + PLAIN_AGENT), back
    step = next_event(s, sub, "ivr.step", 10,
                      match=lambda e: e["call_id"] == cid and e["node"] == "rate")
    assert step["input"] == "", step
    # the agent's part is over: wrap-up (or ready), not on a call any more
    wait_until(lambda: agent_state(s, PLAIN_AGENT)["state"] in ("wrap_up", "ready"),
               what="the agent to leave on_call")
    time.sleep(3.5)  # most of the question
    s.ua[caller].command("sndcode", "4")
    survey = next_event(s, sub, "ivr.survey", 15, match=lambda e: e["call_id"] == cid)
    assert (survey["score"], survey["question"], survey["agent"], survey["flow"]) == \
        (4, "agent-score", "ext:" + PLAIN_AGENT, "acd-survey"), survey
    # the thanks prompt, then the flow hangs up: the call ends by itself
    ended = next_event(s, sub, "call.ended", 15, match=lambda e: e["call_id"] == cid)
    assert ended["disposition"] == "answered", ended
    sub.close()
    assert wait_until(lambda: s.psql("SELECT score, agent FROM survey_results WHERE call_id = %s",
                                     (cid,)), what="the survey row") == [(4, "ext:" + PLAIN_AGENT)]
    rows = wait_until(lambda: s.psql("SELECT agent FROM queue_log WHERE call_id = %s "
                                     "AND event = 'completed'", (cid,)),
                      what="the completed row")
    assert rows == [(PLAIN_AGENT,)], rows
    # recorded by the queue's policy, from the queue on, findable by agent
    def recorded():
        r = s.ccctl("recording", "list", "--agent", PLAIN_AGENT, "--json", check=True)
        return [x for x in json.loads(r.stdout) if x["call_id"] == cid and x["finished"]]
    rec = wait_until(recorded, what="the queue call's recording")[0]
    assert (rec["queue"], rec["agent"], rec["caller"], rec["complete"]) == \
        (QUEUE, PLAIN_AGENT, caller, True), rec
    with wave.open(rec["path"]) as w:
        assert w.getnchannels() == 2 and w.getnframes() / w.getframerate() > 4, rec
    # the whole story in one row, as a BI user reads it
    row = wait_until(lambda: s.psql(
        "SELECT disposition, ivr_flow, ivr_path, ivr_last_node, queues, queue_outcome, agent, "
        "recording_ids, survey_score, survey_agent FROM v_call_record WHERE call_id = %s",
        (cid,), role="cc_bi"), what="the call record")[0]
    assert row[0] == "answered" and row[1] == "acd-survey", row
    assert row[2] == ("queue(route:queue:%s) > queue(route_ended) > rate > rate(score:4) > "
                      "rate(end)" % QUEUE) and row[3] == "rate", row
    assert (row[4], row[5], row[6]) == ([QUEUE], "answered", PLAIN_AGENT), row
    assert row[7] == [rec["id"]] and row[8] == 4 and row[9] == "ext:" + PLAIN_AGENT, row


def test_recording_started_by_the_caller_learns_its_queue(acdivr):
    """The caller's own policy starts the recording when the IVR answers, before the call
    has a queue; once acdd reports queue.entered, the index row gets the queue."""
    s = acdivr
    caller = NORMAL[0]
    s.ccctl("recording", "policy", "ext:" + caller, "always", check=True)
    time.sleep(1.5)  # recorderd rereads policies on its tick after the change
    only_ready(s, (PLAIN_AGENT,))
    sub = s.subscribe(["acdd"], prefix="queue.")
    time.sleep(0.3)
    try:
        s.ua[caller].dial(SURVEY_NUMBER)
        ans = next_event(s, sub, "queue.answered", 15)
        cid = ans["call_id"]
        time.sleep(1)
        s.ua[caller].command("hangup")
    finally:
        sub.close()
        s.ccctl("recording", "policy", "ext:" + caller, "never", check=True)
    def recorded():
        r = s.ccctl("recording", "list", "--number", caller, "--json", check=True)
        return [x for x in json.loads(r.stdout) if x["call_id"] == cid and x["finished"]]
    rec = wait_until(recorded, what="the caller's recording")[0]
    assert (rec["queue"], rec["agent"], rec["caller"]) == (QUEUE, PLAIN_AGENT, caller), rec
    hangup_all(s)
