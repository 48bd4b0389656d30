"""webd's HTTP side against the real daemon (with acdd, no calls): pages and redirects, the
route table's answers (404, 405, 413, 401, 403), logins (session cookie, a new id at every
login, logout), CSRF on every state-changing request, the login throttle per user and per
address, roles (an agent refused on supervisor routes), queue scopes, bearer tokens, a
bad-input set for every route that changes nothing, SQL taking input only as parameters,
the audit log, HTTPS, and ccctl web's own validation."""

import json
import subprocess

import pytest

import suite as sm
from helpers.bus import wait_until as wait_for
from helpers.webclient import Http, tls_context_trusting, web_token, web_user

PW = "pw-for-tests-1"


def agent_states(s):
    r = s.bus_call("acdd", "agent.list")
    assert r.get("ok"), r
    return {a["ext"]: a["state"] for a in r["result"]["agents"]}


@pytest.fixture(scope="module")
def web(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_webd_api", daemons=["acdd", "webd"],
                 config={"webd.login_max_failures": "3",
                         "webd.login_max_failures_address": "1000"})
    try:
        for ext in ("1001", "1002", "1003"):
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
        s.ccctl("queue", "add", "qa", "--number", "700", check=True)
        s.ccctl("queue", "add", "qb", "--number", "701", check=True)
        s.ccctl("agent", "add", "1001", "--queue", "qa", check=True)
        s.ccctl("agent", "add", "1002", "--queue", "qb", check=True)
        s.ccctl("agent", "add", "1003", "--queue", "qa", "--queue", "qb", check=True)
        web_user(s, "sup_a", "supervisor", PW, queues="qa")
        web_user(s, "sup_all", "supervisor", PW, queues="*")
        web_user(s, "boss", "admin", PW)
        web_user(s, "agent1", "agent", PW, ext="1001")
        web_user(s, "victim", "supervisor", PW, queues="qa")
        s.start()
        s.base = "http://127.0.0.1:%d" % s.http_port
        yield s
    finally:
        s.close()


def client(web, user=None):
    c = Http(web.http_port)
    if user:
        c.login(user, PW)
    return c


# ---- pages and the route table's answers -------------------------------------------------


def test_status_knows_webd(web):
    code, doc = web.status()
    states = sm.daemon_states(doc)
    assert states.get("webd") is True, doc
    r = web.bus_call("webd", "status")
    details = r["result"]["details"]
    assert details["url"] == "http://127.0.0.1:%d/" % web.http_port, details
    assert details["acdd_live"] is True, details


def test_pages_redirects_and_files(web):
    c = client(web)
    r = c.get("/")
    assert r.status == 302 and r.headers["Location"] == "/wallboard", r
    r = c.get("/wallboard")
    assert r.status == 302 and r.headers["Location"] == "/login", r
    r = c.get("/login")
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/html"), r
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, csp
    assert r.headers["X-Frame-Options"] == "DENY"
    r = c.get("/static/wallboard.js")
    assert r.status == 200 and "javascript" in r.headers["Content-Type"], r
    for bad in ("/static/../wallboard.html", "/static/.hidden", "/static/%2e%2e%2fcc.conf",
                "/static/nothere.js"):
        r = c.get(bad)
        assert r.status == 404, (bad, r)


def test_unknown_route_404_and_wrong_method_405(web):
    c = client(web, "sup_all")
    r = c.get("/api/nope")
    assert r.status == 404 and r.json["error"]["code"] == "not_found", r
    r = c.request("DELETE", "/api/queues")
    assert r.status == 405 and r.headers["Allow"] == "GET", r
    r = c.request("PUT", "/api/login", body={})
    assert r.status == 405 and "POST" in r.headers["Allow"], r
    r = c.get("/api/calls/x/hangup")
    assert r.status == 405 and r.headers["Allow"] == "POST", r


NEEDS_LOGIN = [
    ("GET", "/api/session"), ("GET", "/api/stream"), ("GET", "/api/board"),
    ("GET", "/api/queues"), ("GET", "/api/queues/qa"), ("GET", "/api/queues/qa/figures"),
    ("GET", "/api/agents"), ("GET", "/api/calls"), ("GET", "/api/abandoned"),
    ("GET", "/api/alerts"), ("GET", "/api/cdrs"), ("GET", "/api/recordings"),
    ("GET", "/api/audit"), ("POST", "/api/logout"), ("POST", "/api/agents/1001/state"),
    ("POST", "/api/calls/c1/hangup"), ("POST", "/api/calls/c1/move"),
    ("POST", "/api/callbacks"), ("POST", "/api/originate"),
]


@pytest.mark.parametrize("method,path", NEEDS_LOGIN)
def test_no_session_401(web, method, path):
    r = client(web).request(method, path, body={} if method == "POST" else None)
    assert r.status == 401, r
    assert r.json["error"]["code"] == "unauthenticated", r


def test_oversized_body_413_changes_nothing(web):
    c = client(web, "sup_all")
    before = agent_states(web)
    big = json.dumps({"state": "pause", "reason": "x" * 70000}).encode()
    r = c.request("POST", "/api/agents/1001/state", raw=big,
                  headers={"Content-Type": "application/json"})
    assert r.status == 413, r
    assert agent_states(web) == before


# ---- logins, sessions, CSRF ------------------------------------------------------------------


def test_login_session_fixation_and_logout(web):
    c = client(web)
    r = c.login("sup_all", PW)
    first = c.cookies["cc_session"]
    set_cookie = [h for h in r.headers.get_all("Set-Cookie") if h.startswith("cc_session=")][0]
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie, set_cookie
    assert "Path=/" in set_cookie
    assert r.json["role"] == "supervisor" and r.json["queues"] is None, r
    assert c.get("/api/session").status == 200
    # logging in again while holding the first cookie: a new id, the old one dead
    c.login("sup_all", PW)
    second = c.cookies["cc_session"]
    assert second != first
    old = Http(web.http_port)
    old.cookies["cc_session"] = first
    assert old.get("/api/session").status == 401
    # a cookie the client made up is never adopted: login issues its own
    d = Http(web.http_port)
    d.cookies["cc_session"] = "chosen-by-the-attacker"
    d.login("sup_all", PW)
    assert d.cookies["cc_session"] != "chosen-by-the-attacker"
    # neither the cookie nor the password is stored: only a hash of the cookie
    rows = web.psql("SELECT id_sha256 FROM web_sessions")
    assert all(len(k) == 64 and k not in (first, second) for (k,) in rows), rows
    dump = web.psql("SELECT row_to_json(u)::text FROM web_users u")
    assert not any(PW in row[0] for row in dump)
    r = c.post("/api/logout")
    assert r.status == 200
    assert c.get("/api/session").status == 401


def test_login_needs_the_prelogin_csrf_token(web):
    c = Http(web.http_port)
    body = {"name": "sup_all", "password": PW}
    r = c.request("POST", "/api/login", body=body)
    assert r.status == 403, r
    token = c.get("/api/csrf").json["csrf"]
    r = c.request("POST", "/api/login", body=body, headers={"X-CSRF-Token": token + "x"})
    assert r.status == 403, r
    other = Http(web.http_port)  # the header without the cookie it pairs with
    r = other.request("POST", "/api/login", body=body, headers={"X-CSRF-Token": token})
    assert r.status == 403, r
    r = c.request("POST", "/api/login", body=body, headers={"X-CSRF-Token": token})
    assert r.status == 200, r


def test_csrf_and_origin_on_state_changes(web):
    c = client(web, "sup_all")
    before = agent_states(web)
    token = c.csrf
    c.csrf = None
    r = c.post("/api/agents/1003/state", {"state": "login"})
    assert r.status == 403 and "CSRF" in r.json["error"]["message"], r
    c.csrf = "wrong" + token
    r = c.post("/api/agents/1003/state", {"state": "login"})
    assert r.status == 403, r
    c.csrf = token
    r = c.post("/api/agents/1003/state", {"state": "login"},
               headers={"Origin": "http://evil.example"})
    assert r.status == 403 and "cross-origin" in r.json["error"]["message"], r
    assert agent_states(web) == before
    r = c.post("/api/agents/1003/state", {"state": "login"},
               headers={"Origin": web.base.replace("http://", "http://")})
    assert r.status == 200 and r.json["state"] == "ready", r
    assert agent_states(web)["1003"] == "ready"
    r = c.post("/api/agents/1003/state", {"state": "logout"})
    assert r.status == 200


def test_throttle_per_user(web):
    c = Http(web.http_port)
    for _ in range(3):
        c.login("victim", "wrong-password", expect=401)
    r = c.login("victim", PW, expect=429)
    assert int(r.headers["Retry-After"]) > 0, r.headers
    assert "try again" in r.json["error"]["message"]
    client(web, "sup_all")  # another user from the same address is not held back
    rows = web.psql("SELECT result FROM web_audit WHERE actor = 'victim' AND action = 'login' "
                    "ORDER BY id")
    assert [r[0] for r in rows][-4:] == ["bad_credentials"] * 3 + ["too_many_attempts"], rows


def test_throttle_per_address(make_suite):
    s = make_suite(daemons=["webd"], config={"webd.login_max_failures": "100",
                                              "webd.login_max_failures_address": "4"})
    web_user(s, "someone", "supervisor", PW, queues="*")
    s.start()
    c = Http(s.http_port)
    for name in ("nobody1", "nobody2", "someone", "nobody3"):
        c.login(name, "wrong-password", expect=401)
    r = c.login("someone", PW, expect=429)
    assert int(r.headers["Retry-After"]) > 0


# ---- roles and scopes ------------------------------------------------------------------------


def test_agent_session_refused_on_supervisor_routes(web):
    c = client(web, "agent1")
    r = c.get("/api/session")
    assert r.status == 200 and r.json["role"] == "agent" and r.json["ext"] == "1001", r
    for method, path in [("GET", "/api/queues"), ("GET", "/api/board"),
                         ("GET", "/api/agents"), ("GET", "/api/cdrs"),
                         ("POST", "/api/agents/1001/state"), ("POST", "/api/callbacks")]:
        r = c.request(method, path, body={"state": "ready"} if method == "POST" else None)
        assert r.status == 403 and r.json["error"]["code"] == "forbidden", (path, r)
    r = c.get("/wallboard")
    assert r.status == 403, r
    # a supervisor may not read the audit log; an admin may
    assert client(web, "sup_all").get("/api/audit").status == 403
    assert client(web, "boss").get("/api/audit").status == 200


def test_supervisor_sees_and_acts_only_on_assigned_queues(web):
    c = client(web, "sup_a")
    assert [q["name"] for q in c.get("/api/queues").json["queues"]] == ["qa"]
    agents = {a["ext"] for a in c.get("/api/agents").json["agents"]}
    assert agents == {"1001", "1003"}, agents  # 1002 serves qb only
    board = c.get("/api/board").json
    assert [q["name"] for q in board["queues"]] == ["qa"]
    assert {a["ext"] for a in board["agents"]} == {"1001", "1003"}
    r = c.get("/api/queues/qb")
    assert r.status == 403 and r.json["error"]["code"] == "queue_not_assigned", r
    before = agent_states(web)
    r = c.post("/api/agents/1002/state", {"state": "login"})
    assert r.status == 403 and r.json["error"]["code"] == "agent_not_assigned", r
    r = c.post("/api/callbacks", {"queue": "qb", "number": "5551234"})
    assert r.status == 403 and r.json["error"]["field"] == "queue", r
    r = c.get("/api/calls?queue=qb")
    assert r.status == 403, r
    assert agent_states(web) == before
    assert web.psql("SELECT count(*) FROM v_callbacks")[0][0] == 0
    everyone = client(web, "sup_all")
    assert {q["name"] for q in everyone.get("/api/queues").json["queues"]} >= {"qa", "qb"}


def test_bearer_tokens(web):
    token = web_token(web, "crm", "supervisor", queues="qa")
    assert token.startswith("cct_") and len(token) > 40
    rows = web.psql("SELECT token_sha256 FROM web_tokens WHERE name = 'crm'")
    assert rows and rows[0][0] != token
    t = Http(web.http_port)
    t.bearer = token
    wait_for(lambda: t.get("/api/queues").status == 200, what="webd to load the token")
    assert [q["name"] for q in t.get("/api/queues").json["queues"]] == ["qa"]
    r = t.post("/api/agents/1001/state", {"state": "login"})  # no CSRF for a bearer token
    assert r.status == 200, r
    t.post("/api/agents/1001/state", {"state": "logout"})
    bad = Http(web.http_port)
    bad.bearer = token + "x"
    assert bad.get("/api/queues").status == 401
    agent_token = web_token(web, "desk", "agent")
    a = Http(web.http_port)
    a.bearer = agent_token
    wait_for(lambda: a.get("/api/session").status == 200, what="the agent token")
    assert a.get("/api/queues").status == 403
    web.ccctl("web", "token", "del", "crm", check=True)
    wait_for(lambda: t.get("/api/queues").status == 401, what="the deleted token to stop")


def test_user_deleted_ends_its_session(web):
    web_user(web, "temp_sup", "supervisor", PW, queues="qa")
    c = Http(web.http_port)
    wait_for(lambda: c.login("temp_sup", PW, expect=None).status == 200,
             what="webd to load the new user")
    assert c.get("/api/session").status == 200
    web.ccctl("web", "user", "del", "temp_sup", check=True)
    wait_for(lambda: c.get("/api/session").status == 401, what="the session to end")


# ---- bad input: 4xx naming the field, nothing changed ------------------------------------------

BAD = [
    # (method, path, body or raw bytes, status, field)
    ("POST", "/api/agents/1001/state", b"{not json", 400, None),
    ("POST", "/api/agents/1001/state", b"[1, 2]", 400, None),
    ("POST", "/api/agents/1001/state", {}, 400, "state"),
    ("POST", "/api/agents/1001/state", {"state": 5}, 400, "state"),
    ("POST", "/api/agents/1001/state", {"state": "asleep"}, 400, "state"),
    ("POST", "/api/agents/1001/state", {"state": "pause", "reason": "x" * 40}, 400, "reason"),
    ("POST", "/api/agents/1001/state", {"state": "pause", "reason": "a b"}, 400, "reason"),
    ("POST", "/api/agents/1001/state", {"state": "ready", "reason": "lunch"}, 400, "reason"),
    ("POST", "/api/agents/1001/state", {"state": "ready", "extra": 1}, 400, "extra"),
    ("POST", "/api/agents/1001/state", {"state": "ready", "state ": 1}, 400, "state "),
    ("POST", "/api/agents/9999/state", {"state": "ready"}, 404, None),
    ("POST", "/api/calls/nosuch/hangup", {}, 404, None),
    ("POST", "/api/calls/nosuch/move", {"queue": "qb"}, 404, None),
    ("POST", "/api/calls/nosuch/hangup", {"reason": "x"}, 400, "reason"),
    ("POST", "/api/callbacks", {"queue": "qa"}, 400, "number"),
    ("POST", "/api/callbacks", {"number": "123"}, 400, "queue"),
    ("POST", "/api/callbacks", {"queue": "qa", "number": "12ab"}, 400, "number"),
    ("POST", "/api/callbacks", {"queue": "qa", "number": "1" * 40}, 400, "number"),
    ("POST", "/api/callbacks", {"queue": "qa", "number": 12345}, 400, "number"),
    ("POST", "/api/callbacks", {"queue": "q" * 100, "number": "123"}, 400, "queue"),
    ("POST", "/api/callbacks", {"queue": "qa'; DROP TABLE web_audit;--", "number": "1"}, 400,
     "queue"),
    ("POST", "/api/callbacks", {"queue": ["qa"], "number": "123"}, 400, "queue"),
    ("POST", "/api/callbacks", {"queue": "qa", "number": "123", "queue": "qa"}, 400, None),
    ("POST", "/api/originate", {"agent": "10a1", "number": "123"}, 400, "agent"),
    ("POST", "/api/originate", {"agent": "1001", "number": None}, 400, "number"),
    ("POST", "/api/originate", {"agent": "1001"}, 400, "number"),
    ("POST", "/api/login", {"name": "x", "password": "y", "more": True}, 403, None),
    ("GET", "/api/cdrs?limit=abc", None, 400, "limit"),
    ("GET", "/api/cdrs?limit=0", None, 400, "limit"),
    ("GET", "/api/cdrs?limit=99999999999999999999", None, 400, "limit"),
    ("GET", "/api/cdrs?from=yesterday", None, 400, "from"),
    ("GET", "/api/cdrs?to=2024-13-45", None, 400, "to"),
    ("GET", "/api/cdrs?number=1%27%20OR%20%271%27%3D%271", None, 400, "number"),
    ("GET", "/api/cdrs?bogus=1", None, 400, "bogus"),
    ("GET", "/api/recordings?agent=abc", None, 400, "agent"),
    ("GET", "/api/queues/qa/figures", None, 400, "day"),
    ("GET", "/api/queues/qa/figures?day=2024-02-30x", None, 400, "day"),
    ("GET", "/api/calls?queue=", None, 400, "queue"),
    ("GET", "/api/queues/%01", None, 400, None),
    ("GET", "/api/stream?last_event_id=" + "x" * 200, None, 400, "last_event_id"),
    ("GET", "/api/audit?limit=-5", None, 400, "limit"),
]


@pytest.mark.parametrize("method,path,body,status,field", BAD,
                         ids=["%s %s #%d" % (b[0], b[1][:40], i) for i, b in enumerate(BAD)])
def test_bad_input_is_refused_and_changes_nothing(web, method, path, body, status, field):
    c = client(web, "boss")
    before = agent_states(web)
    callbacks = web.psql("SELECT count(*) FROM v_callbacks")[0][0]
    if isinstance(body, bytes):
        r = c.request(method, path, raw=body, headers={"Content-Type": "application/json"})
    elif method == "POST" and path == "/api/callbacks" and field is None:
        raw = b'{"queue": "qa", "number": "123", "queue": "qb"}'  # a key given twice
        r = c.request(method, path, raw=raw, headers={"Content-Type": "application/json"})
    else:
        r = c.request(method, path, body=body)
    assert r.status == status, "expected %d, saw %r" % (status, r)
    assert r.json and "error" in r.json and r.json["error"]["message"], r
    if field:
        assert r.error_field() == field, "expected field %r, saw %r" % (field, r)
    assert agent_states(web) == before
    assert web.psql("SELECT count(*) FROM v_callbacks")[0][0] == callbacks


def test_sql_takes_input_only_as_data(web):
    c = client(web, "boss")
    tricky = "x' OR '1'='1"
    r = c.get("/api/audit?actor=" + tricky.replace(" ", "%20").replace("'", "%27").replace(
        "=", "%3D"))
    assert r.status == 200 and r.json["audit"] == [], r
    assert web.psql("SELECT count(*) FROM web_audit")[0][0] > 0  # the table is still there
    r = c.get("/api/cdrs?limit=5&from=2020-01-01&to=2020-01-02")
    assert r.status == 200 and r.json["cdrs"] == [], r


# ---- the console's agent actions and the audit log -------------------------------------------


def test_agent_actions_change_acdd_and_are_audited(web):
    c = client(web, "sup_a")
    r = c.post("/api/agents/1001/state", {"state": "login"})
    assert r.status == 200 and (r.json["previous"], r.json["state"]) == ("logged_out", "ready")
    r = c.post("/api/agents/1001/state", {"state": "pause", "reason": "coaching"})
    assert r.status == 200 and r.json["state"] == "not_ready", r
    listed = {a["ext"]: a for a in web.bus_call("acdd", "agent.list")["result"]["agents"]}
    assert listed["1001"]["state"] == "not_ready" and listed["1001"]["reason"] == "coaching"
    r = c.post("/api/agents/1001/state", {"state": "ready"})
    assert r.json["state"] == "ready"
    r = c.post("/api/agents/1001/state", {"state": "logout"})
    assert r.json["state"] == "logged_out"
    r = c.post("/api/agents/1001/state", {"state": "ready"})  # acdd refuses: logged out
    assert r.status == 409, r
    rows = wait_for(lambda: web.psql(
        "SELECT actor, role, action, target, detail->>'state', address, result FROM web_audit "
        "WHERE actor = 'sup_a' AND action = 'agent.state' ORDER BY id") if len(web.psql(
            "SELECT 1 FROM web_audit WHERE actor = 'sup_a' AND action = 'agent.state'")) >= 5
        else None, what="the audit rows")
    assert [(r[2], r[3], r[4], r[5]) for r in rows[-5:]] == [
        ("agent.state", "ext:1001", s, "127.0.0.1")
        for s in ("login", "pause", "ready", "logout", "ready")], rows
    assert [r[6] for r in rows[-5:]] == ["ok", "ok", "ok", "ok", "not_allowed"], rows
    assert all(r[1] == "supervisor" for r in rows)
    hist = web.psql("SELECT state, reason FROM agent_state_history WHERE ext = '1001' "
                    "ORDER BY id DESC LIMIT 1")
    assert hist == [("logged_out", "supervisor")], hist
    r = client(web, "boss").get("/api/audit?actor=sup_a&limit=3")
    assert r.status == 200 and len(r.json["audit"]) == 3, r
    assert "password" not in json.dumps(client(web, "boss").get("/api/audit?limit=1000").json)


# ---- HTTPS ------------------------------------------------------------------------------------


def test_https_when_a_certificate_is_configured(make_suite, tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    s = make_suite(daemons=["webd"], config={"webd.tls_cert": str(cert),
                                              "webd.tls_key": str(key)})
    web_user(s, "sup", "supervisor", PW, queues="*")
    s.start()
    c = Http(s.http_port, tls_context=tls_context_trusting(cert))
    r = c.login("sup", PW)
    cookie = [h for h in r.headers.get_all("Set-Cookie") if h.startswith("cc_session=")][0]
    assert "Secure" in cookie, cookie
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    assert c.get("/api/session").status == 200
    plain = Http(s.http_port)
    with pytest.raises(Exception):
        plain.get("/api/session", timeout=3)
    assert "tls" not in s.log("webd").lower() or "error" not in s.log_tail("webd", 3).lower()


# ---- ccctl web ---------------------------------------------------------------------------------


@pytest.mark.parametrize("args,code", [
    (["web", "user", "add", "x y", "--role", "admin", "--password", PW], 2),
    (["web", "user", "add", "u1", "--role", "root", "--password", PW], 2),
    (["web", "user", "add", "u1", "--role", "admin", "--password", "short"], 2),
    (["web", "user", "add", "u1", "--role", "supervisor", "--password", PW], 2),
    (["web", "user", "add", "u1", "--role", "supervisor", "--queues", "nosuch",
      "--password", PW], 1),
    (["web", "user", "add", "u1", "--role", "agent", "--password", PW], 2),
    (["web", "user", "add", "sup_a", "--role", "admin", "--password", PW], 1),
    (["web", "token", "add", "t1", "--role", "supervisor", "--queues", "qa", "--days", "0"], 2),
    (["web", "alert", "set", "qa", "--sl-target", "101"], 2),
    (["web", "alert", "set", "nosuch", "--max-wait", "10"], 1),
], ids=["bad-name", "bad-role", "short-password", "supervisor-without-queues",
        "unknown-queue", "agent-without-ext", "duplicate", "bad-days", "bad-target",
        "alert-unknown-queue"])
def test_ccctl_web_refuses_bad_input(web, args, code):
    before = web.psql("SELECT (SELECT count(*) FROM web_users), (SELECT count(*) FROM web_tokens),"
                      " (SELECT count(*) FROM web_alert_rules)")
    r = web.ccctl(*args)
    assert r.returncode == code, (args, r.returncode, r.stdout, r.stderr)
    assert r.stderr.startswith("ccctl: "), r.stderr
    after = web.psql("SELECT (SELECT count(*) FROM web_users), (SELECT count(*) FROM web_tokens),"
                     " (SELECT count(*) FROM web_alert_rules)")
    assert after == before


def test_ccctl_web_lists_and_alert_rules(web):
    r = web.ccctl("web", "user", "list", "--json", check=True)
    users = {u["name"]: u for u in json.loads(r.stdout)}
    assert users["sup_a"]["queues"] == "qa" and users["boss"]["queues"] == "*"
    assert "password_hash" not in r.stdout
    web.ccctl("web", "alert", "set", "qa", "--max-wait", "45", "--sl-target", "90", check=True)
    c = client(web, "sup_a")
    wait_for(lambda: c.get("/api/queues/qa").json["rules"]["max_wait_s"] == 45,
             what="webd to reload the thresholds")
    assert c.get("/api/queues/qa").json["rules"]["sl_target_pct"] == 90


@pytest.mark.parametrize("env,words", [
    ({"CC_WEBD_TIME_ZONE": "Mars/Olympus"}, "time_zone"),
    ({"CC_WEBD_TIME_ZONE": "../etc/passwd"}, "time_zone"),
    ({"CC_WEBD_SL_FORMULA": "most"}, "sl_formula"),
    ({"CC_WEBD_TLS_CERT": "/tmp/x.pem"}, "tls_key"),
    ({"CC_WEBD_MAX_BODY_BYTES": "10"}, "CC_WEBD_MAX_BODY_BYTES"),
])
def test_bad_config_refused_at_start_and_by_check_config(web, env, words):
    for args in ([], ["--check-config"]):
        r = web.run_daemon("webd", env=env, args=args)
        assert r.returncode == 2, (env, args, r.returncode, r.stderr)
        assert words in r.stderr, r.stderr
