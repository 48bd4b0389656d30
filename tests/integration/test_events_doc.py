"""Generated documents are current: docs/EVENTS.md is exactly `ccctl events doc`, and
deploy/cc.conf.example is exactly `ccctl config example` (regenerate with those commands)."""

import subprocess

import pytest

import suite as sm


def ccctl(*args):
    return subprocess.run([str(sm.BIN_DIR / "ccctl")] + list(args), capture_output=True,
                          text=True, timeout=30, env=sm.clean_env(),
                          cwd=str(sm.REPO))


def first_difference(a, b):
    al, bl = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(al, bl)):
        if x != y:
            return "line %d:\n  committed: %s\n  generated: %s" % (i + 1, x, y)
    return "lengths differ: committed %d lines, generated %d" % (len(al), len(bl))


def test_events_md_is_current(bin_dir):
    r = ccctl("events", "doc")
    assert r.returncode == 0, r.stderr
    path = sm.REPO / "docs" / "EVENTS.md"
    committed = path.read_text() if path.exists() else ""
    if committed != r.stdout:
        pytest.fail("docs/EVENTS.md differs from `ccctl events doc` (regenerate: "
                    "bin/ccctl events doc > docs/EVENTS.md); "
                    + first_difference(committed, r.stdout), pytrace=False)


def test_config_example_is_current(bin_dir):
    r = ccctl("config", "example")
    assert r.returncode == 0, r.stderr
    path = sm.REPO / "deploy" / "cc.conf.example"
    committed = path.read_text() if path.exists() else ""
    if committed != r.stdout:
        pytest.fail("deploy/cc.conf.example differs from `ccctl config example` "
                    "(regenerate: bin/ccctl config example > deploy/cc.conf.example); "
                    + first_difference(committed, r.stdout), pytrace=False)


def test_config_example_is_accepted(bin_dir, tmp_path):
    """The example, as is, is a valid config (every key commented out)."""
    r = ccctl("config", "example")
    conf = tmp_path / "cc.conf"
    conf.write_text(r.stdout)
    r = subprocess.run([str(sm.BIN_DIR / "acdd"), "-c", str(conf), "--check-config"],
                       capture_output=True, text=True, timeout=30, env=sm.clean_env())
    assert r.returncode == 0, r.stderr
