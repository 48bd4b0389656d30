"""Events on the live bus match docs/EVENTS.md. The document is parsed here on its own
(not through the C catalogue), so an event that drifts from the document fails: unknown
type, undocumented field, wrong JSON type, missing required field, malformed envelope."""

import os
import re
import time
from pathlib import Path
from datetime import datetime, timezone

import pytest

import suite as sm

EVENTS_MD = Path(os.environ.get("CC_EVENTS_MD") or sm.REPO / "docs" / "EVENTS.md")
ENVELOPE = {"type", "id", "ts", "call_id"}
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def parse_events_md(text):
    """{event type: {field: (json type, required)}} from the '### Event `x`' sections
    and their '| `name` | type | required | description |' tables."""
    events, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"^#{2,4}\s+Event\s+`([^`]+)`", line)
        if m:
            cur = events.setdefault(m.group(1), {})
            continue
        if re.match(r"^#{1,4}\s", line):
            cur = None
            continue
        if cur is None:
            continue
        m = re.match(r"^\|\s*`([^`]+)`\s*\|\s*([A-Za-z]+)\s*\|\s*(yes|no)\s*\|", line)
        if m:
            cur[m.group(1)] = (m.group(2).lower(), m.group(3) == "yes")
    return events


def json_type_ok(value, t):
    if t == "string":
        return isinstance(value, str)
    if t in ("int", "integer"):
        return isinstance(value, int) and not isinstance(value, bool)
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t in ("bool", "boolean"):
        return isinstance(value, bool)
    if t == "object":
        return isinstance(value, dict)
    if t == "array":
        return isinstance(value, list)
    if t == "any":
        return True
    raise AssertionError("EVENTS.md uses an unknown type %r" % t)


def check_event(doc, topic, ev, raw):
    """A list of problems with one received event (empty: it matches the document)."""
    problems = []
    if not isinstance(ev, dict):
        return ["not a JSON object: %r" % raw[:200]]
    t = ev.get("type")
    if t != topic:
        problems.append("type frame %r but JSON type %r" % (topic, t))
    if t not in doc:
        return problems + ["type %r is not documented in docs/EVENTS.md" % t]
    ident = ev.get("id")
    if not (isinstance(ident, dict) and isinstance(ident.get("pub"), str) and ident["pub"]
            and isinstance(ident.get("epoch"), int) and ident["epoch"] > 0
            and isinstance(ident.get("seq"), int) and ident["seq"] >= 1):
        problems.append("bad envelope id %r" % (ident,))
    ts = ev.get("ts")
    if not (isinstance(ts, str) and TS_RE.match(ts)):
        problems.append("bad envelope ts %r" % (ts,))
    else:
        when = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
        if abs((datetime.now(timezone.utc) - when).total_seconds()) > 3600:
            problems.append("ts %s is more than an hour away from now" % ts)
    if "call_id" in ev and ev["call_id"] is not None and not isinstance(ev["call_id"], str):
        problems.append("call_id must be a string")
    fields = doc[t]
    for k, v in ev.items():
        if k in ENVELOPE:
            continue
        if k not in fields:
            problems.append("%s: field %r is not documented" % (t, k))
        elif v is not None and not json_type_ok(v, fields[k][0]):
            problems.append("%s: field %r should be %s, saw %r" % (t, k, fields[k][0], v))
    for k, (_, required) in fields.items():
        if required and ev.get(k) is None:
            problems.append("%s: required field %r missing" % (t, k))
    return problems


@pytest.fixture(scope="module")
def doc():
    assert EVENTS_MD.exists(), "docs/EVENTS.md is missing"
    parsed = parse_events_md(EVENTS_MD.read_text())
    assert "daemon.heartbeat" in parsed, "docs/EVENTS.md documents no daemon.heartbeat"
    return parsed


def test_parser_reads_the_document(doc):
    hb = doc["daemon.heartbeat"]
    assert hb.get("daemon") == ("string", True)


def test_live_events_match_the_document(suite, doc):
    sub = suite.subscribe(sm.DAEMONS)
    try:
        time.sleep(0.3)  # let the SUB connect before anything we want to see happens
        # a restart adds daemon.stopping (if it gets out) and daemon.ready
        suite.stop("cdrd")
        suite.start("cdrd")
        seen = sub.collect(3.5)
    finally:
        sub.close()
    assert seen, "no events at all in 3.5 s (heartbeat_interval = 1)"
    problems = []
    by_pub = {}
    for topic, ev, raw in seen:
        for p in check_event(doc, topic, ev, raw):
            problems.append("%s <- %s" % (p, raw[:300].decode(errors="replace")))
        if isinstance(ev, dict) and isinstance(ev.get("id"), dict):
            by_pub.setdefault(ev["id"].get("pub"), []).append(ev)
    assert not problems, "\n".join(problems)
    for d in sm.DAEMONS:
        types = {e["type"] for e in by_pub.get(d, [])}
        assert "daemon.heartbeat" in types, "no heartbeat from %s (saw %s)" % (d, types)
    # daemon.ready goes out right after the bind, before a subscriber can reconnect
    # (ZeroMQ's slow joiner): the replay below checks it.
    for d, evs in by_pub.items():
        # within one epoch, sequence numbers only grow, by one
        epochs = {}
        for e in evs:
            epochs.setdefault(e["id"]["epoch"], []).append(e["id"]["seq"])
        for epoch, seqs in epochs.items():
            assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), \
                "%s epoch %d: sequence not contiguous: %s" % (d, epoch, seqs)
        for e in evs:
            if e["type"].startswith("daemon.") and "daemon" in e:
                assert e["daemon"] == d
    assert len({e["id"]["epoch"] for e in by_pub["cdrd"]}) >= 1


def test_replayed_events_match_the_document(suite, doc):
    """Every daemon's replay ring (bus.replay from the start) holds its daemon.ready
    and heartbeats, and every event in it matches the document."""
    import json
    for d in sm.DAEMONS:
        reply = suite.bus_call(d, "bus.replay", {"epoch": 0, "after_seq": 0})
        assert reply.get("ok") is True, "%s: bus.replay failed: %s" % (d, reply)
        events = reply["result"]["events"]
        events = [json.loads(e) if isinstance(e, str) else e for e in events]
        assert events, "%s: empty replay" % d
        problems = []
        for ev in events:
            raw = json.dumps(ev).encode()
            problems += ["%s: %s <- %s" % (d, p, raw[:300].decode())
                         for p in check_event(doc, ev.get("type"), ev, raw)]
        assert not problems, "\n".join(problems)
        types = [e["type"] for e in events]
        assert "daemon.ready" in types, "%s: no daemon.ready in replay: %s" % (d, types)
        assert all(e["id"]["pub"] == d for e in events)
        ready = [e for e in events if e["type"] == "daemon.ready"][-1]
        assert ready["daemon"] == d and ready["pid"] == suite.pid(d)


def test_heartbeat_fields(suite, doc):
    sub = suite.subscribe(["acdd"], prefix="daemon.heartbeat")
    try:
        got = sub.collect(3.0, until=lambda evs: len(evs) >= 2)
    finally:
        sub.close()
    assert len(got) >= 2, "expected 2 heartbeats in 3 s, saw %d" % len(got)
    ev = got[-1][1]
    assert ev["pid"] == suite.pid("acdd")
    assert ev["ready"] is True
    assert ev["uptime_s"] >= 0
