"""IVR end to end: sipproxy hands calls for ivr:NAME to ivrd, which answers, plays prompts
through mediad, takes keys (RFC 4733 from baresip, in-band tones in the caller's audio) and
routes; real baresip phones call and answer. Also `ccctl ivr load/list/show`, the refusal
of a bad flow with the old version staying live, live reload on NOTIFY, business hours
with [ivrd] clock_offset_s, the stored path (ivr_path), and a survey once the agent
hangs up (call.connect with on_callee_hangup=return, then survey_results and ivr.survey)."""

import datetime
import json
import math
import struct
import subprocess
import time
import wave

import pytest

import suite as sm
from helpers.audio import make_tone, tone_share, tone_windows
from helpers.bus import wait_event
from helpers.phones import Baresip

DAEMONS = ["sipproxy", "mediad", "ivrd"]
IVR_NUMBER = "7000"
SURVEY_NUMBER = "7002"
SUPPORT_EXT, OPERATOR_EXT, CALLER_EXT, INBAND_EXT = "1001", "1000", "1002", "1003"
SUPPORT_HZ, OPERATOR_HZ = 1000, 1500


def flow_doc(name="t-main", hours=("daily 00:00-24:00",), timeout=3, menu_prompt="main-menu"):
    """The demo's shape with 2 -> the support extension (which answers with a tone), 0 and
    the fallback -> the operator extension (another tone), short timeouts for tests."""
    return {
        "name": name, "language": "en", "start": "hours",
        "nodes": {
            "hours": {"kind": "schedule", "timezone": "UTC", "hours": list(hours),
                      "open": "greeting", "closed": "closed"},
            "greeting": {"kind": "play", "prompts": ["welcome"], "barge_in": True,
                         "next": "menu"},
            "menu": {"kind": "menu", "prompt": menu_prompt,
                     "options": {"2": "support", "0": "operator"},
                     "invalid_prompt": "invalid-choice", "timeout_prompt": "no-input",
                     "timeout": timeout, "retries": 3, "fallback": "operator"},
            "support": {"kind": "route", "to": "ext", "target": SUPPORT_EXT},
            "operator": {"kind": "route", "to": "ext", "target": OPERATOR_EXT},
            "closed": {"kind": "hangup", "prompts": ["closed"]},
        },
    }


def write_flow(s, doc, fname):
    path = s.var_dir / fname
    path.write_text(json.dumps(doc, indent=2))
    return path


def silence_wav(path, seconds=60):
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), "trim", "0",
                    str(seconds)], check=True)


def dtmf_wav(path, key, at_s, seconds=60, tone_ms=250):
    """Silence with one in-band DTMF key (both tones, -10 dBFS each) at `at_s`."""
    low = {"1": 697, "2": 697, "3": 697, "4": 770, "5": 770, "6": 770, "7": 852, "8": 852,
           "9": 852, "*": 941, "0": 941, "#": 941}[key]
    high = {"1": 1209, "4": 1209, "7": 1209, "*": 1209, "2": 1336, "5": 1336, "8": 1336,
            "0": 1336, "3": 1477, "6": 1477, "9": 1477, "#": 1477}[key]
    rate = 8000
    n = seconds * rate
    start, end = int(at_s * rate), int(at_s * rate) + tone_ms * rate // 1000
    amp = 32767 * 10 ** (-10 / 20)
    samples = []
    for i in range(n):
        v = 0.0
        if start <= i < end:
            t = i / rate
            v = amp * (math.sin(2 * math.pi * low * t) + math.sin(2 * math.pi * high * t))
        samples.append(int(max(-32768, min(32767, v))))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack("<%dh" % n, *samples))


def tail_tone_share(path, freq, seconds):
    """tone_share over the last `seconds` of a recording (after the connect)."""
    tail = path.with_name(path.stem + "-tail.wav")
    with wave.open(str(path)) as w:
        rate, n = w.getframerate(), w.getnframes()
        w.setpos(max(0, n - int(seconds * rate)))
        frames = w.readframes(n)
    with wave.open(str(tail), "wb") as o:
        o.setnchannels(1)
        o.setsampwidth(2)
        o.setframerate(rate)
        o.writeframes(frames)
    return tone_share(tail, freq)


def energy_windows(path, window_s=0.1):
    """RMS (dBFS) of each window of a recording."""
    with wave.open(str(path)) as w:
        rate, n = w.getframerate(), w.getnframes()
        data = struct.unpack("<%dh" % n, w.readframes(n))
    size = int(rate * window_s)
    out = []
    for i in range(0, len(data) - size, size):
        x = data[i:i + size]
        rms = math.sqrt(sum(v * v for v in x) / size) or 1e-9
        out.append(20 * math.log10(rms / 32768))
    return out


# ---- fixture -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ivr(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_ivr", daemons=DAEMONS,
                 config={"sipproxy.ring_timeout": "8", "ivrd.path_flush_ms": "50"})
    uas = []
    try:
        for ext in (OPERATOR_EXT, SUPPORT_EXT, CALLER_EXT, INBAND_EXT):
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
            s.ccctl("route", "add", ext, "ext:" + ext, check=True)
        s.start()
        s.flow_path = write_flow(s, flow_doc(), "t-main.json")
        r = s.ccctl("ivr", "load", s.flow_path, "--number", IVR_NUMBER)
        assert r.returncode == 0, r.stderr
        s.wait_log("ivrd", r"event=ivr.flow_loaded daemon=ivrd flow=t-main version=1", timeout=10)
        tones = {}
        for hz in (SUPPORT_HZ, OPERATOR_HZ):
            tones[hz] = s.var_dir / ("tone%d.wav" % hz)
            make_tone(tones[hz], hz, seconds=120)
        quiet = s.var_dir / "silence.wav"
        silence_wav(quiet, 120)
        inband = s.var_dir / "inband2.wav"
        dtmf_wav(inband, "2", at_s=4.0, seconds=60)
        s.ua = {}
        for ext, src in ((SUPPORT_EXT, tones[SUPPORT_HZ]), (OPERATOR_EXT, tones[OPERATOR_HZ]),
                         (CALLER_EXT, quiet), (INBAND_EXT, inband)):
            ua = Baresip(s, ext, "secret" + ext, src)
            uas.append(ua)
            s.ua[ext] = ua
        for ua in uas:
            assert ua.wait_log("200 OK", 10), "%s did not register:\n%s" % (ua.ext, ua.text()[-2000:])
        yield s
    finally:
        for ua in uas:
            ua.stop()
        s.close()


def path_of(s, call_id, timeout=5, until=None):
    """The stored path as [(node, input)], waiting for the writer (and for `until` in it)."""
    deadline = time.monotonic() + timeout
    rows = []
    while time.monotonic() < deadline:
        rows = s.psql("SELECT node, input, version FROM ivr_path WHERE call_id = %s ORDER BY seq",
                      (call_id,))
        if rows and (until is None or (rows[-1][0], rows[-1][1]) == until):
            break
        time.sleep(0.1)
    return rows


def ivr_call(s, ext, number=IVR_NUMBER):
    """Dials the IVR; returns (subscriber on sipproxy+ivrd, call id)."""
    sub = s.subscribe(["sipproxy", "ivrd"])
    time.sleep(0.3)
    before = time.time()
    s.ua[ext].dial(number)
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, "no call.created; saw %s\n%s" % (seen, s.log_tail("sipproxy"))
    s._rec_before = before
    return sub, created["call_id"]


def wait_step(sub, call_id, node, input_=None, timeout=15):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        ev = sub.recv(max(0.05, deadline - time.monotonic()))
        if ev is None:
            break
        topic, obj, _ = ev
        if topic == "ivr.step" and obj.get("call_id") == call_id:
            seen.append((obj["node"], obj["input"]))
            if obj["node"] == node and (input_ is None or obj["input"] == input_):
                return obj, seen
    return None, seen


def hang_up(s, ext, sub, call_id):
    s.ua[ext].command("hangup")
    ended, _ = wait_event(sub, "call.ended", call_id, timeout=10)
    return ended


def new_recording(s, ext):
    time.sleep(1.0)
    # baresip names dumps by the second, so a call soon after another may reuse a name:
    # go by the time the file was last written instead
    recs = [r for r in s.ua[ext].recordings() if r.stat().st_mtime > s._rec_before]
    assert recs, "no recording made by %s" % ext
    return recs[-1]


# ---- ccctl ----------------------------------------------------------------------------------


def test_load_list_show(ivr):
    r = ivr.ccctl("ivr", "list", "--json")
    assert r.returncode == 0, r.stderr
    flows = {f["name"]: f for f in json.loads(r.stdout)}
    assert flows["t-main"]["live_version"] == 1 and IVR_NUMBER in flows["t-main"]["numbers"]
    r = ivr.ccctl("ivr", "show", "t-main")
    assert r.returncode == 0 and json.loads(r.stdout)["nodes"]["menu"]["options"]["2"] == "support"
    assert ivr.psql("SELECT target_kind, target FROM dialplan WHERE pattern = %s",
                    (IVR_NUMBER,)) == [("ivr", "t-main")]
    reply = ivr.bus_call("ivrd", "ivr.flows")
    assert reply["ok"] and {"flow": "t-main", "version": 1, "calls": 0} in reply["result"]["flows"]


def test_bad_flow_refused_with_paths(ivr):
    doc = flow_doc()
    doc["nodes"]["menu"]["options"]["2"] = "suport"
    doc["nodes"]["greeting"]["prompts"] = ["welcom"]
    doc["nodes"]["x"] = {"kind": "dance"}
    path = write_flow(ivr, doc, "bad.json")
    r = ivr.ccctl("ivr", "load", path, "--number", IVR_NUMBER)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "/nodes/menu/options/2: points to 'suport'" in r.stderr, r.stderr
    assert "/nodes/x/kind: unknown node kind 'dance'" in r.stderr, r.stderr
    # prompts are only looked at once the structure is right
    doc = flow_doc()
    doc["nodes"]["greeting"]["prompts"] = ["welcom"]
    r = ivr.ccctl("ivr", "load", write_flow(ivr, doc, "bad2.json"))
    assert r.returncode == 1 and "/nodes/greeting/prompts/0" in r.stderr and "welcom" in r.stderr, r.stderr
    assert ivr.psql("SELECT version FROM ivr_flows_live WHERE name = 't-main'") == [(1,)]
    assert ivr.psql("SELECT count(*) FROM ivr_flows WHERE name = 't-main'") == [(1,)]


def test_live_reload_on_notify(ivr):
    sub = ivr.subscribe(["ivrd"], prefix="ivr.flow_loaded")
    time.sleep(0.3)
    r = ivr.ccctl("ivr", "load", write_flow(ivr, flow_doc(name="t-other"), "other.json"),
                  "--number", "7001")
    assert r.returncode == 0, r.stderr
    got = sub.collect(5, until=lambda evs: any(o.get("flow") == "t-other" for _, o, _ in evs))
    sub.close()
    assert any(o.get("flow") == "t-other" and o.get("version") == 1 for _, o, _ in got), got


# ---- calls ----------------------------------------------------------------------------------


def test_greeting_then_2_reaches_support(ivr):
    sub, cid = ivr_call(ivr, CALLER_EXT)
    menu, seen = wait_step(sub, cid, "menu", "")
    assert menu, "menu never reached; steps %s\nivrd:\n%s" % (seen, ivr.log_tail("ivrd"))
    time.sleep(1.0)
    ivr.ua[CALLER_EXT].command("sndcode", "2")
    routed, seen = wait_step(sub, cid, "support", "route:ext:%s" % SUPPORT_EXT)
    assert routed, "no route to support; steps %s\nivrd:\n%s" % (seen, ivr.log_tail("ivrd"))
    answered, seen = wait_event(sub, "call.connect_result", cid, timeout=10)
    assert answered and answered["result"] == "answered", (answered, seen)
    time.sleep(4)
    assert hang_up(ivr, CALLER_EXT, sub, cid)
    rec = new_recording(ivr, CALLER_EXT)
    # the greeting: speech in the first two seconds after the answer, no support tone yet
    env = energy_windows(rec)
    assert sum(1 for e in env[:20] if e > -40) >= 8, "no greeting heard: %s" % env[:20]
    # then the support extension's tone, once connected
    share, loud = tail_tone_share(rec, SUPPORT_HZ, 3)
    assert loud > 20 and share > 0.8, "support's %d Hz tone in %.2f of %d loud windows" % (
        SUPPORT_HZ, share, loud)
    assert tone_share(rec, OPERATOR_HZ)[0] == 0.0
    rows = path_of(ivr, cid, until=("support", "hangup"))
    steps = [(n, i) for n, i, _ in rows]
    assert steps == [("hours", "open"), ("greeting", ""), ("menu", ""), ("menu", "key:2"),
                     ("support", "route:ext:%s" % SUPPORT_EXT), ("support", "hangup")], steps
    sub.close()


def test_invalid_key_plays_invalid_and_repeats_menu(ivr):
    sub, cid = ivr_call(ivr, CALLER_EXT)
    menu, seen = wait_step(sub, cid, "menu", "")
    assert menu, seen
    time.sleep(0.5)
    ivr.ua[CALLER_EXT].command("sndcode", "7")
    bad, seen = wait_step(sub, cid, "menu", "invalid:7")
    assert bad, "no invalid:7; steps %s\n%s" % (seen, ivr.log_tail("ivrd"))
    t_bad = time.monotonic()
    time.sleep(6)  # the invalid prompt, then the menu again
    assert hang_up(ivr, CALLER_EXT, sub, cid)
    rec = new_recording(ivr, CALLER_EXT)
    env = energy_windows(rec)
    # speech continues after the invalid key (invalid prompt + menu): most windows loud
    tail = env[-int((time.monotonic() - t_bad) * 10):]
    assert sum(1 for e in tail if e > -40) >= 20, "silence after the invalid key: %s" % tail
    steps = [(n, i) for n, i, _ in path_of(ivr, cid, until=("menu", "hangup"))]
    i = steps.index(("menu", "invalid:7"))
    assert steps[-1] == ("menu", "hangup") and ("menu", "fallback") not in steps, steps
    assert i > 0
    sub.close()


def test_three_timeouts_end_in_fallback(ivr):
    sub, cid = ivr_call(ivr, CALLER_EXT)
    routed, seen = wait_step(sub, cid, "operator", "route:ext:%s" % OPERATOR_EXT, timeout=60)
    assert routed, "no fallback to the operator; steps %s\n%s" % (seen, ivr.log_tail("ivrd"))
    answered, _ = wait_event(sub, "call.connect_result", cid, timeout=10)
    assert answered and answered["result"] == "answered", answered
    time.sleep(4)
    assert hang_up(ivr, CALLER_EXT, sub, cid)
    rec = new_recording(ivr, CALLER_EXT)
    share, loud = tail_tone_share(rec, OPERATOR_HZ, 3)
    assert loud > 20 and share > 0.8, "operator tone in %.2f of %d windows" % (share, loud)
    steps = [(n, i) for n, i, _ in path_of(ivr, cid, until=("operator", "hangup"))]
    assert [x for x in steps if x[0] == "menu" and x[1] == "timeout"] == [("menu", "timeout")] * 3, steps
    assert ("menu", "fallback") in steps, steps
    sub.close()


def test_inband_dtmf_recognised(ivr):
    """Caller 1003's microphone carries a DTMF '2' in its audio (no telephone-event is
    sent): mediad's Goertzel detector reports it and the call reaches support."""
    sub, cid = ivr_call(ivr, INBAND_EXT)
    routed, seen = wait_step(sub, cid, "support", "route:ext:%s" % SUPPORT_EXT, timeout=20)
    assert routed, "in-band key not taken; steps %s\n%s\n%s" % (
        seen, ivr.log_tail("ivrd"), ivr.log_tail("mediad"))
    assert "method=inband" in ivr.log("ivrd"), ivr.log_tail("ivrd")
    time.sleep(1)
    assert hang_up(ivr, INBAND_EXT, sub, cid)
    sub.close()


def test_bad_flow_keeps_old_menu_for_new_calls(ivr):
    doc = flow_doc(menu_prompt="survey-question")
    doc["nodes"]["menu"]["options"]["9"] = "nowhere"
    r = ivr.ccctl("ivr", "load", write_flow(ivr, doc, "bad3.json"), "--number", IVR_NUMBER)
    assert r.returncode == 1 and "/nodes/menu/options/9" in r.stderr, r.stderr
    sub, cid = ivr_call(ivr, CALLER_EXT)
    menu, seen = wait_step(sub, cid, "menu", "")
    assert menu and menu["version"] == 1, (menu, seen)
    assert hang_up(ivr, CALLER_EXT, sub, cid)
    sub.close()


def test_new_version_for_new_calls(ivr):
    r = ivr.ccctl("ivr", "load", write_flow(ivr, flow_doc(timeout=2), "v2.json"), "--number",
                  IVR_NUMBER)
    assert r.returncode == 0, r.stderr
    ivr.wait_log("ivrd", r"event=ivr.flow_loaded daemon=ivrd flow=t-main version=2", timeout=10)
    sub, cid = ivr_call(ivr, CALLER_EXT)
    step, seen = wait_step(sub, cid, "greeting", "")
    assert step and step["version"] == 2, (step, seen)
    assert hang_up(ivr, CALLER_EXT, sub, cid)
    sub.close()


def _offset_to_closed():
    """Seconds from now to the coming Sunday 03:00 UTC (closed for mon-fri hours)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    days = (6 - now.weekday()) % 7 or 7
    target = (now + datetime.timedelta(days=days)).replace(hour=3, minute=0, second=0,
                                                          microsecond=0)
    return int((target - now).total_seconds())


def test_closed_outside_business_hours(ivr):
    r = ivr.ccctl("ivr", "load", write_flow(ivr, flow_doc(hours=("mon-fri 09:00-17:00",)),
                                            "hours.json"), "--number", IVR_NUMBER)
    assert r.returncode == 0, r.stderr
    ivr.stop("ivrd")
    ivr.start("ivrd", env={"CC_IVRD_CLOCK_OFFSET_S": str(_offset_to_closed())})
    try:
        sub, cid = ivr_call(ivr, CALLER_EXT)
        closed, seen = wait_step(sub, cid, "hours", "closed")
        assert closed, (seen, ivr.log_tail("ivrd"))
        ended, _ = wait_event(sub, "call.ended", cid, timeout=20)
        assert ended, "the closed message did not end the call"
        rec = new_recording(ivr, CALLER_EXT)
        env = energy_windows(rec)
        assert sum(1 for e in env if e > -40) >= 15, "closed message not heard: %s" % env
        steps = [(n, i) for n, i, _ in path_of(ivr, cid, until=("closed", "end"))]
        assert steps == [("hours", "closed"), ("closed", ""), ("closed", "end")], steps
        sub.close()
    finally:
        ivr.stop("ivrd")
        ivr.start("ivrd")


def survey_flow_doc():
    """Straight to the support extension; when it hangs up first, a survey."""
    return {
        "name": "t-survey", "language": "en", "start": "support",
        "nodes": {
            "support": {"kind": "route", "to": "ext", "target": SUPPORT_EXT, "then": "rate"},
            "rate": {"kind": "survey", "prompt": "survey-question", "question": "agent-score",
                     "invalid_prompt": "invalid-choice", "timeout_prompt": "no-input",
                     "timeout": 8, "retries": 2, "thanks_prompt": "survey-thanks"},
        },
    }


def load_survey_flow(s):
    """t-survey on SURVEY_NUMBER, once per suite."""
    if getattr(s, "survey_loaded", False):
        return
    r = s.ccctl("ivr", "load", write_flow(s, survey_flow_doc(), "survey.json"), "--number",
                SURVEY_NUMBER)
    assert r.returncode == 0, r.stderr
    s.wait_log("ivrd", r"event=ivr.flow_loaded daemon=ivrd flow=t-survey version=1", timeout=10)
    time.sleep(0.5)  # sipproxy rereads the dialplan on the same NOTIFY
    s.survey_loaded = True


def test_survey_after_the_agent_hangs_up(ivr):
    """call.connect with on_callee_hangup=return: the agent (1001) hangs up, the caller stays,
    hears the survey question, presses 4; survey_results and ivr.survey hold the score."""
    load_survey_flow(ivr)
    sub, cid = ivr_call(ivr, CALLER_EXT, SURVEY_NUMBER)
    answered, seen = wait_event(sub, "call.connect_result", cid, timeout=15)
    assert answered and answered["result"] == "answered", (answered, seen, ivr.log_tail("ivrd"))
    time.sleep(3)  # the caller hears the agent's tone
    ivr.ua[SUPPORT_EXT].command("hangup")
    back, seen = wait_event(sub, "call.connect_ended", cid, timeout=10)
    assert back and back["reason"] == "callee_hangup" and back["target"] == "ext:" + SUPPORT_EXT, \
        (back, seen, ivr.log_tail("sipproxy"))
    t_back = time.monotonic()
    rate, seen = wait_step(sub, cid, "rate", "")
    assert rate, "no survey after the agent left; steps %s\n%s" % (seen, ivr.log_tail("ivrd"))
    time.sleep(3.5)  # most of the question ("Please rate the call from 1 to 5.")
    ivr.ua[CALLER_EXT].command("sndcode", "4")
    scored, seen = wait_step(sub, cid, "rate", "score:4")
    assert scored, "no score:4; steps %s\n%s" % (seen, ivr.log_tail("ivrd"))
    # the thanks prompt, then the flow hangs up (no next): the call ends by itself
    ended, _ = wait_event(sub, "call.ended", cid, timeout=15)
    assert ended, "the call did not end after the survey"
    surveys = [json.loads(f[-1]) for f in sub.raw if f[0] == b"ivr.survey"]
    surveys = [o for o in surveys if o.get("call_id") == cid]
    assert surveys and surveys[0]["score"] == 4 and surveys[0]["question"] == "agent-score" \
        and surveys[0]["agent"] == "ext:" + SUPPORT_EXT and surveys[0]["flow"] == "t-survey", surveys
    deadline = time.monotonic() + 5
    rows = []
    while time.monotonic() < deadline and not rows:
        rows = ivr.psql("SELECT flow, question, score, agent FROM survey_results "
                        "WHERE call_id = %s", (cid,))
        time.sleep(0.1)
    assert rows == [("t-survey", "agent-score", 4, "ext:" + SUPPORT_EXT)], rows
    assert ivr.psql("SELECT score FROM v_survey WHERE call_id = %s", (cid,), role="cc_bi") == [(4,)]
    steps = [(n, i) for n, i, _ in path_of(ivr, cid, until=("rate", "end"))]
    assert steps == [("support", "route:ext:%s" % SUPPORT_EXT),
                     ("support", "route_ended"), ("rate", ""), ("rate", "score:4"),
                     ("rate", "end")], steps
    # what the caller heard: the agent's tone, then speech (the question) after it left
    rec = new_recording(ivr, CALLER_EXT)
    marks = tone_windows(rec, SUPPORT_HZ)
    last_tone = marks.rfind("T")
    assert last_tone > 20, "the agent's %d Hz tone never heard: %s" % (SUPPORT_HZ, marks)
    after = marks[last_tone + 1:]
    assert after.count("M") >= 30, "no survey question after the agent left (%.1f s ago): %s" % (
        time.monotonic() - t_back, after)
    sub.close()


def test_transfer_by_the_agent_is_not_a_return(ivr):
    """The agent reached through a route with `then` transfers the caller (blind REFER) to
    the operator: ivrd leaves the call with the operator (no survey played over it, no
    hangup), the caller hears the operator's tone, and the path ends where the caller hung
    up. (Whether sipproxy reports the transfer as call.connect_ended `transferred` is
    checked in test_callctl; ivrd must not resume the flow on it.)"""
    load_survey_flow(ivr)
    sub, cid = ivr_call(ivr, CALLER_EXT, SURVEY_NUMBER)
    answered, seen = wait_event(sub, "call.connect_result", cid, timeout=15)
    assert answered and answered["result"] == "answered", (answered, seen)
    time.sleep(1.5)
    operator = ivr.ua[OPERATOR_EXT]
    before = operator.text().count("Call established")
    ivr.ua[SUPPORT_EXT].command("transfer", "sip:%s@127.0.0.1:%d" % (OPERATOR_EXT, ivr.sip_port))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and operator.text().count("Call established") <= before:
        time.sleep(0.1)
    assert operator.text().count("Call established") > before, \
        "the operator never got the call:\n%s" % ivr.log_tail("sipproxy")
    later = sub.collect(4)
    steps = [(o["node"], o["input"]) for topic, o, _ in later
             if topic == "ivr.step" and o.get("call_id") == cid]
    ended = [o for topic, o, _ in later if topic == "call.ended" and o.get("call_id") == cid]
    assert steps == [] and ended == [], (steps, ended, ivr.log_tail("ivrd"))
    assert hang_up(ivr, CALLER_EXT, sub, cid)
    rec = new_recording(ivr, CALLER_EXT)
    share, loud = tail_tone_share(rec, OPERATOR_HZ, 2)
    assert loud > 20 and share > 0.8, "operator tone in %.2f of %d windows" % (share, loud)
    steps = [(n, i) for n, i, _ in path_of(ivr, cid, until=("support", "hangup"))]
    assert steps == [("support", "route:ext:%s" % SUPPORT_EXT), ("support", "hangup")], steps
    sub.close()


def test_transfer_back_into_the_ivr_starts_a_new_run(ivr):
    """The agent transfers the caller to another IVR number: sipproxy hands the same call to
    ivrd again (ivr.start), and ivrd runs the new flow on it (here: a prompt, then the
    operator), its path continuing after the first flow's."""
    load_survey_flow(ivr)
    back = {"name": "t-back", "language": "en", "start": "hold",
            "nodes": {"hold": {"kind": "play", "prompts": ["please-hold"], "next": "op"},
                      "op": {"kind": "route", "to": "ext", "target": OPERATOR_EXT}}}
    r = ivr.ccctl("ivr", "load", write_flow(ivr, back, "back.json"), "--number", "7003")
    assert r.returncode == 0, r.stderr
    ivr.wait_log("ivrd", r"event=ivr.flow_loaded daemon=ivrd flow=t-back version=1", timeout=10)
    time.sleep(0.5)
    sub, cid = ivr_call(ivr, CALLER_EXT, SURVEY_NUMBER)
    answered, seen = wait_event(sub, "call.connect_result", cid, timeout=15)
    assert answered and answered["result"] == "answered", (answered, seen)
    time.sleep(1.5)
    ivr.ua[SUPPORT_EXT].command("transfer", "sip:7003@127.0.0.1:%d" % ivr.sip_port)
    routed, seen = wait_step(sub, cid, "op", "route:ext:%s" % OPERATOR_EXT, timeout=15)
    assert routed, "no new run after the transfer; steps %s\n%s\n%s" % (
        seen, ivr.log_tail("ivrd"), ivr.log_tail("sipproxy"))
    answered, seen = wait_event(sub, "call.connect_result", cid, timeout=10)
    assert answered and answered["result"] == "answered", (answered, seen)
    time.sleep(3)
    assert hang_up(ivr, CALLER_EXT, sub, cid)
    rec = new_recording(ivr, CALLER_EXT)
    share, loud = tail_tone_share(rec, OPERATOR_HZ, 2)
    assert loud > 20 and share > 0.8, "operator tone in %.2f of %d windows" % (share, loud)
    deadline = time.monotonic() + 5
    while True:
        rows = ivr.psql("SELECT seq, flow, node, input FROM ivr_path WHERE call_id = %s "
                        "ORDER BY seq", (cid,))
        if rows and rows[-1][3] == "hangup" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert [r[1:] for r in rows] == [
        ("t-survey", "support", "route:ext:%s" % SUPPORT_EXT),
        ("t-back", "hold", ""), ("t-back", "op", "route:ext:%s" % OPERATOR_EXT),
        ("t-back", "op", "hangup")], rows
    assert [r[0] for r in rows] == [1, 2, 3, 4], rows
    sub.close()


def test_demo_seed_loads_main_on_500_and_mandarin_on_501(make_suite):
    s = make_suite(daemons=[])
    r = s.ccctl("demo", "seed")
    assert r.returncode == 0, r.stderr
    assert s.psql("SELECT version FROM ivr_flows_live WHERE name = 'main'") == [(1,)]
    assert s.psql("SELECT target_kind, target FROM dialplan WHERE pattern = '500'") == [("ivr", "main")]
    doc = json.loads(s.ccctl("ivr", "show", "main", check=True).stdout)
    assert doc["nodes"]["menu"]["options"] == {"1": "sales", "2": "support", "0": "operator"}
    # and the same menu in Mandarin on its own number
    assert s.psql("SELECT target_kind, target FROM dialplan WHERE pattern = '501'") == [
        ("ivr", "main-zh")]
    zh = json.loads(s.ccctl("ivr", "show", "main-zh", check=True).stdout)
    assert zh["language"] == "zh" and zh["nodes"]["menu"] == doc["nodes"]["menu"], zh
    # seeding again changes nothing
    assert s.ccctl("demo", "seed").returncode == 0
    assert s.psql("SELECT count(*) FROM ivr_flows") == [(2,)]
