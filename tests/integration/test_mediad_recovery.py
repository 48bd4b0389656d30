"""test_mediad_recovery.py - what keeps calls apart and alive across crashes, with real
mediad and real RTP on loopback: a call's two endpoints made in one endpoint.create (remote
and pair), deleting several endpoints at once, endpoint ownership (a newer epoch of an owner
frees its older epochs' endpoints; endpoint.sync frees what the owner no longer holds; a
media timeout frees an orphan), restoring calls on the same ids and ports after mediad was
killed, the port quarantine, and a stale RTP stream on a reused port.

mediad runs alone (helpers.media.Mediad); each test shortens the windows it needs with the
config keys, so the module takes seconds."""

import os
import re
import sys
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import suite as sm  # noqa: E402
from helpers.bus import wait_until  # noqa: E402
from helpers.media import Mediad, Party, assert_heard, rtp, talk, tone_frames  # noqa: E402

# alone, before the parallel part: load and timing that other tests would disturb
pytestmark = pytest.mark.serial

QUARANTINE_MS = 1500
SYNC_GRACE_MS = 400
EPOCH = 1_700_000_000_000_000  # a bus epoch: the owner's start time in microseconds


@pytest.fixture(autouse=True)
def need_mediad():
    if not os.access(sm.BIN_DIR / "mediad", os.X_OK):
        pytest.fail("no mediad in %s (build with `make SAN=1`)" % sm.BIN_DIR, pytrace=False)


@pytest.fixture(scope="module")
def md():
    m = Mediad(media_timeout=1, pairs=16, sync_grace_ms=SYNC_GRACE_MS)
    yield m
    m.close()


def new_call_id():
    return "rec-" + uuid.uuid4().hex[:8]


def remote(party, **more):
    return dict(address="127.0.0.1", port=party.port, **more)


def create_call(md, pa, pb, **args):
    """One endpoint.create with remote and pair: the caller's endpoint faces pa, its pair
    pb. Returns (caller endpoint, callee endpoint) as {endpoint_id, address, port}."""
    r = md.ok("endpoint.create", call_id=new_call_id(), leg="caller", remote=remote(pa),
              pair=dict(leg="callee", remote=remote(pb)), **args)
    return r, r["pair"]


def exists(md, endpoint_id):
    r = md.call("endpoint.stats", endpoint_id=endpoint_id)
    assert r["ok"] or r["error"]["code"] == "unknown_endpoint", r
    return r["ok"]


def endpoints(md):
    return md.ok("status")["details"]["endpoints"]


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


# ---- one command per call ---------------------------------------------------------------

def test_create_with_remote_and_pair_relays_both_ways(md):
    pa, pb = Party(), Party()
    try:
        a, b = create_call(md, pa, pb)
        assert b["address"] == "127.0.0.1" and b["port"] != a["port"]
        assert md.ok("endpoint.stats", endpoint_id=a["endpoint_id"])["peer_id"] == b["endpoint_id"]
        at_b, at_a = talk(pa, a["port"], pb, b["port"])
        assert_heard(at_b, 440, 880, 25, "callee")
        assert_heard(at_a, 880, 440, 25, "caller")
        # both deleted at once: the stats of each, in order; unknown ids are null
        r = md.ok("endpoint.delete", endpoint_ids=[a["endpoint_id"], 987654, b["endpoint_id"]])
        st_a, missing, st_b = r["all_stats"]
        assert missing is None and "stats" not in r, r
        for st in (st_a, st_b):
            assert st["packets_in"] == 25 and st["packets_out"] == 25 and st["dropped"] == 0, st
        assert not exists(md, a["endpoint_id"]) and not exists(md, b["endpoint_id"])
        assert md.ok("endpoint.delete", endpoint_ids=[a["endpoint_id"]]) == {"all_stats": [None]}
    finally:
        pa.close()
        pb.close()


def test_create_and_delete_check_their_arguments(md):
    before = endpoints(md)
    # nested objects: the same rules and messages as endpoint.remote's own arguments
    bad_remotes = [dict(address="not-an-ip", port=4000), dict(address="127.0.0.1", port=70000),
                   dict(address="127.0.0.1", port=4000, payload_types=[0, 300]),
                   dict(address="127.0.0.1", port=4000, direction="sideways"),
                   dict(address="127.0.0.1"), dict(address="127.0.0.1", port="4000")]
    e = md.ok("endpoint.create", call_id="args", leg="caller")
    for bad in bad_remotes:
        direct = md.call("endpoint.remote", endpoint_id=e["endpoint_id"], **bad)
        nested = md.call("endpoint.create", call_id="args", leg="caller", remote=bad)
        paired = md.call("endpoint.create", call_id="args", leg="caller",
                         pair=dict(leg="callee", remote=bad))
        for r in (direct, nested, paired):
            assert r["ok"] is False and r["error"]["code"] == "bad_args", (bad, r)
        assert nested["error"]["message"] == direct["error"]["message"], (nested, direct)
        assert paired["error"]["message"] == direct["error"]["message"], (paired, direct)
    for args in (dict(pair=dict(symmetric=True)),                  # pair without leg
                 dict(pair=dict(leg="callee", dtmf="yes")),         # mistyped
                 dict(restore=dict(endpoint_id=5)),                 # no port
                 dict(pair=dict(leg="callee", restore=dict(endpoint_id=0, port=20000))),
                 dict(owner="sipproxy"),                            # without its epoch
                 dict(owner_epoch=EPOCH)):
        assert md.error("endpoint.create", call_id="args", leg="caller", **args) == "bad_args", args
    assert endpoints(md) == before + 1, "nothing created by a refused command"
    # delete: endpoint_id or endpoint_ids, exactly one
    assert md.error("endpoint.delete") == "bad_args"
    assert md.error("endpoint.delete", endpoint_id=e["endpoint_id"],
                    endpoint_ids=[e["endpoint_id"]]) == "bad_args"
    assert md.error("endpoint.delete", endpoint_ids=["x"]) == "bad_args"
    assert md.error("endpoint.delete", endpoint_id=987654) == "unknown_endpoint"
    assert "packets_in" in md.ok("endpoint.delete", endpoint_id=e["endpoint_id"])["stats"]
    assert endpoints(md) == before


# ---- ownership --------------------------------------------------------------------------

def test_newer_owner_epoch_frees_the_older_ones(md):
    old = [md.ok("endpoint.create", call_id=new_call_id(), leg="caller", owner="sipproxy",
                 owner_epoch=EPOCH, pair=dict(leg="callee")) for _ in range(2)]
    ivr = md.ok("endpoint.create", call_id=new_call_id(), leg="caller", owner="ivrd",
                owner_epoch=EPOCH)
    mine = md.ok("endpoint.create", call_id=new_call_id(), leg="caller")  # no owner
    old_ids = [e["endpoint_id"] for c in old for e in (c, c["pair"])]
    assert all(exists(md, i) for i in old_ids)
    # the same epoch again changes nothing
    same = md.ok("endpoint.create", call_id=new_call_id(), leg="caller", owner="sipproxy",
                 owner_epoch=EPOCH)
    assert all(exists(md, i) for i in old_ids)
    # sipproxy restarted: its first create frees every endpoint of the older epoch
    new = md.ok("endpoint.create", call_id=new_call_id(), leg="caller", owner="sipproxy",
                owner_epoch=EPOCH + 5_000_000)
    assert not any(exists(md, i) for i in old_ids + [same["endpoint_id"]])
    for e in (new, ivr, mine):
        assert exists(md, e["endpoint_id"]), e
    line = r"event=endpoint\.owner_restarted daemon=mediad owner=sipproxy epoch=%d freed=5\n" % (
        EPOCH + 5_000_000)
    assert re.search(line, md.log()), "no line %r in the log:\n%s" % (line, md.log()[-2000:])
    md.ok("endpoint.delete", endpoint_ids=[new["endpoint_id"], ivr["endpoint_id"],
                                           mine["endpoint_id"]])


def test_sync_frees_what_the_owner_no_longer_holds(md):
    epoch = EPOCH + 10_000_000
    made = [md.ok("endpoint.create", call_id=new_call_id(), leg="caller", owner="sipproxy",
                  owner_epoch=epoch) for _ in range(3)]
    other = md.ok("endpoint.create", call_id=new_call_id(), leg="caller", owner="acdd",
                  owner_epoch=epoch)
    time.sleep(SYNC_GRACE_MS / 1000 + 0.1)
    young = md.ok("endpoint.create", call_id=new_call_id(), leg="caller", owner="sipproxy",
                  owner_epoch=epoch)
    held = [made[0]["endpoint_id"], 987654]
    # the owner holds made[0] only: made[1] and [2] go; the young one (a create that may
    # have been in flight when the list was made) and acdd's stay
    assert md.ok("endpoint.sync", owner="sipproxy", owner_epoch=epoch,
                 endpoint_ids=held) == {"freed": 2, "kept": 2}
    assert exists(md, made[0]["endpoint_id"]) and exists(md, young["endpoint_id"])
    assert not exists(md, made[1]["endpoint_id"]) and not exists(md, made[2]["endpoint_id"])
    assert exists(md, other["endpoint_id"])
    # a late sync of an instance that has restarted since changes nothing
    assert md.ok("endpoint.sync", owner="sipproxy", owner_epoch=epoch - 1,
                 endpoint_ids=[]) == {"freed": 0, "kept": 2}
    # a sync from a new epoch frees the old epoch's endpoints, listed or not
    assert md.ok("endpoint.sync", owner="sipproxy", owner_epoch=epoch + 1,
                 endpoint_ids=[made[0]["endpoint_id"]]) == {"freed": 2, "kept": 0}
    assert md.error("endpoint.sync", owner="sipproxy", owner_epoch=epoch + 1) == "bad_args"
    assert md.error("endpoint.sync", owner="sipproxy", owner_epoch=epoch + 1,
                    endpoint_ids=[1.5]) == "bad_args"
    md.ok("endpoint.delete", endpoint_id=other["endpoint_id"])


def test_media_timeout_frees_an_orphan(md):
    pa, pb = Party(), Party()
    sub = md.subscribe()
    try:
        time.sleep(0.3)  # let the SUB connect
        epoch = EPOCH + 20_000_000
        newer = md.ok("endpoint.create", call_id=new_call_id(), leg="caller",
                      owner="sipproxy", owner_epoch=epoch + 1)
        # a create of the instance before, arriving late: its owner is known to be gone
        a, b = create_call(md, pa, pb, owner="sipproxy", owner_epoch=epoch)
        pa.rtp.sendto(rtp(1, 0, b"\xff" * 160), ("127.0.0.1", a["port"]))
        assert len(pb.recv_all(wait=0.2)) == 1
        # its media stops: instead of a media.timeout nobody would act on, it is freed
        wait_until(lambda: not exists(md, a["endpoint_id"]), timeout=4, what="orphan freed")
        evs = sub.collect(0.3)
        assert [o for t, o, _ in evs if t == "media.timeout"
                and o["endpoint_id"] == a["endpoint_id"]] == [], evs
        assert md.ok("status")["details"]["freed_orphans"] >= 1
        assert exists(md, b["endpoint_id"])  # never received media: left to endpoint.sync
        md.ok("endpoint.delete", endpoint_ids=[b["endpoint_id"], newer["endpoint_id"]])
    finally:
        sub.close()
        pa.close()
        pb.close()


# ---- restart, quarantine, stale streams --------------------------------------------------

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
        md.ok("endpoint.delete", endpoint_ids=[b["endpoint_id"], c["endpoint_id"]])
    finally:
        md.close()


def test_restore_after_mediad_restart():
    pa, pb = Party(), Party()
    md = Mediad(pairs=4, port_quarantine_ms=QUARANTINE_MS)
    try:
        owner = dict(owner="sipproxy", owner_epoch=EPOCH)
        r = create_when_ready(md, call_id="restored", leg="caller", remote=remote(pa),
                              pair=dict(leg="callee", remote=remote(pb)), **owner)
        a, b = r, r["pair"]
        at_b, at_a = talk(pa, a["port"], pb, b["port"], n=10)
        assert_heard(at_b, 440, 880, 10, "callee")
        epoch = md.ok("ping")["epoch"]
        md.kill9()
        md.start()
        assert md.ok("ping")["epoch"] != epoch, "a new mediad (the epoch sipproxy watches)"
        # sipproxy re-creates the call on the same ids and ports, within the start-up
        # quarantine that refuses plain creates
        t_restart = time.monotonic()
        assert md.error("endpoint.create", call_id="new", leg="caller") == "no_ports"
        restore = lambda e: dict(endpoint_id=e["endpoint_id"], port=e["port"])  # noqa: E731
        r2 = md.ok("endpoint.create", call_id="restored", leg="caller", remote=remote(pa),
                   restore=restore(a), pair=dict(leg="callee", remote=remote(pb),
                                                 restore=restore(b)), **owner)
        assert time.monotonic() - t_restart < QUARANTINE_MS / 1000, "restored in quarantine"
        assert (r2["endpoint_id"], r2["port"]) == (a["endpoint_id"], a["port"]), r2
        assert (r2["pair"]["endpoint_id"], r2["pair"]["port"]) == (b["endpoint_id"], b["port"])
        # the parties hear each other again
        at_b, at_a = talk(pa, a["port"], pb, b["port"], n=10)
        assert_heard(at_b, 440, 880, 10, "callee after the restart")
        assert_heard(at_a, 880, 440, 10, "caller after the restart")
        # a conflict creates nothing: the slot is taken, or the port, or the pair's one is
        n = endpoints(md)
        spare = md.call("endpoint.create", call_id="x", leg="caller",
                        restore=dict(endpoint_id=(77 << 16) | 4, port=md.rtp_lo + 6))
        assert spare["ok"], spare
        for args in (dict(restore=restore(a)),
                     dict(restore=dict(endpoint_id=(78 << 16) | 3, port=a["port"])),
                     dict(restore=dict(endpoint_id=(78 << 16) | 3, port=md.rtp_lo + 4),
                          pair=dict(leg="callee", restore=restore(b))),
                     dict(restore=dict(endpoint_id=(78 << 16) | 40, port=md.rtp_lo + 4))):
            assert md.error("endpoint.create", call_id="x", leg="caller", **args) \
                == "cannot_restore", args
        assert endpoints(md) == n + 1
        # ... and what a refused pair would have taken is still free for a restore
        free = md.ok("endpoint.create", call_id="x", leg="caller",
                     restore=dict(endpoint_id=(78 << 16) | 3, port=md.rtp_lo + 4))
        md.ok("endpoint.delete", endpoint_ids=[a["endpoint_id"], b["endpoint_id"],
                                               spare["result"]["endpoint_id"],
                                               free["endpoint_id"]])
    finally:
        md.close()
        pa.close()
        pb.close()


def test_stale_stream_on_a_reused_port_is_dropped():
    q_ms = 300
    md = Mediad(pairs=2, port_quarantine_ms=q_ms)
    a1, b1, a2, b2 = Party(), Party(), Party(), Party()
    try:
        r = create_when_ready(md, call_id="first", leg="caller", remote=remote(a1),
                              pair=dict(leg="callee", remote=remote(b1)))
        first = (r["port"], r["pair"]["port"])
        talk(a1, first[0], b1, first[1], n=5)
        md.ok("endpoint.delete", endpoint_ids=[r["endpoint_id"], r["pair"]["endpoint_id"]])
        # the first call's caller goes on sending; after the quarantine the next call gets
        # the same two ports (the only ones)
        stale = tone_frames(1500, 200)
        seq = [0]

        def send_stale(i=None):
            a1.rtp.sendto(rtp(500 + seq[0], 160 * seq[0], stale[seq[0] % 200], ssrc=0x5A1E),
                          ("127.0.0.1", first[0]))
            seq[0] += 1

        deadline = time.monotonic() + q_ms / 1000 + 0.2
        while time.monotonic() < deadline:
            send_stale()
            time.sleep(0.02)
        r2 = md.ok("endpoint.create", call_id="second", leg="caller", remote=remote(a2),
                   pair=dict(leg="callee", remote=remote(b2)))
        assert (r2["port"], r2["pair"]["port"]) == first, "the ports are reused"
        # the new caller speaks first (its signalled address latches), the stale stream
        # goes on beside the conversation
        a2.rtp.sendto(rtp(1, 0, tone_frames(440, 1)[0], ssrc=0xA), ("127.0.0.1", r2["port"]))
        time.sleep(0.05)
        sent_before = seq[0]
        at_b2, at_a2 = talk(a2, r2["port"], b2, r2["pair"]["port"], n=25, extra=send_stale)
        assert_heard(at_b2[1:], 440, 1500, 25, "the new callee")  # none of the stale audio
        assert_heard(at_a2, 880, 1500, 25, "the new caller")
        st = md.ok("endpoint.stats", endpoint_id=r2["endpoint_id"])["stats"]
        assert st["dropped"] >= seq[0] - sent_before, (st, seq[0] - sent_before)
        assert st["packets_in"] == 26, st
        assert b1.recv_all(wait=0.1) == [], "nothing for the old callee either"
    finally:
        md.close()
        for p in (a1, b1, a2, b2):
            p.close()
