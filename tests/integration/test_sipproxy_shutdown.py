"""test_sipproxy_shutdown.py - sipproxy stopped with calls up ends every one of them,
even when mediad is gone and will never answer the endpoint deletions its end waits for:
each call gets its call.ended and its CDR, and the sanitizer build reports no leak (the
harness fails the test on any report when it stops the daemons)."""

import time

from helpers.bus import wait_until


def test_stopping_with_mediad_gone_ends_and_records_every_call(trunk_suite):
    s, t = trunk_suite()
    t.start_uas()
    sub = s.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    _, _, answered = t.place_held(sub, 3, 30000)
    s.kill9("mediad")
    code, _ = s.stop("sipproxy")
    assert code == 0, s.log_tail("sipproxy")
    ended = {}
    deadline = time.monotonic() + 5
    while len(ended) < 3 and time.monotonic() < deadline:
        ev = sub.recv(0.5)
        if ev and ev[0] == "call.ended":
            ended[ev[1]["call_id"]] = ev[1]
    assert set(ended) == set(answered), (ended, answered)
    assert all(e["hangup_side"] == "system" and "shutting down" in e["reason"]
               for e in ended.values()), ended
    wait_until(lambda: s.psql("SELECT count(*) FROM cdrs WHERE disposition = 'answered'")[0][0]
               == 3, timeout=10, what="the three CDRs")
    log = s.log("sipproxy")
    assert "sip.shutdown_unconfirmed" in log and "LeakSanitizer" not in log, log[-3000:]
