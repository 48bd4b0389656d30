"""Every C unit test as its own pytest case. Finds build/<variant>/test/*-unit (the
variant of CC_BIN_DIR: build/san/bin -> build/san/test, bin -> build/release/test), asks
each binary for its tests with --list, and runs `<dir>-unit NAME` per test, so ids read
like common-unit::cc_dialplan_matches_exact."""

import os
import subprocess
from pathlib import Path

import pytest

import suite as sm


def unit_dir():
    if os.environ.get("CC_UNIT_DIR"):
        return Path(os.environ["CC_UNIT_DIR"])
    bin_dir = sm.BIN_DIR
    if bin_dir == (sm.REPO / "bin").resolve():
        return sm.REPO / "build" / "release" / "test"
    return bin_dir.parent / "test"


def discover():
    cases = []
    d = unit_dir()
    for binary in sorted(d.glob("*-unit")):
        if not os.access(binary, os.X_OK):
            continue
        r = subprocess.run([str(binary), "--list"], capture_output=True, text=True,
                           timeout=60, env=sm.clean_env())
        if r.returncode != 0:
            cases.append(pytest.param(binary, "--list", id="%s::--list" % binary.name))
            continue
        for name in r.stdout.split():
            cases.append(pytest.param(binary, name, id="%s::%s" % (binary.name, name)))
    if not cases:
        cases.append(pytest.param(None, None, id="no-unit-binaries",
                                  marks=pytest.mark.skip(reason="no *-unit binaries in %s" % d)))
    return cases


@pytest.mark.parametrize("binary,name", discover())
def test_c(binary, name):
    args = [str(binary)] + ([] if name == "--list" else [name])
    if name == "--list":
        args.append("--list")
    r = subprocess.run(args, capture_output=True, text=True, timeout=120,
                       env=sm.clean_env())
    out = (r.stdout + r.stderr).strip()
    assert r.returncode == 0, "%s %s exited %d:\n%s" % (binary.name, name, r.returncode, out)
    if name != "--list":
        assert "1 passed, 0 failed" in out, "expected '1 passed, 0 failed', saw:\n%s" % out
