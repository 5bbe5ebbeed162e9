"""Check-ins go through the outbox and a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.template import TemplateDoesNotExist

from keepwarm.care.models import Touchpoint
from keepwarm.conftest import Cast, SmtpSink
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.services.checkins import render_checkin
from keepwarm.mail.services.outbox import queue_email
from keepwarm.mail.services.reconcile import reconcile_stale, resolve_unknown
from keepwarm.mail.services.sending import send_pending
from keepwarm.mail.tests.factories import at, make_checkin
from keepwarm.worker.tick import tick

DUE = dt.date(2026, 3, 9)  # a Monday in GMT
MORNING = at("2026-03-09T09:05+00:00")


@pytest.fixture
def reachable_owner(cast: Cast) -> Cast:
    cast.owner.phone = "0113 496 0000"
    cast.owner.save(update_fields=["phone"])
    return cast


def test_checkin_arrives_personally_from_the_owner(
    reachable_owner: Cast, smtp_server: SmtpSink
) -> None:
    touchpoint = make_checkin(reachable_owner, due_on=DUE)

    report = tick(now=MORNING, worker_id="test")

    assert report.queued == 1
    assert report.mail.sent == 1
    [received] = smtp_server.messages
    assert received["To"] == "priya@example.net"
    assert received["From"] == "Olivia Owner at Keepwarm <keepwarm@127.0.0.1>"
    assert received["Reply-To"] == "Olivia Owner <olivia_owner@agency.example>"
    assert received["Subject"] == "How is week one going, Priya?"
    assert received["List-Unsubscribe"] is None  # a personal 1:1 email, not marketing
    text_part = received.get_body(preferencelist=("plain",))
    html_part = received.get_body(preferencelist=("html",))
    assert text_part is not None and html_part is not None
    text, html = text_part.get_content(), html_part.get_content()
    assert "How are you finding the Account Manager job at Acme Widgets?" in text
    assert "0113 496 0000" in text
    assert "Account Manager job at Acme Widgets" in html
    assert 'href="tel:01134960000"' in html
    assert 'href="mailto:olivia_owner@agency.example"' in html
    assert "style=" in html  # CSS inlined for mail clients that drop <style>
    message = OutboxMessage.objects.get()
    assert message.key == f"touchpoint:{touchpoint.id}"
    assert message.state == OutboxMessage.State.SENT
    assert message.sent_at == MORNING
    assert received["Message-ID"] == message.message_id
    touchpoint.refresh_from_db()
    assert (touchpoint.state, touchpoint.outcome) == ("done", "emailed")


def test_person_written_text_is_escaped_in_html_but_not_in_text(cast: Cast) -> None:
    cast.candidate.first_name = "Zoë <b>"
    cast.candidate.save(update_fields=["first_name"])
    touchpoint = make_checkin(cast, due_on=DUE, email_body="Hi {{ first_name }} & all")

    subject, text, html = render_checkin(touchpoint)

    assert subject == "How is week one going, Zoë <b>?"
    assert text.startswith("Hi Zoë <b> & all")
    assert "Hi Zoë &lt;b&gt; &amp; all" in html


def test_plan_text_cannot_include_files(cast: Cast) -> None:
    touchpoint = make_checkin(
        cast, due_on=DUE, email_body='{% include "emails/checkin-body.txt" %}'
    )

    with pytest.raises(TemplateDoesNotExist):
        render_checkin(touchpoint)


def test_capture_mode_keeps_messages_without_sending(
    cast: Cast, settings: object, smtp_server: SmtpSink
) -> None:
    settings.EMAIL_BACKEND = "keepwarm.mail.backends.CaptureBackend"  # type: ignore[attr-defined]
    make_checkin(cast, due_on=DUE)

    report = tick(now=MORNING, worker_id="test")

    assert report.mail.captured == 1
    assert smtp_server.messages == []
    assert smtp_server.connections == 0
    assert OutboxMessage.objects.get().state == OutboxMessage.State.CAPTURED


def test_transient_refusal_retries_with_backoff_then_sends(
    cast: Cast, smtp_server: SmtpSink
) -> None:
    make_checkin(cast, due_on=DUE)
    smtp_server.rcpt_replies.append("451 4.7.1 Greylisted, try again later")

    first = tick(now=MORNING, worker_id="test")

    message = OutboxMessage.objects.get()
    assert first.mail.retried == 1
    assert (message.state, message.attempts) == ("pending", 1)
    assert message.send_after == MORNING + dt.timedelta(minutes=1)
    assert "451" in message.last_error
    assert tick(now=MORNING + dt.timedelta(seconds=30), worker_id="test").mail.handled == 0

    later = tick(now=MORNING + dt.timedelta(minutes=1), worker_id="test")

    assert later.mail.sent == 1
    assert len(smtp_server.messages) == 1
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT


def test_transient_errors_back_off_further_and_give_up_after_five(
    cast: Cast, smtp_server: SmtpSink
) -> None:
    touchpoint = make_checkin(cast, due_on=DUE)
    smtp_server.data_replies.extend(["452 4.3.1 Insufficient storage"] * 5)
    now = MORNING
    waits = []
    for _ in range(4):
        tick(now=now, worker_id="test")
        message = OutboxMessage.objects.get()
        waits.append(message.send_after - now)
        now = message.send_after

    tick(now=now, worker_id="test")

    assert waits == [dt.timedelta(minutes=m) for m in (1, 5, 30, 120)]
    message = OutboxMessage.objects.get()
    assert (message.state, message.attempts) == ("failed", 5)
    assert "Gave up after 5 attempts" in message.last_error
    touchpoint.refresh_from_db()
    assert touchpoint.outcome == Touchpoint.Outcome.BOUNCED
    assert smtp_server.messages == []


@pytest.mark.parametrize(
    "where", ["rcpt_replies", "data_replies"], ids=["recipient refused", "data refused"]
)
def test_permanent_refusal_fails_and_shows_on_the_touchpoint(
    cast: Cast, smtp_server: SmtpSink, where: str
) -> None:
    touchpoint = make_checkin(cast, due_on=DUE)
    getattr(smtp_server, where).append("550 5.1.1 No such user here")

    report = tick(now=MORNING, worker_id="test")

    assert report.mail.failed == 1
    message = OutboxMessage.objects.get()
    assert message.state == OutboxMessage.State.FAILED
    assert message.last_error.startswith("550")
    assert "No such user" in message.last_error
    touchpoint.refresh_from_db()
    assert touchpoint.outcome == Touchpoint.Outcome.BOUNCED
    assert tick(now=MORNING + dt.timedelta(hours=3), worker_id="test").mail.handled == 0


def test_one_failure_does_not_stop_the_rest_of_the_batch(cast: Cast, smtp_server: SmtpSink) -> None:
    for day in range(3):
        make_checkin(cast, due_on=DUE - dt.timedelta(days=day))
    smtp_server.rcpt_replies.append("550 5.1.1 No such user here")

    report = tick(now=MORNING, worker_id="test")

    assert (report.mail.failed, report.mail.sent) == (1, 2)
    assert len(smtp_server.messages) == 2
    assert smtp_server.connections == 1  # one SMTP connection for the whole batch


def test_message_refused_after_its_content_leaves_the_next_ones_whole(
    cast: Cast, smtp_server: SmtpSink
) -> None:
    # On a server with PIPELINING the next message's envelope went out with the refused
    # one's content: the server now waits for that message's content, so nothing else
    # (an RSET, a QUIT) may be written on that connection.
    for day in range(3):
        make_checkin(cast, due_on=DUE - dt.timedelta(days=day))
    smtp_server.data_replies.append("554 5.7.1 Message rejected as spam")

    report = tick(now=MORNING, worker_id="test")

    assert (report.mail.failed, report.mail.sent) == (1, 2)
    states = OutboxMessage.objects.values_list("state", flat=True)
    assert sorted(states) == ["failed", "sent", "sent"]
    sent = {m.message_id: m for m in OutboxMessage.objects.filter(state="sent")}
    assert sorted(smtp_server.message_ids()) == sorted(sent)
    for received in smtp_server.messages:
        part = received.get_body(("plain",))
        assert part is not None
        body = part.get_content().replace("\r\n", "\n")
        assert body.strip() == sent[str(received["Message-ID"])].body_text.strip()


def test_unreachable_server_leaves_messages_waiting(cast: Cast, settings: object) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # type: ignore[attr-defined]
    settings.EMAIL_HOST = "127.0.0.1"  # type: ignore[attr-defined]
    settings.EMAIL_PORT = 9  # type: ignore[attr-defined]  # discard port: nothing listens
    settings.EMAIL_TIMEOUT = 2  # type: ignore[attr-defined]
    make_checkin(cast, due_on=DUE)
    make_checkin(cast, due_on=DUE - dt.timedelta(days=1))

    report = tick(now=MORNING, worker_id="test")

    assert report.mail.retried == 2
    assert set(OutboxMessage.objects.values_list("state", "attempts")) == {("pending", 1)}
    assert all("Could not connect" in m.last_error for m in OutboxMessage.objects.all())


def test_queueing_the_same_key_twice_keeps_one_row(cast: Cast) -> None:
    fields = {
        "to_email": "priya@example.net",
        "subject": "Hello",
        "body_text": "Hi",
        "from_email": "keepwarm@127.0.0.1",
        "send_after": MORNING,
    }
    first = queue_email(key="touchpoint:1", **fields)  # type: ignore[arg-type]
    second = queue_email(key="touchpoint:1", **fields)  # type: ignore[arg-type]

    assert first is not None
    assert second is None
    assert OutboxMessage.objects.count() == 1
    assert first.message_id.startswith("<") and first.message_id.endswith("@127.0.0.1>")


def test_message_caught_mid_send_becomes_unknown_and_is_not_resent(
    cast: Cast, smtp_server: SmtpSink
) -> None:
    make_checkin(cast, due_on=DUE)
    tick(now=MORNING, worker_id="test")
    # As a worker killed after its claim leaves it:
    OutboxMessage.objects.update(state="sending", claimed_at=MORNING, sent_at=None)

    assert reconcile_stale(now=MORNING + dt.timedelta(minutes=9)) == 0
    assert reconcile_stale(now=MORNING + dt.timedelta(minutes=11)) == 1
    tick(now=MORNING + dt.timedelta(hours=1), worker_id="test")

    message = OutboxMessage.objects.get()
    assert message.state == OutboxMessage.State.UNKNOWN
    assert "may have gone out" in message.last_error
    assert len(smtp_server.messages) == 1


def test_a_person_resolves_an_unknown_message(cast: Cast, smtp_server: SmtpSink) -> None:
    make_checkin(cast, due_on=DUE)
    make_checkin(cast, due_on=DUE - dt.timedelta(days=1))
    tick(now=MORNING, worker_id="test")
    OutboxMessage.objects.update(state="unknown", sent_at=None)
    went, again = OutboxMessage.objects.order_by("id")
    later = MORNING + dt.timedelta(hours=2)

    assert resolve_unknown(message_ids=[went.pk], sent=True, by=cast.owner, now=later) == 1
    assert resolve_unknown(message_ids=[again.pk], sent=False, by=cast.owner, now=later) == 1
    tick(now=later, worker_id="test")

    went.refresh_from_db()
    again.refresh_from_db()
    assert went.state == "sent"
    assert "Marked as sent by Olivia Owner" in went.last_error
    assert again.state == "sent"
    assert again.sent_at == later
    assert len(smtp_server.messages) == 3  # two on the first tick, one sent again on request
    with pytest.raises(ValidationError):
        resolve_unknown(message_ids=[went.pk], sent=False, by=cast.owner)


def test_send_pending_without_due_rows_opens_no_connection(smtp_server: SmtpSink, db: None) -> None:
    assert send_pending(now=MORNING).handled == 0
    assert smtp_server.connections == 0
