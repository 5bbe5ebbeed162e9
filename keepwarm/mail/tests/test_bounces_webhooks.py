"""Provider webhooks through django-anymail (Postmark here): signed, and recorded."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from keepwarm.conftest import Cast
from keepwarm.mail.models import OutboxMessage, Suppression
from keepwarm.mail.services.consent import may_market_to, record_consent
from keepwarm.mail.services.outbox import queue_email
from keepwarm.mail.suppressions import is_suppressed
from keepwarm.people.models import Consent

URL = "/anymail/postmark/tracking/"
SECRET = "postmark:correct-horse-battery-staple"
SENT = dt.datetime(2026, 3, 9, 9, 5, tzinfo=dt.UTC)
Outcome = OutboxMessage.Outcome


@pytest.fixture(autouse=True)
def _webhook_secret(settings: Any) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    settings.KEEPWARM_EMAIL_PROVIDER = "postmark"


def _sent(cast: Cast, key: str = "newsletter:1") -> OutboxMessage:
    message = queue_email(
        key=f"{key}:{cast.candidate.pk}",
        to_email=cast.candidate.email,
        subject="March news",
        body_text="News",
        from_email="news@agency.example",
        send_after=SENT,
        person=cast.candidate,
        purpose="marketing",
    )
    assert message is not None
    OutboxMessage.objects.filter(id=message.id).update(state="sent", sent_at=SENT)
    return message


def _post(payload: dict[str, Any], secret: str = SECRET) -> Any:
    auth = base64.b64encode(secret.encode()).decode()
    return Client().post(
        URL,
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {auth}",
    )


def _bounce(message: OutboxMessage, kind: str = "HardBounce") -> dict[str, Any]:
    return {
        "RecordType": "Bounce",
        "MessageStream": "outbound",
        "ID": 4323372036854775807,
        "Type": kind,
        "TypeCode": 1 if kind == "HardBounce" else 4096,
        "Name": "Hard bounce" if kind == "HardBounce" else "Soft bounce",
        "Tag": "",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": {"keepwarm_outbox": str(message.id)},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": "priya@example.net",
        "From": "news@agency.example",
        "BouncedAt": "2026-03-09T09:06:00Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "March news",
    }


def test_signed_hard_bounce_suppresses_and_marks_the_message(cast: Cast) -> None:
    message = _sent(cast)

    response = _post(_bounce(message))

    assert response.status_code == 200
    message.refresh_from_db()
    assert message.outcome == Outcome.BOUNCED
    assert message.outcome_detail.startswith("Postmark:")
    assert Suppression.objects.get().reason == Suppression.Reason.HARD_BOUNCE
    assert is_suppressed("priya@example.net", purpose="service")


def test_unsigned_or_wrongly_signed_webhook_changes_nothing(cast: Cast) -> None:
    message = _sent(cast)

    assert _post(_bounce(message), secret="postmark:guess").status_code in (400, 401, 403)
    assert Client().post(URL, _bounce(message), content_type="application/json").status_code in (
        400,
        401,
        403,
    )
    assert not Suppression.objects.exists()


def test_spam_complaint_withdraws_marketing(cast: Cast) -> None:
    record_consent(
        person=cast.candidate,
        basis=Consent.Basis.SOFT_OPT_IN,
        subscriber_type=Consent.SubscriberType.INDIVIDUAL,
        method="Placed at Acme",
    )
    message = _sent(cast)
    payload = {
        "RecordType": "SpamComplaint",
        "MessageStream": "outbound",
        "ID": 42,
        "Type": "SpamComplaint",
        "TypeCode": 512,
        "MessageID": "00000000-0000-0000-0000-000000000000",
        "Metadata": {"keepwarm_outbox": str(message.id)},
        "Email": "priya@example.net",
        "BouncedAt": "2026-03-09T10:00:00Z",
        "Description": "The subscriber explicitly marked this message as spam.",
        "Subject": "March news",
    }

    assert _post(payload).status_code == 200

    message.refresh_from_db()
    assert message.outcome == Outcome.COMPLAINED
    assert not may_market_to(cast.candidate, today=dt.date(2026, 3, 10))


def test_delivery_is_recorded_per_message(cast: Cast) -> None:
    message = _sent(cast)
    payload = {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Recipient": "priya@example.net",
        "Tag": "",
        "DeliveredAt": "2026-03-09T09:06:00Z",
        "Details": "Test delivery webhook details",
        "Metadata": {"keepwarm_outbox": str(message.id)},
    }

    assert _post(payload).status_code == 200

    message.refresh_from_db()
    assert message.outcome == Outcome.DELIVERED


def test_soft_bounces_suppress_after_the_limit_in_a_row(cast: Cast, settings: Any) -> None:
    settings.KEEPWARM_SOFT_BOUNCE_LIMIT = 3
    messages = [_sent(cast, key=f"newsletter:{n}") for n in range(4)]

    _post(_bounce(messages[0], "SoftBounce"))
    _post(_bounce(messages[1], "SoftBounce"))
    assert not Suppression.objects.exists()
    # A delivery in between starts the count again.
    delivered = {
        "RecordType": "Delivery",
        "MessageID": "x",
        "Recipient": "priya@example.net",
        "DeliveredAt": "2026-03-09T09:07:00Z",
        "Metadata": {"keepwarm_outbox": str(messages[2].id)},
    }
    _post(delivered)
    _post(_bounce(messages[3], "SoftBounce") | {"BouncedAt": "2026-03-09T09:08:00Z"})
    assert not Suppression.objects.exists()

    more = [_sent(cast, key=f"newsletter:{n}") for n in range(4, 6)]
    for message in more:
        _post(_bounce(message, "SoftBounce") | {"BouncedAt": "2026-03-09T09:08:00Z"})

    suppression = Suppression.objects.get()
    assert suppression.reason == Suppression.Reason.SOFT_BOUNCES
    assert is_suppressed("priya@example.net", purpose="service")
    assert OutboxMessage.objects.filter(outcome=Outcome.SOFT_BOUNCED).count() == 5
