"""test_mediad_recovery.py - what keeps calls apart and alive across crashes, with real
RTP on loopback: the port quarantine (a freed pair is not handed out again for a while, and
at start-up only restores get ports).

mediad runs alone (helpers.media.Mediad), each test with the windows it needs shortened by
its config keys so the module takes seconds."""

import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import suite as sm  # noqa: E402
from helpers.media import Mediad  # noqa: E402

QUARANTINE_MS = 1500


@pytest.fixture(autouse=True)
def need_mediad():
    if not os.access(sm.BIN_DIR / "mediad", os.X_OK):
        pytest.fail("no mediad in %s (build with `make SAN=1`)" % sm.BIN_DIR, pytrace=False)


def create_when_ready(md, timeout=5.0, **args):
    """endpoint.create, retried while the start-up quarantine refuses it (no_ports)."""
    deadline = time.monotonic() + timeout
    while True:
        r = md.call("endpoint.create", **args)
        if r.get("ok"):
            return r["result"]
        assert r["error"]["code"] == "no_ports", r
        assert time.monotonic() < deadline, "still no ports %.1f s after start" % timeout
        time.sleep(0.05)


def test_port_quarantine():
    t_start = time.monotonic()
    md = Mediad(pairs=2, port_quarantine_ms=QUARANTINE_MS)
    try:
        # start-up: every pair counts as just freed, so plain creates are refused ...
        assert md.error("endpoint.create", call_id="q", leg="caller") == "no_ports"
        st = md.ok("status")["details"]
        assert st["ports_free"] == 2 and st["ports_quarantined"] == 2, st
        # ... until the quarantine has passed
        a = create_when_ready(md, call_id="q", leg="caller")
        assert time.monotonic() - t_start >= QUARANTINE_MS / 1000 - 0.1
        b = md.ok("endpoint.create", call_id="q", leg="callee")
        # a freed pair is not handed out again within the quarantine, even as the last one
        md.ok("endpoint.delete", endpoint_id=a["endpoint_id"])
        t_freed = time.monotonic()
        assert md.error("endpoint.create", call_id="q2", leg="caller") == "no_ports"
        assert md.ok("status")["details"]["ports_quarantined"] == 1
        c = create_when_ready(md, call_id="q2", leg="caller")
        assert time.monotonic() - t_freed >= QUARANTINE_MS / 1000 - 0.1
        assert c["port"] == a["port"], (a, c)
        for e in (b, c):
            md.ok("endpoint.delete", endpoint_id=e["endpoint_id"])
    finally:
        md.close()
