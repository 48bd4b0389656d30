"""The bus from the tests' side: a bus call that must succeed, waiting for an event on a
subscriber or for any condition, and putting acdd's agents in a known state."""

import time


def bus_ok(s, daemon, cmd, args=None):
    r = s.bus_call(daemon, cmd, args or {})
    assert r.get("ok"), "%s %s: %s" % (daemon, cmd, r)
    return r.get("result")


def wait_event(sub, etype, call_id=None, timeout=10):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        ev = sub.recv(max(0.05, deadline - time.monotonic()))
        if ev is None:
            break
        topic, obj, _ = ev
        seen.append(obj)
        if topic == etype and (call_id is None or obj.get("call_id") == call_id):
            return obj, seen
    return None, seen


def wait_until(fn, timeout=10.0, step=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(step)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


def set_agents(s, ready=(), *, agents):
    """Every one of `agents` (acdd agents) logged out, then `ready` logged in one by one
    (in that order, so the first is idle the longest)."""
    for ext in agents:
        s.bus_call("acdd", "agent.logout", {"ext": ext})
    time.sleep(0.2)
    for ext in ready:
        bus_ok(s, "acdd", "agent.login", {"ext": ext})
        time.sleep(0.05)
