"""Keys sent as SIP INFO (application/dtmf-relay and application/dtmf) drive the demo IVR
(deploy/ivr/main.json) as RFC 4733 keys do: sipproxy answers the INFO with 200 and hands
the key to mediad (dtmf.inject), which reports it as media.dtmf with method info; ivrd
takes it from there and routes the call to the extension the key picks, which answers
(a baresip phone). An INFO with another body gets 415 and changes nothing."""

import json
import subprocess
import time
from pathlib import Path

import pytest

import suite as sm
from helpers.audio import make_tone
from helpers.bus import wait_event
from helpers.phones import Baresip

SIPP = Path(__file__).resolve().parent.parent / "sipp" / "info_dtmf_uac.xml"
DEMO = Path(__file__).resolve().parent.parent.parent / "deploy" / "ivr" / "main.json"
IVR_NUMBER = "7100"
SALES, OPERATOR = "1001", "1000"


@pytest.fixture(scope="module")
def pbx(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_pbx_info_dtmf", daemons=["sipproxy", "mediad", "ivrd"],
                 config={"sipproxy.ring_timeout": "8"})
    uas = []
    try:
        for ext in (SALES, OPERATOR):
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
            s.ccctl("route", "add", ext, "ext:" + ext, check=True)
        s.uac_port = sm.free_port()
        s.ccctl("trunk", "add", "carrier", "--host", "127.0.0.1:%d" % s.uac_port, check=True)
        s.start()
        doc = json.loads(DEMO.read_text())
        doc["name"] = "t-demo"
        doc["nodes"]["hours"]["hours"] = ["daily 00:00-24:00"]  # open whenever the test runs
        doc["nodes"]["hours"].pop("holidays", None)
        path = s.var_dir / "demo.json"
        path.write_text(json.dumps(doc))
        r = s.ccctl("ivr", "load", path, "--number", IVR_NUMBER)
        assert r.returncode == 0, r.stderr
        s.ua = {}
        for ext, hz in ((SALES, 1000), (OPERATOR, 1500)):
            tone = s.var_dir / ("tone%d.wav" % hz)
            make_tone(tone, hz, seconds=120)
            ua = Baresip(s, ext, "secret" + ext, tone)
            uas.append(ua)
            s.ua[ext] = ua
        for ua in uas:
            assert ua.wait_log("200 OK", 10), ua.text()[-2000:]
        yield s
    finally:
        for ua in uas:
            ua.stop()
        s.close()


def sipp_call(s, ctype, body, hold_ms=3000):
    work = s.var_dir / "sipp"
    work.mkdir(exist_ok=True)
    return subprocess.run(
        ["timeout", "60", "sipp", "127.0.0.1:%d" % s.sip_port, "-sf", str(SIPP), "-s", IVR_NUMBER,
         "-i", "127.0.0.1", "-p", str(s.uac_port), "-mp", str(sm.free_port()), "-m", "1",
         "-d", str(hold_ms), "-key", "ctype", ctype, "-key", "dbody", body, "-nostdin",
         "-timeout", "50", "-recv_timeout", "20000", "-trace_err", "-error_file",
         str(work / "err.log")],
        cwd=work, capture_output=True, text=True, timeout=70)


def call_events(sub, timeout=40):
    """Every event of the first call seen, until it ended: [(type, body)].

    The socket fair-queues between publishers, so sipproxy's call.ended can be read
    before events ivrd published earlier: after it, drain what is already queued."""
    deadline = time.monotonic() + timeout
    cid, out, ended = None, [], False
    while time.monotonic() < deadline:
        ev = sub.recv(0.5 if ended else max(0.05, deadline - time.monotonic()))
        if ev is None:
            break
        topic, obj, _ = ev
        if cid is None and topic == "call.created":
            cid = obj["call_id"]
        if cid is None or obj.get("call_id") != cid:
            continue
        out.append((topic, obj))
        ended = ended or topic == "call.ended"
    return out


@pytest.mark.parametrize("ctype,body,key,node,ext", [
    ("application/dtmf-relay", "Signal=1", "1", "sales", SALES),
    ("application/dtmf", "0", "0", "operator", OPERATOR),
])
def test_info_key_routes_through_demo_ivr(pbx, ctype, body, key, node, ext):
    sub = pbx.subscribe(["sipproxy", "ivrd", "mediad"])
    time.sleep(0.3)
    r = sipp_call(pbx, ctype, body)
    assert r.returncode == 0, "sipp failed (%d): %s\n%s\n%s" % (
        r.returncode, r.stdout[-1500:], r.stderr[-1500:], pbx.log_tail("sipproxy"))
    evs = call_events(sub)
    sub.close()
    steps = [(o["node"], o["input"]) for t, o in evs if t == "ivr.step"]
    assert ("menu", "key:%s" % key) in steps, steps
    assert (node, "route:ext:%s" % ext) in steps, "steps %s\nivrd:\n%s" % (
        steps, pbx.log_tail("ivrd"))
    keys = [(o["digit"], o["method"]) for t, o in evs if t == "media.dtmf"]
    assert keys == [(key, "info")], keys
    results = [o for t, o in evs if t == "call.connect_result"]
    assert results and results[-1]["result"] == "answered", (results, [t for t, _ in evs])
    assert any(t == "call.ended" for t, _ in evs), [t for t, _ in evs]
    log = pbx.log("sipproxy")
    assert "event=call.info_refused" in log and "content_type=text/plain" in log
