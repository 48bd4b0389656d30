"""A short run of every libFuzzer target (fuzz/, built by `make fuzz-build`, which make test
does): each starts from its seed corpus in fuzz/corpus/ and mutates for a few seconds under
ASan and UBSan. Any crash, leak or sanitizer report fails, with the reproducer's path. The
long runs (millions of inputs per target) are `make fuzz`, not part of the tests."""

import os
import subprocess

import pytest

import suite as sm

SECONDS_EACH = int(os.environ.get("CC_FUZZ_SECONDS", "4"))

pytestmark = pytest.mark.serial  # uses every core it gets: alone, before the parallel part


def test_every_fuzz_target_runs_clean_from_its_seeds():
    bin_dir = sm.REPO / "build" / "fuzz" / "bin"
    sources = sorted(p.stem for p in (sm.REPO / "fuzz").glob("fuzz_*.c"))
    assert sources, "no fuzz targets in fuzz/"
    missing = [t for t in sources if not os.access(bin_dir / t, os.X_OK)]
    if missing:
        pytest.fail("fuzz targets not built: %s (run `make fuzz-build`)" % " ".join(missing),
                    pytrace=False)
    for t in sources:
        assert any((sm.REPO / "fuzz" / "corpus" / t).iterdir()), "%s has no seeds" % t
    r = subprocess.run([str(sm.REPO / "fuzz" / "run.sh"), str(SECONDS_EACH), *sources],
                       cwd=sm.REPO, capture_output=True, text=True, timeout=60 + 30 * len(sources))
    rows = [line.split() for line in r.stdout.splitlines()[1:]]
    assert sorted(row[0] for row in rows) == sources, r.stdout + r.stderr
    for row in rows:
        assert row[-1] == "ok", "%s\n%s" % (r.stdout, r.stderr)
        assert int(row[1]) > 100, "%s ran only %s inputs:\n%s" % (row[0], row[1], r.stdout)
    assert r.returncode == 0, r.stdout + r.stderr
