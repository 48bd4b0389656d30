"""Issue 2, the foundation: ccctl against a live suite (status, users, routes, trunks),
config errors, clean SIGTERM shutdown with STOPPING=1, and the schema-version check.
Bus events are checked in test_foundation_events.py, `make run` in test_foundation_run.py."""

import os
import signal
import subprocess
import time

import pytest

import suite as sm


def users(suite):
    return suite.psql("SELECT ext, name, realm, ha1, ha1_sha256, enabled FROM sip_users "
                      "ORDER BY ext")


def table_rows(suite, table):
    return suite.psql("SELECT * FROM %s ORDER BY 1" % table)


def assert_refused(r, *words):
    """A refused command: non-zero exit, a message on stderr naming the problem."""
    assert r.returncode != 0, "expected a non-zero exit, saw 0; stdout: %s" % r.stdout
    msg = r.stderr.lower()
    assert msg.strip(), "expected a message on stderr, saw none"
    for w in words:
        assert w.lower() in msg, "expected %r in the message, saw: %s" % (w, r.stderr)


# ---- status ------------------------------------------------------------------------


def test_status_json_all_ready(suite):
    code, doc = suite.status()
    assert doc is not None, "ccctl status --json printed no JSON"
    states = sm.daemon_states(doc)
    for d in sm.DAEMONS:
        assert states.get(d) is True, "expected %s ready, saw %s" % (d, states)
    assert code == 0


def test_status_text_exits_zero(suite):
    r = suite.ccctl("status")
    assert r.returncode == 0, r.stdout + r.stderr
    for d in sm.DAEMONS:
        assert d in r.stdout


def test_status_exits_1_with_a_daemon_stopped(suite):
    code, secs = suite.stop("recorderd")
    assert code == 0
    try:
        code, doc = suite.status()
        assert code == 1, "expected exit 1 with recorderd stopped, saw %d" % code
        states = sm.daemon_states(doc)
        assert states.get("recorderd") is not True
        for d in sm.DAEMONS:
            if d != "recorderd":
                assert states.get(d) is True, "expected %s ready, saw %s" % (d, states)
    finally:
        suite.start("recorderd")
    code, _ = suite.status()
    assert code == 0


def test_daemons_answer_ping(suite):
    for d in sm.DAEMONS:
        reply = suite.bus_call(d, "ping")
        assert reply.get("ok") is True, reply
        assert reply["result"]["daemon"] == d


# ---- users -------------------------------------------------------------------------


@pytest.mark.parametrize("args,words", [
    (["user", "add", "12a4", "--password", "longenough1"], ["extension"]),
    (["user", "add", "1", "--password", "longenough1"], ["extension"]),
    (["user", "add", "1234567890123456", "--password", "longenough1"], ["extension"]),
    (["user", "add", "", "--password", "longenough1"], ["extension"]),
    (["user", "add", "2100", "--password", ""], ["password"]),
    (["user", "add", "2100", "--password", "short"], ["password"]),
    (["user", "add", "2100"], ["password"]),
], ids=["letters", "too-short-ext", "too-long-ext", "empty-ext", "empty-password",
        "short-password", "no-password"])
def test_user_add_bad_input_changes_nothing(suite, args, words):
    before = users(suite)
    r = suite.ccctl(*args)
    assert_refused(r, *words)
    assert users(suite) == before


def test_user_add_duplicate_refused(suite):
    suite.ccctl("user", "add", "2200", "--password", "secret-2200", check=True)
    before = users(suite)
    r = suite.ccctl("user", "add", "2200", "--password", "another-pw")
    assert_refused(r, "2200")
    assert users(suite) == before
    suite.ccctl("user", "del", "2200", check=True)


def test_user_round_trip(suite):
    import json
    pw = "pw-for-2001-xyz"
    r = suite.ccctl("user", "add", "2001", "--password", pw, "--name", "Alice Example")
    assert r.returncode == 0, r.stderr
    rows = suite.psql("SELECT ext, name, ha1, ha1_sha256 FROM sip_users WHERE ext = '2001'")
    assert len(rows) == 1
    ext, name, ha1, ha1_256 = rows[0]
    assert name == "Alice Example"
    assert pw not in (ha1, ha1_256) and len(ha1) == 32 and len(ha1_256) == 64
    # the password is stored nowhere in the database
    dump = suite.psql("SELECT row_to_json(u)::text FROM sip_users u")
    assert not any(pw in row[0] for row in dump)

    r = suite.ccctl("user", "list", "--json")
    assert r.returncode == 0, r.stderr
    listed = json.loads(r.stdout)
    items = listed.get("users", listed) if isinstance(listed, dict) else listed
    exts = {u.get("ext") for u in items}
    assert "2001" in exts
    assert pw not in r.stdout
    r = suite.ccctl("user", "list")
    assert r.returncode == 0 and "2001" in r.stdout

    r = suite.ccctl("user", "del", "2001")
    assert r.returncode == 0, r.stderr
    assert suite.psql("SELECT 1 FROM sip_users WHERE ext = '2001'") == []
    r = suite.ccctl("user", "del", "2001")
    assert_refused(r, "2001")


# ---- routes and trunks -----------------------------------------------------------------


def test_route_add_list_and_bad_input(suite):
    suite.ccctl("user", "add", "2300", "--password", "secret-2300", check=True)
    r = suite.ccctl("route", "add", "23XX", "ext:2300")
    assert r.returncode == 0, r.stderr
    r = suite.ccctl("route", "list")
    assert r.returncode == 0 and "23XX" in r.stdout and "2300" in r.stdout
    # a number may lead straight to an extension's mailbox
    suite.ccctl("route", "add", "*2300", "vm:2300", check=True)
    r = suite.ccctl("route", "test", "*2300")
    assert r.returncode == 0 and "vm:2300" in r.stdout, r.stdout
    before = table_rows(suite, "dialplan")
    for args, words in [
        (["route", "add", "9[1-", "ext:2300"], ["pattern"]),
        (["route", "add", "9.9", "ext:2300"], ["pattern"]),
        (["route", "add", "", "ext:2300"], ["pattern"]),
        (["route", "add", "777", "bogus:thing"], ["target"]),
        (["route", "add", "777", "ext:"], []),
        (["route", "add", "777", "2300"], ["target"]),
        (["route", "add", "777", "ext:9999"], ["9999"]),   # no such extension
        (["route", "add", "778", "trunk:nosuch"], ["nosuch"]),
        (["route", "add", "700", "queue:nosuch"], ["unknown queue 'nosuch'", "queue add"]),
        (["route", "add", "701", "ivr:nosuch"], ["unknown IVR flow 'nosuch'", "ivr load"]),
        (["route", "add", "702", "vm:9999"], ["unknown mailbox '9999'"]),
        (["route", "add", "777"], []),
    ]:
        r = suite.ccctl(*args)
        assert_refused(r, *words)
        assert table_rows(suite, "dialplan") == before, "dialplan changed by %s" % args
    # a target that does not exist is refused as `user del` of a missing user is (exit 1),
    # a target that cannot be one is bad usage (exit 2)
    assert suite.ccctl("route", "add", "700", "queue:nosuch").returncode == 1
    assert suite.ccctl("route", "add", "700", "queue:").returncode == 2


def test_new_extension_dialable_without_a_route(suite):
    """Issue 14: `user add` makes an extension dialable at once, `route test` says so and
    why; a route with exactly that pattern takes the number elsewhere; `user del` makes it
    undialable again."""
    import json
    suite.ccctl("user", "add", "2410", "--password", "secret-2410", check=True)
    suite.ccctl("user", "add", "2411", "--password", "secret-2411", check=True)
    r = suite.ccctl("route", "test", "2410")
    assert r.returncode == 0 and "2410 -> ext:2410" in r.stdout and "no route needed" in \
        r.stdout, (r.stdout, r.stderr)
    got = json.loads(suite.ccctl("route", "test", "2410", "--json", check=True).stdout)
    assert got["matched"] and got["route"]["implicit"] and got["route"]["id"] is None, got
    assert got["route"]["target_kind"] == "ext" and got["route"]["target"] == "2410", got
    suite.ccctl("route", "add", "2410", "ext:2411", check=True)
    got = json.loads(suite.ccctl("route", "test", "2410", "--json", check=True).stdout)
    assert got["route"]["target"] == "2411" and not got["route"]["implicit"], got
    suite.ccctl("route", "del", "2410", check=True)
    suite.ccctl("user", "del", "2410", check=True)
    r = suite.ccctl("route", "test", "2410")
    assert r.returncode == 1 and "no route" in r.stdout, (r.stdout, r.stderr)
    suite.ccctl("user", "del", "2411", check=True)


def test_recording_policy_checks_its_scope_and_can_be_deleted(suite):
    """Issue 14: a policy for an extension, queue or trunk that does not exist is refused;
    `recording policy del` removes one; a bad --since says what it wants, exit 2."""
    suite.ccctl("user", "add", "2420", "--password", "secret-2420", check=True)
    before = table_rows(suite, "recording_policies")
    for args, code, words in [
        (["ext:9999", "always"], 1, ["unknown extension '9999'", "user add"]),
        (["queue:nosuch", "always"], 1, ["unknown queue 'nosuch'"]),
        (["trunk:nosuch", "never"], 1, ["unknown trunk 'nosuch'"]),
        (["ext:12a", "always"], 2, ["ext:12a"]),
        (["queue:bad name", "always"], 2, ["bad scope"]),
        (["ext:2420", "sometimes"], 2, ["bad mode"]),
    ]:
        r = suite.ccctl("recording", "policy", *args)
        assert r.returncode == code, (args, r.returncode, r.stderr)
        assert_refused(r, *words)
        assert table_rows(suite, "recording_policies") == before, args
    suite.ccctl("recording", "policy", "ext:2420", "always", check=True)
    assert "ext:2420" in suite.ccctl("recording", "policy", check=True).stdout
    r = suite.ccctl("recording", "policy", "del", "ext:2420")
    assert r.returncode == 0 and "deleted" in r.stdout, r.stderr
    assert "ext:2420" not in suite.ccctl("recording", "policy", check=True).stdout
    r = suite.ccctl("recording", "policy", "del", "ext:2420")
    assert r.returncode == 1 and "no recording policy for ext:2420" in r.stderr, r.stderr
    r = suite.ccctl("recording", "policy", "del")
    assert r.returncode == 2 and "SCOPE" in r.stderr, r.stderr
    assert "policy del" in suite.ccctl("recording", "--help", check=True).stdout
    suite.ccctl("user", "del", "2420", check=True)

    for opt in ("--since", "--until"):
        r = suite.ccctl("recording", "list", opt, "garbage")
        assert r.returncode == 2, (r.returncode, r.stderr)
        assert ("bad %s 'garbage'" % opt) in r.stderr and "2026-11-21 13:00" in r.stderr, \
            r.stderr
        assert "ERROR" not in r.stderr and "invalid input syntax" not in r.stderr, r.stderr
    r = suite.ccctl("recording", "list", "--since", "2020-01-01", "--until", "tomorrow")
    assert r.returncode == 0, r.stderr


def test_without_a_config_ccctl_says_where_it_looked(suite, tmp_path):
    """Issue 14: with no CC_VAR_DIR and no config in reach, ccctl names the files it looked
    for, where the defaults sent it, and how to point it at an instance."""
    if os.path.exists("/etc/callcenter/cc.conf"):
        pytest.skip("this machine has /etc/callcenter/cc.conf, which ccctl would find")
    env = {k: v for k, v in suite.env().items() if not k.startswith("CC_")}
    for args in (["user", "list"], ["agent", "list"], ["status"]):
        r = subprocess.run([str(sm.BIN_DIR / "ccctl")] + args, cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=60)
        assert r.returncode != 0, (args, r.stdout)
        err = r.stderr
        assert "no config file found" in err and str(tmp_path / "var" / "cc.conf") in err, err
        assert "/etc/callcenter/cc.conf" in err and str(tmp_path / "var" / "run") in err, err
        assert "CC_VAR_DIR=DIR" in err and "-c FILE" in err, err
    # with CC_VAR_DIR, as before: nothing about where it looked
    r = suite.ccctl("user", "list")
    assert r.returncode == 0 and "no config file" not in r.stderr, r.stderr


def test_trunk_add(suite):
    r = suite.ccctl("trunk", "add", "pstn1", "--host", "127.0.0.1:5999", "--user", "acct",
                    "--password", "trunk-secret")
    assert r.returncode == 0, r.stderr
    rows = suite.psql("SELECT name FROM trunks WHERE name = 'pstn1'")
    assert rows == [("pstn1",)]
    r = suite.ccctl("trunk", "list")
    assert r.returncode == 0 and "pstn1" in r.stdout
    assert "trunk-secret" not in r.stdout
    before = table_rows(suite, "trunks")
    for args in (["trunk", "add", "bad name", "--host", "127.0.0.1"],
                 ["trunk", "add", "pstn2", "--host", "127.0.0.1:notaport"],
                 ["trunk", "add", "pstn2"],
                 ["trunk", "add", "pstn1", "--host", "127.0.0.1"]):
        r = suite.ccctl(*args)
        assert_refused(r)
        assert table_rows(suite, "trunks") == before, "trunks changed by %s" % args
    r = suite.ccctl("route", "add", "0.", "trunk:pstn1", "--strip", "1")
    assert r.returncode == 0, r.stderr


# ---- config errors ---------------------------------------------------------------------


def bad_conf(suite, tmp_path, line, section="common"):
    """A copy of the suite's config with `line` added at the end of [section]; returns
    (path, line number of the bad line)."""
    lines = suite.conf_path.read_text().splitlines()
    try:
        start = lines.index("[%s]" % section)
        end = start + 1
        while end < len(lines) and not lines[end].startswith("["):
            end += 1
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
    except ValueError:
        lines += ["", "[%s]" % section]
        end = len(lines)
    lines.insert(end, line)
    path = tmp_path / "typo.conf"
    path.write_text("\n".join(lines) + "\n")
    return path, end + 1


@pytest.mark.parametrize("daemon", sm.DAEMONS)
def test_config_unknown_key_refused(suite, tmp_path, daemon):
    path, lineno = bad_conf(suite, tmp_path, "heartbeat_intervall = 5")
    r = suite.run_daemon(daemon, conf=path)
    assert r.returncode == 2, "expected exit 2, saw %d; stderr: %s" % (r.returncode, r.stderr)
    assert "%s:%d" % (path, lineno) in r.stderr, "expected %s:%d in: %s" % (path, lineno,
                                                                            r.stderr)
    assert "heartbeat_intervall" in r.stderr


@pytest.mark.parametrize("line,what", [
    ("sip_port = 70000", "sip_port"),
    ("heartbeat_interval = soon", "heartbeat_interval"),
    ("rtp_ports = 3000-2000", "rtp_ports"),
    ("log_level = loud", "log_level"),
], ids=["port", "int", "range", "level"])
def test_config_bad_value_refused(suite, tmp_path, line, what):
    path, lineno = bad_conf(suite, tmp_path, line)
    r = suite.run_daemon("acdd", conf=path)
    assert r.returncode == 2, "expected exit 2, saw %d; stderr: %s" % (r.returncode, r.stderr)
    assert "%s:%d" % (path, lineno) in r.stderr, r.stderr
    assert what in r.stderr


def test_config_unknown_section_key_in_other_section(suite, tmp_path):
    # a typo in another daemon's section stops every daemon: the file is validated whole
    path, lineno = bad_conf(suite, tmp_path, "pg_pasword = x", section="cdrd")
    r = suite.run_daemon("mediad", conf=path)
    assert r.returncode == 2, r.stderr
    assert "%s:%d" % (path, lineno) in r.stderr, r.stderr


@pytest.mark.parametrize("var,value", [
    ("CC_SIP_PORT", "abc"),
    ("CC_HEARTBEAT_INTERVAL", "0"),
    ("CC_LOG_LEVEL", "chatty"),
])
def test_config_bad_env_override_refused(suite, var, value):
    r = suite.run_daemon("ivrd", env={var: value})
    assert r.returncode == 2, "expected exit 2, saw %d; stderr: %s" % (r.returncode, r.stderr)
    assert var in r.stderr, "expected %s named in: %s" % (var, r.stderr)


def test_check_config(suite, tmp_path):
    r = suite.run_daemon("sipproxy", args=["--check-config"])
    assert r.returncode == 0, r.stderr
    path, _ = bad_conf(suite, tmp_path, "nonsense_key = 1")
    r = suite.run_daemon("sipproxy", conf=path, args=["--check-config"])
    assert r.returncode == 2


# ---- schema version ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def scratch_dbs(pg_cluster, bin_dir):
    """Two suites without daemons: one with an unknown schema version, one unmigrated."""
    future = sm.Suite(pg_cluster, name="schema_future", daemons=[])
    future.psql("INSERT INTO schema_migrations (version, name) VALUES (999, '999_future.sql')")
    empty = sm.Suite(pg_cluster, name="schema_empty", daemons=[], migrate=False)
    yield future, empty
    future.close()
    empty.close()


@pytest.mark.parametrize("daemon", sm.PG_DAEMONS)
def test_unknown_schema_version_refused(scratch_dbs, daemon):
    future, empty = scratch_dbs
    r = future.run_daemon(daemon)
    assert r.returncode == 3, "expected exit 3, saw %d; stderr: %s" % (r.returncode, r.stderr)
    assert "999" in r.stderr and "version" in r.stderr.lower(), r.stderr
    r = empty.run_daemon(daemon, env={"CC_PG_CONNECT_TIMEOUT": "2"})
    assert r.returncode == 3, "expected exit 3, saw %d; stderr: %s" % (r.returncode, r.stderr)
    assert "migrate" in r.stderr, r.stderr


# ---- SIGTERM -----------------------------------------------------------------------------


def children_of(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        kids.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return kids


def listening_unix_paths():
    paths = set()
    with open("/proc/net/unix") as f:
        next(f)
        for line in f:
            parts = line.split()
            # Flags 00010000 = __SO_ACCEPTCON (listening)
            if len(parts) >= 8 and int(parts[3], 16) & 0x10000:
                paths.add(parts[7])
    return paths


@pytest.mark.parametrize("daemon", sm.DAEMONS)
def test_sigterm_stops_cleanly(suite, daemon):
    pid = suite.pid(daemon)
    ready = suite.notify.wait_for(daemon, "READY", "1", since=suite.procs[daemon].started,
                                  timeout=0)
    assert ready and ready[1] == pid, "READY=1 should come from the main pid %d: %s" % (pid,
                                                                                         ready)
    kids = children_of(pid)
    t0 = time.monotonic()
    code, secs = suite.stop(daemon, signal.SIGTERM)
    assert code == 0, "expected exit 0 after SIGTERM, saw %s; log:\n%s" % (
        code, suite.log_tail(daemon))
    assert secs < 2.0, "expected to stop within 2 s, took %.2f s" % secs
    stopping = suite.notify.wait_for(daemon, "STOPPING", "1", since=t0, timeout=1)
    assert stopping, "no STOPPING=1 on NOTIFY_SOCKET; saw %s" % suite.notify.all(daemon)
    assert stopping[1] in (pid, None)
    leftover = [k for k in kids if sm._alive(k)]
    assert not leftover, "child processes left behind: %s" % leftover
    listening = listening_unix_paths()
    for kind in ("pub", "cmd"):
        path = suite.run_dir / ("%s.%s" % (daemon, kind))
        assert str(path) not in listening, "%s still listened on after exit" % path
        assert not path.exists(), "%s left behind after a clean stop" % path
    # and it comes back
    suite.start(daemon)
    assert suite.pid(daemon) != pid


def test_watchdog_pings(suite):
    # WATCHDOG_USEC=2 s in the harness: a pet at least every second or so
    for d in sm.DAEMONS:
        t0 = time.monotonic()
        m = suite.notify.wait_for(d, "WATCHDOG", "1", since=t0, timeout=3)
        assert m, "%s sent no WATCHDOG=1 within 3 s (WATCHDOG_USEC=2000000)" % d


def test_sigint_also_stops(suite):
    code, secs = suite.stop("ivrd", signal.SIGINT)
    assert code == 0 and secs < 2.0, (code, secs)
    suite.start("ivrd")


def test_no_sanitizer_reports_so_far(suite):
    assert suite.sanitizer_reports() == {}
