"""The wallboard in a real browser: Debian's chromium driven by playwright-core logs in as a
supervisor, sees the queue and agent tiles, and watches real calls (baresip) wait, ring, be
answered and be abandoned on the page; the console's buttons act on acdd; a supervisor of
one queue never sees another. Then a page under load (sipp callers) loses its stream (a
proxy cuts it) and webd restarts: the page resumes and its counters end equal to the SQL
views. Screenshots of every stage land in build/test-artifacts/webd/."""

import socket
import subprocess
import threading
import time

import pytest

import suite as sm
from helpers.audio import make_tone
from helpers.phones import Baresip
from helpers.bus import wait_until as wait_for
from helpers.webclient import Browser, Http, browser_available, web_user

pytestmark = [pytest.mark.skipif(not browser_available(),
                                 reason="chromium or playwright-core missing: "
                                        "run deploy/install-deps.sh"),
              pytest.mark.serial]  # timing on the page: alone, before the parallel part

PW = "pw-for-browser-1"
ART = sm.REPO / "build" / "test-artifacts" / "webd"


class Proxy:
    """A TCP relay in front of webd whose connections the test can cut at once."""

    def __init__(self, target):
        self.target = target
        self.port = sm.free_port(udp=False)
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", self.port))
        self.lsock.listen(64)
        self.conns = []
        self.lock = threading.Lock()
        self.cuts = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            try:
                u = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            except OSError:
                c.close()
                continue
            with self.lock:
                self.conns += [c, u]
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        with self.lock:
            conns, self.conns = self.conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass
        self.cuts += 1

    def close(self):
        self.lsock.close()
        self.cut()


@pytest.fixture(scope="module")
def wb(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_webd_browser",
                 daemons=["sipproxy", "mediad", "acdd", "cdrd", "webd"],
                 config={"sipproxy.ring_timeout": "20", "mediad.media_timeout": "60"})
    uas, browser = [], None
    try:
        for ext in ("1002", "1003", "1004", "2001", "2002"):
            s.ccctl("user", "add", ext, "--password", "secret" + ext, "--name",
                    {"1002": "Ada Lovelace", "1003": "Grace Hopper",
                     "1004": "Alan Turing"}.get(ext, "Caller " + ext), check=True)
            s.ccctl("route", "add", ext, "ext:" + ext, check=True)
        s.ccctl("queue", "add", "support", "--number", "620", "--strategy", "longest-idle",
                "--ring-timeout", "15", "--no-announce", check=True)
        s.ccctl("queue", "add", "sales", "--number", "621", "--no-announce", check=True)
        s.ccctl("agent", "add", "1002", "--queue", "support", check=True)
        s.ccctl("agent", "add", "1003", "--queue", "support", check=True)
        s.ccctl("agent", "add", "1004", "--queue", "sales", check=True)
        s.sipp_port = sm.free_port()
        s.ccctl("trunk", "add", "carrier", "--host", "127.0.0.1:%d" % s.sipp_port, check=True)
        web_user(s, "sup", "supervisor", PW, queues="*")
        web_user(s, "sup_support", "supervisor", PW, queues="support")
        s.start()
        tone = s.var_dir / "tone.wav"
        make_tone(tone, 440, 120)
        s.ua = {"1002": Baresip(s, "1002", "secret1002", tone, answer="auto"),
                "1003": Baresip(s, "1003", "secret1003", tone, answer="manual"),
                "1004": Baresip(s, "1004", "secret1004", tone, answer="auto"),
                "2001": Baresip(s, "2001", "secret2001", tone, answer="manual"),
                "2002": Baresip(s, "2002", "secret2002", tone, answer="manual")}
        uas.extend(s.ua.values())
        for ua in uas:
            assert ua.wait_log("200 OK", 10), "%s did not register" % ua.ext
        browser = Browser(env=s.env(), artifacts=ART)
        s.browser = browser
        s.base = "http://127.0.0.1:%d" % s.http_port
        yield s
    finally:
        if browser:
            browser.close()
        for ua in uas:
            ua.stop()
        s.close()


def tile_value(b, page, queue, field):
    return b.eval("(() => { const e = document.querySelector('[data-queue=\"%s\"] "
                  "[data-field=\"%s\"]'); return e ? e.dataset.value : null; })()"
                  % (queue, field), page=page)


def set_agents(s, ready=()):
    for ext in ("1002", "1003", "1004"):
        s.bus_call("acdd", "agent.logout", {"ext": ext})
    for ext in ready:
        assert s.bus_call("acdd", "agent.login", {"ext": ext}).get("ok")


def test_calls_wait_ring_answer_and_abandon_on_the_page(wb):
    s, b = wb, wb.browser
    set_agents(s)
    b.page("sup")
    b.goto(s.base + "/wallboard", page="sup")  # no session: sent to the sign-in page
    b.wait("location.pathname === '/login'", page="sup")
    b.screenshot("00-sign-in.png", page="sup")
    b.login(s.base, "sup", PW, page="sup")
    b.page("one")
    b.login(s.base, "sup_support", PW, page="one")
    b.wait("document.querySelectorAll('[data-queue]').length === 2", page="sup")
    assert b.eval("[...document.querySelectorAll('[data-queue]')].map(e => e.dataset.queue)",
                  page="one") == ["support"]
    assert sorted(b.eval("[...document.querySelectorAll('[data-agent]')].map(e => "
                         "e.dataset.agent)", page="one")) == ["1002", "1003"]
    b.screenshot("01-wallboard-empty.png", page="sup")
    # waiting
    s.ua["2001"].dial("620")
    b.wait("document.querySelector('tr[data-state=\"waiting\"]') !== null && "
           "document.querySelector('[data-queue=\"support\"] [data-field=\"waiting\"]')"
           ".dataset.value === '1'", page="sup")
    b.wait("document.querySelector('tr[data-state=\"waiting\"]') !== null", page="one")
    b.screenshot("02-caller-waiting.png", page="sup")
    # ringing: 1003 logs in from the console; its phone rings (it answers by hand)
    b.cmd("click", page="sup", selector="[data-agent=\"1003\"] button")
    b.wait("document.querySelector('tr[data-call] .badge-ring') !== null && "
           "document.querySelector('[data-agent=\"1003\"]').dataset.state === 'reserved'",
           page="sup")
    b.screenshot("03-agent-ringing.png", page="sup")
    # answered
    assert s.ua["1003"].wait_log("Incoming call", 10)
    s.ua["1003"].command("accept")
    b.wait("document.querySelector('[data-agent=\"1003\"]').dataset.state === 'on_call' && "
           "document.querySelector('[data-agent=\"1003\"] [data-call]') !== null",
           page="sup")
    caller = b.eval("document.querySelector('[data-agent=\"1003\"] [data-call] .strong')"
                    ".textContent", page="sup")
    assert caller == "2001", caller
    assert tile_value(b, "sup", "support", "waiting") == "0"
    b.screenshot("04-call-answered.png", page="sup")
    # abandoned: nobody free, 2002 waits and hangs up
    s.ua["2002"].dial("620")
    b.wait("document.querySelector('[data-queue=\"support\"] [data-field=\"waiting\"]')"
           ".dataset.value === '1'", page="sup")
    time.sleep(2)
    s.ua["2002"].command("hangup")
    b.wait("document.querySelector('tr[data-abandoned] td.strong') !== null && "
           "document.querySelector('tr[data-abandoned] td.strong').textContent === '2002'",
           page="sup")
    b.wait("document.querySelector('[data-queue=\"support\"] [data-field=\"abandoned\"]')"
           ".dataset.value === '1'", page="one")
    b.screenshot("05-call-abandoned.png", page="sup")
    # the console: call the abandoned caller back
    b.cmd("click", page="sup", selector="tr[data-abandoned] button")
    b.wait("document.querySelector('tr[data-abandoned] .badge-cb') !== null", page="sup")
    rows = wait_for(lambda: s.psql("SELECT number, queue, result FROM v_callbacks"),
                    what="the callback row")
    assert rows == [("2002", "support", "pending")], rows
    b.screenshot("06-callback-scheduled.png", page="sup")
    # the service level (1 in 20 s of 2 answered or abandoned: 50 %) is under the default
    # target of 80 %: both pages highlight the queue
    for page in ("sup", "one"):
        b.wait("document.querySelector('.alert[data-alert=\"sl_low\"][data-queue=\"support\"]')"
               " !== null && document.querySelector('[data-queue=\"support\"].tile-alert')"
               " !== null", page=page)
    # a supervisor of support never saw sales, its agents or its calls
    assert b.eval("document.querySelectorAll('[data-queue=\"sales\"], [data-agent=\"1004\"]')"
                  ".length", page="one") == 0
    b.screenshot("07-support-only.png", page="one")
    # the callback happens: 1002 logs in (its phone answers), then 2002's phone rings
    s.ua["2001"].command("hangup")
    b.cmd("click", page="sup", selector="[data-agent=\"1002\"] button")
    assert s.ua["2002"].wait_log("Incoming call", 20), s.log_tail("acdd")
    s.ua["2002"].command("accept")
    wait_for(lambda: s.psql("SELECT 1 FROM v_callbacks WHERE result = 'connected'"),
             timeout=15, what="the callback to connect")
    for ua in s.ua.values():
        ua.command("hangup")
    time.sleep(1)
    b.cmd("close_page", page="one")


def run_sipp_callers(s, calls, rate, hold_ms):
    media = sm.free_port(udp=True, span=2, align=2)
    cmd = ["sipp", "-sf", str(sm.REPO / "tests" / "sipp" / "queue_caller.xml"), "-s", "620",
           "-i", "127.0.0.1", "-p", str(s.sipp_port), "-mp", str(media), "-m", str(calls),
           "-r", str(rate), "-d", str(hold_ms), "-l", "40", "-timeout", "120", "-bg" if False
           else "-nostdin", "127.0.0.1:%d" % s.sip_port]
    return subprocess.Popen(cmd, cwd=str(s.var_dir), env=s.env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def views_of_today(s, queue):
    rows = s.psql("SELECT offered, answered, abandoned, overflowed, abandon_rate_pct, "
                 "service_level_pct, asa_s FROM v_queue_stats_daily WHERE queue = %s AND "
                 "day = date_trunc('day', now())", (queue,), role="cc_bi")
    row = rows[0] if rows else (0, 0, 0, 0, None, None, None)
    aht = s.psql("SELECT aht_s FROM v_queue_handle_daily WHERE queue = %s AND "
                 "day = date_trunc('day', now())", (queue,), role="cc_bi")
    as_text = lambda v: "" if v is None else str(float(v)) if not isinstance(v, int) else str(v)
    return {"offered": str(row[0]), "answered": str(row[1]), "abandoned": str(row[2]),
            "overflowed": str(row[3]), "abandon_rate_pct": as_text(row[4]),
            "sl_pct": as_text(row[5]), "asa_s": as_text(row[6]),
            "aht_s": as_text(aht[0][0] if aht else None)}


def page_figures(b, page, queue):
    return b.eval("(() => { const o = {}; for (const e of document.querySelectorAll("
                  "'[data-queue=\"%s\"] [data-field]')) o[e.dataset.field] = e.dataset.value; "
                  "return o; })()" % queue, page=page)


def test_page_resumes_after_a_cut_and_a_restart_and_ends_equal_to_the_views(wb):
    s, b = wb, wb.browser
    set_agents(s, ready=("1002",))
    proxy = Proxy(s.http_port)
    try:
        via = "http://127.0.0.1:%d" % proxy.port
        b.page("cut")
        b.login(via, "sup", PW, page="cut")
        before = views_of_today(s, "support")
        sipp = run_sipp_callers(s, calls=24, rate=4, hold_ms=2500)
        api = Http(s.http_port)
        api.login("sup", PW)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:  # more events: agent states while calls come in
            api.post("/api/agents/1004/state", {"state": "login"})
            api.post("/api/agents/1004/state", {"state": "logout"})
        proxy.cut()  # the page's stream dies mid-load
        b.wait("window.__wallboard.drops >= 1", page="cut")
        b.wait("window.__wallboard.connected", page="cut", timeout=20)
        time.sleep(1)
        s.restart("webd")  # and webd itself restarts mid-load
        b.wait("window.__wallboard.drops >= 2 && window.__wallboard.connected", page="cut",
               timeout=30)
        assert sipp.wait(90) == 0, "sipp callers failed"
        time.sleep(4)  # every caller has hung up; acdd's writer has committed
        want = views_of_today(s, "support")
        assert int(want["offered"]) == int(before["offered"]) + 24, (before, want)
        assert int(want["answered"]) > int(before["answered"]), (before, want)

        def same():
            got = page_figures(b, "cut", "support")
            return got if all(got.get(k) == v for k, v in want.items()) else None
        try:
            wait_for(same, timeout=15, what="the page's counters to equal the views")
        finally:
            b.screenshot("08-after-cut-and-restart.png", page="cut")
        probe = b.eval("({drops: window.__wallboard.drops, snaps: window.__wallboard.snapshots,"
                       " updates: window.__wallboard.updates})", page="cut")
        assert probe["drops"] >= 2 and probe["updates"] > 50, probe
        assert proxy.cuts == 1
    finally:
        proxy.close()
