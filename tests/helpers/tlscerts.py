"""A throw-away CA and a server certificate for 127.0.0.1 it signed (openssl), for the TLS
tests and benchmarks: sipproxy's tls_cert/tls_key, phones' CA file."""

import os
import subprocess


def make_certs(d, ca_name="test CA"):
    """In directory d: ca.pem (+ key), server.pem and server.key (0600) for 127.0.0.1.
    Returns (ca, cert, key) paths."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
        "/CN=%s" % ca_name, "-keyout", "ca.key", "-out", "ca.pem")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout",
        "server.key", "-out", "server.csr")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", "server.pem")
    os.chmod(d / "server.key", 0o600)
    return d / "ca.pem", d / "server.pem", d / "server.key"
