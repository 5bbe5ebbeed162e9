"""With KEEPWARM_SENTRY_DSN set, a logged error reaches Sentry (a real HTTP endpoint on
loopback here) as a traceback, without the frames' local variables."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

# Run in its own process: Sentry's client is global to the process it starts in.
FAILING_STEP = """
import logging
import django
import sentry_sdk
django.setup()

def send_newsletter():
    salary_of_priya = "38000-NOT-FOR-SENTRY"
    raise RuntimeError("the newsletter step broke")

try:
    send_newsletter()
except RuntimeError:
    logging.getLogger("keepwarm.ops.jobs").exception("worker step failed: newsletters")
sentry_sdk.flush(timeout=10)
"""


class Envelopes(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def sentry_endpoint() -> Iterator[tuple[str, list[bytes]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Envelopes)
    Envelopes.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://public-key@127.0.0.1:{server.server_address[1]}/42", Envelopes.received
    finally:
        server.shutdown()
        server.server_close()


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", FAILING_STEP],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "keepwarm.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_failing_step_reaches_sentry_without_its_local_variables(
    sentry_endpoint: tuple[str, list[bytes]],
) -> None:
    dsn, received = sentry_endpoint
    result = _run({"KEEPWARM_SENTRY_DSN": dsn, "KEEPWARM_SENTRY_ENVIRONMENT": "agency-test"})
    assert result.returncode == 0, result.stderr

    events = [
        json.loads(line)
        for envelope in received
        for line in envelope.split(b"\n")
        if line.startswith(b"{") and b'"exception"' in line
    ]
    assert len(events) == 1, received
    (event,) = events
    assert event["environment"] == "agency-test"
    (exception,) = event["exception"]["values"]
    assert exception["value"] == "the newsletter step broke"
    assert b"38000-NOT-FOR-SENTRY" not in b"".join(received)


def test_without_a_dsn_nothing_is_sent(sentry_endpoint: tuple[str, list[bytes]]) -> None:
    _, received = sentry_endpoint
    result = _run({"KEEPWARM_SENTRY_DSN": ""})
    assert result.returncode == 0, result.stderr
    assert received == []


def test_a_dsn_that_is_not_one_stops_start_up() -> None:
    result = _run({"KEEPWARM_SENTRY_DSN": "not a dsn"})
    assert result.returncode != 0
    assert "KEEPWARM_SENTRY_DSN is not a Sentry DSN" in result.stderr
