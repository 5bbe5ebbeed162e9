"""Answering questionnaires for the signals tests, straight into the surveys models."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from keepwarm.conftest import START, Cast
from keepwarm.people.services import record_contact
from keepwarm.surveys.models import Answer, Invitation, Questionnaire, Response


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


class Answering:
    def __init__(self, cast: Cast) -> None:
        self.cast = cast

    def invite(
        self,
        code: str = "candidate-check-in",
        *,
        sent: dt.datetime,
        days: int = 30,
        client: bool = False,
    ) -> Invitation:
        person = self.cast.client_contact if client else self.cast.candidate
        return Invitation.objects.create(
            placement=self.cast.placement,
            person=person,
            questionnaire=Questionnaire.objects.get(code=code),
            sender=self.cast.owner,
            sent_at=sent,
            expires_at=sent + dt.timedelta(days=days),
        )

    def __call__(
        self,
        answers: dict[str, Any],
        *,
        on: dt.datetime,
        code: str = "candidate-check-in",
        client: bool = False,
    ) -> Response:
        """Record a response to a new invitation with `answers` {question code: value}."""
        invitation = self.invite(code, sent=on - dt.timedelta(days=1), client=client)
        response = Response.objects.create(
            invitation=invitation,
            placement=invitation.placement,
            person=invitation.person,
            questionnaire=invitation.questionnaire,
            submitted_at=on,
        )
        Invitation.objects.filter(pk=invitation.pk).update(answered_at=on)
        # As surveys.record_response does: an answer is the person's latest contact.
        record_contact(person=invitation.person, at=on)
        questions = {q.code: q for q in invitation.all_questions()}
        for question_code, value in answers.items():
            question = questions[question_code]
            if question.kind in ("nps", "rating"):
                Answer.objects.create(
                    response=response, question=question, value_number=Decimal(value)
                )
            else:
                Answer.objects.create(response=response, question=question, value_text=str(value))
        return response


HAPPY = {
    "satisfaction_job": 4,
    "satisfaction_manager": 5,
    "environment": 4,
    "worklife": 4,
    "hours_as_agreed": "yes",
    "duties_as_agreed": "yes",
    "expectations_met": "yes",
    "see_in_a_year": "yes",
    "nps": 9,
}
UNHAPPY = {
    **HAPPY,
    "satisfaction_job": 2,
    "expectations_met": "no",
    "expectations_detail": "Much more cold calling than I was told.",
    "nps": 5,
}


@pytest.fixture
def answer(cast: Cast) -> Answering:
    return Answering(cast)


MONTH_1 = at(START + dt.timedelta(days=30))
MONTH_3 = at(START + dt.timedelta(days=91))
