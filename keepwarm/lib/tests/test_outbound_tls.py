"""An https webhook connects to the checked address yet still checks the certificate
against the URL's host name, which it also sends as SNI (a real TLS server on loopback)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from keepwarm.lib import outbound


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, ssl.SSLContext, list[str]]]:
    """A server whose certificate names only `localhost`; yields its port, a client
    context that trusts that certificate, and the SNI names clients sent."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    names: list[str] = []
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    server_side.sni_callback = lambda sock, name, context: names.append(name or "")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Length", "6")
            self.end_headers()
            self.wfile.write(b"secure")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = server_side.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    client_side = ssl.create_default_context(cafile=str(cert))
    try:
        yield server.server_address[1], client_side, names
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_https_checks_the_certificate_against_the_host_name(
    tls_server: tuple[int, ssl.SSLContext, list[str]],
) -> None:
    port, trusted, names = tls_server

    answer = outbound.post(
        f"https://localhost:{port}/hook", b"{}", {}, timeout=5, allow_loopback=True, tls=trusted
    )

    assert (answer.status, answer.excerpt) == (200, "secure")
    assert names == ["localhost"]
    # The same server by its address: the certificate does not name it, so no connection.
    with pytest.raises(ssl.SSLCertVerificationError):
        outbound.post(
            f"https://127.0.0.1:{port}/hook", b"{}", {}, timeout=5, allow_loopback=True, tls=trusted
        )


def test_https_without_the_setting_refuses_this_machine_before_connecting(
    tls_server: tuple[int, ssl.SSLContext, list[str]],
) -> None:
    port, trusted, names = tls_server

    with pytest.raises(outbound.RefusedAddress, match="loopback"):
        outbound.post(f"https://localhost:{port}/hook", b"{}", {}, timeout=5, tls=trusted)

    assert names == []
