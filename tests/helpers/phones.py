"""baresip phones for the tests: Baresip (a headless UA registered with a Suite's sipproxy,
playing a tone file and recording what it hears), the five-phone set several modules
register, phones that each play a tone of their own and what each of them hears (Goertzel
powers, assert_hears), hanging up every phone, and one call from dial to hangup with its
talk time."""

import datetime
import json
import socket
import struct
import subprocess
import time

import suite as sm
from .audio import goertzel, make_tone
from .bus import wait_event


class Baresip:
    """A headless baresip UA in its own directory: registers as `ext`, plays `tone` as its
    microphone, records what it hears (sndfile), controlled over ctrl_tcp. mediaenc
    ("srtp-mand", "srtp"): SRTP with SDES keys (baresip's srtp module) on its calls."""

    def __init__(self, suite, ext, password, tone, answer="auto", mediaenc=None, tls_port=None,
                 cafile=None, certificate=None, modules=()):
        """tls_port: register and call over TLS to sipproxy's TLS port, verifying its
        certificate against `cafile`. password None: a far end behind a trunk that does not
        register (sip:EXT@127.0.0.1), answering on UDP/TCP at sip_port and TLS at
        sip_port + 1 with `certificate` (PEM, certificate and key). modules: more baresip
        modules to load ("mwi")."""
        self.suite, self.ext = suite, ext
        self.dir = suite.var_dir / ("ua-%s" % ext)
        self.dir.mkdir(exist_ok=True)
        self.sip_port = sm.free_port(span=2)
        self.ctrl_port = sm.free_port(udp=False)
        (self.dir / "config").write_text("\n".join([
            "poll_method epoll",
            "sip_listen 127.0.0.1:%d" % self.sip_port,
            "net_interface 127.0.0.1",
            "sip_trans_def udp",
            "module_path /usr/lib/baresip/modules",
            "module g711.so", "module aufile.so", "module aubridge.so", "module sndfile.so",
            "module srtp.so" if mediaenc else "",
            *["module %s.so" % m for m in modules],
            "module_app account.so", "module_app menu.so", "module_app ctrl_tcp.so",
            "ctrl_tcp_listen 127.0.0.1:%d" % self.ctrl_port,
            "audio_source aufile,%s" % tone,
            "audio_player aubridge,ua%s" % ext,
            "audio_alert aubridge,alert%s" % ext,
            "ausrc_srate 8000", "auplay_srate 8000", "ausrc_channels 1", "auplay_channels 1",
            "audio_buffer 20-160",
            "rtp_timeout 0",
            "sip_cafile %s" % cafile if cafile else "",
            "sip_certificate %s" % certificate if certificate else "",
            "", ]))
        self.server = ("127.0.0.1:%d;transport=tls" % tls_port if tls_port
                       else "127.0.0.1:%d" % suite.sip_port)
        account = ("<sip:%s@127.0.0.1>;regint=0" % ext if password is None else
                   "<sip:%s@%s>;auth_user=%s;auth_pass=%s;regint=600"
                   % (ext, self.server, ext, password))
        (self.dir / "accounts").write_text(
            "%s;answermode=%s;audio_codecs=pcmu;ptime=20%s\n"
            % (account, answer, ";mediaenc=%s" % mediaenc if mediaenc else ""))
        self.log_path = self.dir / "baresip.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(["baresip", "-f", str(self.dir), "-v"], cwd=str(self.dir),
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, env=suite.env(),
                                     start_new_session=True)
        suite.all_pids.append(self.proc.pid)

    def text(self):
        return self.log_path.read_text(errors="replace")

    def wait_log(self, needle, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.text():
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def command(self, cmd, params=None):
        msg = {"command": cmd, "token": "t%d" % int(time.monotonic() * 1000)}
        if params is not None:
            msg["params"] = params
        data = json.dumps(msg).encode()
        with socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=5) as s:
            s.sendall(b"%d:%s," % (len(data), data))
            s.settimeout(5)
            try:
                return s.recv(4096)
            except socket.timeout:
                return b""

    def dial(self, number):
        # (the account's transport parameter is added by baresip itself)
        return self.command("dial", "sip:%s@%s" % (number, self.server.split(";")[0]))

    def recordings(self, kind="dec"):
        return sorted(self.dir.glob("dump-*-%s.wav" % kind))

    def heard_mark(self):
        """Where the recording of what the phone hears in the call in progress ends now,
        for heard_since."""
        path = max(self.recordings(), key=lambda p: p.stat().st_mtime)
        return path, path.stat().st_size

    def heard_since(self, mark):
        """The samples (8 kHz) the phone heard since heard_mark(), read while the call goes
        on. The phone records what it decodes, so time without RTP adds nothing: the count
        says how long it heard something, not only what."""
        path, size = mark
        with open(path, "rb") as f:
            f.seek(size - size % 2)
            data = f.read()
        return struct.unpack("<%dh" % (len(data) // 2), data[:len(data) - len(data) % 2])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()



def five_phones(s, uas):
    """Phones 1001-1005 registered with the suite (password "secret"+ext): 1001, 1004 and
    1005 send 440 Hz, 1002 and 1003 880 Hz; 1003 and 1004 answer by hand. Sets s.tone440,
    s.tone880 and s.ua; each phone goes into `uas` as soon as it runs (the caller stops
    them, also when registering fails)."""
    s.tone440 = s.var_dir / "tone440.wav"
    s.tone880 = s.var_dir / "tone880.wav"
    make_tone(s.tone440, 440)
    make_tone(s.tone880, 880)
    s.ua = {}
    for ext, tone, mode in (("1001", s.tone440, "auto"), ("1002", s.tone880, "auto"),
                            ("1003", s.tone880, "manual"), ("1004", s.tone440, "manual"),
                            ("1005", s.tone440, "auto")):
        s.ua[ext] = Baresip(s, ext, "secret" + ext, tone, answer=mode)
        uas.append(s.ua[ext])
    for ua in s.ua.values():
        assert ua.wait_log("200 OK", 10), "%s did not register:\n%s" % (ua.ext, ua.text()[-2000:])


def tone_phones(s, tones, uas, volume=0.5, seconds=60, mediaenc=None):
    """{ext: Hz}: a phone per extension (the user must exist, password "secret"+ext,
    auto-answer) playing a sine at its own frequency; s.ua maps ext -> phone. Each goes into
    `uas` as soon as it runs (the caller stops them, also when registering fails).
    mediaenc: {ext: baresip mediaenc} for phones that speak SRTP."""
    if not hasattr(s, "ua"):
        s.ua = {}
    for ext, freq in tones.items():
        tone = s.var_dir / ("tone%d-%g.wav" % (freq, volume))
        if not tone.exists():
            make_tone(tone, freq, seconds, volume)
        s.ua[ext] = Baresip(s, ext, "secret" + ext, tone,
                            mediaenc=(mediaenc or {}).get(ext))
        uas.append(s.ua[ext])
    for ext in tones:
        ua = s.ua[ext]
        assert ua.wait_log("200 OK", 10), "%s did not register:\n%s" % (ua.ext, ua.text())


def tone_powers(ua, freqs, seconds=1.5):
    """Goertzel power at each of freqs in what ua hears over the next `seconds`."""
    mark = ua.heard_mark()
    time.sleep(seconds)
    x = ua.heard_since(mark)
    assert len(x) > 4000, "%s heard %d samples in %g s" % (ua.ext, len(x), seconds)
    return {f: goertzel(x, f) for f in freqs}


def assert_hears(ua, want, not_want, what, ratio=30, seconds=1.5):
    """What ua hears holds every frequency in want, each `ratio` times stronger than the
    strongest of not_want."""
    p = tone_powers(ua, list(want) + list(not_want), seconds)
    weakest = min(p[f] for f in want)
    loudest = max([p[f] for f in not_want] or [0.0])
    assert weakest > ratio * loudest, "%s: %s heard %s (want %s, not %s)" % (
        what, ua.ext, {f: "%.3g" % v for f, v in p.items()}, want, not_want)


def hangup_all(s):
    for ua in s.ua.values():
        ua.command("hangup")
    time.sleep(1.0)


def call(s, a, b, talk, during=None):
    """a dials b, talks `talk` seconds (during(call_id, t_answer) runs meanwhile), hangs
    up; returns (call_id, seconds between the ts of call.answered and of call.ended)."""
    sub = s.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    s.ua[a].dial(b)
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    cid = created["call_id"]
    answered, seen = wait_event(sub, "call.answered", cid, timeout=10)
    assert answered, seen
    t0 = time.monotonic()
    if during:
        during(cid, t0)
    left = talk - (time.monotonic() - t0)
    if left > 0:
        time.sleep(left)
    s.ua[a].command("hangup")
    ended, seen = wait_event(sub, "call.ended", cid, timeout=10)
    assert ended, seen
    sub.close()
    # talk time as sipproxy saw it (the events' own timestamps): when this process got
    # the events depends on how loaded the machine is, not on the recording
    return cid, event_time(ended) - event_time(answered)


def event_time(ev):
    """An event's envelope ts (UTC, microseconds) as seconds since the epoch."""
    when = datetime.datetime.strptime(ev["ts"], "%Y-%m-%dT%H:%M:%S.%fZ")
    return when.replace(tzinfo=datetime.timezone.utc).timestamp()


def agent_and_caller_phones(s, agents, callers, uas):
    """Phones for a queue test (users exist, password "secret"+ext), all sending 440 Hz:
    agents answer at once, callers by hand. s.ua maps ext -> phone; each goes into `uas` as
    soon as it runs (the caller stops them, also when registering fails)."""
    tone = s.var_dir / "tone.wav"
    make_tone(tone, 440, 120)
    s.ua = {}
    for ext in agents:
        s.ua[ext] = Baresip(s, ext, "secret" + ext, tone, answer="auto")
    for ext in callers:
        s.ua[ext] = Baresip(s, ext, "secret" + ext, tone, answer="manual")
    uas.extend(s.ua.values())
    for ua in uas:
        assert ua.wait_log("200 OK", 10), "%s did not register" % ua.ext
