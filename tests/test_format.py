"""The C sources follow the checked-in .clang-format (the house style, shared/STYLE.md):
clang-format --dry-run --Werror over every tracked .c and .h. `make format` fixes what
this reports."""

import shutil
import subprocess

import pytest

import suite as sm


def test_c_sources_follow_clang_format():
    tool = shutil.which("clang-format")
    if tool is None:
        pytest.fail("clang-format is not installed (deploy/install-deps.sh installs it)")
    files = subprocess.run(["git", "ls-files", "*.c", "*.h"], cwd=sm.REPO, capture_output=True,
                           text=True, check=True).stdout.split()
    assert files, "git ls-files found no C sources"
    r = subprocess.run([tool, "--dry-run", "--Werror", *files], cwd=sm.REPO,
                       capture_output=True, text=True)
    offending = sorted({line.split(":", 1)[0] for line in r.stderr.splitlines()
                        if ": error:" in line})
    assert r.returncode == 0, (
        "%d file(s) differ from .clang-format (run `make format`): %s\n%s"
        % (len(offending), ", ".join(offending[:20]), r.stderr[:2000]))
