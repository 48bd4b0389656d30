"""deploy/systemd: the units pass `systemd-analyze verify` (with ExecStart pointed at the
built binaries, since /usr/local/bin is not installed here) and carry the settings the
suite relies on (Type=notify, watchdog, restart policy, hardening)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import suite as sm

UNIT_DIR = sm.REPO / "deploy" / "systemd"
DAEMONS = sm.DAEMONS


def unit_files():
    return sorted(UNIT_DIR.glob("*.service")) + sorted(UNIT_DIR.glob("*.target"))


def parse_unit(path):
    sections, cur = {}, None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        m = re.match(r"^\[(\w+)\]$", line)
        if m:
            cur = sections.setdefault(m.group(1), {})
            continue
        k, _, v = line.partition("=")
        cur.setdefault(k.strip(), []).append(v.strip())
    return sections


def test_every_daemon_has_a_unit():
    names = {p.name for p in unit_files()}
    for d in DAEMONS:
        assert "cc-%s.service" % d in names
    assert "callcenter.target" in names


@pytest.mark.parametrize("daemon", DAEMONS)
def test_unit_settings(daemon):
    u = parse_unit(UNIT_DIR / ("cc-%s.service" % daemon))
    svc = u["Service"]
    one = {k: v[-1] for k, v in svc.items()}
    assert one["Type"] == "notify"
    assert one["NotifyAccess"] == "main"
    assert one["ExecStart"] == "/usr/local/bin/%s -c /etc/callcenter/cc.conf" % daemon
    assert one["Restart"] == "on-failure"
    assert int(one["WatchdogSec"]) > 0
    assert one["User"] == "callcenter" and one["Group"] == "callcenter"
    for key, want in [("ProtectSystem", "strict"), ("ProtectHome", "yes"),
                      ("PrivateTmp", "yes"), ("NoNewPrivileges", "yes"),
                      ("ProtectKernelTunables", "yes"), ("ProtectKernelModules", "yes"),
                      ("ProtectControlGroups", "yes")]:
        assert one.get(key) == want, "%s: expected %s=%s, saw %s" % (daemon, key, want,
                                                                     one.get(key))
    families = set(one["RestrictAddressFamilies"].split())
    assert {"AF_UNIX", "AF_INET", "AF_INET6"} <= families
    assert "callcenter.target" in u["Unit"].get("PartOf", [""])[-1]
    if daemon in sm.PG_DAEMONS:
        assert "postgresql.service" in " ".join(u["Unit"].get("After", []))
    if daemon in ("sipproxy", "mediad"):
        assert int(one["LimitNOFILE"]) >= 65536


def test_target_wants_every_daemon():
    u = parse_unit(UNIT_DIR / "callcenter.target")
    wants = " ".join(u["Unit"].get("Wants", [])).split()
    assert sorted(wants) == sorted("cc-%s.service" % d for d in DAEMONS)


def test_systemd_analyze_verify(tmp_path, bin_dir):
    tool = shutil.which("systemd-analyze")
    if not tool:
        pytest.skip("systemd-analyze is not installed")
    copies = []
    for src in unit_files():
        text = src.read_text()
        text = re.sub(r"/usr/local/bin/([a-z]+)",
                      lambda m: str(Path(bin_dir) / m.group(1)), text)
        dst = tmp_path / src.name
        dst.write_text(text)
        copies.append(str(dst))
    r = subprocess.run([tool, "verify", "--man=no"] + copies, capture_output=True,
                       text=True, timeout=120, cwd=str(tmp_path))
    out = (r.stdout + r.stderr).strip()
    # Only what concerns our units counts (the host's own units may draw warnings).
    ours = [line for line in out.splitlines()
            if any(Path(c).name in line for c in copies) or str(tmp_path) in line]
    assert r.returncode == 0 and not ours, \
        "systemd-analyze verify: exit %d\n%s" % (r.returncode, out)


def test_every_unit_scores_ok_in_systemd_analyze_security(tmp_path):
    """`systemd-analyze security` rates each unit's exposure 0-10; 2.0 or lower is "OK".
    Offline, on the unit files themselves (nothing installed). The scores are printed."""
    tool = shutil.which("systemd-analyze")
    assert tool, "systemd-analyze is not installed (deploy/install-deps.sh installs systemd)"
    scores = {}
    for daemon in DAEMONS:
        unit = tmp_path / ("cc-%s.service" % daemon)
        unit.write_text((UNIT_DIR / unit.name).read_text())
        r = subprocess.run([tool, "security", "--offline=true", "--no-pager", str(unit)],
                           capture_output=True, text=True, cwd=tmp_path)
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout + r.stderr)
        assert m, "no score for %s: %s %s" % (unit.name, r.stdout[-500:], r.stderr[-500:])
        scores[daemon] = float(m.group(1))
    print("systemd-analyze security:", scores)
    worst = {d: s for d, s in scores.items() if s > 2.0}
    assert not worst, "units above 2.0 (OK): %s" % worst
