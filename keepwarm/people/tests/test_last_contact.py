"""One last contact: the person page, the people list, Today and the risk model read the
same figure, and what counts as contact is what a recruiter would count."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
import time_machine
from django.apps import apps
from django.test import Client
from django.urls import reverse

from keepwarm.accounts.models import User
from keepwarm.care.models import Kind, Touchpoint
from keepwarm.care.services import log_touchpoint
from keepwarm.conftest import START, Cast
from keepwarm.portal.personal import refer
from keepwarm.signals.services.evidence import find_signals, hear
from keepwarm.surveys.models import Invitation, Questionnaire, Response
from keepwarm.surveys.services import record_response

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 10, 19, 12, 0, tzinfo=dt.UTC)
CALLED = dt.datetime(2026, 3, 20, 10, 0, tzinfo=dt.UTC)
ANSWERED = NOW - dt.timedelta(days=49)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _answer(cast: Cast, at: dt.datetime) -> None:
    invitation = Invitation.objects.create(
        placement=cast.placement,
        person=cast.candidate,
        questionnaire=Questionnaire.objects.get(code="candidate-check-in"),
        sender=cast.owner,
        sent_at=at - dt.timedelta(days=1),
        expires_at=at + dt.timedelta(days=30),
    )
    record_response(invitation=invitation, given={}, now=at)


def _call(cast: Cast, at: dt.datetime, outcome: str) -> None:
    log_touchpoint(
        person=cast.candidate,
        by=cast.owner,
        kind=Kind.CALL,
        outcome=outcome,
        placement=cast.placement,
        now=at,
    )


def _silence_words(cast: Cast) -> tuple[str, str]:
    heard = hear(cast.placement, now=NOW)
    [factor] = [f for f in heard.factors if f.name == "response:silence"]
    [found] = [f for f in find_signals(cast.placement, now=NOW) if f.kind == "long_silence"]
    return factor.words, found.reason


def test_an_answer_is_the_last_contact_on_the_person_page_the_list_and_the_risk(
    cast: Cast,
) -> None:
    _call(cast, CALLED, Touchpoint.Outcome.REACHED)
    _answer(cast, ANSWERED)

    with time_machine.travel(NOW, tick=False):
        client = _client(cast.owner)
        page = client.get(reverse("person", args=[cast.candidate.pk])).content.decode()
        listed = client.get(reverse("people")).content.decode()
        factor, reason = _silence_words(cast)

    assert "last contact 49 days ago" in page
    assert "31 Aug 2026" in listed
    assert factor == "no contact for 49 days"
    assert reason == "No contact for 49 days (last contact 31 Aug 2026)"


def test_automated_emails_and_calls_that_reach_nobody_are_no_contact(cast: Cast) -> None:
    _call(cast, CALLED, Touchpoint.Outcome.REACHED)
    _call(cast, NOW - dt.timedelta(days=3), Touchpoint.Outcome.VOICEMAIL)
    # A check-in the worker sent, and nobody answered.
    Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind=Kind.QUESTIONNAIRE,
        title="Month-6 check-in",
        due_on=(NOW - dt.timedelta(days=2)).date(),
        owner=cast.owner,
        state=Touchpoint.State.DONE,
        done_at=NOW - dt.timedelta(days=2),
    )
    cast.candidate.refresh_from_db()
    assert cast.candidate.last_contacted_at == CALLED


def test_writing_in_from_the_personal_page_is_contact(cast: Cast) -> None:
    with time_machine.travel(NOW, tick=False):
        refer(person=cast.candidate, kind="candidate", name="Nina Newman", agreed_to_contact=True)
        cast.candidate.refresh_from_db()
        page = _client(cast.owner).get(reverse("person", args=[cast.candidate.pk]))
    assert cast.candidate.last_contacted_at == NOW
    assert "last contact today" in page.content.decode()


def test_silence_since_the_start_says_so_rather_than_contradicting_the_last_contact(
    cast: Cast,
) -> None:
    before_start = dt.datetime.combine(START - dt.timedelta(days=10), dt.time(10), tzinfo=dt.UTC)
    _call(cast, before_start, Touchpoint.Outcome.REACHED)

    with time_machine.travel(NOW, tick=False):
        factor, reason = _silence_words(cast)

    days = (NOW.date() - START).days
    assert factor == f"no contact since they started {days} days ago"
    assert reason == (f"No contact since they started {days} days ago (last contact 20 Feb 2026)")


def test_answers_given_before_they_counted_become_the_last_contact_on_upgrade(
    cast: Cast,
) -> None:
    migration = importlib.import_module("keepwarm.surveys.migrations.0004_answers_are_last_contact")
    _call(cast, CALLED, Touchpoint.Outcome.REACHED)
    invitation = Invitation.objects.create(
        placement=cast.placement,
        person=cast.candidate,
        questionnaire=Questionnaire.objects.get(code="candidate-check-in"),
        expires_at=ANSWERED + dt.timedelta(days=30),
        answered_at=ANSWERED,
    )
    # As stored before answering counted: a response, and the last contact left alone.
    Response.objects.create(
        invitation=invitation,
        placement=cast.placement,
        person=cast.candidate,
        questionnaire=invitation.questionnaire,
        submitted_at=ANSWERED,
    )

    migration.answers_count_as_contact(apps, None)

    cast.candidate.refresh_from_db()
    cast.client_contact.refresh_from_db()
    assert cast.candidate.last_contacted_at == ANSWERED
    assert cast.client_contact.last_contacted_at is None
