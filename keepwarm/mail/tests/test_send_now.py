"""Chosen rows sent at once (a test send, the demo's past newsletters): only those still
pending, through the configured mail server or the backend the caller gives."""

from __future__ import annotations

import pytest

from keepwarm.conftest import SmtpSink
from keepwarm.mail.backends import CaptureBackend
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.services.sending import send_now
from keepwarm.mail.tests.factories import at, queue_plain

NOW = at("2026-03-09T09:05+00:00")
State = OutboxMessage.State

pytestmark = pytest.mark.django_db


def test_only_rows_still_pending_go_and_a_workers_row_is_left_to_it(
    smtp_server: SmtpSink,
) -> None:
    waiting, taken, done = (queue_plain(n, send_after=NOW) for n in (1, 2, 3))
    OutboxMessage.objects.filter(pk=taken.pk).update(state=State.SENDING, claimed_by="worker-2")
    OutboxMessage.objects.filter(pk=done.pk).update(state=State.SENT)

    report = send_now([done.pk, taken.pk, waiting.pk, waiting.pk], now=NOW)

    assert report.sent == 1
    assert [m["To"] for m in smtp_server.messages] == ["person1@example.net"]
    states = dict(OutboxMessage.objects.values_list("pk", "state"))
    assert states == {waiting.pk: State.SENT, taken.pk: State.SENDING, done.pk: State.SENT}
    assert OutboxMessage.objects.get(pk=taken.pk).claimed_by == "worker-2"


def test_a_capture_backend_keeps_them_even_with_a_mail_server_configured(
    smtp_server: SmtpSink,
) -> None:
    first, second = (queue_plain(n, send_after=NOW) for n in (1, 2))

    report = send_now([first.pk, second.pk], now=NOW, backend=CaptureBackend())

    assert report.captured == 2
    assert smtp_server.messages == []
    assert set(OutboxMessage.objects.values_list("state", "sent_at")) == {(State.CAPTURED, NOW)}
