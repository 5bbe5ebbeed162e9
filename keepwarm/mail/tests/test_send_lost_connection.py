"""A lost SMTP connection is retried only while the server cannot have the message."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from keepwarm.conftest import Cast, SmtpSink
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.services.reconcile import reconcile_stale
from keepwarm.mail.tests.factories import at, make_checkin
from keepwarm.worker.tick import tick

DUE = dt.date(2026, 3, 9)  # a Monday in GMT
MORNING = at("2026-03-09T09:05+00:00")


def test_server_hanging_up_before_the_message_is_retried_and_sent_once(
    cast: Cast, smtp_server: SmtpSink
) -> None:
    make_checkin(cast, due_on=DUE)
    smtp_server.hang_up_at_mail = 1

    first = tick(now=MORNING, worker_id="test")

    message = OutboxMessage.objects.get()
    assert first.mail.retried == 1
    assert (message.state, message.attempts) == ("pending", 1)
    assert "Connection unexpectedly closed" in message.last_error
    assert smtp_server.messages == []

    later = tick(now=MORNING + dt.timedelta(minutes=1), worker_id="test")

    assert later.mail.sent == 1
    assert len(smtp_server.messages) == 1
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT


@pytest.mark.parametrize("how", ["hangs up", "never answers"])
def test_connection_lost_after_the_message_arrived_is_not_resent(
    cast: Cast, smtp_server: SmtpSink, settings: Any, how: str
) -> None:
    settings.EMAIL_TIMEOUT = 1
    make_checkin(cast, due_on=DUE)
    if how == "hangs up":
        smtp_server.hang_up_after_data = 1
    else:
        smtp_server.stall = True

    first = tick(now=MORNING, worker_id="test")
    smtp_server.stall = False

    message = OutboxMessage.objects.get()
    assert first.mail.unknown == 1
    assert message.state == OutboxMessage.State.UNKNOWN
    assert message.last_error.startswith(
        "Connection lost after the message was sent; check before resending."
    )
    assert len(smtp_server.messages) == 1
    reconcile_stale(now=MORNING + dt.timedelta(hours=1))
    assert tick(now=MORNING + dt.timedelta(hours=1), worker_id="test").mail.handled == 0
    assert len(smtp_server.messages) == 1
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.UNKNOWN


def test_message_after_a_lost_connection_goes_on_a_new_one(
    cast: Cast, smtp_server: SmtpSink
) -> None:
    make_checkin(cast, due_on=DUE - dt.timedelta(days=1))
    make_checkin(cast, due_on=DUE)
    smtp_server.hang_up_after_data = 1

    report = tick(now=MORNING, worker_id="test")

    assert (report.mail.unknown, report.mail.sent) == (1, 1)
    assert list(OutboxMessage.objects.order_by("id").values_list("state", flat=True)) == [
        "unknown",
        "sent",
    ]
    assert len(smtp_server.messages) == 2
    assert smtp_server.connections == 2
