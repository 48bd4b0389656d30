"""Voicemail with real baresip phones: a caller routed to vm:1001 hears the greeting and
the beep, then recorderd records its tone; # (or 2 s of silence) ends the message, which is
indexed in voicemail_messages, announced by vm.message with the box's counts, and whose
recording's caller channel holds the caller's tone. A caller who hangs up at once leaves
nothing. Also ccctl voicemail's checks and exit codes, and vm.deposit refusing an unknown
mailbox."""

import email
import io
import json
import os
import subprocess
import time
import wave

import pytest

import suite as sm
from helpers.audio import tone_share_samples
from helpers.bus import wait_event
from helpers.phones import Baresip, tone_powers
from helpers.recording import channels
from helpers.sipcaller import Caller, assert_heard_prompt
from helpers.sipwire import SipWire

DAEMONS = ["sipproxy", "mediad", "ivrd", "recorderd", "acdd"]
# Debian's python3-aiosmtpd (deploy/install-deps.sh) is the system interpreter's module;
# the tests may run under another python3
SYSTEM_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"


def tone_then_silence(path, freq, tone_s, silence_s):
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), "synth",
                    str(tone_s), "sine", str(freq), "vol", "0.5", "pad", "0", str(silence_s)],
                   check=True)


@pytest.fixture(scope="module")
def vm(pg_cluster, bin_dir):
    smtp_port = sm.free_port(udp=False)
    s = sm.Suite(pg_cluster, name="test_voicemail", daemons=DAEMONS,
                 config={"voicemail.silence_s": "2", "mediad.media_timeout": "0",
                         "voicemail.smtp_url": "smtp://127.0.0.1:%d" % smtp_port,
                         "voicemail.from": "pbx@test.example", "voicemail.mail_retry_s": "1"})
    s.smtp_port = smtp_port
    uas = []
    try:
        for ext in ("1001", "1002", "1003", "1004"):
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
        s.ccctl("voicemail", "add", "1001", "--pin", "-", input="2468\n", check=True)
        s.ccctl("route", "add", "81001", "vm:1001", check=True)
        # a queue nobody answers: after 3 s its callers go to the queue's own mailbox
        s.ccctl("queue", "add", "sales", "--number", "600", "--max-wait", "3", "--overflow",
                "voicemail", "--no-announce", check=True)
        s.ccctl("voicemail", "add", "sales", check=True)
        # 1002's messages are mailed (and removed from the box once mailed)
        s.ccctl("voicemail", "add", "1002", "--email", "bob@example.org", "--delete-after-email",
                check=True)
        s.ccctl("route", "add", "81002", "vm:1002", check=True)
        s.start()
        s.ua = {}
        t1002, t1003 = s.var_dir / "t1002.wav", s.var_dir / "t1003.wav"
        # 1002: a tone that stops after 16 s (the message then ends by silence)
        tone_then_silence(t1002, 520, 16, 120)
        tone_then_silence(t1003, 660, 150, 1)
        t1001 = s.var_dir / "t1001.wav"
        tone_then_silence(t1001, 300, 150, 1)
        for ext, tone in (("1001", t1001), ("1002", t1002), ("1003", t1003)):
            s.ua[ext] = Baresip(s, ext, "secret" + ext, tone,
                                modules=("mwi",) if ext == "1001" else ())
            uas.append(s.ua[ext])
        for ua in uas:
            assert ua.wait_log("200 OK", 10), ua.text()[-2000:]
        yield s
    finally:
        for ua in uas:
            ua.stop()
        s.close()


def messages(s, box="1001"):
    return json.loads(s.ccctl("voicemail", "messages", box, "--json", check=True).stdout)


def deposit(s, ext, number="81001", box="1001"):
    """ext dials number; returns (call_id, subscriber) once recorderd records the message."""
    sub = s.subscribe(["sipproxy", "ivrd", "recorderd"])
    time.sleep(0.3)
    s.ua[ext].dial(number)
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    cid = created["call_id"]
    answered, seen = wait_event(sub, "call.answered", cid, timeout=10)
    assert answered and answered["answered_by"] in ("vm:" + box, "queue:" + box), seen
    started, seen = wait_event(sub, "rec.started", cid, timeout=30)
    assert started, ([e.get("type") for e in seen], s.log_tail("ivrd"))
    return cid, sub


def test_message_ended_by_hash_is_indexed_and_holds_the_tone(vm):
    s = vm
    before = len(messages(s))
    cid, sub = deposit(s, "1003")
    time.sleep(3.0)
    s.ua["1003"].command("sndcode", "#")
    ev, seen = wait_event(sub, "vm.message", cid, timeout=15)
    assert ev, ([e.get("type") for e in seen], s.log_tail("ivrd"))
    assert ev["mailbox"] == "1001" and ev["new"] == before + 1 and ev["saved"] == 0, ev
    assert ev["caller"] == "1003" and 2500 < ev["duration_ms"] < 6000, ev
    # ivrd says "saved" and hangs up itself
    ended, seen = wait_event(sub, "call.ended", cid, timeout=20)
    assert ended, [e.get("type") for e in seen]
    rows = messages(s)
    assert len(rows) == before + 1
    m = rows[-1]
    assert m["id"] == ev["message_id"] and m["caller"] == "1003" and m["folder"] == "new", m
    assert m["reason"] == "direct" and m["email_state"] == "none", m
    rec = s.psql("SELECT path, callee, ended_at IS NOT NULL FROM recordings WHERE id = %s",
                 (m["recording_id"],))
    deadline = time.monotonic() + 10
    while not rec[0][2] and time.monotonic() < deadline:
        time.sleep(0.2)
        rec = s.psql("SELECT path, callee, ended_at IS NOT NULL FROM recordings WHERE id = %s",
                     (m["recording_id"],))
    assert rec[0][0] == m["path"] and rec[0][1] == "vm:1001" and rec[0][2], rec
    left, _ = channels(m["path"])
    share, loud = tone_share_samples(left, 660)
    assert loud > 40 and share > 0.8, (share, loud)


def test_after_hours_ivr_route_leaves_a_message_in_the_queue_box(vm):
    """A flow whose schedule is closed routes callers to the sales queue's mailbox with
    reason closed: the caller's tone is kept there, as a message marked closed."""
    s = vm
    flow = {"name": "after-hours", "language": "en", "start": "hours", "nodes": {
        "hours": {"kind": "schedule", "timezone": "UTC", "hours": [], "open": "bye",
                  "closed": "closed"},
        "closed": {"kind": "play", "prompts": ["closed"], "next": "box"},
        "box": {"kind": "route", "to": "voicemail", "target": "sales", "reason": "closed",
                "failed": "bye"},
        "bye": {"kind": "hangup"}}}
    path = s.var_dir / "after-hours.json"
    path.write_text(json.dumps(flow))
    s.ccctl("ivr", "load", str(path), "--number", "7100", check=True)
    before = len(messages(s, "sales"))
    sub = s.subscribe(["sipproxy", "ivrd", "recorderd"])
    time.sleep(0.3)
    s.ua["1003"].dial("7100")
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    cid = created["call_id"]
    started, seen = wait_event(sub, "rec.started", cid, timeout=40)
    assert started, ([e.get("type") for e in seen], s.log_tail("ivrd"))
    time.sleep(3.0)
    s.ua["1003"].command("sndcode", "#")
    ev, seen = wait_event(sub, "vm.message", cid, timeout=15)
    assert ev and ev["mailbox"] == "sales" and ev["new"] == before + 1, (ev, s.log_tail("ivrd"))
    ended, seen = wait_event(sub, "call.ended", cid, timeout=20)
    assert ended, [e.get("type") for e in seen]
    m = [r for r in messages(s, "sales") if r["id"] == ev["message_id"]][0]
    assert m["reason"] == "closed" and m["caller"] == "1003", m
    left, _ = channels(m["path"])
    share, loud = tone_share_samples(left, 660)
    assert loud > 40 and share > 0.8, (share, loud)


def test_message_waiting_notify_follows_the_counts(vm):
    """1001's baresip (mwi module) subscribed to message-summary when it registered; a
    message left in 1001's box makes sipproxy NOTIFY it with the new count."""
    s = vm
    assert wait_log(s, "sipproxy", "mwi_subscribed daemon=sipproxy user=1001"), s.log_tail("sipproxy", 60)
    assert wait_log(s, "sipproxy", "mwi_notify daemon=sipproxy user=1001 new=0"), s.log_tail("sipproxy", 60)
    n_new = [m["folder"] for m in messages(s)].count("new")
    with SipWire(s.sip_port) as wire:
        cid, sub = deposit(s, "1003")
        time.sleep(2.0)
        s.ua["1003"].command("sndcode", "#")
        ev, seen = wait_event(sub, "vm.message", cid, timeout=15)
        assert ev and ev["new"] == n_new + 1, ev
        want = "Voice-Message: %d/%d" % (ev["new"], ev["saved"])
        notify = wire.wait(lambda m: m.startswith("NOTIFY ") and want in m, timeout=10)
        assert notify, (want, [m[:300] for m in wire.messages if "NOTIFY" in m[:10]])
        assert "Messages-Waiting: yes" in notify and "Event: message-summary" in notify
        assert "application/simple-message-summary" in notify
        ok = wire.wait(lambda m: m.startswith("SIP/2.0 200") and "NOTIFY" in m, timeout=5)
        assert ok, "the phone did not accept the NOTIFY"
    ended, seen = wait_event(sub, "call.ended", cid, timeout=20)
    assert ended


def keys(ua, digits):
    for d in digits:
        ua.command("sndcode", d)
        time.sleep(0.35)


def wait_log(s, daemon, needle, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if needle in s.log_tail(daemon, 200):
            return True
        time.sleep(0.2)
    return False


def test_star97_menu_plays_the_message_and_saves_it(vm):
    """The owner dials *97, keys the PIN, hears the counts, presses 1 and hears the
    caller's tone; 2 saves it (vm.message: one new fewer, one saved more)."""
    s = vm
    rows = messages(s)
    assert rows and rows[0]["folder"] == "new", rows
    sub = s.subscribe(["sipproxy", "ivrd"])
    time.sleep(0.3)
    ua = s.ua["1001"]
    ua.dial("*97")
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    cid = created["call_id"]
    answered, seen = wait_event(sub, "call.answered", cid, timeout=10)
    assert answered and answered["answered_by"] == "vm:menu", seen
    time.sleep(1.0)
    keys(ua, "1357#")  # wrong first
    assert wait_log(s, "ivrd", "mailbox=1001 ok=0 caller"), s.log_tail("ivrd")
    time.sleep(0.5)
    keys(ua, "2468#")
    assert wait_log(s, "ivrd", "mailbox=1001 ok=1 caller"), s.log_tail("ivrd")
    time.sleep(1.0)
    keys(ua, "1")  # listen: "Message." then the oldest new message (660 Hz)
    time.sleep(1.2)
    p = tone_powers(ua, [660, 300, 520], 1.5)
    assert p[660] > 20 * max(p[300], p[520]), p
    keys(ua, "2")
    ev, seen = wait_event(sub, "vm.message", cid, timeout=10)
    assert ev and ev["mailbox"] == "1001" and ev["saved"] == 1, (ev, s.log_tail("ivrd"))
    assert ev["new"] == len(rows) - 1, ev
    assert messages(s)[0]["folder"] == "saved"
    ua.command("hangup")
    ended, seen = wait_event(sub, "call.ended", cid, timeout=10)
    assert ended, seen


def test_mandarin_box_menu_speaks_mandarin(vm):
    """A box whose language is Mandarin (cmn) answers *97 in Mandarin: what the owner's
    phone receives is the Mandarin prompts for "you have 0 new and 0 saved messages" (then
    the main menu, not waited for), the counts read by the same number reader as IVR flows,
    sample for sample."""
    s = vm
    s.ccctl("voicemail", "add", "1004", "--language", "cmn", check=True)
    c = Caller(s, ext="1004", password="secret1004")
    try:
        code, _, _ = c.call("*97", talk=10.0)
    finally:
        c.close()
    assert code == 200, s.log_tail("ivrd")
    assert_heard_prompt(s, c.talked, ["vm/you_have", "num-0", "vm/new_messages", "vm/and",
                                      "num-0", "vm/saved_messages"], lang="cmn")


def test_star98_any_box_wrong_pins_hang_up(vm):
    s = vm
    sub = s.subscribe(["sipproxy", "ivrd"])
    time.sleep(0.3)
    ua = s.ua["1003"]
    ua.dial("*98")
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    cid = created["call_id"]
    time.sleep(1.5)
    keys(ua, "1001#")
    assert wait_log(s, "ivrd", "mailbox=1001 found=1 own=0"), s.log_tail("ivrd")
    for _ in range(3):
        time.sleep(0.8)
        keys(ua, "0000#")
        time.sleep(0.5)
    # three wrong PINs: "not valid, goodbye", and ivrd hangs up
    ended, seen = wait_event(sub, "call.ended", cid, timeout=20)
    assert ended, ([e.get("type") for e in seen], s.log_tail("ivrd"))
    assert s.log_tail("ivrd", 100).count("mailbox=1001 ok=0 caller") >= 3


def test_info_keys_enter_a_mailbox_and_its_pin(vm):
    """A phone that sends its keys as SIP INFO (dtmf-relay) opens another box with *98:
    the mailbox number and the PIN reach ivrd's menu as keys (method info) do."""
    s = vm
    c = Caller(s, ext="1004", password="secret1004")
    statuses = []

    def keys_by_info():
        time.sleep(1.5)
        for k in "1001#":
            statuses.append(c.info_key(k))
            time.sleep(0.3)
        assert wait_log(s, "ivrd", "mailbox=1001 found=1 own=0"), s.log_tail("ivrd")
        time.sleep(0.8)
        for k in "2468#":
            statuses.append(c.info_key(k))
            time.sleep(0.3)

    try:
        code, _, _ = c.call("*98", talk=1.0, during=keys_by_info)
    finally:
        c.close()
    assert code == 200, s.log_tail("sipproxy")
    assert statuses == [200] * 10, statuses
    assert wait_log(s, "ivrd", "mailbox=1001 ok=1 caller=1004"), s.log_tail("ivrd")


def test_silence_ends_the_message(vm):
    s = vm
    before = [m["folder"] for m in messages(s)]
    cid, sub = deposit(s, "1002")
    ev, seen = wait_event(sub, "vm.message", cid, timeout=40)
    assert ev, ([e.get("type") for e in seen], s.log_tail("ivrd"))
    assert ev["new"] == before.count("new") + 1 and ev["saved"] == before.count("saved"), ev
    assert ev["caller"] == "1002", ev
    ended, seen = wait_event(sub, "call.ended", cid, timeout=20)
    assert ended, [e.get("type") for e in seen]
    assert "reason=silence" in s.log_tail("ivrd", 80)
    left, _ = channels(messages(s)[-1]["path"])
    share, loud = tone_share_samples(left, 520)
    assert loud > 20 and share > 0.8, (share, loud)


def test_hangup_at_the_beep_keeps_nothing(vm):
    s = vm
    before = len(messages(s))
    cid, sub = deposit(s, "1003")
    s.ua["1003"].command("hangup")
    ended, seen = wait_event(sub, "call.ended", cid, timeout=10)
    assert ended, seen
    ev, _ = wait_event(sub, "vm.message", cid, timeout=2)
    assert ev is None, ev
    assert len(messages(s)) == before
    assert "keep=0" in s.log_tail("ivrd", 40)


def test_queue_overflow_goes_to_the_queues_mailbox(vm):
    s = vm
    before = len(messages(s, "sales"))  # the after-hours test may have left one
    cid, sub = deposit(s, "1003", "600", "sales")
    time.sleep(2.0)
    s.ua["1003"].command("sndcode", "#")
    ev, seen = wait_event(sub, "vm.message", cid, timeout=15)
    assert ev, ([e.get("type") for e in seen], s.log_tail("ivrd"), s.log_tail("acdd"))
    assert ev["mailbox"] == "sales" and ev["new"] == before + 1, ev
    m = [r for r in messages(s, "sales") if r["id"] == ev["message_id"]][0]
    assert m["reason"] == "overflow" and m["caller"] == "1003", m
    ended, seen = wait_event(sub, "call.ended", cid, timeout=20)
    assert ended, [e.get("type") for e in seen]


def test_mail_waits_for_the_relay_then_arrives_with_the_wav(vm, tmp_path):
    """The relay is down when the message is left: the message stays pending (vm.mail
    retry); once an SMTP server listens, the mail arrives with the caller's tone as a WAV
    attachment, and delete_after_email removes the message from the box."""
    s = vm
    mails = s.subscribe(["ivrd"], prefix="vm.mail")
    cid, sub = deposit(s, "1003", "81002", "1002")
    time.sleep(2.5)
    s.ua["1003"].command("sndcode", "#")
    ev, seen = wait_event(sub, "vm.message", cid, timeout=15)
    assert ev and ev["mailbox"] == "1002", ([e.get("type") for e in seen], s.log_tail("ivrd"))
    retry, seen = wait_event(mails, "vm.mail", timeout=15)
    assert retry and retry["state"] == "retry" and retry["message_id"] == ev["message_id"], seen
    assert "error" in retry, retry
    rows = messages(s, "1002")
    assert len(rows) == 1 and rows[0]["email_state"] == "pending", rows  # kept
    maildir = tmp_path / "maildir"
    smtpd = subprocess.Popen([SYSTEM_PYTHON, "-m", "aiosmtpd", "-n", "-l",
                              "127.0.0.1:%d" % s.smtp_port, "-c", "aiosmtpd.handlers.Mailbox",
                              str(maildir)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    s.all_pids.append(smtpd.pid)
    try:
        sent = None
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and not sent:
            e, _ = wait_event(mails, "vm.mail", timeout=max(0.1, deadline - time.monotonic()))
            if e and e["state"] == "sent":
                sent = e
        assert sent and sent["message_id"] == ev["message_id"] and sent["deleted"], \
            (sent, s.log_tail("ivrd"))
        files = list((maildir / "new").glob("*"))
        assert len(files) == 1, files
        msg = email.message_from_bytes(files[0].read_bytes())
        assert msg["To"] == "<bob@example.org>" and "1003" in msg["Subject"], dict(msg)
        parts = [p for p in msg.walk() if p.get_content_type() == "audio/wav"]
        text = [p for p in msg.walk() if p.get_content_type() == "text/plain"][0]
        assert "1003" in text.get_payload(decode=True).decode(), text
        assert len(parts) == 1
        with wave.open(io.BytesIO(parts[0].get_payload(decode=True))) as w:
            assert w.getnchannels() == 1 and w.getframerate() == 8000
            n = w.getnframes()
            x = list(memoryview(w.readframes(n)).cast("h"))
        share, loud = tone_share_samples(x, 660)
        assert loud > 20 and share > 0.8, (share, loud)
        assert messages(s, "1002") == []  # delete_after_email
    finally:
        smtpd.terminate()
        smtpd.wait(5)


def test_unknown_mailbox_refused_on_the_bus(vm):
    r = vm.bus_call("ivrd", "vm.deposit", {"call_id": "x1", "mailbox": "4444", "reason": "busy",
                                           "caller": "1", "endpoint_id": 5})
    assert not r["ok"] and r["error"]["code"] == "unknown_mailbox", r
    r = vm.bus_call("ivrd", "vm.deposit", {"call_id": "x1", "mailbox": "1001",
                                           "reason": "because", "caller": "1",
                                           "endpoint_id": 5})
    assert not r["ok"] and r["error"]["code"] == "bad_args", r


def test_ccctl_voicemail_checks(vm):
    s = vm
    before = s.psql("SELECT mailbox, pin_hash FROM mailboxes ORDER BY mailbox")
    assert before[0][1].startswith("$argon2id$") and "2468" not in before[0][1]
    for code, args, says in [
        (2, ["voicemail", "add", "bad box!"], "bad mailbox"),
        (2, ["voicemail", "add", '1003', "--pin", "12"], "bad PIN"),
        (2, ["voicemail", "add", '1003', "--pin", "12ab"], "bad PIN"),
        (2, ["voicemail", "add", '1003', "--email", "not-an-address"], "bad --email"),
        (2, ["voicemail", "add", '1003', "--max-seconds", "2"], "bad --max-seconds"),
        (2, ["voicemail", "add", '1003', "--language", "xx"], "bad --language"),
        (2, ["voicemail", "frobnicate"], ""),
        (1, ["voicemail", "add", "7777"], "no extension or queue '7777'"),
        (1, ["voicemail", "add", "1001"], "exists"),
        (1, ["voicemail", "del", "7777"], "no mailbox '7777'"),
        (1, ["voicemail", "pin", "7777", "1234"], "no mailbox '7777'"),
        (1, ["voicemail", "messages", "7777"], "no mailbox '7777'"),
    ]:
        r = s.ccctl(*args)
        assert r.returncode == code, (args, r.returncode, r.stdout, r.stderr)
        assert says in r.stderr, (args, r.stderr)
    assert s.psql("SELECT mailbox, pin_hash FROM mailboxes ORDER BY mailbox") == before
    # add, list with counts, PIN change, del
    s.ccctl("voicemail", "add", '1003', "--email", "bob@example.org", "--delete-after-email",
            check=True)
    rows = json.loads(s.ccctl("voicemail", "list", "--json", check=True).stdout)
    by = {r["mailbox"]: r for r in rows}
    assert by['1003']["email"] == "bob@example.org" and not by['1003']["pin"], by
    assert by["1001"]["pin"] and by["1001"]["new"] >= 0 and "saved" in by["1001"], by
    s.ccctl("voicemail", "pin", '1003', "-", input="97531\n", check=True)
    h = s.psql("SELECT pin_hash FROM mailboxes WHERE mailbox = '1003'")[0][0]
    assert h.startswith("$argon2id$")
    s.ccctl("voicemail", "del", '1003', check=True)
    assert not s.psql("SELECT 1 FROM mailboxes WHERE mailbox = '1003'")
