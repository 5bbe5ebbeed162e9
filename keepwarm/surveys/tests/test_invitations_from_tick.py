"""The worker's tick sends questionnaire invitations by email, and one reminder."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client

from keepwarm.care.models import CarePlan, Kind, PlanStep, Touchpoint
from keepwarm.care.services import lay_out_care_plan
from keepwarm.conftest import START, Cast, SmtpSink
from keepwarm.mail.models import OutboxMessage
from keepwarm.placements.models import Target
from keepwarm.surveys.models import Invitation, Questionnaire
from keepwarm.surveys.services import create_invitation, record_response, send_reminders
from keepwarm.surveys.tests.conftest import Asked, full_answers, link
from keepwarm.worker.tick import tick

# 10:00 in London on the week-one check-in's due date (start + 7 days), after the send hour.
WEEK_ONE = dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def plan(asked: Asked) -> CarePlan:
    plan = CarePlan.objects.create(name="Test plan with a questionnaire")
    PlanStep.objects.create(
        plan=plan,
        order=1,
        title="Week-one check-in",
        kind=Kind.QUESTIONNAIRE,
        offset_days=7,
        email_subject="How was your first week at {{ company }}?",
        email_body="Hi {{ first_name }},\n\nHow has it been?\n\n{{ owner_name }}",
        questionnaire=asked.questionnaire,
    )
    return plan


def _link_in(text: str) -> str:
    found = re.search(r"(http://\S+/q/\S+/)", text)
    assert found, text
    return found.group(1)


def test_tick_emails_an_invitation_whose_link_opens_the_questions(
    cast: Cast, plan: CarePlan, smtp_server: SmtpSink
) -> None:
    cast.owner.phone = "0113 496 0000"
    cast.owner.save(update_fields=["phone"])
    lay_out_care_plan(placement=cast.placement, plan=plan, today=START)

    report = tick(now=WEEK_ONE)

    assert report.queued == 1
    assert report.mail.sent == 1
    invitation = Invitation.objects.get()
    assert invitation.person == cast.candidate
    assert invitation.touchpoint is not None
    assert invitation.touchpoint.state == Touchpoint.State.DONE
    assert invitation.sent_at is not None
    assert invitation.expires_at == WEEK_ONE + dt.timedelta(days=30)
    (message,) = smtp_server.messages
    assert message["To"] == "priya@example.net"
    assert "Olivia Owner" in message["From"]
    assert "olivia_owner@agency.example" in message["Reply-To"]
    assert message["Subject"] == "How was your first week at Acme Widgets?"
    plain, rich = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and rich is not None
    text = plain.get_content()
    assert "How has it been?" in text
    assert "0113 496 0000" in text
    html = rich.get_content()
    url = _link_in(text)
    assert url.startswith("http://127.0.0.1:8000/q/")
    assert f'href="{url}"' in html

    # Following the emailed link that day shows the questions.
    with time_machine.travel(WEEK_ONE + dt.timedelta(hours=2)):
        page = Client().get(urlsplit(url).path)
    assert page.status_code == 200
    assert "How happy are you with the job?" in page.text

    # A second tick sends nothing more.
    again = tick(now=WEEK_ONE + dt.timedelta(minutes=1))
    assert again.queued == 0
    assert len(smtp_server.messages) == 1


def test_a_client_questionnaire_asks_about_each_agreed_target_by_name(
    cast: Cast, client: Client
) -> None:
    Target.objects.create(
        placement=cast.placement, name="Tickets resolved", target_value=120, unit="tickets"
    )
    questionnaire = Questionnaire.objects.get(code="client-check-in")  # shipped default
    invitation = create_invitation(
        placement=cast.placement,
        person=cast.client_contact,
        questionnaire=questionnaire,
        sender=cast.owner,
    )
    codes = [q.code for q in invitation.all_questions()]
    targets = list(cast.placement.targets.order_by("id"))
    assert codes[:2] == [f"target:{t.pk}" for t in targets]
    page = client.get(link(invitation))
    assert "New business: how is Priya doing against the agreed target?" in page.text
    assert "Tickets resolved: how is Priya doing against the agreed target?" in page.text
    assert "On track" in page.text and "Behind" in page.text


def test_default_plans_name_their_questionnaires(db: None) -> None:
    steps = PlanStep.objects.filter(plan__name="Permanent placement", kind=Kind.QUESTIONNAIRE)
    named = dict(steps.values_list("title", "questionnaire__code"))
    assert named["Week-one check-in"] == "candidate-week-1"
    assert named["Six-month check-in"] == "candidate-check-in"
    assert named["Client check-in before the guarantee ends"] == "client-check-in"
    assert Questionnaire.objects.filter(code__in=["candidate-feedback", "client-feedback"]).count()


# --- Reminders ----------------------------------------------------------------------------


def _reminders() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(key__endswith=":reminder"))


def test_one_polite_reminder_after_five_days_then_never_again(
    invitation: Invitation, settings: Any
) -> None:
    assert settings.KEEPWARM_REMINDER_DAYS == 5
    sent = invitation.sent_at
    assert sent is not None
    assert send_reminders(now=sent + dt.timedelta(days=4, hours=23)) == 0
    assert send_reminders(now=sent + dt.timedelta(days=5)) == 1
    assert send_reminders(now=sent + dt.timedelta(days=6)) == 0
    (reminder,) = _reminders()
    assert reminder.key == f"invitation:{invitation.pk}:reminder"
    assert reminder.to_email == "priya@example.net"
    assert "reminder" in reminder.subject.lower()
    assert "/q/" in reminder.body_text
    assert "only reminder" in reminder.body_text
    invitation.refresh_from_db()
    assert invitation.reminded_at is not None


def test_no_reminder_once_answered_and_a_queued_one_is_cancelled(
    invitation: Invitation, asked: Asked, client: Client
) -> None:
    sent = invitation.sent_at
    assert sent is not None
    assert client.post(link(invitation), full_answers(asked)).status_code == 302
    assert send_reminders(now=sent + dt.timedelta(days=6)) == 0
    assert _reminders() == []


def test_a_reminder_waiting_for_the_send_hour_is_cancelled_by_an_answer(
    invitation: Invitation, asked: Asked
) -> None:
    sent = invitation.sent_at
    assert sent is not None
    later = sent + dt.timedelta(days=10)
    assert send_reminders(now=sent + dt.timedelta(days=5), send_after=later) == 1
    record_response(invitation=invitation, given={})
    assert [m.state for m in _reminders()] == [OutboxMessage.State.CANCELLED]


def test_no_reminder_after_the_link_expired(invitation: Invitation) -> None:
    sent = invitation.sent_at
    assert sent is not None
    assert send_reminders(now=sent + dt.timedelta(days=30)) == 0
    assert _reminders() == []


def test_the_reminder_repeats_the_subject_the_invitation_went_out_with(
    cast: Cast, plan: CarePlan
) -> None:
    lay_out_care_plan(placement=cast.placement, plan=plan, today=START)
    tick(now=WEEK_ONE)

    assert send_reminders(now=WEEK_ONE + dt.timedelta(days=5)) == 1

    (reminder,) = _reminders()
    assert reminder.subject == "Reminder: How was your first week at Acme Widgets?"
    assert "Test check-in" not in reminder.subject + reminder.body_text


def test_a_step_without_its_own_subject_uses_the_public_title_never_the_internal_name(
    cast: Cast, plan: CarePlan
) -> None:
    plan.steps.update(email_subject="")
    lay_out_care_plan(placement=cast.placement, plan=plan, today=START)

    tick(now=WEEK_ONE)

    invitation = Invitation.objects.get()
    assert invitation.subject == "How are things going?"
    assert OutboxMessage.objects.get(key__startswith="touchpoint:").subject == invitation.subject
