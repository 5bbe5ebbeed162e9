"""Suppression and consent are checked when a copy is sent, not only when it was queued."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from keepwarm.conftest import Cast, SmtpSink
from keepwarm.mail.models import OutboxMessage, Suppression
from keepwarm.mail.services.consent import record_consent, withdraw_consent
from keepwarm.mail.services.outbox import queue_email
from keepwarm.mail.services.sending import send_pending
from keepwarm.mail.suppressions import is_suppressed, suppress
from keepwarm.mail.tests.factories import at, make_checkin
from keepwarm.mail.unsubscribe import list_unsubscribe_headers
from keepwarm.people.models import Consent, Person
from keepwarm.worker.tick import tick

NOW = at("2026-03-09T09:05+00:00")
State = OutboxMessage.State


def _subscribe(person: Person) -> Consent:
    return record_consent(
        person=person,
        basis=Consent.Basis.CONSENT,
        subscriber_type=Consent.SubscriberType.INDIVIDUAL,
        method="Signup form, confirmed by email",
        wording="Send me the newsletter",
        wording_version="signup-1",
    )


def _newsletter(person: Person, key: str = "newsletter:1") -> OutboxMessage:
    message = queue_email(
        key=f"{key}:{person.pk}",
        to_email=person.email,
        subject="March news",
        body_text="News",
        from_email="Agency <news@agency.example>",
        send_after=NOW - dt.timedelta(minutes=1),
        person=person,
        headers=list_unsubscribe_headers(person=person, purpose="newsletter"),
        purpose=OutboxMessage.Purpose.MARKETING,
    )
    assert message is not None
    return message


def test_newsletter_carries_one_click_unsubscribe_headers(
    cast: Cast, smtp_server: SmtpSink
) -> None:
    _subscribe(cast.candidate)
    _newsletter(cast.candidate)

    assert send_pending(now=NOW).sent == 1

    [received] = smtp_server.messages
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # A long URL is folded onto its own line; the folding space is not part of it.
    value = str(received["List-Unsubscribe"]).strip()
    assert value.startswith("<http://127.0.0.1:8000/u/") and value.endswith("/>")


def test_a_copy_queued_before_the_unsubscribe_is_not_sent(
    cast: Cast, smtp_server: SmtpSink
) -> None:
    _subscribe(cast.candidate)
    message = _newsletter(cast.candidate)
    withdraw_consent(person=cast.candidate, how="Unsubscribe link")

    report = send_pending(now=NOW)

    assert report.sent == 0 and report.cancelled == 1
    assert smtp_server.messages == []
    message.refresh_from_db()
    assert message.state == State.CANCELLED
    assert "no current basis" in message.last_error


def test_marketing_to_a_complained_address_is_cancelled(cast: Cast, smtp_server: SmtpSink) -> None:
    _subscribe(cast.candidate)
    message = _newsletter(cast.candidate)
    suppress(cast.candidate.email, reason=Suppression.Reason.COMPLAINT)

    send_pending(now=NOW)

    message.refresh_from_db()
    assert message.state == State.CANCELLED
    assert "marked as spam" in message.last_error
    assert smtp_server.messages == []


def test_capture_mode_also_respects_suppression(cast: Cast) -> None:
    _subscribe(cast.candidate)
    message = _newsletter(cast.candidate)
    withdraw_consent(person=cast.candidate, how="Unsubscribe link")

    report = send_pending(now=NOW)

    assert report.captured == 0 and report.cancelled == 1
    message.refresh_from_db()
    assert message.state == State.CANCELLED


def test_check_ins_still_go_after_a_newsletter_unsubscribe(
    cast: Cast, smtp_server: SmtpSink
) -> None:
    _subscribe(cast.candidate)
    withdraw_consent(person=cast.candidate, how="Unsubscribe link")
    suppress(cast.candidate.email, reason=Suppression.Reason.COMPLAINT)
    make_checkin(cast, due_on=dt.date(2026, 3, 9))

    report = tick(now=NOW, worker_id="test")

    assert report.mail.sent == 1
    assert [str(m["To"]) for m in smtp_server.messages] == ["priya@example.net"]


def test_a_hard_bounced_address_gets_no_check_in_either(cast: Cast, smtp_server: SmtpSink) -> None:
    suppress(cast.candidate.email, reason=Suppression.Reason.HARD_BOUNCE)
    make_checkin(cast, due_on=dt.date(2026, 3, 9))

    report = tick(now=NOW, worker_id="test")

    assert report.mail.sent == 0 and report.mail.cancelled == 1
    assert smtp_server.messages == []
    assert is_suppressed(cast.candidate.email, purpose="service")


def test_smtp_no_such_user_suppresses_the_address(cast: Cast, smtp_server: SmtpSink) -> None:
    make_checkin(cast, due_on=dt.date(2026, 3, 9))
    smtp_server.rcpt_replies.append("550 5.1.1 No such user")

    report = tick(now=NOW, worker_id="test")

    assert report.mail.failed == 1
    message = OutboxMessage.objects.get()
    assert message.outcome == OutboxMessage.Outcome.BOUNCED
    row = Suppression.objects.get()
    assert row.reason == Suppression.Reason.HARD_BOUNCE
    assert row.email == "priya@example.net"
    assert row.message == message


def test_smtp_spam_rejection_at_data_suppresses_nothing(cast: Cast, smtp_server: SmtpSink) -> None:
    make_checkin(cast, due_on=dt.date(2026, 3, 9))
    smtp_server.data_replies.append("554 5.7.1 Message rejected as spam")

    report = tick(now=NOW, worker_id="test")

    assert report.mail.failed == 1
    assert not Suppression.objects.exists()


def test_one_click_from_the_received_header_stops_the_next_copy(
    cast: Cast, smtp_server: SmtpSink
) -> None:
    _subscribe(cast.candidate)
    _newsletter(cast.candidate, key="newsletter:1")
    later = _newsletter(cast.candidate, key="newsletter:2")
    OutboxMessage.objects.filter(id=later.id).update(send_after=NOW + dt.timedelta(minutes=5))
    send_pending(now=NOW)
    [received] = smtp_server.messages

    url = str(received["List-Unsubscribe"]).strip().strip("<>")
    response = Client(enforce_csrf_checks=True).post(
        url.removeprefix("http://127.0.0.1:8000"), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200

    report = send_pending(now=NOW + dt.timedelta(minutes=6))

    assert report.sent == 0 and report.cancelled == 1
    assert len(smtp_server.messages) == 1
    later.refresh_from_db()
    assert later.state == State.CANCELLED
