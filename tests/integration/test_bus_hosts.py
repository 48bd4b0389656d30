"""test_bus_hosts.py - the bus across hosts (issue 16): cdrd runs in a network namespace of
its own (another host, as far as the network goes) and reaches sipproxy and mediad over TCP
through a veth pair, CURVE-encrypted; calls placed through sipp trunks get their CDRs. A
cdrd started with a key pair that is not in the allow list gets no events (no CDRs), and
once it is back with its own key, it catches up: nothing is lost. ccctl reaches every
daemon over TCP with its own key."""

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import suite as sm  # noqa: E402
from helpers.bus import wait_until  # noqa: E402
from helpers.trunks import Trunks  # noqa: E402


def _ip(*args, check=True):
    return subprocess.run(["ip"] + list(args), capture_output=True, text=True, check=check)


@pytest.fixture
def other_host():
    """A network namespace joined to this one by a veth pair: (namespace, our address,
    its address). Removed afterwards (which removes the veth pair too)."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    tag = "%d%03d" % (os.getpid() % 10000, random.randrange(1000))
    ns, here_if, there_if = "ccbus" + tag, "cbA" + tag, "cbB" + tag
    a, b = random.randrange(1, 250), random.randrange(0, 63) * 4
    here, there = "10.%d.%d.%d" % (200 + a % 50, a, b + 1), "10.%d.%d.%d" % (200 + a % 50, a, b + 2)
    _ip("netns", "add", ns)
    try:
        _ip("link", "add", here_if, "type", "veth", "peer", "name", there_if)
        _ip("link", "set", there_if, "netns", ns)
        _ip("addr", "add", here + "/30", "dev", here_if)
        _ip("link", "set", here_if, "up")
        _ip("netns", "exec", ns, "ip", "addr", "add", there + "/30", "dev", there_if)
        _ip("netns", "exec", ns, "ip", "link", "set", there_if, "up")
        _ip("netns", "exec", ns, "ip", "link", "set", "lo", "up")
        yield ns, here, there
    finally:
        _ip("link", "del", here_if, check=False)
        _ip("netns", "del", ns, check=False)


def _cdrs(s):
    return s.psql("SELECT count(*) FROM cdrs")[0][0]


def test_cdrd_on_another_host_over_curve(make_suite, tmp_path, other_host):
    ns, here, there = other_host
    keys, rogue, allow = tmp_path / "keys", tmp_path / "rogue", tmp_path / "allow"
    keys.mkdir(mode=0o700)
    rogue.mkdir(mode=0o700)
    allow.mkdir()
    ports = {d: sm.free_port(span=2) for d in ("sipproxy", "mediad", "cdrd")}
    peers = " ".join("%s=tcp://%s:%d" % (d, there if d == "cdrd" else here, p)
                     for d, p in ports.items())
    rtp = sm.free_port_range(200)
    s = make_suite(daemons=["sipproxy", "mediad", "cdrd"],
                   config={"common.rtp_ports": rtp, "common.bus_peers": peers,
                           "common.bus_keys_dir": str(keys), "common.bus_allow_dir": str(allow),
                           "cdrd.flush_ms": "100"})
    r = s.ccctl("bus", "keygen", "sipproxy", "mediad", "cdrd", "ccctl",
                "--keys", keys, "--allow", allow)
    assert r.returncode == 0, r.stderr
    assert oct((keys / "cdrd.cert_secret").stat().st_mode & 0o777) == "0o600"
    # a second keygen keeps the pair it would overwrite
    r = s.ccctl("bus", "keygen", "cdrd", "--keys", keys, "--allow", allow)
    assert r.returncode == 1 and "exists" in r.stderr, r.stderr
    # an impostor's key pair: a cdrd of its own, never put in the allow list
    r = s.ccctl("bus", "keygen", "cdrd", "--keys", rogue, "--allow", tmp_path)
    assert r.returncode == 0, r.stderr

    t = Trunks(s, tmp_path)
    try:
        s.start("sipproxy", "mediad")
        s.start("cdrd", wrap=["ip", "netns", "exec", ns])
        t.start_uas()
        # no ipc sockets: everything goes over TCP
        assert not list(Path(s.run_dir).glob("*.pub")), list(Path(s.run_dir).glob("*"))
        res = t.place(5, 10, "-d", "300", timeout=60)
        assert res["ok"] == 10, res
        wait_until(lambda: _cdrs(s) == 10, timeout=30, what="10 CDRs written by cdrd")
        est = _ip("netns", "exec", ns, "ss", "-tn", "state", "established").stdout
        assert "%s:%d" % (here, ports["sipproxy"]) in est, est
        # ccctl over TCP, with its own key
        _, doc = s.status()
        states = sm.daemon_states(doc)
        assert all(states.get(d) for d in ports), doc

        # cdrd with a key the others do not know: no events reach it
        s.stop("cdrd")
        s.start("cdrd", wrap=["ip", "netns", "exec", ns], env={"CC_BUS_KEYS_DIR": str(rogue)})
        res = t.place(5, 5, "-d", "300", timeout=60, name="uac2")
        assert res["ok"] == 5, res
        time.sleep(3)
        assert _cdrs(s) == 10, "a cdrd without an allowed key got events"
        # sipproxy's log says who was turned away, from where, and what to do
        refused = [ln for ln in s.log("sipproxy").splitlines() if "bus.peer_refused" in ln]
        assert refused and "address=%s" % there in refused[0] and "fix=" in refused[0], refused

        # back with its own key, it catches up from sipproxy's replay: nothing lost
        s.stop("cdrd")
        s.start("cdrd", wrap=["ip", "netns", "exec", ns])
        wait_until(lambda: _cdrs(s) == 15, timeout=30, what="the 5 missed CDRs")
    finally:
        t.close()
        sm.release_ports(rtp, t.uas_port, t.uac_port)
