from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from keepwarm.conftest import SmtpSink
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.services.consent import withdraw_consent
from keepwarm.newsletters.models import Issue
from keepwarm.newsletters.queries import issue_progress
from keepwarm.newsletters.services import (
    cancel_issue,
    next_slot,
    pause_issue,
    resume_issue,
    run_due_issues,
    schedule_issue,
    send_test,
)
from keepwarm.newsletters.tests.conftest import NOW, Setup, make_person, subscribe
from keepwarm.worker.tick import tick

# 09:30 in London on 10 June 2026 (BST) is 08:30 UTC.
SLOT = dt.datetime(2026, 6, 10, 8, 30, tzinfo=dt.UTC)


def lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").strip().split("\n")


def test_next_slot_is_local_time_across_dst(setup: Setup, settings: Any) -> None:
    newsletter = setup.newsletter
    newsletter.send_day = 28
    # March 2026: the clocks go forward on the 29th; 28 Feb is GMT, 28 Mar is GMT, 28 Apr BST.
    assert next_slot(newsletter, after=dt.datetime(2026, 3, 1, tzinfo=dt.UTC)) == dt.datetime(
        2026, 3, 28, 9, 30, tzinfo=dt.UTC
    )
    assert next_slot(newsletter, after=dt.datetime(2026, 3, 29, tzinfo=dt.UTC)) == dt.datetime(
        2026, 4, 28, 8, 30, tzinfo=dt.UTC
    )
    newsletter.frequency = "weekly"
    newsletter.send_weekday = 0  # Mondays; 26 Oct 2026 is the first Monday after GMT returns
    assert next_slot(newsletter, after=dt.datetime(2026, 10, 20, tzinfo=dt.UTC)) == dt.datetime(
        2026, 10, 26, 9, 30, tzinfo=dt.UTC
    )
    settings.TIME_ZONE = "Pacific/Auckland"
    assert next_slot(newsletter, after=dt.datetime(2026, 10, 20, tzinfo=dt.UTC)) == dt.datetime(
        2026, 10, 25, 20, 30, tzinfo=dt.UTC
    )


def test_a_scheduled_issue_goes_out_once_at_its_local_time(
    setup: Setup, smtp_server: SmtpSink
) -> None:
    setup.newsletter.send_day = 10
    setup.newsletter.save()
    schedule_issue(issue=setup.issue, now=NOW)  # the next regular slot: today 09:30 London
    assert setup.issue.scheduled_for == SLOT
    early = tick(now=SLOT - dt.timedelta(minutes=1))
    assert early.newsletter_copies == 0 and smtp_server.messages == []

    first = tick(now=SLOT)
    assert first.newsletter_copies == 2 and first.mail.sent == 2
    setup.issue.refresh_from_db()
    assert setup.issue.state == Issue.State.SENT  # in the tick that sent its last copy
    received = {str(m["To"]): m for m in smtp_server.messages}
    assert set(received) == {"priya@example.net", "harry@acme.example"}
    priya = received["priya@example.net"]
    assert priya["Subject"] == "June news"
    assert priya["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(priya["List-Unsubscribe"]).strip().startswith("<http")
    assert priya.is_multipart() and priya.get_body(("html",)) is not None
    copy = OutboxMessage.objects.get(to_email="priya@example.net")
    assert "Hi Priya," in copy.text
    for subtype, body in (("html", copy.html), ("plain", copy.text)):
        part = priya.get_body((subtype,))
        assert part is not None
        assert lines(part.get_content()) == lines(body)  # the copy as stored went out

    again = tick(now=SLOT + dt.timedelta(minutes=1))
    assert again.newsletter_copies == 0 and again.mail.sent == 0
    assert len(smtp_server.messages) == 2
    setup.issue.refresh_from_db()
    assert setup.issue.state == Issue.State.SENT and setup.issue.recipients == 2
    assert issue_progress(setup.issue)["sent"] == 2


def test_an_unsubscribe_after_queueing_stops_that_copy(setup: Setup, smtp_server: SmtpSink) -> None:
    schedule_issue(issue=setup.issue, when=SLOT, now=NOW)
    from keepwarm.newsletters.services import run_due_issues

    assert run_due_issues(now=SLOT) == 2
    withdraw_consent(person=setup.cast.candidate, how="Unsubscribe link")
    tick(now=SLOT)
    assert [str(m["To"]) for m in smtp_server.messages] == ["harry@acme.example"]
    assert issue_progress(setup.issue)["cancelled"] == 1


def test_pause_holds_copies_resume_sends_them_cancel_drops_them(
    setup: Setup, smtp_server: SmtpSink
) -> None:
    for name in ("Ann", "Ben", "Cat"):
        subscribe(make_person(name))
    schedule_issue(issue=setup.issue, when=SLOT, now=NOW)
    from keepwarm.newsletters.services import run_due_issues

    assert run_due_issues(now=SLOT) == 5
    pause_issue(issue=setup.issue)
    assert setup.issue.state == Issue.State.PAUSED
    report = tick(now=SLOT + dt.timedelta(minutes=1))
    assert report.mail.sent == 0 and smtp_server.messages == []

    resume_issue(issue=setup.issue, now=SLOT + dt.timedelta(minutes=2))
    assert setup.issue.state == Issue.State.SENDING
    # Send two, then cancel the rest.
    from keepwarm.mail.services.sending import send_pending

    assert send_pending(now=SLOT + dt.timedelta(minutes=2), limit=2).sent == 2
    cancel_issue(issue=setup.issue, by=setup.cast.manager)
    tick(now=SLOT + dt.timedelta(minutes=3))
    assert len(smtp_server.messages) == 2
    progress = issue_progress(setup.issue)
    assert progress["sent"] == 2 and progress["cancelled"] == 3 and progress["pending"] == 0
    assert setup.issue.state == Issue.State.CANCELLED


def test_pause_before_it_starts_keeps_it_from_starting(setup: Setup, smtp_server: SmtpSink) -> None:
    schedule_issue(issue=setup.issue, when=SLOT, now=NOW)
    pause_issue(issue=setup.issue)
    assert tick(now=SLOT).newsletter_copies == 0
    resume_issue(issue=setup.issue, now=SLOT)
    assert setup.issue.state == Issue.State.SCHEDULED
    assert tick(now=SLOT + dt.timedelta(minutes=1)).mail.sent == 2


def test_test_send_goes_through_the_outbox_at_once(setup: Setup, smtp_server: SmtpSink) -> None:
    message = send_test(issue=setup.issue, by=setup.cast.manager, now=NOW)
    assert message.state == OutboxMessage.State.SENT
    [received] = smtp_server.messages
    assert str(received["To"]) == "maggie_manager@agency.example"
    assert received["Subject"] == "[Test] June news"
    assert setup.issue.state == Issue.State.DRAFT  # nothing else changed


def test_an_issue_without_blocks_cannot_be_scheduled(setup: Setup) -> None:
    setup.issue.blocks.all().delete()
    with pytest.raises(ValidationError):
        schedule_issue(issue=setup.issue, now=NOW)


def test_queued_copies_are_counted_for_the_claim_on_postgresql(setup: Setup) -> None:
    # Statistics from before the copies (an empty outbox) make PostgreSQL sort every
    # pending copy for each claim instead of reading them in order off outbox_pending.
    if connection.vendor != "postgresql":
        pytest.skip("the planner's statistics are PostgreSQL's")
    schedule_issue(issue=setup.issue, when=NOW, now=NOW)
    run_due_issues(now=NOW)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'mail_outboxmessage'")
        (counted,) = cursor.fetchone()
    assert counted == OutboxMessage.objects.count() == 2
