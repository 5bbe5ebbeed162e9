"""Check-ins through a provider's HTTP API (anymail), against a fake Postmark on loopback."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from keepwarm.care.models import Touchpoint
from keepwarm.conftest import Cast, _free_port
from keepwarm.mail.models import OutboxMessage, Suppression
from keepwarm.mail.suppressions import is_suppressed
from keepwarm.mail.tests.factories import at, make_checkin
from keepwarm.settings import _email_settings
from keepwarm.worker.tick import tick

DUE = dt.date(2026, 3, 9)  # a Monday in GMT
MORNING = at("2026-03-09T09:05+00:00")
TOKEN = "server-token-123"


class FakePostmark(ThreadingHTTPServer):
    """Postmark's POST /email: answers with the next queued reply, else success.

    A reply is (status, JSON body); "slow" answers success only after the client's
    read timeout, as a provider does that took the message and then stalled.
    """

    daemon_threads = True

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _PostmarkHandler)
        self.replies: deque[tuple[int, dict[str, Any]] | str] = deque()
        self.requests: list[dict[str, Any]] = []
        self.tokens: list[str] = []

    @property
    def accepted(self) -> int:
        return sum(1 for body in self.requests if body.get("_accepted"))


class _PostmarkHandler(BaseHTTPRequestHandler):
    server: FakePostmark

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        self.server.tokens.append(self.headers.get("X-Postmark-Server-Token", ""))
        reply = self.server.replies.popleft() if self.server.replies else (200, {})
        if reply == "slow":
            time.sleep(1.5)
            reply = (200, {})
        assert isinstance(reply, tuple) and self.path == "/email"
        status, answer = reply
        if status == 200:
            body["_accepted"] = True
            answer = {
                "To": body["To"],
                "SubmittedAt": "2026-03-09T09:05:00Z",
                "MessageID": str(uuid.uuid4()),
                "ErrorCode": 0,
                "Message": "OK",
            }
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the client gave up waiting ("slow")
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _use_postmark(settings: Any, port: int, query: str = "") -> None:
    """Configure mail exactly as KEEPWARM_EMAIL_URL=postmark://TOKEN@?api_url=... does."""
    email = _email_settings(f"postmark://{TOKEN}@?api_url=http://127.0.0.1:{port}/{query}")
    settings.EMAIL_BACKEND = email["EMAIL_BACKEND"]
    settings.ANYMAIL = {**settings.ANYMAIL, **email["ANYMAIL"]}


@pytest.fixture
def postmark(settings: Any) -> Iterator[FakePostmark]:
    server = FakePostmark(_free_port())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _use_postmark(settings, server.server_port, "&timeout=1")
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_checkin_goes_through_the_provider_api(cast: Cast, postmark: FakePostmark) -> None:
    make_checkin(cast, due_on=DUE)

    report = tick(now=MORNING, worker_id="test")

    assert report.mail.sent == 1
    message = OutboxMessage.objects.get()
    assert message.state == OutboxMessage.State.SENT
    [sent] = postmark.requests
    assert postmark.tokens == [TOKEN]
    assert sent["To"] == "priya@example.net"
    assert sent["Subject"] == "How is week one going, Priya?"
    assert "Account Manager job at Acme Widgets" in sent["TextBody"]
    assert "Account Manager job at Acme Widgets" in sent["HtmlBody"]
    assert {"Name": "Message-ID", "Value": message.message_id} in sent["Headers"]
    # Webhooks find the row by this, for bounces and complaints.
    assert sent["Metadata"] == {"keepwarm_outbox": str(message.id)}


def test_invalid_address_fails_and_is_suppressed(cast: Cast, postmark: FakePostmark) -> None:
    touchpoint = make_checkin(cast, due_on=DUE)
    postmark.replies.append(
        (422, {"ErrorCode": 300, "Message": "Invalid 'To' address: 'priya@example.net'."})
    )

    report = tick(now=MORNING, worker_id="test")

    assert report.mail.failed == 1
    message = OutboxMessage.objects.get()
    assert message.state == OutboxMessage.State.FAILED
    assert "Invalid 'To' address" in message.last_error
    assert message.outcome == OutboxMessage.Outcome.BOUNCED
    assert is_suppressed("priya@example.net", purpose=OutboxMessage.Purpose.SERVICE)
    assert Suppression.objects.get().reason == Suppression.Reason.HARD_BOUNCE
    touchpoint.refresh_from_db()
    assert touchpoint.outcome == Touchpoint.Outcome.BOUNCED
    assert tick(now=MORNING + dt.timedelta(hours=3), worker_id="test").mail.handled == 0
    assert len(postmark.requests) == 1


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (429, {"ErrorCode": 429, "Message": "Rate limit exceeded"}),
        (500, {"ErrorCode": 500, "Message": "Internal server error"}),
        (503, {}),
    ],
    ids=["rate limited", "server error", "unavailable"],
)
def test_provider_trouble_is_retried_later(
    cast: Cast, postmark: FakePostmark, status: int, answer: dict[str, Any]
) -> None:
    make_checkin(cast, due_on=DUE)
    postmark.replies.append((status, answer))

    first = tick(now=MORNING, worker_id="test")

    message = OutboxMessage.objects.get()
    assert first.mail.retried == 1
    assert (message.state, message.attempts) == ("pending", 1)
    assert message.send_after == MORNING + dt.timedelta(minutes=1)
    assert str(status) in message.last_error
    assert not Suppression.objects.exists()

    later = tick(now=MORNING + dt.timedelta(minutes=1), worker_id="test")

    assert later.mail.sent == 1
    assert postmark.accepted == 1


def test_other_refusal_fails_without_suppressing(cast: Cast, postmark: FakePostmark) -> None:
    make_checkin(cast, due_on=DUE)
    postmark.replies.append(
        (422, {"ErrorCode": 300, "Message": "Invalid 'From' address: 'keepwarm@127.0.0.1'."})
    )

    report = tick(now=MORNING, worker_id="test")

    assert report.mail.failed == 1
    assert OutboxMessage.objects.get().state == OutboxMessage.State.FAILED
    assert not Suppression.objects.exists()


def test_no_answer_after_the_request_went_out_is_not_resent(
    cast: Cast, postmark: FakePostmark
) -> None:
    make_checkin(cast, due_on=DUE)
    postmark.replies.append("slow")

    first = tick(now=MORNING, worker_id="test")

    message = OutboxMessage.objects.get()
    assert first.mail.unknown == 1
    assert message.state == OutboxMessage.State.UNKNOWN
    assert message.last_error.startswith("Connection lost after the message was sent")
    assert tick(now=MORNING + dt.timedelta(hours=1), worker_id="test").mail.handled == 0
    assert len(postmark.requests) == 1


def test_unreachable_provider_leaves_the_batch_waiting(cast: Cast, settings: Any) -> None:
    _use_postmark(settings, _free_port())  # nothing listens there
    make_checkin(cast, due_on=DUE)
    make_checkin(cast, due_on=DUE - dt.timedelta(days=1))

    report = tick(now=MORNING, worker_id="test")

    assert report.mail.retried == 2
    assert set(OutboxMessage.objects.values_list("state", "attempts")) == {("pending", 1)}
    assert all(
        "Could not reach the email provider" in m.last_error for m in OutboxMessage.objects.all()
    )
