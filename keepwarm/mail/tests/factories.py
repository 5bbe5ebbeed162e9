"""Check-in touchpoints for mail and worker tests, built explicitly from the cast."""

from __future__ import annotations

import datetime as dt
from typing import Any

from keepwarm.care.models import Kind, Touchpoint
from keepwarm.conftest import Cast
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.services.outbox import queue_email

SUBJECT = "How is week one going, {{ first_name }}?"
BODY = (
    "Hi {{ first_name }},\n\n"
    "How are you finding the {{ role }} job at {{ company }}?\n\n"
    "Speak soon,\n{{ owner_first_name }}"
)


def make_checkin(cast: Cast, *, due_on: dt.date, **fields: Any) -> Touchpoint:
    values: dict[str, Any] = {
        "person": cast.candidate,
        "placement": cast.placement,
        "kind": Kind.EMAIL,
        "title": "Week one check-in",
        "owner": cast.owner,
        "email_subject": SUBJECT,
        "email_body": BODY,
    }
    values.update(fields)
    return Touchpoint.objects.create(due_on=due_on, **values)


def queue_plain(n: int, *, send_after: dt.datetime) -> OutboxMessage:
    """Message number `n`, "Hello", to person<n>@example.net, with no person behind it."""
    message = queue_email(
        key=f"test:{n}",
        to_email=f"person{n}@example.net",
        subject=f"Message {n}",
        body_text="Hello",
        from_email="keepwarm@127.0.0.1",
        send_after=send_after,
    )
    assert message is not None, f"test:{n} was queued already"
    return message


def at(text: str) -> dt.datetime:
    """An aware UTC moment from ISO 8601 with an offset: at("2026-03-09T09:05+00:00")."""
    moment = dt.datetime.fromisoformat(text)
    assert moment.tzinfo is not None, "give tests explicit offsets"
    return moment.astimezone(dt.UTC)
