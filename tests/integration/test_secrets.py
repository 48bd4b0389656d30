"""Files holding secrets are refused when every user of the machine may read them, with a
message naming the file, its mode and the fix, and nothing of the secret: the recording
master key (recorderd), webd's TLS key, and a config file that holds a password. The same
files with mode 0600/0640 are accepted."""

import os
import subprocess

import pytest

import suite as sm


@pytest.fixture(scope="module")
def suite(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_secrets", daemons=["recorderd", "webd"])
    try:
        yield s
    finally:
        s.close()


def refused(r, path, mode):
    assert r.returncode == 2, "expected exit 2, saw %s; stderr: %s" % (r.returncode, r.stderr)
    assert path in r.stderr and "mode %s" % mode in r.stderr and "chmod o-rwx" in r.stderr, \
        r.stderr


def test_recording_master_key_open_to_everyone_is_refused(suite, tmp_path):
    key = tmp_path / "master.key"
    secret = "ab" * 32
    key.write_text(secret + "\n")
    os.chmod(key, 0o644)
    env = {"CC_RECORDERD_MASTER_KEY_FILE": str(key), "CC_RECORDERD_ENCRYPT": "true"}
    r = suite.run_daemon("recorderd", env=env)
    refused(r, str(key), "0644")
    assert "recording master key" in r.stderr and secret not in r.stderr + r.stdout
    os.chmod(key, 0o600)
    suite.start("recorderd", env=env)  # the same key, private: it starts
    suite.stop("recorderd")


def test_webd_tls_key_open_to_everyone_is_refused(suite, tmp_path):
    cert, key = tmp_path / "web.crt", tmp_path / "web.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    os.chmod(key, 0o644)
    env = {"CC_WEBD_TLS_CERT": str(cert), "CC_WEBD_TLS_KEY": str(key)}
    r = suite.run_daemon("webd", env=env)
    refused(r, str(key), "0644")
    assert "PRIVATE KEY" not in r.stderr + r.stdout
    os.chmod(key, 0o640)
    suite.start("webd", env=env)
    suite.stop("webd")


def test_config_holding_a_password_open_to_everyone_is_refused(suite, tmp_path):
    path = tmp_path / "cc.conf"
    suite.write_config(path=path)  # as make run writes it: with the roles' passwords, 0600
    assert (path.stat().st_mode & 0o777) == 0o600
    os.chmod(path, 0o644)
    for daemon in ("recorderd", "webd"):
        r = suite.run_daemon(daemon, conf=path)
        refused(r, str(path), "0644")
        assert "holds a password" in r.stderr
    r = suite.ccctl("-c", str(path), "status")
    assert r.returncode != 0 and str(path) in r.stderr, (r.returncode, r.stderr)
