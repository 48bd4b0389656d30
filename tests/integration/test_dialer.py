"""Live outbound dialling (issue 17), progressive mode: dialerd places calls with
sipproxy's call.originate through trunks to sipp "customers" with scripted outcomes
(one trunk each: answer, busy, no answer) and hands the answered ones to the campaign's
queue in acdd, whose agents are baresip phones. Checks the order leads are dialled in,
that a number on the do-not-call list is never dialled, the retries (busy: twice; no
answer: once, after ringing at least 15 s), that every answered customer reaches an agent
with audio both ways (the customer echoes what it hears, so an agent hearing its own tone
proves the path there and back), and every attempt and outcome in Postgres."""

import subprocess
import time
from pathlib import Path

import pytest

import suite as sm
from helpers.bus import set_agents, wait_until
from helpers.dialer import add_agent_queue, add_customer_trunk, dialer_suite, stop_dialer_suite
from helpers.phones import assert_hears, tone_phones

SIPP_DIR = Path(__file__).resolve().parent.parent / "sipp"
AGENTS = {"1002": 1000, "1003": 1300}
CUSTOMERS = ("answer", "busy", "noanswer")
LEADS = [("9100001", "Ann"), ("9200001", "Bob busy"), ("9300001", "Cy away"),
         ("9100002", "Dee"), ("9100099", "Eve do-not-call")]


@pytest.fixture(scope="module")
def cc(pg_cluster, bin_dir, tmp_path_factory):
    work = tmp_path_factory.mktemp("dialer")
    s = dialer_suite(pg_cluster, "test_dialer", 200)
    uas, sipps = [], []
    try:
        add_agent_queue(s, "outq", "660", AGENTS)
        for i, kind in enumerate(CUSTOMERS):
            port, media = sm.free_port(), sm.free_port()
            add_customer_trunk(s, "cust_" + kind, "9%d." % (i + 1), port)
            extra = ["-rtp_echo", "-mp", str(media)] if kind == "answer" else []
            sipps.append(subprocess.Popen(
                ["sipp", "-sf", str(SIPP_DIR / ("dialer_customer_%s.xml" % kind)), "-i",
                 "127.0.0.1", "-p", str(port), "-nostdin", "-timeout", "300",
                 "-trace_msg", "-message_file", str(work / ("%s_msg.log" % kind))] + extra,
                cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        s.work = work
        s.start()
        tone_phones(s, AGENTS, uas)
        set_agents(s, ready=list(AGENTS), agents=list(AGENTS))
        yield s
    finally:
        stop_dialer_suite(s, sipps, uas)


def _lead_states(cc):
    return dict(cc.psql("SELECT number, state FROM leads WHERE campaign = 'promo'"))


def test_progressive_campaign_reaches_agents_and_records_every_attempt(cc, tmp_path):
    csv = tmp_path / "leads.csv"
    csv.write_text("number,name,account\n" + "".join(
        "%s,%s,A-%d\n" % (n, name, i + 1) for i, (n, name) in enumerate(LEADS)))
    cc.ccctl("campaign", "add", "promo", "--queue", "outq", "--caller-id", "5550000",
             "--mode", "progressive", "--hours", "daily 00:00-24:00", "--ring", "15",
             "--retry", "busy:1:2", "--retry", "no_answer:1:1", check=True)
    cc.ccctl("campaign", "import", "promo", csv, check=True)
    cc.ccctl("campaign", "dnc", "add", "9100099", "--reason", "asked not to be called",
             check=True)
    sub = cc.subscribe(["acdd"], prefix="queue.")
    time.sleep(0.3)
    cc.ccctl("campaign", "start", "promo", check=True)
    offered = {}

    # every answered customer reaches an agent, and audio flows both ways
    answered = []
    deadline = time.time() + 40
    while len(answered) < 2 and time.time() < deadline:
        got = sub.recv(timeout=max(0.1, deadline - time.time()))
        if got and got[1] and got[1].get("type") == "queue.offered":
            offered[got[1]["caller"]] = got[1].get("variables") or {}
        if not got or not got[1] or got[1].get("type") != "queue.answered":
            continue
        ev = got[1]
        agent = ev["agent"]
        own = AGENTS[agent]
        other = [f for e, f in AGENTS.items() if e != agent]
        time.sleep(0.5)
        assert_hears(cc.ua[agent], [own], other,
                     "agent %s connected to a dialled customer (echo)" % agent)
        answered.append((ev["call_id"], agent))
        cc.ua[agent].command("hangup")
    sub.close()
    assert len(answered) == 2, "answered customers reaching agents: %s" % answered
    # the screen pop carries the lead's name and the list's extra fields
    assert offered.get("9100001", {}).get("customer_name") == "Ann", offered
    assert offered["9100001"].get("account") == "A-1" and \
        offered["9100001"].get("campaign") == "promo", offered

    # every lead reaches its final state (the no-answer one rings 15 s first)
    want = {"9100001": "done", "9100002": "done", "9200001": "exhausted",
            "9300001": "exhausted", "9100099": "dnc"}
    deadline = time.time() + 60
    while _lead_states(cc) != want and time.time() < deadline:
        time.sleep(0.3)
    assert _lead_states(cc) == want, (_lead_states(cc), cc.psql(
        "SELECT number, attempt, outcome FROM dialer_attempts ORDER BY id"))

    rows = cc.psql("SELECT a.number, a.attempt, a.outcome, a.agent, "
                   "a.answered_at IS NOT NULL, a.agent_at IS NOT NULL, a.ended_at IS NOT NULL, "
                   "extract(epoch FROM a.ended_at - a.started_at), a.call_id IS NOT NULL "
                   "FROM dialer_attempts a WHERE a.campaign = 'promo' ORDER BY a.id")
    by_number = {}
    for r in rows:
        by_number.setdefault(r[0], []).append(r)
    assert "9100099" not in by_number, "a do-not-call number was dialled: %s" % rows
    assert [r[2] for r in by_number["9200001"]] == ["busy", "busy"], rows
    assert [r[1] for r in by_number["9200001"]] == [1, 2], rows
    assert [r[2] for r in by_number["9300001"]] == ["no_answer"], rows
    assert by_number["9300001"][0][7] >= 15, "rang only %s s" % by_number["9300001"][0][7]
    for number in ("9100001", "9100002"):
        (r,) = by_number[number]
        assert r[2] == "answered" and r[3] in AGENTS and r[4] and r[5] and r[6] and r[8], r
    assert {r[3] for n in ("9100001", "9100002") for r in by_number[n]} <= set(AGENTS)
    # first attempts in list order (retries come later, when due)
    firsts = [r[0] for r in rows if r[1] == 1]
    assert firsts == ["9100001", "9200001", "9300001", "9100002"], firsts
    # the SIP side agrees: the no-answer customer never answered, DNC never rang
    assert "INVITE sip:9100099" not in "".join(
        p.read_text(errors="replace") for p in cc.work.glob("*_msg.log"))

    daily = cc.psql("SELECT attempts, contacts, abandoned, leads_remaining FROM v_campaign_daily "
                    "WHERE campaign = 'promo'", role="cc_bi")
    assert daily == [(5, 2, 0, 0)], daily
    reply = cc.bus_call("dialerd", "status")
    det = reply["result"]["details"]
    assert det["dialled"] == 5 and det["answered"] == 2 and det["abandoned"] == 0, det



def test_predictive_campaign_from_cold_start_dials_no_more_than_agents_take(cc, tmp_path):
    """Every customer answers, and the pacing starts from its cautious priors (a high
    answer rate, long calls): it must not dial ahead of the two agents before it has
    measured anything, so every call reaches an agent and none is abandoned."""
    leads = ["91002%02d" % i for i in range(1, 11)]
    csv = tmp_path / "predict.csv"
    csv.write_text("number\n" + "".join("%s\n" % n for n in leads))
    cc.ccctl("campaign", "add", "predict", "--queue", "outq", "--caller-id", "5550001",
             "--mode", "predictive", "--hours", "daily 00:00-24:00", "--ring", "15", check=True)
    cc.ccctl("campaign", "import", "predict", csv, check=True)
    before = cc.bus_call("dialerd", "status")["result"]["details"]
    sub = cc.subscribe(["acdd"], prefix="queue.answered")
    time.sleep(0.3)
    cc.ccctl("campaign", "start", "predict", check=True)

    def done():
        return cc.psql("SELECT count(*) FROM leads WHERE campaign = 'predict' "
                       "AND state = 'done'")[0][0]

    deadline = time.time() + 90
    while done() < len(leads) and time.time() < deadline:
        got = sub.recv(timeout=0.5)
        if got and got[1] and got[1].get("type") == "queue.answered":
            time.sleep(1.0)  # a short talk, then the agent hangs up
            cc.ua[got[1]["agent"]].command("hangup")
    sub.close()
    cc.ccctl("campaign", "pause", "predict", check=True)
    assert done() == len(leads), cc.psql(
        "SELECT number, state, attempts FROM leads WHERE campaign = 'predict'")
    rows = cc.psql("SELECT outcome, agent FROM dialer_attempts WHERE campaign = 'predict'")
    assert len(rows) == len(leads) and all(o == "answered" and a in AGENTS for o, a in rows), rows
    after = cc.bus_call("dialerd", "status")["result"]["details"]
    assert after["abandoned"] == before["abandoned"], (before, after)
    assert cc.psql("SELECT contacts, abandoned FROM v_campaign_daily WHERE campaign = 'predict'",
                   role="cc_bi") == [(len(leads), 0)]


def test_answered_with_no_agent_is_abandoned_and_held_72_hours(cc, tmp_path):
    """Both agents pause while the customers' phones ring: the answered customers find no
    agent; 2 s after the answer each hears the campaign's message (mediad plays it to the
    customer's endpoint), then dialerd ends the call and logs it abandoned; the number is
    not due again for 72 hours although the campaign's gap is a minute."""
    leads = ["9100301", "9100302"]
    csv = tmp_path / "drop.csv"
    csv.write_text("number\n" + "".join("%s\n" % n for n in leads))
    cc.ccctl("campaign", "add", "drop", "--queue", "outq", "--caller-id", "5550002",
             "--mode", "progressive", "--hours", "daily 00:00-24:00", "--ring", "15",
             "--retry", "abandoned:60:3", check=True)
    cc.ccctl("campaign", "import", "drop", csv, check=True)
    before = cc.bus_call("dialerd", "status")["result"]["details"]
    sub = cc.subscribe(["sipproxy"], prefix="call.created")
    played = cc.subscribe(["mediad"], prefix="media.play_done")
    time.sleep(0.3)
    cc.ccctl("campaign", "start", "drop", check=True)
    created = sub.collect(10, until=lambda evs: len(evs) >= 2)
    sub.close()
    for ext in AGENTS:  # the customers answer 1 s after ringing: no agent is left by then
        cc.bus_call("acdd", "agent.pause", {"ext": ext, "reason": "break"})
    assert len(created) == 2, created

    def held():
        return cc.psql("SELECT count(*) FROM leads WHERE campaign = 'drop' AND state = 'ready' "
                       "AND next_attempt_at > now() + interval '71 hours' "
                       "AND abandoned_at IS NOT NULL")[0][0]

    deadline = time.time() + 30
    while held() < len(leads) and time.time() < deadline:
        time.sleep(0.3)
    cc.ccctl("campaign", "pause", "drop", check=True)
    set_agents(cc, ready=list(AGENTS), agents=list(AGENTS))
    assert held() == len(leads), cc.psql(
        "SELECT number, state, next_attempt_at, abandoned_at FROM leads WHERE campaign = 'drop'")
    rows = cc.psql("SELECT outcome, agent, extract(epoch FROM ended_at - answered_at) "
                   "FROM dialer_attempts WHERE campaign = 'drop'")
    assert [r[0] for r in rows] == ["abandoned", "abandoned"] and all(r[1] is None for r in rows)
    # 2 s without an agent, then the message (several seconds of speech), then the end
    assert all(4 <= r[2] < 25 for r in rows), rows
    done = [e[1] for e in played.collect(1) if e[1] and e[1].get("reason") == "finished"]
    played.close()
    assert len(done) == 2, "abandon messages played to the end: %s" % done
    after = cc.bus_call("dialerd", "status")["result"]["details"]
    assert after["abandoned"] - before["abandoned"] == 2, (before, after)
    assert cc.psql("SELECT contacts, abandoned, abandon_rate::float FROM v_campaign_daily "
                   "WHERE campaign = 'drop'", role="cc_bi") == [(2, 2, 1.0)]


def test_attempts_a_killed_dialerd_left_in_progress_are_closed_when_it_starts(cc, tmp_path):
    """dialerd is killed (-9) with two calls in flight: a customer talking with an agent and
    a customer whose phone still rings. Both leads are left 'dialling'. Started again,
    dialerd closes both attempts with outcome interrupted before it dials anything: the lead
    whose customer reached an agent is done, the unanswered one is due again after the
    campaign's no-answer gap (a retry, not a lost lead), and neither is dialled twice."""
    leads = ["9100501", "9300501"]  # the answering customer's trunk, the silent one's
    csv = tmp_path / "recover.csv"
    csv.write_text("number\n" + "".join("%s\n" % n for n in leads))
    cc.ccctl("campaign", "add", "recover", "--queue", "outq", "--caller-id", "5550003",
             "--mode", "progressive", "--hours", "daily 00:00-24:00", "--ring", "30",
             "--retry", "no_answer:600:3", check=True)
    cc.ccctl("campaign", "import", "recover", csv, check=True)
    sub = cc.subscribe(["acdd"], prefix="queue.answered")
    time.sleep(0.3)
    cc.ccctl("campaign", "start", "recover", check=True)
    try:
        got = sub.collect(20, until=lambda evs: any(e[0] == "queue.answered" for e in evs))
        answered = [e[1] for e in got if e[0] == "queue.answered"]
        assert len(answered) == 1, got
        agent = answered[0]["agent"]
        wait_until(lambda: cc.psql(
            "SELECT count(*) FROM dialer_attempts WHERE campaign = 'recover' AND call_id IS NOT "
            "NULL AND ended_at IS NULL")[0][0] == 2, timeout=10, what="both calls placed")
        code, _ = cc.kill9("dialerd")
        assert code == -9, code
        assert dict(cc.psql("SELECT number, state FROM leads WHERE campaign = 'recover'")) == \
            {"9100501": "dialling", "9300501": "dialling"}
        cc.restart("dialerd")
        rows = wait_until(lambda: cc.psql(
            "SELECT number, outcome, answered_at IS NOT NULL, agent, ended_at IS NOT NULL "
            "FROM dialer_attempts WHERE campaign = 'recover' AND ended_at IS NOT NULL "
            "ORDER BY number"), timeout=10, what="the attempts closed")
        assert rows == [("9100501", "interrupted", True, agent, True),
                        ("9300501", "interrupted", False, None, True)], rows
        lead_rows = cc.psql("SELECT number, state, attempts, last_outcome, "
                            "extract(epoch FROM next_attempt_at - now()) "
                            "FROM leads WHERE campaign = 'recover' ORDER BY number")
        assert [r[:4] for r in lead_rows] == [("9100501", "done", 1, "interrupted"),
                                              ("9300501", "ready", 1, "interrupted")], lead_rows
        assert 560 < lead_rows[1][4] <= 600, "due again in %s s, not after the 600 s gap" % (
            lead_rows[1][4],)
        # the restarted dialerd runs the campaign and dials neither lead again
        time.sleep(2)
        assert cc.psql("SELECT count(*) FROM dialer_attempts WHERE campaign = 'recover'") == \
            [(2,)]
        assert "dialer.attempt_recovered" in cc.log("dialerd")
    finally:
        sub.close()
        cc.ccctl("campaign", "pause", "recover")
        for ua in cc.ua.values():
            ua.command("hangup")
