"""Mandarin end to end (issue 15, languages): what a phone receives, sample for sample,
is the Mandarin prompt set's audio when the thing it called speaks Mandarin - the demo's
Mandarin IVR (deploy/ivr/main-zh.json), a queue whose language is cmn (its position
announcement, with the position read the Mandarin way) and a conference room whose
language is cmn (its PIN prompt). Mailboxes are covered in test_voicemail. The phone is
the small SIP caller of tests/helpers/sipcaller.py, which keeps the RTP it receives."""

import json

import pytest

import suite as sm
from helpers.sipcaller import Caller, assert_heard_prompt

DAEMONS = ["sipproxy", "mediad", "ivrd", "acdd"]


@pytest.fixture(scope="module")
def lang(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_languages", daemons=DAEMONS)
    try:
        s.ccctl("user", "add", "1001", "--password", "secret1001", check=True)
        # the demo's Mandarin flow, open around the clock so the test does not depend on
        # the hour it runs at
        flow = json.loads((sm.REPO / "deploy" / "ivr" / "main-zh.json").read_text())
        flow["nodes"]["hours"]["hours"] = ["mon-sun 00:00-24:00"]
        flow["nodes"]["hours"]["holidays"] = []
        path = s.var_dir / "main-zh.json"
        path.write_text(json.dumps(flow, ensure_ascii=False))
        s.ccctl("ivr", "load", str(path), "--number", "501", check=True)
        s.ccctl("queue", "add", "kefu", "--number", "602", check=True)
        s.ccctl("queue", "language", "kefu", "cmn", check=True)
        s.ccctl("conf", "add", "huiyi", "--number", "7803", "--pin", "2580", "--language", "cmn",
                check=True)
        s.start()
        yield s
    finally:
        s.close()


def heard(s, number, seconds):
    c = Caller(s, ext="1001", password="secret1001")
    try:
        code, _, _ = c.call(number, talk=seconds)
    finally:
        c.close()
    assert code == 200, (number, code)
    return c.talked


def test_mandarin_ivr_greets_in_mandarin(lang):
    assert_heard_prompt(lang, heard(lang, "501", 4.0), ["greeting"], lang="cmn")


def test_mandarin_queue_announces_the_position_in_mandarin(lang):
    assert_heard_prompt(lang, heard(lang, "602", 5.0),
                        ["queue/you_are_number", "numbers/1", "queue/in_queue"], lang="cmn")


def test_mandarin_room_asks_for_the_pin_in_mandarin(lang):
    assert_heard_prompt(lang, heard(lang, "7803", 8.5), ["conf/enter_pin"], lang="cmn")


def test_language_settings_refuse_bad_input(lang):
    s = lang
    for args, says in [(["queue", "language", "kefu", "klingon"], "bad LANGUAGE"),
                       (["conf", "add", "x", "--number", "7804", "--language", "fr"],
                        "bad --language")]:
        r = s.ccctl(*args)
        assert r.returncode == 2 and says in r.stderr, (args, r.returncode, r.stderr)
    r = s.ccctl("queue", "language", "nosuch", "cmn")
    assert r.returncode == 1 and "no queue 'nosuch'" in r.stderr, r.stderr
    assert s.psql("SELECT language FROM queues WHERE name = 'kefu'") == [("cmn",)]
    s.ccctl("queue", "language", "kefu", "default", check=True)
    assert s.psql("SELECT language FROM queues WHERE name = 'kefu'") == [("",)]
