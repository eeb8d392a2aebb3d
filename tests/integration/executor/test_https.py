"""HTTPS to a pinned address: TLS verifies the certificate against the host NAME while
the socket goes to the checked IP (a self-signed certificate made for the test)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from jobscheduler.gateways import http_client

NAME = "hooks.example.test"


def _certificate(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path, list[str]]]:
    cert, key = _certificate(tmp_path)
    hosts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hosts.append(self.headers["Host"])
            self.send_response(200)
            self.send_header("Content-Length", "6")
            self.end_headers()
            self.wfile.write(b"secure")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], cert, hosts
    finally:
        server.shutdown()
        server.server_close()


def _pinned(host: str, port: int, *, allow_loopback: bool) -> list[Any]:
    assert host == NAME  # only the test name is "resolved"
    return [ipaddress.ip_address("127.0.0.1")]


def test_https_dials_the_checked_ip_and_verifies_the_name(tls_server):
    port, cert, hosts = tls_server
    trust = ssl.create_default_context(cafile=str(cert))
    response = http_client.request(
        "GET",
        f"https://{NAME}:{port}/",
        timeout=5,
        resolver=_pinned,
        ssl_context=trust,
    )
    assert (response.status_code, response.body) == (200, b"secure")
    assert hosts == [f"{NAME}:{port}"]


def test_https_rejects_an_untrusted_certificate(tls_server):
    port, _cert, hosts = tls_server
    with pytest.raises(http_client.HttpError, match="TLS handshake"):
        http_client.request("GET", f"https://{NAME}:{port}/", timeout=5, resolver=_pinned)
    assert hosts == []


def test_https_certificate_must_match_the_name(tls_server):
    port, cert, _hosts = tls_server
    trust = ssl.create_default_context(cafile=str(cert))

    def other(host: str, port: int, *, allow_loopback: bool) -> list[Any]:
        return [ipaddress.ip_address("127.0.0.1")]

    with pytest.raises(http_client.HttpError, match="TLS handshake"):
        http_client.request(
            "GET",
            f"https://other.example.test:{port}/",
            timeout=5,
            resolver=other,
            ssl_context=trust,
        )
