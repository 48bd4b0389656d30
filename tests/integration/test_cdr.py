"""test_cdr.py - CDRs from real calls: sipp UAC -> trunk in -> sipproxy (+ mediad) -> trunk
out -> sipp UAS, with cdrd killed with SIGKILL in the middle of the run and started again.
Afterwards every call sipp completed has exactly one CDR (none lost, none doubled), with
the right parties, disposition, hangup side and a talk time within tolerance, and no call
is left in calls_active. Everything runs on 127.0.0.1 with free ports and a temp var dir;
every process (daemons and sipp) is started with subprocess and stopped by PID."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import suite as sm  # noqa: E402

# alone, before the parallel part: load and timing that other tests would disturb
pytestmark = pytest.mark.serial

CALLS = 50
RATE = 5            # calls per second
TALK_MS = 1500      # the UAC hangs up this long after its ACK
TALK_TOLERANCE_MS = 600
CALLER = "5551000"
DIALLED = "95552000"  # matches the route "9." -> trunk out, which strips the 9

UAC_XML = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="cdr test caller">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:%(caller)s@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:%(caller)s@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=- 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 8
      a=rtpmap:0 PCMU/8000
      a=rtpmap:8 PCMA/8000
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:%(caller)s@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:%(caller)s@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <pause milliseconds="%(talk)d"/>
  <send retrans="500">
    <![CDATA[
      BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:%(caller)s@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: <sip:%(caller)s@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200" crlf="true"/>
</scenario>
""" % {"caller": CALLER, "talk": TALK_MS}

UAS_XML = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="cdr test callee">
  <recv request="INVITE" crlf="true"/>
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0
    ]]>
  </send>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=- 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
    ]]>
  </send>
  <recv request="ACK" rtd="true" crlf="true"/>
  <recv request="BYE"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0
    ]]>
  </send>
</scenario>
"""


def _sipp(args, log_path, cwd):
    """Start sipp in the background (own session, so it is stopped by its PID alone)."""
    log = open(log_path, "wb")
    try:
        return subprocess.Popen(["sipp"] + [str(a) for a in args], stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, cwd=str(cwd),
                                start_new_session=True)
    finally:
        log.close()


def _stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(10)


def _sipp_counts(stat_path):
    """(successful, failed) calls from the last line of sipp's -trace_stat file."""
    lines = [ln for ln in Path(stat_path).read_text().splitlines() if ln.strip()]
    header, last = lines[0].split(";"), lines[-1].split(";")
    row = dict(zip(header, last))
    return int(row["SuccessfulCall(C)"]), int(row["FailedCall(C)"])


def _wait_for(what, fn, timeout, interval=0.25):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value[0]:
            return value[1]
        if time.monotonic() > deadline:
            pytest.fail("%s within %.0f s; last seen: %r" % (what, timeout, value[1]))
        time.sleep(interval)


@pytest.fixture
def trunk_suite(make_suite, tmp_path):
    s = make_suite(daemons=["mediad", "sipproxy", "cdrd"], config={"cdrd.flush_ms": "100"})
    uac_port = sm.free_port()
    uas_port = sm.free_port()
    s.ccctl("trunk", "add", "carrier_in", "--host", "127.0.0.1:%d" % uac_port, check=True)
    s.ccctl("trunk", "add", "carrier_out", "--host", "127.0.0.1:%d" % uas_port, check=True)
    s.ccctl("route", "add", "9.", "trunk:carrier_out", "--strip", "1", check=True)
    s.start("mediad", "sipproxy", "cdrd")
    return s, uac_port, uas_port


def test_kill9_cdrd_during_calls_loses_and_doubles_nothing(trunk_suite, tmp_path):
    s, uac_port, uas_port = trunk_suite
    (tmp_path / "uac.xml").write_text(UAC_XML)
    (tmp_path / "uas.xml").write_text(UAS_XML)
    uas = _sipp(["-sf", tmp_path / "uas.xml", "-i", "127.0.0.1", "-p", uas_port, "-nostdin",
                 "-trace_err"], tmp_path / "uas.log", tmp_path)
    uac = None
    try:
        time.sleep(0.5)
        uac = _sipp(["127.0.0.1:%d" % s.sip_port, "-sf", tmp_path / "uac.xml", "-s", DIALLED,
                     "-i", "127.0.0.1", "-p", uac_port, "-m", CALLS, "-r", RATE, "-l", 20,
                     "-nostdin", "-trace_err", "-trace_stat", "-stf", tmp_path / "stat.csv",
                     "-fd", 1, "-timeout", 120, "-timeout_error"],
                    tmp_path / "uac.log", tmp_path)
        # Let a third of the calls through, then kill cdrd hard while calls are up; keep
        # it down for a couple of seconds of calls, then start it again.
        time.sleep(CALLS / RATE / 3)
        code, _ = s.kill9("cdrd")
        assert code == -signal.SIGKILL, "cdrd should have died of SIGKILL, exit %r" % code
        time.sleep(2.0)
        s.start("cdrd")
        try:
            uac.wait(CALLS / RATE + TALK_MS / 1000 + 60)
        except subprocess.TimeoutExpired:
            pytest.fail("sipp UAC still running after the whole run; log:\n%s"
                        % (tmp_path / "uac.log").read_text(errors="replace")[-3000:])
    finally:
        if uac:
            _stop(uac)
        _stop(uas)

    ok, failed = _sipp_counts(tmp_path / "stat.csv")
    assert ok + failed == CALLS, "sipp ran %d calls, expected %d" % (ok + failed, CALLS)
    assert failed == 0, "sipp saw %d failed calls; uac log:\n%s" % (
        failed, (tmp_path / "uac.log").read_text(errors="replace")[-3000:])

    count = _wait_for("one CDR per completed call (%d)" % ok,
                      lambda: (lambda n: (n >= ok, n))(s.psql("SELECT count(*) FROM cdrs")[0][0]),
                      timeout=30)
    time.sleep(1.0)  # anything extra (a duplicate) would land by now
    rows = s.psql("SELECT call_id, caller, callee, direction, trunk, disposition, hangup_side, "
                  "sip_code, ring_ms, talk_ms, answered_at IS NOT NULL, event_id FROM cdrs")
    assert len(rows) == ok, "expected exactly %d CDRs, found %d (was %d)" % (ok, len(rows), count)
    assert len({r[0] for r in rows}) == ok, "duplicate call ids in cdrs"
    assert len({r[11] for r in rows}) == ok, "duplicate event ids in cdrs"
    for (call_id, caller, callee, direction, trunk, disposition, side, code, ring_ms, talk_ms,
         answered, _event_id) in rows:
        where = "CDR of call %s" % call_id
        assert caller == CALLER, "%s: caller expected %s, saw %r" % (where, CALLER, caller)
        assert callee == DIALLED, "%s: callee expected %s, saw %r" % (where, DIALLED, callee)
        assert direction in ("inbound", "outbound"), "%s: direction %r" % (where, direction)
        assert trunk in ("carrier_in", "carrier_out"), "%s: trunk %r" % (where, trunk)
        assert disposition == "answered", "%s: disposition %r" % (where, disposition)
        assert side == "caller", "%s: hangup side expected caller, saw %r" % (where, side)
        assert code == 200, "%s: sip_code expected 200, saw %r" % (where, code)
        assert answered, "%s: no answered_at" % where
        assert ring_ms is not None and 0 <= ring_ms < 5000, "%s: ring_ms %r" % (where, ring_ms)
        assert talk_ms is not None and abs(talk_ms - TALK_MS) <= TALK_TOLERANCE_MS, \
            "%s: talk_ms expected %d +- %d, saw %r" % (where, TALK_MS, TALK_TOLERANCE_MS, talk_ms)

    legs = s.psql("SELECT leg, count(*) FROM cdr_legs GROUP BY leg ORDER BY leg")
    assert legs == [("callee", ok), ("caller", ok)], \
        "expected one caller and one callee leg per CDR (%d), saw %r" % (ok, legs)
    left = s.psql("SELECT call_id FROM calls_active")
    assert left == [], "calls left in calls_active after every call ended: %r" % left
    cursor = s.psql("SELECT epoch, seq FROM bus_cursors WHERE consumer = 'cdrd' "
                    "AND publisher = 'sipproxy'")
    assert len(cursor) == 1 and cursor[0][1] > 0, "no stored cursor: %r" % cursor

    details = s.bus_call("cdrd", "status")["result"]["details"]
    assert details["calls_active"] == 0, details
    assert details["write_failures"] == 0, details
    assert details["events_lost"] == 0, details


def test_cdrd_restart_resumes_from_its_cursor(trunk_suite, tmp_path):
    """A clean restart between calls: the stored cursor is where cdrd picks up, and the
    calls before and after each have one CDR."""
    s, uac_port, uas_port = trunk_suite
    (tmp_path / "uac.xml").write_text(UAC_XML.replace('milliseconds="%d"' % TALK_MS,
                                                      'milliseconds="200"'))
    (tmp_path / "uas.xml").write_text(UAS_XML)
    uas = _sipp(["-sf", tmp_path / "uas.xml", "-i", "127.0.0.1", "-p", uas_port, "-nostdin"],
                tmp_path / "uas.log", tmp_path)
    try:
        time.sleep(0.5)
        total = 0
        sub = None
        for round_no in range(2):
            if round_no == 1:  # the wallboard's view: one cdr.written per new CDR
                sub = s.subscribe(["cdrd"], prefix="cdr.written")
                time.sleep(0.3)
            uac = _sipp(["127.0.0.1:%d" % s.sip_port, "-sf", tmp_path / "uac.xml", "-s",
                         DIALLED, "-i", "127.0.0.1", "-p", uac_port, "-m", 5, "-r", 5,
                         "-nostdin", "-timeout", 30, "-timeout_error"],
                        tmp_path / ("uac%d.log" % round_no), tmp_path)
            try:
                assert uac.wait(40) == 0, "sipp UAC failed; log:\n%s" % (
                    tmp_path / ("uac%d.log" % round_no)).read_text(errors="replace")[-3000:]
            finally:
                _stop(uac)
            total += 5
            _wait_for("%d CDRs" % total, lambda: (lambda n: (n >= total, n))(
                s.psql("SELECT count(*) FROM cdrs")[0][0]), timeout=15)
            if round_no == 0:
                code, _ = s.stop("cdrd")
                assert code == 0, "cdrd exit code on SIGTERM: %r" % code
                stored = s.psql("SELECT seq FROM bus_cursors WHERE consumer = 'cdrd'")
                assert stored and stored[0][0] > 0
                s.start("cdrd")
        time.sleep(1.0)
        assert s.psql("SELECT count(*), count(DISTINCT call_id) FROM cdrs") == [(total, total)]
        written = sub.collect(3.0, until=lambda evs: len(evs) >= 5)
        time.sleep(0.5)
        written += sub.collect(0.2)
        sub.close()
        assert len(written) == 5, "expected 5 cdr.written events, saw %d" % len(written)
        for _topic, ev, _raw in written:
            assert ev["caller"] == CALLER and ev["disposition"] == "answered", ev
            assert ev["call_id"] and isinstance(ev.get("talk_ms"), int), ev
    finally:
        _stop(uas)
