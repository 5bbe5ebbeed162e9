"""A real HTTP receiver on loopback (http.server in a thread) for the webhook tests."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every POST; answers with the next of `answers` (status, body), else 200."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    answers: deque[tuple[int, str]] = field(default_factory=deque)
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)  # sent with every answer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/keepwarm"


@contextmanager
def serving() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.received.append(Received(self.path, dict(self.headers.items()), body))
            if state.delay:
                time.sleep(state.delay)
            status, text = state.answers.popleft() if state.answers else (200, "thanks")
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in state.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        # A redirect followed by a client arrives as a GET (urllib turns a POST into one).
        do_GET = do_POST

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serving() as state:
        yield state


@pytest.fixture
def elsewhere() -> Iterator[Receiver]:
    """A second receiver on another loopback port, where a redirect would lead."""
    with serving() as state:
        yield state


@pytest.fixture(autouse=True)
def _loopback_receivers(settings: Any) -> None:
    # The receivers here run on this machine, which production refuses to call.
    settings.KEEPWARM_WEBHOOKS_ALLOW_LOOPBACK = True
