"""webclient.py - clients of webd for the tests: Http (the JSON API over a real socket, with
a cookie jar, the CSRF token and bearer tokens) and Browser (Debian's chromium driven by
playwright-core through tests/browser/driver.js, one JSON line per command). Both talk to
the real webd a Suite started; nothing here stands in for a daemon."""

import http.client
import json
import socket
import threading
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import suite as sm

DRIVER = sm.REPO / "tests" / "browser" / "driver.js"
NODE_MODULES = sm.REPO / "tests" / "browser" / "node_modules" / "playwright-core"


class Response:
    def __init__(self, status, headers, body, cookies):
        self.status = status
        self.headers = headers
        self.body = body
        self.cookies = cookies
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def error_field(self):
        return ((self.json or {}).get("error") or {}).get("field")

    def __repr__(self):
        return "<%d %s>" % (self.status, self.body[:300])


class Http:
    """One client of webd's HTTP API: keeps its cookies, knows its CSRF token."""

    def __init__(self, port, host="127.0.0.1", tls_context=None):
        self.host, self.port, self.tls = host, port, tls_context
        self.cookies = {}
        self.csrf = None
        self.bearer = None

    def request(self, method, path, body=None, headers=None, raw=None, timeout=15):
        if self.tls:
            conn = http.client.HTTPSConnection(self.host, self.port, timeout=timeout,
                                               context=self.tls)
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        h = {}
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        if self.bearer:
            h["Authorization"] = "Bearer " + self.bearer
        if self.csrf and method != "GET":
            h["X-CSRF-Token"] = self.csrf
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            out = resp.read()
            got = {}
            for c in resp.headers.get_all("Set-Cookie") or []:
                name, _, value = c.split(";")[0].partition("=")
                got[name] = value
                if value:
                    self.cookies[name] = value
                else:
                    self.cookies.pop(name, None)
            return Response(resp.status, resp.headers, out.decode(errors="replace"), got)
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body if body is not None else {}, **kw)

    def login(self, name, password, expect=200):
        r = self.get("/api/csrf")
        assert r.status == 200, r
        prelogin = r.json["csrf"]
        r = self.request("POST", "/api/login", body={"name": name, "password": password},
                         headers={"X-CSRF-Token": prelogin})
        assert expect is None or r.status == expect, "login %s: expected %s, saw %r" % (
            name, expect, r)
        if r.status == 200:
            self.csrf = r.json["csrf"]
        return r


def web_user(s, name, role, password, queues=None, ext=None):
    args = ["web", "user", "add", name, "--role", role, "--password", password]
    if queues:
        args += ["--queues", queues]
    if ext:
        args += ["--ext", ext]
    s.ccctl(*args, check=True)


def web_token(s, name, role, queues=None):
    args = ["web", "token", "add", name, "--role", role]
    if queues:
        args += ["--queues", queues]
    return s.ccctl(*args, check=True).stdout.strip()


def browser_available():
    return os.access("/usr/bin/chromium", os.X_OK) and NODE_MODULES.exists() and \
        shutil.which("node") is not None


class Browser:
    """Debian's chromium through playwright-core (tests/browser/driver.js)."""

    def __init__(self, env=None, artifacts=None):
        self.dir = Path(tempfile.mkdtemp(prefix="cc-chromium-"))
        self.artifacts = Path(artifacts or self.dir)
        self.artifacts.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(["node", str(DRIVER), str(self.dir / "profile")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=open(self.dir / "driver.log", "wb"),
                                     env=env, text=True, start_new_session=True)
        self.next_id = 0
        first = self._read(60)
        assert first.get("ok"), "the browser did not start: %s\n%s" % (first, self.log())

    def log(self):
        try:
            return (self.dir / "driver.log").read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def _read(self, timeout):
        import select
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not r:
            raise AssertionError("the browser driver did not answer within %ds\n%s"
                                 % (timeout, self.log()))
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError("the browser driver exited:\n%s" % self.log())
        return json.loads(line)

    def cmd(self, cmd, timeout=60, **kw):
        self.next_id += 1
        kw.update(id=self.next_id, cmd=cmd)
        self.proc.stdin.write(json.dumps(kw) + "\n")
        self.proc.stdin.flush()
        reply = self._read(timeout)
        if not reply.get("ok"):
            raise AssertionError("browser %s failed: %s" % (cmd, reply.get("error")))
        return reply.get("value")

    def page(self, name="main", **kw):
        return self.cmd("page", page=name, **kw)

    def goto(self, url, page="main"):
        return self.cmd("goto", page=page, url=url)

    def wait(self, expr, page="main", timeout=15):
        return self.cmd("wait", timeout=timeout + 10, page=page, expr=expr,
                        timeout_ms=int(timeout * 1000))

    def eval(self, expr, page="main"):
        return self.cmd("eval", page=page, expr=expr)

    def screenshot(self, name, page="main"):
        path = self.artifacts / name
        self.cmd("screenshot", page=page, path=str(path))
        return path

    def login(self, base, name, password, page="main"):
        self.goto(base + "/login", page=page)
        self.cmd("fill", page=page, selector="#name", value=name)
        self.cmd("fill", page=page, selector="#password", value=password)
        self.cmd("click", page=page, selector="#login-button")
        self.wait("location.pathname === '/wallboard' && window.__wallboard && "
                  "window.__wallboard.snapshots > 0", page=page, timeout=20)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.cmd("quit", timeout=20)
            except Exception:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)


def tls_context_trusting(cert_path):
    ctx = ssl.create_default_context(cafile=str(cert_path))
    ctx.check_hostname = False
    return ctx


class Sse:
    """A live stream of webd read the way a browser's EventSource reads it: each event as
    (id, event, data); Last-Event-ID given when resuming. close() drops the connection."""

    def __init__(self, port, cookies=None, bearer=None, last_event_id=None):
        self.events = []
        self.cond = threading.Condition()
        self.closed = False
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        lines = ["GET /api/stream HTTP/1.1", "Host: 127.0.0.1:%d" % port,
                 "Accept: text/event-stream"]
        if cookies:
            lines.append("Cookie: " + "; ".join("%s=%s" % kv for kv in cookies.items()))
        if bearer:
            lines.append("Authorization: Bearer " + bearer)
        if last_event_id:
            lines.append("Last-Event-ID: " + last_event_id)
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.file = self.sock.makefile("rb")
        status = self.file.readline().decode()
        self.status = int(status.split()[1]) if status else 0
        while self.file.readline() not in (b"\r\n", b""):
            pass
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _chunks(self):
        """The body's bytes, chunked transfer decoded."""
        while True:
            size = self.file.readline()
            if not size:
                return
            n = int(size.split(b";")[0].strip() or b"0", 16)
            if n == 0:
                return
            data = self.file.read(n)
            self.file.readline()
            yield data

    def _run(self):
        buf = b""
        ev = {"id": None, "event": "message", "data": []}
        try:
            for chunk in self._chunks():
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    line = line.decode()
                    if line == "":
                        if ev["data"]:
                            data = json.loads("\n".join(ev["data"]))
                            with self.cond:
                                self.events.append((ev["id"], ev["event"], data))
                                self.cond.notify_all()
                        ev = {"id": None, "event": "message", "data": []}
                    elif line.startswith("id: "):
                        ev["id"] = line[4:]
                    elif line.startswith("event: "):
                        ev["event"] = line[7:]
                    elif line.startswith("data: "):
                        ev["data"].append(line[6:])
        except (OSError, ValueError):
            pass
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def wait(self, pred, timeout=10.0, what="an event"):
        """The first event (id, event, data) for which pred holds, among all so far."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for e in self.events:
                    if pred(e):
                        return e
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    raise AssertionError("no %s on the stream within %.1f s (closed=%s, %d "
                                         "events)" % (what, timeout, self.closed,
                                                      len(self.events)))
                self.cond.wait(left)

    def ids(self):
        with self.cond:
            return [e[0] for e in self.events if e[1] == "update"]

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(5)
