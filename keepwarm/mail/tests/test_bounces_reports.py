"""Bounce messages (RFC 3464) and feedback-loop complaints (ARF) for plain SMTP senders."""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from keepwarm.conftest import Cast
from keepwarm.mail.bounces import parse_report, process_report
from keepwarm.mail.models import OutboxMessage, Suppression
from keepwarm.mail.services.consent import may_market_to, record_consent
from keepwarm.mail.services.outbox import queue_email
from keepwarm.mail.suppressions import is_suppressed
from keepwarm.people.models import Consent

REPORTS = Path(__file__).parent / "reports"
SENT = dt.datetime(2026, 3, 9, 9, 5, tzinfo=dt.UTC)
Outcome = OutboxMessage.Outcome


def _sent(cast: Cast, key: str = "newsletter:1", to: str = "priya@example.net") -> OutboxMessage:
    message = queue_email(
        key=f"{key}:{cast.candidate.pk}",
        to_email=to,
        subject="March news",
        body_text="News",
        from_email="news@agency.example",
        send_after=SENT,
        person=cast.candidate,
        purpose="marketing",
    )
    assert message is not None
    OutboxMessage.objects.filter(id=message.id).update(state="sent", sent_at=SENT)
    message.refresh_from_db()
    return message


def _report(name: str, message: OutboxMessage | None = None) -> bytes:
    raw = (REPORTS / name).read_bytes()
    if message is not None:
        raw = raw.replace(b"MESSAGE_ID_HERE", message.message_id.encode())
    return raw


def test_postfix_bounce_is_read_with_recipient_status_and_message_id() -> None:
    result = parse_report(_report("postfix-hard-bounce.eml"))
    assert result.recognised
    [report] = result.reports
    assert report.kind == "hard"
    assert report.recipient == "priya@example.net"
    assert report.status == "5.1.1"
    assert "User unknown" in report.detail
    assert report.message_id == "MESSAGE_ID_HERE"


def test_hard_bounce_suppresses_the_address_and_marks_the_message(cast: Cast) -> None:
    message = _sent(cast)

    process_report(_report("postfix-hard-bounce.eml", message))

    message.refresh_from_db()
    assert message.outcome == Outcome.BOUNCED
    assert "5.1.1" in message.outcome_detail
    suppression = Suppression.objects.get()
    assert suppression.reason == Suppression.Reason.HARD_BOUNCE
    assert suppression.message == message
    assert is_suppressed("priya@example.net", purpose="service")  # no check-ins either


def test_the_bounce_finds_our_message_among_several_to_the_address(cast: Cast) -> None:
    first = _sent(cast, key="newsletter:1")
    second = _sent(cast, key="newsletter:2")

    process_report(_report("postfix-hard-bounce.eml", first))

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.outcome, second.outcome) == (Outcome.BOUNCED, Outcome.NONE)


def test_a_bounce_without_our_message_id_falls_back_to_the_newest_to_the_recipient(
    cast: Cast,
) -> None:
    _sent(cast, key="newsletter:1")
    newest = _sent(cast, key="newsletter:2")

    process_report(_report("postfix-hard-bounce.eml"))  # MESSAGE_ID_HERE matches nothing

    newest.refresh_from_db()
    assert newest.outcome == Outcome.BOUNCED
    assert is_suppressed("priya@example.net")


def test_a_mailbox_full_bounce_is_soft_and_suppresses_nothing_yet(cast: Cast) -> None:
    message = _sent(cast)

    [report] = process_report(_report("exim-soft-bounce.eml", message)).reports

    assert report.kind == "soft"
    message.refresh_from_db()
    assert message.outcome == Outcome.SOFT_BOUNCED
    assert not Suppression.objects.exists()


def test_a_delay_notice_is_not_a_bounce(cast: Cast) -> None:
    message = _sent(cast)
    result = process_report(_report("postfix-delayed.eml", message))
    assert result.recognised and result.reports == []
    message.refresh_from_db()
    assert message.outcome == Outcome.NONE


def test_a_feedback_loop_complaint_stops_all_marketing(cast: Cast) -> None:
    record_consent(
        person=cast.candidate,
        basis=Consent.Basis.SOFT_OPT_IN,
        subscriber_type=Consent.SubscriberType.INDIVIDUAL,
        method="Placed at Acme",
    )
    message = _sent(cast)

    [report] = process_report(_report("arf-complaint.eml", message)).reports

    assert report.kind == "complaint"
    message.refresh_from_db()
    assert message.outcome == Outcome.COMPLAINED
    assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINT
    assert not may_market_to(cast.candidate, today=dt.date(2026, 3, 12))
    assert Consent.objects.get().withdrawn_how == "Marked our email as spam"
    # A complaint is about marketing: check-ins still go.
    assert not is_suppressed("priya@example.net", purpose="service")


def test_an_ordinary_email_is_not_a_report() -> None:
    raw = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nHello\r\n"
    assert not parse_report(raw).recognised


def test_keepwarm_bounces_reads_a_directory(cast: Cast, tmp_path: Path) -> None:
    message = _sent(cast)
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "1.eml").write_bytes(_report("postfix-hard-bounce.eml", message))
    (tmp_path / "new" / "2.eml").write_bytes(b"Subject: hello\r\n\r\nnot a bounce\r\n")
    out = io.StringIO()

    call_command("bounces", str(tmp_path), stdout=out)

    assert "hard priya@example.net 5.1.1" in out.getvalue()
    assert "not a bounce or complaint report, skipped" in out.getvalue()
    assert "2 messages read, 1 bounces or complaints recorded" in out.getvalue()
    assert is_suppressed("priya@example.net")


def test_keepwarm_bounces_reads_standard_input(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    message = _sent(cast)

    class Stdin:
        buffer = io.BytesIO(_report("arf-complaint.eml", message))

    monkeypatch.setattr(sys, "stdin", Stdin())
    out = io.StringIO()
    call_command("bounces", stdout=out)

    assert "complaint priya@example.net" in out.getvalue()
    assert is_suppressed("priya@example.net")


def test_keepwarm_bounces_names_a_missing_path(db: Any) -> None:
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="No such file"):
        call_command("bounces", "/nonexistent/bounce.eml")
