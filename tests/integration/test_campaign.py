"""Outbound campaigns without calls (issue 17): the schema's BI views computed from
attempts written by hand, dialerd's status, and the campaign commands of ccctl against a
real Postgres: add/list/start/pause/stats, do-not-call lists, and `campaign import`, which
takes a CSV list whole or refuses it naming every bad line."""

import json

import pytest

import suite as sm


@pytest.fixture(scope="module")
def cc(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_campaign", daemons=["dialerd"])
    try:
        s.ccctl("queue", "add", "sales", "--number", "640", check=True)
        s.ccctl("trunk", "add", "carrier", "--host", "127.0.0.1:5999", check=True)
        s.start()
        yield s
    finally:
        s.close()


def _campaign_row(cc, name, **cols):
    keys = ["name", "queue", "caller_id"] + list(cols)
    vals = [name, "sales", "5550000"] + list(cols.values())
    cc.psql("INSERT INTO campaigns (%s) VALUES (%s)" % (", ".join(keys),
                                                        ", ".join(["%s"] * len(keys))), vals)


def test_daily_view_counts_abandons_by_the_two_second_rule(cc):
    _campaign_row(cc, "viewcheck", time_zone="Europe/Paris")
    lead = cc.psql("INSERT INTO leads (campaign, number) VALUES ('viewcheck', '5551000') "
                   "RETURNING id")[0][0]
    cc.psql("INSERT INTO leads (campaign, number) VALUES ('viewcheck', '5551001')")
    # (answered after s, agent after s, outcome, talk ms, wrap ms, agent wait ms)
    rows = [
        (5, 5.5, "answered", 60000, 5000, 12000),   # contact, agent in 0.5 s
        (4, 6.5, "answered", 30000, 4000, 1000),    # contact, agent in 2.5 s: abandoned
        (3, None, "abandoned", None, None, None),   # contact, never an agent: abandoned
        (6, None, "machine", None, None, None),     # answered by a machine: no contact
        (None, None, "no_answer", None, None, None),
        (None, None, "busy", None, None, None),
        (None, None, "skipped", None, None, None),  # preview skip: not an attempt
    ]
    for i, (ans, agent, outcome, talk, wrap, wait) in enumerate(rows):
        cc.psql("INSERT INTO dialer_attempts (campaign, lead_id, number, attempt, mode, "
                " started_at, answered_at, agent_at, ended_at, outcome, talk_ms, wrap_ms, "
                " agent_wait_ms) "
                "VALUES ('viewcheck', %s, '5551000', %s, 'progressive', "
                " '2026-03-02 10:00:00+01', "
                " '2026-03-02 10:00:00+01'::timestamptz + make_interval(secs => %s), "
                " '2026-03-02 10:00:00+01'::timestamptz + make_interval(secs => %s), "
                " '2026-03-02 10:05:00+01', %s, %s, %s, %s)",
                [lead, i + 1, ans, agent, outcome, talk, wrap, wait])
    got = cc.psql("SELECT day::text, attempts, contacts, contact_rate::float, abandoned, "
                  "abandon_rate::float, talk_s, wrap_s, agent_wait_s, "
                  "avg_answer_to_agent_ms::float, leads_remaining "
                  "FROM v_campaign_daily WHERE campaign = 'viewcheck'", role="cc_bi")
    assert got == [("2026-03-02", 6, 3, 0.5, 2, round(2 / 3, 4), 90, 9, 13, 1500.0, 2)], got


def test_dialerd_status_counts_campaigns(cc):
    code, st = cc.status()
    listed = [x for x in st["daemons"] if x["daemon"] == "dialerd"]
    assert listed and listed[0]["ready"], st
    reply = cc.bus_call("dialerd", "status")
    det = reply["result"]["details"]
    n = cc.psql("SELECT count(*) FROM campaigns")[0][0]
    assert n >= 1 and det["campaigns"] == n and det["running"] == 0, det
