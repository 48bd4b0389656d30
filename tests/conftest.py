"""Fixtures shared by every test (see suite.py for the harness itself).

    pg_cluster   session: one private Postgres cluster (deploy/local/pg.sh)
    suite        module:  a Suite with every daemon started and READY
    make_suite   function: factory for suites with chosen daemons/config, closed after
                 the test (start daemons with s.start(...))
"""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
# helpers/ is not a test module: pytest rewrites its asserts only when told to, so that a
# failing assert in a helper shows its values as one in a test does
pytest.register_assert_rewrite("helpers")

import suite as sm  # noqa: E402


def pytest_report_header(config):
    return "CC_BIN_DIR: %s" % sm.BIN_DIR


@pytest.fixture(scope="session")
def bin_dir():
    missing = [n for n in sm.DAEMONS + ["ccctl"]
               if not os.access(sm.BIN_DIR / n, os.X_OK)]
    if missing:
        pytest.fail("binaries missing in %s: %s (build with `make SAN=1`)"
                    % (sm.BIN_DIR, " ".join(missing)), pytrace=False)
    return sm.BIN_DIR


@pytest.fixture(scope="session")
def pg_cluster():
    cluster = sm.PgCluster()
    try:
        cluster.start()
    except Exception:
        cluster.cleanup()
        raise
    yield cluster
    cluster.cleanup()


@pytest.fixture(scope="module")
def suite(request, pg_cluster, bin_dir):
    name = request.module.__name__.rsplit(".", 1)[-1]
    s = sm.Suite(pg_cluster, name=name)
    try:
        s.start()
    except Exception:
        try:
            s.close()
        except Exception as e:
            print(e, file=sys.stderr)
        raise
    yield s
    s.close()


@pytest.fixture
def make_suite(request, pg_cluster, bin_dir):
    made = []

    def factory(**kwargs):
        kwargs.setdefault("name", request.node.name)
        s = sm.Suite(pg_cluster, **kwargs)
        made.append(s)
        return s

    yield factory
    errors = []
    for s in made:
        try:
            s.close()
        except Exception as e:  # report every suite's problems, not just the first
            errors.append(str(e))
    if errors:
        raise sm.HarnessError("\n".join(errors))


@pytest.fixture
def trunk_suite(make_suite, tmp_path):
    """Factory: sipproxy + mediad + cdrd (or `daemons`) started with two sipp trunks
    (helpers.trunks); other keyword arguments are config overrides. Returns (suite,
    trunks); the sipp UAS is stopped afterwards."""
    from helpers.trunks import Trunks
    made = []

    def factory(daemons=("sipproxy", "mediad", "cdrd"), **config):
        # 500 RTP/RTCP pairs, two per call. A call's pairs stay out of use for the
        # quarantine after it ends, so at 100 calls a second 500 ms holds 100 pairs, and
        # loss stretches calls: with fewer pairs mediad runs out and sipproxy rightly
        # sheds calls with 503, which the exactly-once tests must not see.
        conf = {"common.log_level": "info", "common.rtp_ports": sm.free_port_range(1000),
                "mediad.port_quarantine_ms": "500"}
        conf.update(config)
        s = make_suite(daemons=list(daemons), config=conf)
        t = Trunks(s, tmp_path)
        made.append((t, conf["common.rtp_ports"]))
        s.start()
        return s, t

    yield factory
    for t, rtp in made:
        t.close()
        sm.release_ports(rtp, t.uas_port, t.uac_port)
