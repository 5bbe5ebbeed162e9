"""A check-in that cannot reach the person turns into a call, and so do their next ones,
whichever way the news comes: a 550 while sending, a provider's webhook, a bounce message."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.test import Client

from keepwarm.care.models import Kind, Touchpoint
from keepwarm.conftest import Cast, SmtpSink
from keepwarm.mail.bounces import record_complaint
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.tests.factories import at, make_checkin
from keepwarm.people.services import update_person
from keepwarm.worker.tick import tick

DUE = dt.date(2026, 3, 9)  # a Monday
MORNING = at("2026-03-09T09:05+00:00")
REPORTS = Path(__file__).parent / "reports"


def _calls_instead(cast: Cast) -> list[Touchpoint]:
    return list(
        Touchpoint.objects.filter(
            person=cast.candidate, kind=Kind.CALL, title__startswith="Call instead"
        )
    )


def test_check_in_refused_with_550_is_not_done_and_becomes_a_call_for_the_owner(
    cast: Cast, smtp_server: SmtpSink
) -> None:
    checkin = make_checkin(cast, due_on=DUE)
    smtp_server.rcpt_replies.append("550 5.1.1 No such user here")

    tick(now=MORNING, worker_id="test")

    checkin.refresh_from_db()
    assert checkin.state == Touchpoint.State.SKIPPED
    assert checkin.outcome == Touchpoint.Outcome.BOUNCED
    assert "550 5.1.1 No such user here" in checkin.skip_reason
    [call] = _calls_instead(cast)
    assert call.title == "Call instead: Week one check-in"
    assert (call.owner, call.due_on, call.state) == (cast.owner, DUE, Touchpoint.State.PLANNED)
    cast.candidate.refresh_from_db()
    assert cast.candidate.email_failed_at == MORNING
    assert "550" in cast.candidate.email_failed_reason
    assert not cast.candidate.email_works


def test_next_check_in_to_a_dead_address_becomes_a_call_and_sends_nothing(
    cast: Cast, smtp_server: SmtpSink
) -> None:
    make_checkin(cast, due_on=DUE)
    later = make_checkin(cast, due_on=DUE + dt.timedelta(days=21), title="One-month check-in")
    smtp_server.rcpt_replies.append("550 5.1.1 No such user here")
    tick(now=MORNING, worker_id="test")

    tick(now=MORNING + dt.timedelta(days=21), worker_id="test")

    later.refresh_from_db()
    assert (later.kind, later.state) == (Kind.CALL, Touchpoint.State.PLANNED)
    assert later.title == "Call instead: One-month check-in"
    assert OutboxMessage.objects.count() == 1  # only the one that bounced
    assert smtp_server.messages == []


def test_entering_a_working_address_sends_check_ins_by_email_again(
    cast: Cast, smtp_server: SmtpSink
) -> None:
    make_checkin(cast, due_on=DUE)
    later = make_checkin(cast, due_on=DUE + dt.timedelta(days=21), title="One-month check-in")
    smtp_server.rcpt_replies.append("550 5.1.1 No such user here")
    tick(now=MORNING, worker_id="test")

    update_person(person=cast.candidate, expected_version=None, email="priya.patel@example.org")
    tick(now=MORNING + dt.timedelta(days=21), worker_id="test")

    assert cast.candidate.email_failed_at is None
    later.refresh_from_db()
    assert (later.kind, later.state) == (Kind.EMAIL, Touchpoint.State.DONE)
    [message] = smtp_server.messages
    assert message["To"] == "priya.patel@example.org"


def _sent_checkin(cast: Cast, smtp_server: SmtpSink) -> tuple[Touchpoint, OutboxMessage]:
    checkin = make_checkin(cast, due_on=DUE)
    tick(now=MORNING, worker_id="test")
    checkin.refresh_from_db()
    assert checkin.state == Touchpoint.State.DONE
    return checkin, OutboxMessage.objects.get(touchpoint=checkin)


def test_provider_hard_bounce_after_sending_turns_the_done_check_in_into_a_call(
    cast: Cast, smtp_server: SmtpSink, settings: Any
) -> None:
    secret = "postmark:correct-horse-battery-staple"
    settings.ANYMAIL = {"WEBHOOK_SECRET": secret}
    settings.KEEPWARM_EMAIL_PROVIDER = "postmark"
    checkin, message = _sent_checkin(cast, smtp_server)
    bounce = {
        "RecordType": "Bounce",
        "ID": 42,
        "Type": "HardBounce",
        "TypeCode": 1,
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": {"keepwarm_outbox": str(message.id)},
        "Description": "The server was unable to deliver your message (ex: unknown user).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": "priya@example.net",
        "BouncedAt": "2026-03-09T09:06:00Z",
    }
    auth = base64.b64encode(secret.encode()).decode()

    for _ in range(2):  # providers repeat webhooks: still one call
        response = Client().post(
            "/anymail/postmark/tracking/",
            data=json.dumps(bounce),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Basic {auth}",
        )
        assert response.status_code == 200

    checkin.refresh_from_db()
    assert (checkin.state, checkin.outcome) == (
        Touchpoint.State.SKIPPED,
        Touchpoint.Outcome.BOUNCED,
    )
    assert len(_calls_instead(cast)) == 1
    cast.candidate.refresh_from_db()
    assert cast.candidate.email_failed_reason.startswith("Postmark:")


def test_bounce_message_fed_to_the_bounces_command_turns_the_check_in_into_a_call(
    cast: Cast, smtp_server: SmtpSink, tmp_path: Path
) -> None:
    checkin, message = _sent_checkin(cast, smtp_server)
    raw = (REPORTS / "postfix-hard-bounce.eml").read_bytes()
    report = tmp_path / "bounce.eml"
    report.write_bytes(raw.replace(b"MESSAGE_ID_HERE", message.message_id.encode()))

    call_command("bounces", str(report))

    checkin.refresh_from_db()
    assert checkin.state == Touchpoint.State.SKIPPED
    [call] = _calls_instead(cast)
    assert call.owner == cast.owner
    cast.candidate.refresh_from_db()
    assert "5.1.1" in cast.candidate.email_failed_reason


def test_spam_complaint_stops_check_ins_by_email_too(cast: Cast, smtp_server: SmtpSink) -> None:
    checkin, message = _sent_checkin(cast, smtp_server)

    record_complaint(email="priya@example.net", message=message, detail="abuse")

    checkin.refresh_from_db()
    assert checkin.state == Touchpoint.State.SKIPPED
    cast.candidate.refresh_from_db()
    assert cast.candidate.email_failed_reason.startswith("Marked our email as spam")
    assert len(_calls_instead(cast)) == 1


def test_placement_page_says_the_next_check_ins_will_be_calls(
    cast: Cast, smtp_server: SmtpSink
) -> None:
    make_checkin(cast, due_on=DUE)
    make_checkin(cast, due_on=DUE + dt.timedelta(days=21), title="One-month check-in")
    smtp_server.rcpt_replies.append("550 5.1.1 No such user here")
    tick(now=MORNING, worker_id="test")
    client = Client()
    client.force_login(cast.owner)

    page = client.get(f"/placements/{cast.placement.pk}/").content.decode()

    assert "Becomes a call when due: their address is not working" in page
    assert "Keepwarm sends this" not in page


def test_sent_mail_says_a_bounced_check_in_was_not_done(cast: Cast, smtp_server: SmtpSink) -> None:
    make_checkin(cast, due_on=DUE)
    smtp_server.rcpt_replies.append("550 5.1.1 No such user here")
    tick(now=MORNING, worker_id="test")
    message = OutboxMessage.objects.get()
    client = Client()
    client.force_login(cast.owner)

    listing = client.get("/mail/").content.decode()
    page = client.get(f"/mail/{message.pk}/").content.decode()

    assert "a call takes its place" in listing
    assert "550 5.1.1 No such user here" in page
    assert "Not done: a call takes its place" in page
