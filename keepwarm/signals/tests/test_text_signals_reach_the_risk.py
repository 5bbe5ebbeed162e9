"""What people write reaches the risk: an answer typed on the public questionnaire page
and a note on a logged call are read for tone and leaving intent, shown where the words
are, and a leaving intent counts in the placement's risk reasons and opens its alert."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from keepwarm.conftest import START, Cast
from keepwarm.mail.models import OutboxMessage
from keepwarm.signals.models import Alert, Risk, Signal, SignalKind, TextReading
from keepwarm.signals.tests.conftest import at
from keepwarm.surveys.models import Invitation, Response
from keepwarm.surveys.services import create_invitation
from keepwarm.surveys.tests.conftest import Asked, full_answers, link, make_checkin

ANOTHER_AGENCY = "I've had a call from another agency about a role paying £5k more and I'm tempted"
WEEK_6 = at(START + dt.timedelta(days=42))
Capture = Callable[..., AbstractContextManager[Any]]


@pytest.fixture
def week_6() -> Iterator[None]:
    with time_machine.travel(WEEK_6, tick=False):
        yield


def answer_on_the_page(cast: Cast, capture: Capture, concerns: str) -> Response:
    """Priya answers her emailed check-in on the public page, typing `concerns`."""
    asked: Asked = make_checkin()
    invitation = create_invitation(
        placement=cast.placement,
        person=cast.candidate,
        questionnaire=asked.questionnaire,
        sender=cast.owner,
    )
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=WEEK_6)
    with capture(execute=True):
        page = Client().post(
            link(invitation), full_answers(asked, **{f"q_{asked.concerns.pk}": concerns})
        )
    assert page.status_code == 302
    return Response.objects.get(invitation=invitation)


def logged_in(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.owner)
    return client


def test_an_answer_saying_another_agency_called_raises_the_risk_and_opens_an_alert(
    cast: Cast, django_capture_on_commit_callbacks: Capture, week_6: None
) -> None:
    response = answer_on_the_page(cast, django_capture_on_commit_callbacks, ANOTHER_AGENCY)

    risk = Risk.objects.get(placement=cast.placement)
    assert risk.reasons[0].startswith(
        "Leaving intent (another agency called): “I've had a call from another agency"
    )
    assert risk.score >= 50
    alert = Alert.objects.get(placement=cast.placement, state=Alert.State.OPEN)
    assert "Leaving intent (another agency called)" in alert.reason
    assert OutboxMessage.objects.filter(to_email=cast.owner.email).count() == 1

    owner = logged_in(cast)
    placement_page = owner.get(cast.placement.get_absolute_url()).text
    assert "Leaving intent (another agency called)" in placement_page
    answers_page = owner.get(reverse("response", args=[response.pk])).text
    assert "leaving intent</span> another agency called: “call from another agency”" in (
        answers_page
    )
    assert "tone " in answers_page
    person_page = owner.get(reverse("person", args=[cast.candidate.pk])).text
    assert "call from another agency" in person_page


def test_look_elsewhere_about_a_pack_size_raises_nothing(
    cast: Cast, django_capture_on_commit_callbacks: Capture, week_6: None
) -> None:
    answer_on_the_page(
        cast,
        django_capture_on_commit_callbacks,
        "The coffee pods in the kitchen come in a smaller pack now, I'd look elsewhere for them",
    )
    assert not Signal.objects.filter(kind=SignalKind.MIGHT_LEAVE).exists()
    assert not Alert.objects.exists()
    reading = TextReading.objects.get(source=TextReading.Source.ANSWER)
    assert reading.intent == ""


def test_each_free_text_answer_keeps_its_graded_tone(
    cast: Cast, django_capture_on_commit_callbacks: Capture, week_6: None
) -> None:
    response = answer_on_the_page(
        cast, django_capture_on_commit_callbacks, "Honestly the rota is awful and I feel ignored"
    )
    reading = TextReading.objects.get(source=TextReading.Source.ANSWER)
    assert reading.source_id == response.answers.get(question__code="concerns").pk
    assert -1 < reading.tone < -0.05  # a number, not a yes/no
    assert reading.tone_word in {"negative", "very negative"}


def test_a_call_note_saying_they_might_look_elsewhere_raises_the_risk_and_opens_an_alert(
    cast: Cast, django_capture_on_commit_callbacks: Capture, week_6: None
) -> None:
    owner = logged_in(cast)
    with django_capture_on_commit_callbacks(execute=True):
        page = owner.post(
            reverse("log_call", args=[cast.candidate.pk]),
            {
                "kind": "call",
                "outcome": "reached",
                "placement": cast.placement.pk,
                "notes": "Unhappy about commute, might look elsewhere",
            },
        )
    assert page.status_code == 302

    risk = Risk.objects.get(placement=cast.placement)
    assert risk.reasons[0].startswith(
        "Leaving intent (looking elsewhere): “Unhappy about commute, might look elsewhere”"
    )
    assert risk.score >= 50
    alert = Alert.objects.get(placement=cast.placement, state=Alert.State.OPEN)
    assert "Leaving intent (looking elsewhere)" in alert.reason

    timeline = owner.get(reverse("person", args=[cast.candidate.pk])).text
    assert "leaving intent</span> looking elsewhere: “look elsewhere”" in timeline
    assert "Leaving intent (looking elsewhere)" in owner.get(cast.placement.get_absolute_url()).text


def test_a_later_call_note_without_leaving_intent_settles_the_earlier_one(
    cast: Cast, django_capture_on_commit_callbacks: Capture, week_6: None
) -> None:
    owner = logged_in(cast)
    for note in ("She has an interview elsewhere on Friday", "Spoke again: she is staying put"):
        with django_capture_on_commit_callbacks(execute=True):
            owner.post(
                reverse("log_call", args=[cast.candidate.pk]),
                {"kind": "call", "outcome": "reached", "notes": note},
            )
    assert Signal.objects.get(kind=SignalKind.MIGHT_LEAVE).active is False
    assert Risk.objects.get(placement=cast.placement).score < 50
    # The alert the first note opened stays open until someone closes it with a note.
    assert "Leaving intent (interviews elsewhere)" in Alert.objects.get().reason


def test_a_call_note_about_a_colleague_leaving_raises_nothing(
    cast: Cast, django_capture_on_commit_callbacks: Capture, week_6: None
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        logged_in(cast).post(
            reverse("log_call", args=[cast.candidate.pk]),
            {
                "kind": "call",
                "outcome": "reached",
                "placement": cast.placement.pk,
                "notes": "Going well. Her manager handed in his notice, she is fine with it.",
            },
        )
    assert not Signal.objects.filter(kind=SignalKind.MIGHT_LEAVE).exists()
    assert not Alert.objects.exists()


def log_call_before_the_start(cast: Cast, capture: Capture, notes: str) -> None:
    """Olivia's call with Priya a week before her first day."""
    week_before = at(START - dt.timedelta(days=7))
    with time_machine.travel(week_before, tick=False), capture(execute=True):
        logged_in(cast).post(
            reverse("log_call", args=[cast.candidate.pk]),
            {"kind": "call", "outcome": "reached", "placement": cast.placement.pk, "notes": notes},
        )


def test_resigning_before_the_start_is_the_old_job_and_raises_nothing(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    log_call_before_the_start(
        cast, django_capture_on_commit_callbacks, "She handed in her notice today, all on track"
    )
    assert not Signal.objects.filter(kind=SignalKind.MIGHT_LEAVE).exists()
    assert TextReading.objects.get(source=TextReading.Source.TOUCHPOINT).intent == ""
    assert not any("Leaving intent" in r for r in Risk.objects.get().reasons)
    assert not Alert.objects.exists()


def test_an_offer_elsewhere_before_the_start_still_raises_the_risk(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    log_call_before_the_start(
        cast,
        django_capture_on_commit_callbacks,
        "Handed in her notice, but she has had another offer",
    )
    assert Signal.objects.get(kind=SignalKind.MIGHT_LEAVE).active
    assert TextReading.objects.get(source=TextReading.Source.TOUCHPOINT).intent == "offer"


def test_notice_given_once_started_is_leaving_this_job(
    cast: Cast, django_capture_on_commit_callbacks: Capture, week_6: None
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        logged_in(cast).post(
            reverse("log_call", args=[cast.candidate.pk]),
            {"kind": "call", "outcome": "reached", "placement": cast.placement.pk,
             "notes": "She handed in her notice today"},
        )  # fmt: skip
    assert "Leaving intent (notice or resigning)" in Risk.objects.get().reasons[0]
