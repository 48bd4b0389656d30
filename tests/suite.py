"""suite.py - the integration-test harness: a private Postgres cluster per test session
(deploy/local/pg.sh, the same script `make run` uses) and, per test module, a Suite: a
temp CC_VAR_DIR, free ports, a fresh database migrated with ccctl, and the daemons started
from CC_BIN_DIR, each with its own NOTIFY_SOCKET so tests can assert READY/STOPPING/WATCHDOG.
Every process is started with subprocess (so the PID is the real one) and stopped by PID.

    def test_x(suite):                        # module-scoped, every daemon ready
        r = suite.ccctl("user", "list", "--json")
        rows = suite.psql("SELECT ext FROM sip_users")
        code, secs = suite.stop("acdd")       # SIGTERM; exit code and time taken

    def test_y(make_suite):                   # a suite of your own (cleaned up for you)
        s = make_suite(daemons=["sipproxy", "mediad"], config={"sipproxy.foo": "1"})
        s.start()                             # the chosen daemons, each waited for READY=1

Helpers: ccctl(*args) -> CompletedProcess; status() -> (exit code, JSON); psql(sql, params,
role) -> rows; stop/kill9/restart(daemon); run_daemon(name, conf, env, args) for daemons
expected to exit; log/log_tail/wait_log(daemon); notify.wait_for(daemon, "STOPPING", "1");
pub_endpoint/cmd_endpoint(daemon); bus_call(daemon, cmd, args) -> reply; subscribe(daemons)
-> Subscriber; write_config(extra) rewrites cc.conf; free_port()/free_port_range(n).
Teardown (close) stops every daemon by PID and fails on leaked processes, non-zero exits
on SIGTERM and sanitizer reports in the logs.

Environment: CC_BIN_DIR (default build/san/bin), CC_TEST_KEEP=1 keeps temp dirs.
"""

import atexit
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN_DIR = Path(os.environ.get("CC_BIN_DIR") or REPO / "build" / "san" / "bin").resolve()
PG_SH = REPO / "deploy" / "local" / "pg.sh"
DAEMONS = ["sipproxy", "mediad", "acdd", "ivrd", "recorderd", "cdrd", "webd", "dialerd"]
# daemons that connect to Postgres (have a [section] pg_password)
PG_DAEMONS = ["sipproxy", "acdd", "ivrd", "recorderd", "cdrd", "webd", "dialerd"]
ROLES = ["cc_admin", "cc_sipproxy", "cc_acdd", "cc_ivrd", "cc_recorderd", "cc_cdrd", "cc_webd", "cc_dialerd",
         "cc_bi"]
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "ERROR: UndefinedBehaviorSanitizer")
TOKEN_VAR = "CCTEST_TOKEN"  # marks every process a suite starts, to find leaks

_used_ports = set()
_live = []  # suites and clusters not yet closed: stopped at exit if a run is interrupted


@atexit.register
def _stop_leftovers():
    for obj in reversed(_live[:]):
        try:
            obj.stop_all() if isinstance(obj, Suite) else obj.stop()
        except Exception:
            pass


class HarnessError(Exception):
    pass


# ---- ports and environment ------------------------------------------------------------


def _port_free(port, udp=True, tcp=True, host="127.0.0.1"):
    kinds = ([socket.SOCK_STREAM] if tcp else []) + ([socket.SOCK_DGRAM] if udp else [])
    for kind in kinds:
        s = socket.socket(socket.AF_INET, kind)
        try:
            if kind == socket.SOCK_STREAM:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


# Single ports and short runs (phones, sipp, Postgres) come from one region and runs of 64
# or more (RTP ranges) from another: the single ports are taken all session long and many
# are never given back, so scattered among the ranges they would soon leave no free run of
# 1000 (seen: the load tests' "no free port found" after 600 tests).
SHORT_PORTS = (10000, 20000)
RANGE_PORTS = (20000, 32000)


def _worker_slice(region):
    """Under pytest-xdist each worker draws from its own slice of a region, so two
    processes never pick the same port or RTP range (first-fit would make them collide:
    a range is only bound once mediad uses it)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    if not worker.startswith("gw") or count <= 1:
        return region
    k = int(worker[2:]) % count
    width = (region[1] - region[0]) // count
    return (region[0] + k * width, region[0] + (k + 1) * width)


SHORT_PORTS = _worker_slice(SHORT_PORTS)
RANGE_PORTS = _worker_slice(RANGE_PORTS)


def free_port(udp=True, tcp=True, span=1, align=1):
    """A port (or the first of `span` consecutive ports, the first a multiple of `align`)
    free for TCP and UDP on 127.0.0.1 and not held by a live suite of this session. Ports
    are drawn at random below the kernel's ephemeral range (32768-60999), so outgoing
    sockets cannot take them, then looked for in order if chance found none. Suites give
    theirs back when they close (release_ports)."""
    lo, hi = RANGE_PORTS if span >= 64 else SHORT_PORTS

    def clash(base):
        """The last port of base..base+span-1 that is taken, or None if all are free."""
        ports = range(base, base + span)
        held = [p for p in ports if p in _used_ports]
        if held:
            return held[-1]
        for p in reversed(ports):
            if not _port_free(p, udp=udp, tcp=tcp):
                return p
        return None

    if span < 64:
        for _ in range(500):
            base = random.randrange(lo, hi - span)
            base -= base % align
            if base >= lo and clash(base) is None:
                _used_ports.update(range(base, base + span))
                return base
    # ranges first-fit (random places would cut the region into gaps too short for the
    # next range); short runs here only when chance found none
    base = lo + (-lo) % align
    while base + span <= hi:
        taken = clash(base)
        if taken is None:
            _used_ports.update(range(base, base + span))
            return base
        base = taken + 1
        base += (-base) % align
    raise HarnessError("no free run of %d port(s) in %d-%d" % (span, lo, hi - 1))


def free_port_range(count=200):
    """'LO-HI' of `count` consecutive free UDP ports (LO even), for [common] rtp_ports."""
    base = free_port(tcp=False, span=count, align=2)
    return "%d-%d" % (base, base + count - 1)


def release_ports(*specs):
    """Give ports back: each spec is a port number or an 'LO-HI' range."""
    for spec in specs:
        if isinstance(spec, str) and "-" in spec:
            lo, hi = (int(x) for x in spec.split("-"))
            _used_ports.difference_update(range(lo, hi + 1))
        elif spec:
            _used_ports.discard(int(spec))


def clean_env(**extra):
    """os.environ without anything that would change a daemon's config or systemd
    behaviour behind the test's back, plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CC_") and k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC",
                                                     "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID")
           and not k.startswith("PG")}
    env.setdefault("ASAN_OPTIONS", "abort_on_error=0:halt_on_error=1:detect_leaks=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def make_tempdir(prefix):
    """A temp dir the postgres user can traverse (Postgres runs as postgres when root)."""
    d = Path(tempfile.mkdtemp(prefix=prefix))
    d.chmod(0o755)
    return d


_prompts_dir = None


def prompts_dir():
    """The default prompt set (deploy/prompts/generate.sh), made once per test session and
    shared read-only by every suite, as `make run` makes it once per var dir."""
    global _prompts_dir
    if _prompts_dir is None:
        d = make_tempdir("cc-prompts-")
        atexit.register(shutil.rmtree, str(d), True)
        subprocess.run([str(REPO / "deploy" / "prompts" / "generate.sh"), str(d)], check=True,
                       stdout=subprocess.DEVNULL, timeout=300)
        _prompts_dir = d
    return _prompts_dir


def processes_with_token(token):
    """PIDs of live processes whose environment carries TOKEN_VAR=token."""
    needle = ("%s=%s" % (TOKEN_VAR, token)).encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % entry, "rb") as f:
                env = f.read().split(b"\0")
            with open("/proc/%s/stat" % entry) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in env and state != "Z":
            found.append(int(entry))
    return found


def daemon_states(doc):
    """{daemon: ready} from `ccctl status --json`, whatever its exact shape: a list of
    objects, or an object keyed by daemon name, possibly under "daemons"."""
    if isinstance(doc, dict) and "daemons" in doc:
        doc = doc["daemons"]
    states = {}
    if isinstance(doc, dict):
        for name, v in doc.items():
            states[name] = bool(isinstance(v, dict) and v.get("ready"))
    elif isinstance(doc, list):
        for v in doc:
            name = v.get("daemon") or v.get("name")
            states[name] = bool(v.get("ready"))
    return states


# ---- Postgres --------------------------------------------------------------------------


class PgCluster:
    """One Postgres cluster for the whole test session, run by deploy/local/pg.sh."""

    def __init__(self, var_dir=None, port=None):
        self.var_dir = Path(var_dir) if var_dir else make_tempdir("cc-pg-")
        self.port = port or free_port(udp=False)
        self.run_dir = self.var_dir / "run"
        self.pid = None
        self.env = clean_env(CC_PG_PORT=self.port, CC_BIND="127.0.0.1", CC_PG_FAST="1")

    def pg_sh(self, *args, check=True, timeout=120):
        r = subprocess.run([str(PG_SH), args[0], str(self.var_dir)] + [str(a) for a in args[1:]],
                           env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise HarnessError("pg.sh %s failed (%d):\n%s%s" % (args[0], r.returncode,
                                                               r.stdout, r.stderr))
        return r

    def start(self):
        _live.append(self)
        self.pg_sh("init")
        self.pid = int(self.pg_sh("start").stdout.split()[-1])
        return self

    def stop(self):
        if self.pid:
            self.pg_sh("stop", check=False)
            deadline = time.time() + 10
            while time.time() < deadline and _alive(self.pid):
                time.sleep(0.05)
            if _alive(self.pid):
                os.kill(self.pid, signal.SIGKILL)
            self.pid = None

    def password(self, role):
        return (self.var_dir / "secrets" / ("%s.pw" % role)).read_text().strip()

    def connect(self, db="postgres", role="postgres"):
        import psycopg2
        conn = psycopg2.connect(host=str(self.run_dir), port=self.port, dbname=db, user=role,
                                password=self.password(role), connect_timeout=10)
        conn.autocommit = True
        return conn

    def createdb(self, name):
        self.pg_sh("createdb", name)

    def dropdb(self, name):
        self.pg_sh("dropdb", name, check=False)

    def cleanup(self):
        self.stop()
        if self in _live:
            _live.remove(self)
        if not os.environ.get("CC_TEST_KEEP"):
            shutil.rmtree(self.var_dir, ignore_errors=True)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is dead for our purposes
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# ---- sd_notify ---------------------------------------------------------------------


class NotifyListener:
    """Unix datagram sockets standing in for systemd's NOTIFY_SOCKET, one per daemon.
    Messages are kept as (monotonic time, sender pid, {key: value})."""

    def __init__(self, directory):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.socks = {}
        self.messages = {}
        self.cond = threading.Condition()
        self.stop_r, self.stop_w = os.pipe()
        self.thread = None

    def path(self, name):
        return self.dir / ("%s.sock" % name)

    def add(self, name):
        if name in self.socks:
            return str(self.path(name))
        p = self.path(name)
        if p.exists():
            p.unlink()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        s.bind(str(p))
        os.chmod(p, 0o777)
        with self.cond:
            self.socks[name] = s
            self.messages.setdefault(name, [])
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()
        else:
            os.write(self.stop_w, b"r")  # re-poll with the new socket
        return str(p)

    def _run(self):
        creds_len = socket.CMSG_SPACE(12)
        while True:
            with self.cond:
                socks = dict(self.socks)
            r, _, _ = select.select([self.stop_r] + list(socks.values()), [], [])
            if self.stop_r in r:
                if os.read(self.stop_r, 1) == b"q":
                    return
            for name, s in socks.items():
                if s not in r:
                    continue
                try:
                    data, anc, _, _ = s.recvmsg(4096, creds_len)
                except OSError:
                    continue
                pid = None
                for level, kind, payload in anc:
                    if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                        pid = int.from_bytes(payload[0:4], "little")
                fields = {}
                for line in data.decode(errors="replace").split("\n"):
                    if "=" in line:
                        k, v = line.split("=", 1)
                        fields[k] = v
                with self.cond:
                    self.messages[name].append((time.monotonic(), pid, fields))
                    self.cond.notify_all()

    def wait_for(self, name, key, value=None, since=0.0, timeout=10.0, pid=None):
        """Wait for a message from `name` holding key (=value); returns it or None."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for t, p, f in self.messages.get(name, []):
                    if t >= since and key in f and (value is None or f[key] == value) \
                            and (pid is None or p == pid):
                        return (t, p, f)
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def all(self, name, key=None, since=0.0):
        with self.cond:
            return [m for m in self.messages.get(name, [])
                    if m[0] >= since and (key is None or key in m[2])]

    def close(self):
        if self.thread:
            os.write(self.stop_w, b"q")
            self.thread.join(5)
        for s in self.socks.values():
            s.close()
        os.close(self.stop_r)
        os.close(self.stop_w)


# ---- the suite ------------------------------------------------------------------------


class Daemon:
    def __init__(self, name, proc, log_path, started):
        self.name = name
        self.proc = proc
        self.log_path = log_path
        self.started = started  # monotonic time of spawn

    @property
    def pid(self):
        return self.proc.pid


class Suite:
    """One instance of the suite: a var dir, ports, a database, daemons."""

    def __init__(self, cluster, name="suite", daemons=None, config=None, db=None,
                 watchdog_usec=2_000_000, migrate=True, heartbeat_interval=1):
        self.cluster = cluster
        self.name = re.sub(r"[^a-z0-9_]", "_", name.lower())[:40]
        self.daemons_wanted = list(DAEMONS if daemons is None else daemons)
        self.token = uuid.uuid4().hex
        self.var_dir = make_tempdir("cc-%s-" % self.name[:20])
        self.run_dir = self.var_dir / "run"
        self.log_dir = self.var_dir / "log"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.conf_path = self.var_dir / "cc.conf"
        self.sip_port = free_port()
        self.http_port = free_port(udp=False)
        self.rtp_ports = free_port_range(200)
        self.db = db or "cc_%s_%s" % (self.name[:30], self.token[:8])
        self.watchdog_usec = watchdog_usec
        self.heartbeat_interval = heartbeat_interval
        self.procs = {}  # name -> Daemon (current process)
        self.all_pids = []
        self.notify = NotifyListener(self.var_dir / "notify")
        self.extra_config = dict(config or {})
        _live.append(self)
        self.cluster.createdb(self.db)
        self.write_config()
        if migrate:
            self.ccctl("migrate", check=True)

    # -- config and environment

    def config_items(self, extra=None):
        items = {
            "common.var_dir": str(self.var_dir),
            "common.sip_port": str(self.sip_port),
            "common.http_port": str(self.http_port),
            "common.rtp_ports": self.rtp_ports,
            "common.pg_host": str(self.cluster.run_dir),
            "common.pg_port": str(self.cluster.port),
            "common.pg_db": self.db,
            "common.heartbeat_interval": str(self.heartbeat_interval),
            "mediad.prompt_dir": str(prompts_dir()),
        }
        items.update(self.extra_config)
        items.update(extra or {})
        return items

    def write_config(self, extra=None, path=None):
        """(Re)write cc.conf through pg.sh conf (as `make run` does) with the suite's
        ports and database, plus `extra` {"section.key": value}. Returns the path."""
        path = Path(path or self.conf_path)
        args = ["conf", "-o", str(path)] + ["%s=%s" % kv for kv in
                                              self.config_items(extra).items()]
        self.cluster.pg_sh(*args)
        return path

    def env(self, **extra):
        return clean_env(CC_VAR_DIR=str(self.var_dir), **{TOKEN_VAR: self.token}, **extra)

    # -- commands

    def ccctl(self, *args, check=False, input=None, timeout=60, env=None):
        """Run ccctl with this suite's CC_VAR_DIR; returns CompletedProcess (text)."""
        r = subprocess.run([str(BIN_DIR / "ccctl")] + [str(a) for a in args],
                           env=env or self.env(), input=input, capture_output=True,
                           text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise HarnessError("ccctl %s exited %d\nstdout: %s\nstderr: %s"
                               % (" ".join(map(str, args)), r.returncode, r.stdout, r.stderr))
        return r

    def status(self):
        r = self.ccctl("status", "--json", timeout=30)
        try:
            return r.returncode, json.loads(r.stdout)
        except ValueError:
            return r.returncode, None

    def connect(self, role="cc_admin"):
        return self.cluster.connect(db=self.db, role=role)

    def psql(self, sql, params=None, role="cc_admin"):
        """Run one statement as `role` (cc_admin by default); returns the rows (list of
        tuples), or [] for statements without a result."""
        conn = self.connect(role)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    # -- bus

    def endpoint(self, name, kind):
        return "ipc://%s/%s.%s" % (self.run_dir, name, kind)

    def pub_endpoint(self, name):
        return self.endpoint(name, "pub")

    def cmd_endpoint(self, name):
        return self.endpoint(name, "cmd")

    def bus_call(self, daemon, cmd, args=None, timeout=5.0):
        """Send one command to a daemon's ROUTER; returns the reply object."""
        import zmq
        ctx = zmq.Context.instance()
        s = ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        try:
            s.connect(self.cmd_endpoint(daemon))
            req = uuid.uuid4().hex[:12]
            s.send(json.dumps({"type": cmd, "req": req, "args": args or {}}).encode())
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not s.poll(int(left * 1000)):
                    raise HarnessError("%s: no reply to %s within %.1f s" % (daemon, cmd, timeout))
                frames = s.recv_multipart()
                reply = json.loads(frames[-1])
                if reply.get("req") == req:
                    return reply
        finally:
            s.close()

    def subscribe(self, daemons=None, prefix=""):
        """A SUB socket connected to the PUB of each daemon (default: all started)."""
        return Subscriber([self.pub_endpoint(d) for d in (daemons or list(self.procs))], prefix)

    # -- daemons

    def start(self, *names, wait=True, timeout=30, conf=None, env=None, args=None, wrap=None):
        """Start daemons (default: the suite's list) and wait until each sent READY=1.
        `wrap` is a command the daemon runs under, e.g. ["ip", "netns", "exec", NS]: it
        must exec the daemon, so the PID stays the daemon's."""
        names = list(names) or self.daemons_wanted
        for n in names:
            self._spawn(n, conf=conf, env=env, args=args, wrap=wrap)
        if wait:
            for n in names:
                self.wait_ready(n, timeout=timeout)
        return self

    def _spawn(self, name, conf=None, env=None, args=None, wrap=None):
        if name in self.procs and self.procs[name].proc.poll() is None:
            raise HarnessError("%s is already running (pid %d)" % (name, self.procs[name].pid))
        notify = self.notify.add(name)
        e = self.env(NOTIFY_SOCKET=notify)
        if self.watchdog_usec:
            e["WATCHDOG_USEC"] = str(self.watchdog_usec)
        e.update(env or {})
        log_path = self.log_dir / ("%s.log" % name)
        cmd = list(wrap or []) + [str(BIN_DIR / name), "-c", str(conf or self.conf_path)] + \
            list(args or [])
        with open(log_path, "ab") as log:
            log.write(("---- start %s\n" % " ".join(cmd)).encode())
            log.flush()
            proc = subprocess.Popen(cmd, env=e, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    cwd=str(self.var_dir))
        d = Daemon(name, proc, log_path, time.monotonic())
        self.procs[name] = d
        self.all_pids.append(proc.pid)
        return d

    def wait_ready(self, name, timeout=30):
        d = self.procs[name]
        deadline = time.monotonic() + timeout
        while True:
            m = self.notify.wait_for(name, "READY", "1", since=d.started, timeout=0.2)
            if m:
                return m
            if d.proc.poll() is not None:
                raise HarnessError("%s exited with %s before READY=1; log:\n%s"
                                   % (name, d.proc.returncode, self.log_tail(name)))
            if time.monotonic() > deadline:
                raise HarnessError("%s not READY after %d s; log:\n%s"
                                   % (name, timeout, self.log_tail(name)))

    def run_daemon(self, name, conf=None, env=None, args=None, timeout=20):
        """Run a daemon that is expected to exit by itself (bad config, wrong schema):
        returns CompletedProcess with its stdout/stderr."""
        e = self.env()
        e.update(env or {})
        cmd = [str(BIN_DIR / name)] + (["-c", str(conf or self.conf_path)] if conf is not False
                                       else []) + list(args or [])
        p = subprocess.Popen(cmd, env=e, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.all_pids.append(p.pid)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            raise HarnessError("%s did not exit within %d s\nstderr: %s" % (name, timeout, err))
        return subprocess.CompletedProcess(cmd, p.returncode, out, err)

    def pid(self, name):
        return self.procs[name].pid

    def running(self, name):
        return name in self.procs and self.procs[name].proc.poll() is None

    def stop(self, name, sig=signal.SIGTERM, timeout=10):
        """Send `sig` to the daemon; returns (exit code, seconds until it exited). The exit
        code is negative (-signal) if it died of a signal; None if it did not exit within
        `timeout` (it is then killed with SIGKILL)."""
        d = self.procs[name]
        if d.proc.poll() is not None:
            return d.proc.returncode, 0.0
        t0 = time.monotonic()
        d.proc.send_signal(sig)
        try:
            d.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            d.proc.kill()
            d.proc.wait(5)
            return None, time.monotonic() - t0
        return d.proc.returncode, time.monotonic() - t0

    def kill9(self, name):
        return self.stop(name, signal.SIGKILL)

    def restart(self, name, wait=True, timeout=30):
        self.stop(name)
        self.start(name, wait=wait, timeout=timeout)

    def log(self, name):
        try:
            return self.procs[name].log_path.read_text(errors="replace")
        except (KeyError, OSError):
            return (self.log_dir / ("%s.log" % name)).read_text(errors="replace")

    def wait_log(self, name, pattern, timeout=10.0, since_start=True):
        """Wait until the daemon's log (its current run only, by default) matches the
        regular expression `pattern`; returns the match or raises HarnessError."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            text = self.log(name)
            if since_start:
                text = text[text.rfind("---- start"):]
            m = rx.search(text)
            if m:
                return m
            if time.monotonic() > deadline:
                raise HarnessError("%s: no log line matching %r within %.1f s; tail:\n%s"
                                   % (name, pattern, timeout, self.log_tail(name)))
            time.sleep(0.05)

    def log_tail(self, name, lines=30):
        return "\n".join(self.log(name).splitlines()[-lines:])

    def sanitizer_reports(self):
        """{daemon: log} of daemons whose log holds a sanitizer report."""
        bad = {}
        for p in self.log_dir.glob("*.log"):
            text = p.read_text(errors="replace")
            if any(m in text for m in SANITIZER_MARKERS):
                bad[p.stem] = text
        return bad

    def leaked(self):
        return processes_with_token(self.token)

    def stop_all(self, timeout=5):
        """SIGTERM every daemon still running, SIGKILL what is left after `timeout`.
        Returns {name: exit code} of those it stopped."""
        codes = {}
        live = [d for d in self.procs.values() if d.proc.poll() is None]
        for d in live:
            try:
                d.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        for d in live:
            try:
                d.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                d.proc.kill()
                d.proc.wait(5)
            codes[d.name] = d.proc.returncode
        return codes

    def close(self):
        """Stop everything by PID, then report problems: leaked processes (killed) and
        sanitizer reports. Raises HarnessError listing them."""
        problems = []
        codes = self.stop_all()
        if self in _live:
            _live.remove(self)
        release_ports(self.sip_port, self.http_port, self.rtp_ports)
        for name, code in codes.items():
            if code not in (0, None):
                problems.append("%s exited %s on SIGTERM at teardown; log tail:\n%s"
                                % (name, code, self.log_tail(name)))
        time.sleep(0.05)
        leaked = self.leaked()
        for pid in leaked:
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                cmdline = "?"
            problems.append("leaked process %d: %s" % (pid, cmdline))
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for name, text in self.sanitizer_reports().items():
            idx = min(text.find(m) for m in SANITIZER_MARKERS if m in text)
            problems.append("sanitizer report in %s.log:\n%s" % (name, text[idx:idx + 3000]))
        self.notify.close()
        self.cluster.dropdb(self.db)
        if not os.environ.get("CC_TEST_KEEP") and not problems:
            shutil.rmtree(self.var_dir, ignore_errors=True)
        if problems:
            raise HarnessError("suite %s (kept in %s):\n%s"
                               % (self.name, self.var_dir, "\n".join(problems)))


class Subscriber:
    """A pyzmq SUB socket on one or more PUB endpoints; events are parsed JSON objects
    (two frames: [type][json])."""

    def __init__(self, endpoints, prefix=""):
        import zmq
        self.zmq = zmq
        self.sock = zmq.Context.instance().socket(zmq.SUB)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.SUBSCRIBE, prefix.encode())
        for e in endpoints:
            self.sock.connect(e)
        self.raw = []  # (frames) as received

    def recv(self, timeout=5.0):
        """Next event as (type frame, parsed object or None, raw json bytes); None on timeout."""
        if not self.sock.poll(int(timeout * 1000)):
            return None
        frames = self.sock.recv_multipart()
        self.raw.append(frames)
        topic = frames[0].decode(errors="replace")
        body = frames[-1]
        try:
            obj = json.loads(body)
        except ValueError:
            obj = None
        return topic, obj, body

    def collect(self, seconds, until=None):
        """Events received during `seconds` (or until until(events) is true)."""
        events = []
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return events
            ev = self.recv(left)
            if ev is None:
                return events
            events.append(ev)
            if until and until(events):
                return events

    def close(self):
        self.sock.close()
