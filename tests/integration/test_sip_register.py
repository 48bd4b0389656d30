"""sipproxy edge: OPTIONS, the registrar with digest auth (sipp), contacts in Postgres,
the malformed-request set, and the auth throttle. Real sipp against a real sipproxy."""

import os
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

import suite as sm

SIPP_DIR = Path(__file__).resolve().parent.parent / "sipp"


def sipp(s, scenario, service="1001", password="", expires=600, port=None, timeout=15,
         extra=()):
    """One sipp call of `scenario` against the suite's sipproxy; returns CompletedProcess."""
    port = port or sm.free_port()
    cmd = ["sipp", "127.0.0.1:%d" % s.sip_port, "-sf", str(SIPP_DIR / scenario),
           "-s", service, "-ap", password or "x", "-key", "expires", str(expires),
           "-i", "127.0.0.1", "-p", str(port), "-m", "1", "-timeout", "%ds" % timeout,
           "-timeout_error", "-nostdin", "-trace_err", "-error_file", str(s.var_dir / ("sipp-%d.err" % port))]
    cmd += list(extra)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 10,
                          cwd=str(s.var_dir))


def udp_request(port, text, timeout=2.0):
    """Send raw bytes to sipproxy over UDP; the first reply line or None."""
    sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sk.bind(("127.0.0.1", 0))
    sk.settimeout(timeout)
    try:
        sk.sendto(text if isinstance(text, bytes) else text.encode(), ("127.0.0.1", port))
        data = sk.recv(65535)
        return data.decode(errors="replace").split("\r\n")[0]
    except socket.timeout:
        return None
    finally:
        sk.close()


def options_text(port, lport=5999, call_id=None, cseq="1 OPTIONS", extra="", body=None,
                 content_length=None):
    call_id = call_id if call_id is not None else uuid.uuid4().hex
    body = body or ""
    cl = len(body) if content_length is None else content_length
    lines = ["OPTIONS sip:127.0.0.1:%d SIP/2.0" % port,
             "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s;rport" % (lport, uuid.uuid4().hex),
             "Max-Forwards: 70",
             "From: <sip:probe@127.0.0.1>;tag=%s" % uuid.uuid4().hex[:8],
             "To: <sip:127.0.0.1:%d>" % port]
    if call_id:
        lines.append("Call-ID: %s" % call_id)
    if cseq:
        lines.append("CSeq: %s" % cseq)
    if extra:
        lines.append(extra)
    lines.append("Content-Length: %d" % cl)
    return "\r\n".join(lines) + "\r\n\r\n" + body


@pytest.fixture(scope="module")
def sip(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_sip_register", daemons=["sipproxy"],
                 config={"sipproxy.auth_fail_limit": "5", "sipproxy.auth_fail_window": "60"})
    try:
        s.ccctl("user", "add", "1001", "--password", "secret1001", check=True)
        s.ccctl("user", "add", "1002", "--password", "secret1002", check=True)
        s.start("sipproxy")
    except Exception:
        s.close()
        raise
    yield s
    s.close()


def test_options_answered(sip):
    r = sipp(sip, "options.xml")
    assert r.returncode == 0, "sipp OPTIONS: expected 200, sipp said:\n%s%s" % (r.stdout[-800:], r.stderr)


def test_options_and_register_over_tcp(sip):
    r = sipp(sip, "options.xml", extra=("-t", "t1"))
    assert r.returncode == 0, "OPTIONS over TCP:\n%s" % r.stderr[-800:]
    r = sipp(sip, "register_ok.xml", "1001", "secret1001", extra=("-t", "t1"))
    assert r.returncode == 0, "REGISTER over TCP:\n%s" % r.stderr[-800:]
    deadline = time.time() + 3
    while time.time() < deadline:
        if sip.psql("SELECT 1 FROM sip_contacts WHERE ext = '1001' AND transport = 'tcp'"):
            break
        time.sleep(0.1)
    assert sip.psql("SELECT 1 FROM sip_contacts WHERE ext = '1001' AND transport = 'tcp'")


def test_register_right_password(sip):
    port = sm.free_port()
    r = sipp(sip, "register_ok.xml", "1001", "secret1001", port=port)
    assert r.returncode == 0, "expected 401 then 200:\n%s" % r.stderr
    rows = sip.psql("SELECT contact, source, transport FROM sip_contacts WHERE ext = '1001'")
    deadline = time.time() + 3
    while not rows and time.time() < deadline:  # written behind, batched
        time.sleep(0.1)
        rows = sip.psql("SELECT contact, source, transport FROM sip_contacts WHERE ext = '1001'")
    assert rows, "contact of 1001 not in sip_contacts"
    assert any(src == "127.0.0.1:%d" % port and tr == "udp" for _, src, tr in rows), rows


def test_register_wrong_password_403(sip):
    r = sipp(sip, "register_refused.xml", "1002", "wrongpassword")
    assert r.returncode == 0, "expected 401 then 403:\n%s" % r.stderr


def test_register_unknown_user_403(sip):
    r = sipp(sip, "register_refused.xml", "1999", "whatever1")
    assert r.returncode == 0, "expected 401 then 403 for an unknown user:\n%s" % r.stderr


def test_unregister_removes_contact(sip):
    port = sm.free_port()
    assert sipp(sip, "register_ok.xml", "1002", "secret1002", port=port).returncode == 0
    assert sipp(sip, "register_ok.xml", "1002", "secret1002", port=port, expires=0).returncode == 0
    deadline = time.time() + 3
    while time.time() < deadline:
        rows = sip.psql("SELECT contact FROM sip_contacts WHERE ext = '1002'")
        if not rows:
            break
        time.sleep(0.1)
    assert rows == [], "contact still there after Expires: 0: %s" % rows


@pytest.mark.parametrize("case", ["no_call_id", "bad_cseq", "huge_header", "wrong_length",
                                  "garbage", "empty_lines"])
def test_malformed_then_options(sip, case):
    p = sip.sip_port
    if case == "no_call_id":
        msg = options_text(p, call_id="")
    elif case == "bad_cseq":
        msg = options_text(p, cseq="abc OPTIONS")
    elif case == "huge_header":
        msg = options_text(p, extra="X-Huge: " + "A" * 60000)
    elif case == "wrong_length":
        msg = options_text(p, body="v=0\r\n", content_length=5000)
    elif case == "garbage":
        msg = os.urandom(1200)
    else:
        msg = "\r\n\r\n\r\n"
    reply = udp_request(p, msg, timeout=1.0)
    assert reply is None or reply.startswith("SIP/2.0 400") or reply.startswith("SIP/2.0 4"), \
        "%s: expected 400 or no answer, got %r" % (case, reply)
    assert sip.running("sipproxy"), "sipproxy died on %s:\n%s" % (case, sip.log_tail("sipproxy"))
    assert udp_request(p, options_text(p)) == "SIP/2.0 200 OK", \
        "no 200 to OPTIONS after %s" % case


def test_contacts_survive_restart(sip):
    port = sm.free_port()
    assert sipp(sip, "register_ok.xml", "1002", "secret1002", port=port).returncode == 0
    time.sleep(0.5)
    code, _ = sip.stop("sipproxy")
    assert code == 0
    sip.start("sipproxy")
    assert "contacts=0" not in sip.log_tail("sipproxy", 15).split("sip.contacts_restored")[-1][:30], \
        sip.log_tail("sipproxy", 15)
    r = sip.bus_call("sipproxy", "status")
    assert r["ok"] and r["result"]["details"]["registrations"] >= 1, r


# last: it leaves 127.0.0.1 throttled for the rest of the window
def test_auth_throttle_per_source(sip):
    bad_port = sm.free_port()
    for _ in range(6):  # limit is 5 in this suite
        sipp(sip, "register_refused.xml", "1001", "badpassword", port=bad_port)
    # that source is now refused without a check, even with the right password
    r = sipp(sip, "register_ok.xml", "1001", "secret1001", port=bad_port)
    assert r.returncode != 0, "throttled source still got 200"
    assert "sip.auth_throttled" in sip.log("sipproxy")
    # ... but another source is not affected (all loopback: the throttle keys on ip, so use
    # a different local address)
    r = sipp(sip, "register_ok.xml", "1001", "secret1001", extra=("-i", "127.0.0.2"))
    assert r.returncode == 0, "another source was throttled too:\n%s" % r.stderr


def test_reg_events_added_expired_unregistered(make_suite):
    """reg.added for a new binding; reg.removed when it expires (the sweep) and when the
    phone unregisters (Expires: 0), with how many contacts remain."""
    s = make_suite(daemons=["sipproxy"], config={"sipproxy.reg_min_expires": "1"})
    s.ccctl("user", "add", "1001", "--password", "secret1001", check=True)
    s.start("sipproxy")
    sub = s.subscribe(["sipproxy"], prefix="reg.")
    time.sleep(0.3)
    port = sm.free_port()
    r = sipp(s, "register_ok.xml", "1001", "secret1001", expires=2, port=port)
    assert r.returncode == 0, r.stdout + r.stderr
    evs = [o for _, o, _ in sub.collect(5, until=lambda e: any(
        x[1]["type"] == "reg.removed" for x in e))]
    added = [e for e in evs if e["type"] == "reg.added"]
    removed = [e for e in evs if e["type"] == "reg.removed"]
    contact = "sip:1001@127.0.0.1:%d" % port
    assert added and (added[0]["ext"], added[0]["contact"], added[0]["expires"]) == \
        ("1001", contact, 2), evs
    assert added[0]["source"] == "127.0.0.1:%d" % port, added
    assert removed and (removed[0]["contact"], removed[0]["reason"], removed[0]["remaining"]) == \
        (contact, "expired", 0), evs
    r = sipp(s, "register_ok.xml", "1001", "secret1001", expires=600, port=port)
    assert r.returncode == 0, r.stdout + r.stderr
    r = sipp(s, "register_ok.xml", "1001", "secret1001", expires=0, port=port)
    assert r.returncode == 0, r.stdout + r.stderr
    evs = [o for _, o, _ in sub.collect(3, until=lambda e: any(
        x[1]["type"] == "reg.removed" for x in e))]
    removed = [e for e in evs if e["type"] == "reg.removed"]
    assert removed and (removed[0]["reason"], removed[0]["remaining"]) == ("unregistered", 0), evs
    sub.close()
