"""Answering-machine detection in a live campaign (issue 17): dialerd places calls through
trunks to sipp "customers" that answer and greet with audio generated here and sent as RTP
(sipp rtp_stream): a person says a short "hello?" and waits, an answering machine speaks
for seconds. mediad judges the first seconds of each (endpoint.amd_start); the person goes
to the campaign's queue and reaches a baresip agent, the machine gets the campaign's message
(or is hung up on) and its attempt ends with outcome machine, retried per the campaign's
rule. The verdicts, their reasons and decision times are on the attempts in Postgres, and
ccctl refuses bad settings naming the value."""

import random
import subprocess
import time
from pathlib import Path

import pytest

import suite as sm
from helpers.audio import human_greeting, machine_greeting, write_ulaw
from helpers.bus import set_agents
from helpers.dialer import add_agent_queue, add_customer_trunk, dialer_suite, stop_dialer_suite
from helpers.phones import tone_phones

SIPP_DIR = Path(__file__).resolve().parent.parent / "sipp"
AGENTS = {"1002": 1000}
CUSTOMERS = ("human", "machine")  # routes 91. and 92.


@pytest.fixture(scope="module")
def cc(pg_cluster, bin_dir, tmp_path_factory):
    work = tmp_path_factory.mktemp("dialer_amd")
    s = dialer_suite(pg_cluster, "test_dialer_amd", 100)
    uas, sipps = [], []
    try:
        add_agent_queue(s, "amdq", "661", AGENTS)
        greetings = {"human": human_greeting(random.Random(17), lead_ms=400, after_ms=30000),
                     "machine": machine_greeting(random.Random(18), speech_ms=8000,
                                                 after_ms=30000)}
        for i, kind in enumerate(CUSTOMERS):
            port, media = sm.free_port(), sm.free_port()
            d = work / kind
            d.mkdir()
            write_ulaw(d / "greeting.ulaw", greetings[kind])
            add_customer_trunk(s, "amd_" + kind, "9%d." % (i + 1), port)
            sipps.append(subprocess.Popen(
                ["sipp", "-sf", str(SIPP_DIR / "dialer_customer_greeting.xml"), "-i",
                 "127.0.0.1", "-p", str(port), "-mp", str(media), "-nostdin", "-timeout",
                 "300", "-trace_msg", "-message_file", str(d / "msg.log")],
                cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        s.work = work
        s.start()
        tone_phones(s, AGENTS, uas)
        set_agents(s, ready=list(AGENTS), agents=list(AGENTS))
        yield s
    finally:
        stop_dialer_suite(s, sipps, uas)


def _attempts(cc, campaign):
    return cc.psql("SELECT number, outcome, amd_result, amd_reason, amd_ms, agent, "
                   "extract(epoch FROM ended_at - answered_at) "
                   "FROM dialer_attempts WHERE campaign = %s ORDER BY number", (campaign,))


def _wait_ended(cc, campaign, n, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        rows = _attempts(cc, campaign)
        if len(rows) == n and all(r[1] for r in rows):
            return rows
        time.sleep(0.3)
    return _attempts(cc, campaign)


def test_person_reaches_agent_machine_gets_message(cc, tmp_path):
    csv = tmp_path / "leads.csv"
    csv.write_text("number,name\n9100001,Pat person\n9200001,Max machine\n")
    cc.ccctl("campaign", "add", "amdmsg", "--queue", "amdq", "--caller-id", "5550000",
             "--hours", "daily 00:00-24:00", "--ring", "15", "--retry", "machine:3600:3",
             "--amd", "message", check=True)
    cc.ccctl("campaign", "import", "amdmsg", csv, check=True)
    queue = cc.subscribe(["acdd"], prefix="queue.")
    media = cc.subscribe(["mediad"], prefix="media.")
    time.sleep(0.3)
    cc.ccctl("campaign", "start", "amdmsg", check=True)

    # the person is handed to the queue and the agent takes the call
    answered = None
    deadline = time.time() + 30
    while answered is None and time.time() < deadline:
        got = queue.recv(timeout=max(0.1, deadline - time.time()))
        if got and got[1] and got[1].get("type") == "queue.answered":
            answered = got[1]
    queue.close()
    assert answered and answered["agent"] == "1002", "the person reached no agent"
    time.sleep(1.0)
    cc.ua["1002"].command("hangup")

    rows = _wait_ended(cc, "amdmsg", 2, 40)
    cc.ccctl("campaign", "pause", "amdmsg", check=True)
    by = {r[0]: r for r in rows}
    assert set(by) == {"9100001", "9200001"}, rows
    person, machine = by["9100001"], by["9200001"]
    assert person[1:4] == ("answered", "human", "short_greeting") and person[5] == "1002", person
    assert 1200 <= person[4] <= 3000, "person decided after %s ms" % person[4]
    assert machine[1:4] == ("machine", "machine", "long_greeting") and machine[5] is None, machine
    assert 1500 <= machine[4] <= 4500, "machine decided after %s ms" % machine[4]
    # the message played to its end (several seconds of speech), then dialerd hung up
    assert machine[6] >= machine[4] / 1000.0 + 3, machine
    evs = media.collect(1)
    media.close()
    verdicts = {o["result"] for t, o, _ in evs if t == "media.amd_result"}
    assert verdicts == {"human", "machine"}, evs
    assert any(t == "media.play_done" and o["reason"] == "finished" for t, o, _ in evs), evs
    # the machine's lead waits for its retry rule (an hour), the person's is done
    leads = {r[0]: r[1:] for r in cc.psql(
        "SELECT number, state, last_outcome, "
        "coalesce(next_attempt_at > now() + interval '59 minutes', false) "
        "FROM leads WHERE campaign = 'amdmsg'")}
    assert leads == {"9100001": ("done", "answered", False),
                     "9200001": ("ready", "machine", True)}, leads
    # the BI view: one contact, nobody abandoned (the 2 s count from the decision), and
    # the machine is not a contact
    daily = cc.psql("SELECT attempts, contacts, abandoned FROM v_campaign_daily "
                    "WHERE campaign = 'amdmsg'", role="cc_bi")
    assert daily == [(2, 1, 0)], daily
    det = cc.bus_call("dialerd", "status")["result"]["details"]
    assert det["machines"] >= 1, det


def test_machine_hung_up_on_and_settings_checked(cc, tmp_path):
    csv = tmp_path / "m.csv"
    csv.write_text("number\n9200002\n")
    r = cc.ccctl("campaign", "add", "amdbad", "--queue", "amdq", "--caller-id", "5550001",
                 "--amd", "voicemail")
    assert r.returncode == 2 and "voicemail" in r.stderr, (r.returncode, r.stderr)
    assert cc.psql("SELECT count(*) FROM campaigns WHERE name = 'amdbad'") == [(0,)]
    cc.ccctl("campaign", "add", "amdhang", "--queue", "amdq", "--caller-id", "5550001",
             "--hours", "daily 00:00-24:00", "--ring", "15", check=True)
    r = cc.ccctl("campaign", "amd", "amdhang", "sometimes")
    assert r.returncode == 2 and "sometimes" in r.stderr, (r.returncode, r.stderr)
    r = cc.ccctl("campaign", "amd", "amdhang", "hangup", "--prompt", "../etc")
    assert r.returncode == 2 and "../etc" in r.stderr, (r.returncode, r.stderr)
    assert cc.psql("SELECT amd, amd_machine FROM campaigns WHERE name = 'amdhang'") == \
        [(False, "hangup")]
    cc.ccctl("campaign", "amd", "amdhang", "hangup", check=True)
    assert cc.psql("SELECT amd, amd_machine FROM campaigns WHERE name = 'amdhang'") == \
        [(True, "hangup")]
    cc.ccctl("campaign", "import", "amdhang", csv, check=True)
    cc.ccctl("campaign", "start", "amdhang", check=True)
    rows = _wait_ended(cc, "amdhang", 1, 30)
    cc.ccctl("campaign", "pause", "amdhang", check=True)
    assert len(rows) == 1, rows
    (number, outcome, result, reason, ms, agent, talk) = rows[0]
    assert (outcome, result, reason, agent) == ("machine", "machine", "long_greeting", None), \
        rows
    # hung up at once after the verdict: no message
    assert talk < ms / 1000.0 + 2, rows
