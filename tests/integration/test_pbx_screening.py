"""Screening and calling permissions (issue 15) with real daemons and real clients:
sipproxy + mediad + cdrd, a baresip phone (1002, answers with 880 Hz), callers that are a
small SIP UA written here (from the trunk 'near' for outside callers, with digest for the
extension 1001), and a sipp UAS behind the trunk 'far' for numbers dialled out.

Checked: a blocked number gets busy (486) at once; a blocked prefix or an anonymous caller
(From anonymous, or Privacy: id) hears the call-blocked prompt as early media (the RTP the
caller receives correlates with the prompt file) and then 486; an allow rule wins over a
block and the call reaches the phone; each refused call is a CDR with disposition
blocked and the rule as reason. A local-only extension dialling an international number
gets the not-permitted prompt and 403, while an emergency number reaches the trunk's sipp
UAS. Caller-prefix routing sends a +44 caller of 7000 to 1002 while others get the
number's own route, and an IVR branch on the caller's prefix does the same in a flow.
Music on hold: WAVs in odd formats uploaded with `ccctl prompt upload` (resampled to
8 kHz mono) play to the callers of a queue that has them as its music, and to a party the
extension with them as its own music puts on hold. ccctl refuses bad input with exit 2 naming the field."""

import json
import shutil
import subprocess
import time
import wave
from pathlib import Path

import pytest

import suite as sm
from helpers.audio import make_tone, tone_share_samples
from helpers.bus import wait_until
from helpers.phones import Baresip
from helpers.sipcaller import Caller, assert_heard_prompt, pcm

SIPP_DIR = Path(__file__).resolve().parent.parent / "sipp"
PHONE = "1002"        # a registered phone that answers
CALLER = "1001"       # an extension that calls out (local class)
NOBODY = "1003"       # a user that never registers


def cdr_of(s, caller, since):
    rows = wait_until(lambda: s.psql(
        "SELECT disposition, sip_code, reason, callee FROM cdrs WHERE caller = %s "
        "AND created_at >= to_timestamp(%s) ORDER BY created_at DESC", (caller, since)),
        timeout=10, what="the CDR of %s's call" % caller)
    return rows[0]


# ---- fixture -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scr(pg_cluster, bin_dir):
    # a private copy of the prompt set: `ccctl prompt upload` writes into it
    prompts = sm.make_tempdir("cc-screen-prompts-")
    shutil.copytree(sm.prompts_dir(), prompts, symlinks=True, dirs_exist_ok=True)
    s = sm.Suite(pg_cluster, name="test_pbx_screening",
                 daemons=["sipproxy", "mediad", "cdrd", "ivrd", "acdd"],
                 config={"sipproxy.ring_timeout": "5", "mediad.media_timeout": "10",
                         "mediad.prompt_dir": str(prompts)})
    s.prompts = prompts
    ua = None
    s.near_port, s.far_port = sm.free_port(), sm.free_port()
    try:
        for ext in (CALLER, PHONE, NOBODY):
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
        s.ccctl("trunk", "add", "near", "--host", "127.0.0.1:%d" % s.near_port, check=True)
        s.ccctl("trunk", "add", "far", "--host", "127.0.0.1:%d" % s.far_port, check=True)
        s.ccctl("route", "add", "9.", "trunk:far", check=True)
        s.ccctl("route", "add", "112", "trunk:far", check=True)
        s.ccctl("route", "add", "7000", "ext:" + NOBODY, check=True)
        s.start()
        tone = s.var_dir / "tone880.wav"
        make_tone(tone, 880)
        ua = Baresip(s, PHONE, "secret" + PHONE, tone, answer="auto")
        assert ua.wait_log("200 OK", 10), ua.text()[-2000:]
        s.phone = ua
        yield s
    finally:
        if ua:
            ua.stop()
        s.close()
        shutil.rmtree(str(prompts), ignore_errors=True)


def outside(s):
    """A caller from the trunk 'near' (its address makes it the trunk: no digest)."""
    return Caller(s, port=s.near_port)


def reload_settles():
    time.sleep(1.0)   # NOTIFY cc_config -> sipproxy reloads the directory


# ---- blocked and allowed callers ----------------------------------------------------------


def test_blocked_number_gets_busy_and_a_blocked_cdr(scr):
    s = scr
    s.ccctl("block", "add", "5550001", check=True)
    reload_settles()
    t0 = time.time() - 1
    c = outside(s)
    try:
        code, responses, payloads = c.call(PHONE, caller="5550001")
    finally:
        c.close()
    assert code == 486, (code, responses, s.log_tail("sipproxy"))
    assert 183 not in responses and not payloads   # busy: no message
    disp, sip_code, reason, callee = cdr_of(s, "5550001", t0)
    assert (disp, sip_code, callee) == ("blocked", 486, PHONE)
    assert reason == "blocked: global list 5550001", reason
    # another number still rings the phone
    c = outside(s)
    try:
        code, _, _ = c.call(PHONE, caller="5550002")
    finally:
        c.close()
    assert code == 200, s.log_tail("sipproxy")


def test_blocked_prefix_hears_the_message_and_allow_wins(scr):
    s = scr
    s.ccctl("block", "add", "--ext", PHONE, "--action", "message", "+4416*", check=True)
    s.ccctl("allow", "add", "--ext", PHONE, "+44161299", check=True)
    reload_settles()
    t0 = time.time() - 1
    c = outside(s)
    try:
        code, responses, payloads = c.call(PHONE, caller="+441612345")
    finally:
        c.close()
    assert code == 486 and 183 in responses, (code, responses, s.log_tail("sipproxy"))
    assert_heard_prompt(s, payloads, "call_blocked")
    disp, sip_code, reason, _ = cdr_of(s, "+441612345", t0)
    assert (disp, sip_code, reason) == ("blocked", 486, "blocked: ext %s list +4416*" % PHONE)
    # the rule is the phone's: another extension's callers are not screened by it
    c = outside(s)
    try:
        code, _, _ = c.call(NOBODY, caller="+441612345")
    finally:
        c.close()
    assert code == 480, "expected unavailable (not registered), not blocked: %s" % code
    # the allowed number wins over the block and reaches the phone
    c = outside(s)
    try:
        code, _, _ = c.call(PHONE, caller="+44161299")
    finally:
        c.close()
    assert code == 200, s.log_tail("sipproxy")
    disp, _, _, _ = cdr_of(s, "+44161299", t0)
    assert disp == "answered"


def test_anonymous_callers_hear_the_message(scr):
    s = scr
    s.ccctl("block", "add", "anonymous", "--action", "message", check=True)
    reload_settles()
    for caller, extra in (("anonymous", ""), ("+33123456", "Privacy: id\r\n")):
        t0 = time.time() - 1
        c = outside(s)
        try:
            code, responses, payloads = c.call(PHONE, caller=caller, extra=extra)
        finally:
            c.close()
        assert code == 486 and 183 in responses, (caller, code, responses)
        assert_heard_prompt(s, payloads, "call_blocked")
        disp, _, reason, _ = cdr_of(s, caller, t0)
        assert (disp, reason) == ("blocked", "blocked: global list anonymous"), caller
    # a number without privacy is not anonymous
    c = outside(s)
    try:
        code, _, _ = c.call(PHONE, caller="+33123456")
    finally:
        c.close()
    assert code == 200
    s.ccctl("block", "del", "anonymous", check=True)


def test_block_lists_and_bad_input(scr):
    s = scr
    r = s.ccctl("block", "list", "--json", check=True)
    assert '"5550001"' in r.stdout and '"+4416*"' in r.stdout, r.stdout
    r = s.ccctl("allow", "list", "--ext", PHONE, check=True)
    assert "+44161299" in r.stdout
    before = s.psql("SELECT count(*) FROM screen_rules")[0][0]
    for args, field in ((("block", "add", "12a4"), "number"),
                        (("block", "add", "--action", "hangup", "555"), "--action"),
                        (("block", "add", "--ext", "1x", "555"), "--ext"),
                        (("allow", "add", "--action", "busy", "555"), "--action"),
                        (("user", "cos", CALLER, "world"), "class"),
                        (("cos", "add", "local", "9x"), "prefix"),
                        (("caller-route", "add", "7000", "+44", "queue"), "TARGET")):
        r = s.ccctl(*args)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert field in r.stderr, (args, r.stderr)
    r = s.ccctl("block", "add", "--ext", "1999", "555")
    assert r.returncode == 1 and "unknown extension" in r.stderr, r.stderr
    r = s.ccctl("block", "add", "5550001")
    assert r.returncode == 1 and "already exists" in r.stderr, r.stderr
    r = s.ccctl("block", "del", "5559999")
    assert r.returncode == 1
    assert s.psql("SELECT count(*) FROM screen_rules")[0][0] == before


# ---- calling permissions -----------------------------------------------------------------


def test_local_extension_refused_international_and_allowed_emergency(scr):
    s = scr
    s.ccctl("cos", "add", "local", "92", check=True)
    s.ccctl("cos", "add", "national", "90", check=True)
    s.ccctl("cos", "add", "international", "900", check=True)
    s.ccctl("user", "cos", CALLER, "local", check=True)
    reload_settles()
    r = s.ccctl("cos", "list", check=True)
    assert "international" in r.stdout and "900" in r.stdout
    t0 = time.time() - 1
    c = Caller(s, ext=CALLER, password="secret" + CALLER)
    try:
        code, responses, payloads = c.call("90044207946", talk=0.5)
    finally:
        c.close()
    assert code == 403 and 183 in responses, (code, responses, s.log_tail("sipproxy"))
    assert_heard_prompt(s, payloads, "not_permitted")
    disp, sip_code, reason, callee = cdr_of(s, CALLER, t0)
    assert (disp, sip_code, callee) == ("blocked", 403, "90044207946")
    assert reason == "not permitted: international number for a local extension", reason
    # an emergency number reaches the trunk's sipp UAS, as does a local one
    for number in ("112", "9234567"):
        uas = subprocess.Popen(["sipp", "-sf", str(SIPP_DIR / "load_uas.xml"), "-i",
                                "127.0.0.1", "-p", str(s.far_port), "-m", "1", "-timeout",
                                "20s", "-nostdin", "-mp", str(sm.free_port(tcp=False, span=4))],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               cwd=str(s.var_dir))
        s.all_pids.append(uas.pid)
        try:
            time.sleep(0.4)
            c = Caller(s, ext=CALLER, password="secret" + CALLER)
            try:
                code, responses, _ = c.call(number, talk=0.5)
            finally:
                c.close()
            uas.wait(20)
        finally:
            if uas.poll() is None:
                uas.kill()
                uas.wait()
        assert code == 200, (number, code, responses, s.log_tail("sipproxy"))
        assert uas.returncode == 0, number
    s.ccctl("user", "cos", CALLER, "international", check=True)


# ---- routing by the caller's prefix ---------------------------------------------------------


def test_caller_prefix_routing(scr):
    s = scr
    s.ccctl("caller-route", "add", "7000", "+44", "ext:" + PHONE, check=True)
    reload_settles()
    r = s.ccctl("caller-route", "list", "--json", check=True)
    assert '"ext:%s"' % PHONE in r.stdout
    sub = s.subscribe(["sipproxy"], prefix="call.created")
    time.sleep(0.3)
    c = outside(s)
    try:
        code_uk, _, _ = c.call("7000", caller="+447700900123")
        code_fr, _, _ = c.call("7000", caller="+33612345678")
    finally:
        c.close()
    created = [obj for _, obj, _ in sub.collect(2)]
    sub.close()
    assert code_uk == 200, s.log_tail("sipproxy")   # +44: the phone answers
    assert code_fr == 480                            # others: 7000's route, not registered
    targets = {e["caller"]: e.get("route_target") for e in created}
    assert targets.get("+447700900123") == PHONE, created
    assert targets.get("+33612345678") == NOBODY, created


def test_ivr_branch_on_the_callers_prefix(scr):
    s = scr
    flow = {"name": "by-caller", "language": "en", "start": "by", "nodes": {
        "by": {"kind": "branch", "variable": "caller", "match": "prefix",
               "cases": {"+44": "uk", "+4420": "london"}, "default": "bye"},
        "london": {"kind": "route", "to": "ext", "target": PHONE},
        "uk": {"kind": "route", "to": "ext", "target": NOBODY},
        "bye": {"kind": "hangup", "prompts": "goodbye"}}}
    path = s.var_dir / "by-caller.json"
    bad = dict(flow, nodes=dict(flow["nodes"], by=dict(flow["nodes"]["by"], cases={"4x": "uk"})))
    path.write_text(json.dumps(bad))
    r = s.ccctl("ivr", "load", str(path), "--number", "7200")
    assert r.returncode != 0 and "not a number prefix" in (r.stderr + r.stdout), r
    path.write_text(json.dumps(flow))
    s.ccctl("ivr", "load", str(path), "--number", "7200", check=True)
    time.sleep(1.0)
    sub = s.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    c = outside(s)
    try:
        c.call("7200", caller="+442079460000", talk=1.0)
        c.call("7200", caller="+33612345678", talk=0.5)
    finally:
        c.close()
    events = [obj for _, obj, _ in sub.collect(3)]
    sub.close()
    ids = {e["caller"]: e["call_id"] for e in events if e["type"] == "call.created"}
    assert set(ids) == {"+442079460000", "+33612345678"}, events
    # the London caller was connected to the phone by the flow
    results = [e for e in events if e["type"] == "call.connect_result"
               and e["call_id"] == ids["+442079460000"]]
    assert results and results[-1]["result"] == "answered", events
    steps = lambda cid: wait_until(lambda: s.psql(
        "SELECT node, input FROM ivr_path WHERE call_id = %s AND input <> '' ORDER BY seq",
        (cid,)), timeout=10, what="the IVR path")
    assert ("by", "case:+4420") in [tuple(r) for r in steps(ids["+442079460000"])]
    assert ("by", "default") in [tuple(r) for r in steps(ids["+33612345678"])]


# ---- music on hold ---------------------------------------------------------------------------


def upload(s, name, freq, rate, channels, bits):
    src = s.var_dir / ("src-%s.wav" % name.replace("/", "-"))
    subprocess.run(["sox", "-q", "-n", "-r", str(rate), "-c", str(channels), "-b", str(bits),
                    str(src), "synth", "3", "sine", str(freq), "vol", "0.5"], check=True,
                   timeout=30)
    r = s.ccctl("prompt", "upload", name, str(src), check=True)
    assert "8 kHz mono" in r.stdout, r.stdout
    with wave.open(str(s.prompts / (name + ".wav"))) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert abs(w.getnframes() - 24000) < 100


def test_prompt_upload_refuses_bad_input(scr):
    s = scr
    text = s.var_dir / "not.wav"
    text.write_text("not a wav file")
    for args, field in ((("prompt", "upload", "moh/x", str(text)), "FILE"),
                        (("prompt", "upload", "../etc", str(text)), "NAME"),
                        (("prompt", "upload", "moh/x", str(s.var_dir / "none.wav")), "FILE"),
                        (("prompt", "upload", "x", str(text), "--language", "e/n"), "--language"),
                        (("user", "moh", PHONE, "a//b"), "PROMPT"),
                        (("queue", "moh", "nosuch", "moh/x"), "no queue")):
        r = s.ccctl(*args)
        assert r.returncode in (1, 2) and field in r.stderr, (args, r.returncode, r.stderr)
    assert not (s.prompts / "moh" / "x.wav").exists()


def test_queue_and_extension_music_on_hold(scr):
    s = scr
    # into the suite's private copy of the prompt set (see the fixture)
    upload(s, "moh/screening-queue", 660, 44100, 2, 24)
    upload(s, "moh/screening-ext", 500, 16000, 1, 16)
    s.ccctl("queue", "add", "mohq", "--number", "7300", "--no-announce", check=True)
    s.ccctl("queue", "moh", "mohq", "moh/screening-queue", check=True)
    s.ccctl("user", "moh", PHONE, "moh/screening-ext", check=True)
    reload_settles()
    c = outside(s)
    try:
        code, _, _ = c.call("7300", caller="5557300", talk=4.0)
        assert code == 200, s.log_tail("acdd")
        share, loud = tone_share_samples(pcm(c.talked), 660)
        assert loud > 30 and share > 0.8, "queue music: 660 Hz in %.2f of %d windows" % (
            share, loud)
        # the phone answers, then holds: the caller hears the phone's own music
        holding = lambda: (time.sleep(1.0), s.phone.command("hold"))
        code, _, _ = c.call(PHONE, caller="5551002", talk=4.0, during=holding)
        assert code == 200
        s.phone.command("hangup")
        tail = pcm(c.talked)[-8000 * 2:]   # the last two seconds: on hold
        share, loud = tone_share_samples(tail, 500)
        assert loud > 20 and share > 0.8, "hold music: 500 Hz in %.2f of %d windows\n%s" % (
            share, loud, s.log_tail("sipproxy"))
    finally:
        c.close()
    s.ccctl("user", "moh", PHONE, "default", check=True)
