"""`make run` end to end: deploy/local/run.sh with a temp CC_VAR_DIR and free ports comes
up with every daemon ready, demo users seeded, a softphone banner; SIGINT stops every
daemon and Postgres and exits 0. A second instance runs side by side. A daemon killed with
SIGKILL is started again, as its systemd unit would be, and Ctrl-C stops the new one too."""

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import pytest

import suite as sm

RUN_SH = sm.REPO / "deploy" / "local" / "run.sh"
BANNER_END = "Press Ctrl-C to stop."


def _default_sigint():
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class RunSh:
    def __init__(self, var_dir):
        self.var_dir = var_dir
        self.token = "run-" + os.urandom(6).hex()
        self.env = sm.clean_env(
            CC_VAR_DIR=str(var_dir), CC_BIN_DIR=str(sm.BIN_DIR),
            CC_SIP_PORT=sm.free_port(), CC_HTTP_PORT=sm.free_port(udp=False),
            CC_SIP_TLS_PORT=sm.free_port(udp=False),
            CC_RTP_PORTS=sm.free_port_range(100),
            CC_PG_PORT=sm.free_port(udp=False), CC_BIND="127.0.0.1",
            **{sm.TOKEN_VAR: self.token})
        self.out = []
        self.lock = threading.Lock()
        # run.sh as a terminal starts it: SIGINT not ignored. A test runner started in the
        # background inherits SIGINT ignored, and a shell cannot trap a signal ignored at
        # its start, so Ctrl-C would never reach run.sh's handler.
        self.proc = subprocess.Popen([str(RUN_SH)], env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, start_new_session=True,
                                     preexec_fn=_default_sigint)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.out.append(line)

    def text(self):
        with self.lock:
            return "".join(self.out)

    def wait_banner(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if BANNER_END in self.text():
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.2)
        return False

    def pids(self):
        """{daemon: pid} from the pid files run.sh writes, and the postmaster's pid."""
        pids = {}
        for d in sm.DAEMONS:
            f = self.var_dir / "run" / ("%s.pid" % d)
            if f.exists():
                pids[d] = int(f.read_text().strip())
        pm = self.var_dir / "pg" / "postmaster.pid"
        if pm.exists():
            pids["postgres"] = int(pm.read_text().splitlines()[0])
        return pids

    def ccctl(self, *args):
        env = dict(self.env)
        return subprocess.run([str(sm.BIN_DIR / "ccctl")] + list(args), env=env,
                              capture_output=True, text=True, timeout=30)

    def kill_everything(self):
        """Last resort cleanup (the test has failed by then): every process with our token,
        run.sh itself and the postmaster, by PID."""
        pids = self.pids()
        for pid in sm.processes_with_token(self.token) + list(pids.values()) + \
                [self.proc.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass


@pytest.fixture
def run_var(bin_dir):
    d = sm.make_tempdir("cc-run-")
    yield d
    if not os.environ.get("CC_TEST_KEEP"):
        shutil.rmtree(d, ignore_errors=True)


def demo_users(path):
    """Extensions listed in demo-credentials.txt (lines holding a 4-digit extension and
    a password)."""
    exts = set()
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("#"):
            continue
        m = re.match(r"^\s*(1\d{3})\b", line)
        if m:
            exts.add(m.group(1))
    return exts


def test_make_run_smoke(run_var):
    run = RunSh(run_var)
    try:
        assert run.wait_banner(), "no banner from run.sh; output:\n%s" % run.text()
        out = run.text()
        assert "%s:%s" % ("127.0.0.1", run.env["CC_SIP_PORT"]) in out
        # SIP over TLS with the local CA make run made
        assert "TLS on 127.0.0.1:%s" % run.env["CC_SIP_TLS_PORT"] in out, out
        assert (run_var / "tls" / "ca.pem").exists()
        assert (run_var / "tls" / "sip.key").stat().st_mode & 0o077 == 0
        for number in ("500", "600", "601", "1000"):
            assert number in out
        # the wallboard is where the banner says, and the demo's supervisor can sign in
        url = "http://127.0.0.1:%s/" % run.env["CC_HTTP_PORT"]
        assert url in out, out
        import urllib.request
        with urllib.request.urlopen(url + "login", timeout=10) as resp:
            assert resp.status == 200 and b"Sign in" in resp.read()
        r = run.ccctl("status", "--json")
        assert r.returncode == 0, r.stdout + r.stderr
        doc = json.loads(r.stdout)
        states = sm.daemon_states(doc)
        assert all(states.get(d) is True for d in sm.DAEMONS), states
        creds = run_var / "demo-credentials.txt"
        assert creds.exists()
        assert demo_users(creds) == {str(e) for e in range(1000, 1010)}, creds.read_text()
        assert oct(creds.stat().st_mode & 0o777) == oct(0o600)
        pids = run.pids()
        assert set(pids) == set(sm.DAEMONS) | {"postgres"}, pids

        # a second instance side by side (different dir and ports)
        other_dir = sm.make_tempdir("cc-run2-")
        other = RunSh(other_dir)
        try:
            assert other.wait_banner(), "second instance: no banner:\n%s" % other.text()
            assert other.ccctl("status").returncode == 0
            assert run.ccctl("status").returncode == 0
            other.proc.send_signal(signal.SIGTERM)
            assert other.proc.wait(30) == 0
        finally:
            if other.proc.poll() is None:
                other.kill_everything()
            shutil.rmtree(other_dir, ignore_errors=True)

        # supervision: daemons killed with SIGKILL come back (after run.sh's 2 s backoff)
        for victim in ("mediad", "acdd"):
            os.kill(pids[victim], signal.SIGKILL)
        deadline = time.monotonic() + 30
        restarted = {}
        while time.monotonic() < deadline:
            now = run.pids()
            restarted = {d: now.get(d) for d in ("mediad", "acdd")
                         if now.get(d) and now[d] != pids[d] and sm._alive(now[d])}
            if len(restarted) == 2 and run.ccctl("status").returncode == 0:
                break
            time.sleep(0.3)
        assert len(restarted) == 2, "not restarted within 30 s: %s\n%s" % (restarted, run.text())
        status = run.ccctl("status", "--json")
        assert status.returncode == 0, status.stdout + status.stderr
        assert all(sm.daemon_states(json.loads(status.stdout)).get(d) is True for d in sm.DAEMONS)
        assert "mediad restarted" in run.text() and "acdd restarted" in run.text()
        pids.update(restarted)

        t0 = time.monotonic()
        run.proc.send_signal(signal.SIGINT)
        code = run.proc.wait(30)
        assert code == 0, "run.sh exited %d on SIGINT; output:\n%s" % (code, run.text())
        assert time.monotonic() - t0 < 15
        alive = {n: p for n, p in pids.items() if sm._alive(p)}
        assert not alive, "still running after Ctrl-C: %s" % alive
        leaked = sm.processes_with_token(run.token)
        assert not leaked, "processes left behind: %s" % leaked
        assert "stopped" in run.text().splitlines()[-1]
    finally:
        if run.proc.poll() is None or sm.processes_with_token(run.token):
            run.kill_everything()
