"""Trunks: a call comes in from a trunk's address (no digest), is routed by the dialled
number to another trunk (strip/prefix applied), which challenges with 407: sipproxy
answers with the trunk's credentials. sipp on both sides; events checked on the bus."""

import subprocess
import time
from pathlib import Path

import suite as sm

SIPP_DIR = Path(__file__).resolve().parent.parent / "sipp"


def test_trunk_in_to_trunk_out_with_outbound_auth(make_suite):
    s = make_suite(daemons=["sipproxy", "mediad"])
    uac_port, uas_port = sm.free_port(), sm.free_port()
    s.ccctl("trunk", "add", "carrier_in", "--host", "127.0.0.1:%d" % uac_port, check=True)
    s.ccctl("trunk", "add", "carrier_out", "--host", "127.0.0.1:%d" % uas_port,
            "--user", "trunkuser", "--password", "trunkpass", check=True)
    s.ccctl("route", "add", "9.", "trunk:carrier_out", "--strip", "1", "--prefix", "00", check=True)
    s.start()
    sub = s.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    uas = subprocess.Popen(["sipp", "-sf", str(SIPP_DIR / "trunk_uas.xml"), "-i", "127.0.0.1",
                            "-p", str(uas_port), "-m", "1", "-timeout", "20s", "-nostdin",
                            "-mp", str(sm.free_port(tcp=False, span=4))],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           cwd=str(s.var_dir))
    s.all_pids.append(uas.pid)
    try:
        time.sleep(0.3)
        uac = subprocess.run(["sipp", "127.0.0.1:%d" % s.sip_port, "-sf",
                              str(SIPP_DIR / "trunk_uac.xml"), "-s", "91234", "-d",
                              "1000", "-i", "127.0.0.1", "-p", str(uac_port), "-m", "1",
                              "-timeout", "15s", "-timeout_error", "-nostdin",
                              "-mp", str(sm.free_port(tcp=False, span=4))],
                             capture_output=True, text=True, timeout=30, cwd=str(s.var_dir))
        out, err = uas.communicate(timeout=20)
    finally:
        if uas.poll() is None:
            uas.kill()
            uas.wait()
    assert uac.returncode == 0, "caller side failed:\n%s\nsipproxy:\n%s" % (
        uac.stderr[-1500:], s.log_tail("sipproxy"))
    assert uas.returncode == 0, "trunk side failed (auth?):\n%s" % err[-1500:]
    events = [obj for _, obj, _ in sub.collect(3, until=lambda ev: any(
        e[0] == "call.ended" for e in ev))]
    sub.close()
    created = [e for e in events if e["type"] == "call.created"]
    ended = [e for e in events if e["type"] == "call.ended"]
    assert created and ended, events
    c = created[0]
    assert (c["direction"], c["trunk"], c["callee"], c["route_target"]) == \
        ("inbound", "carrier_in", "91234", "carrier_out"), c
    assert ended[0]["disposition"] == "answered" and ended[0]["hangup_side"] == "caller", ended


def test_outbound_from_phone_needs_digest(make_suite):
    """A phone (not a trunk address) must authenticate its INVITE: 407 without
    credentials, and the call is then outbound through the trunk."""
    s = make_suite(daemons=["sipproxy", "mediad"])
    uas_port = sm.free_port()
    s.ccctl("trunk", "add", "carrier_out", "--host", "127.0.0.1:%d" % uas_port, check=True)
    s.ccctl("route", "add", "9.", "trunk:carrier_out", check=True)
    s.start()
    # same UAC scenario, but from an address that is no trunk: expect 407 (sipp fails on it)
    uac = subprocess.run(["sipp", "127.0.0.1:%d" % s.sip_port, "-sf",
                          str(SIPP_DIR / "trunk_uac.xml"), "-s", "91234", "-d", "100",
                          "-i", "127.0.0.1", "-p", str(sm.free_port()), "-m", "1",
                          "-timeout", "5s", "-nostdin", "-trace_err",
                          "-error_file", str(s.var_dir / "uac.err")],
                         capture_output=True, text=True, timeout=20, cwd=str(s.var_dir))
    assert uac.returncode != 0
    assert "407" in (s.var_dir / "uac.err").read_text(errors="replace")
