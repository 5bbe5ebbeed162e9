"""A small questionnaire and an invitation to it, for Priya about her placement at Acme."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone

from keepwarm.conftest import Cast
from keepwarm.surveys.models import Invitation, Question, Questionnaire
from keepwarm.surveys.services import create_invitation, sign_invitation


@dataclass
class Asked:
    questionnaire: Questionnaire
    satisfaction: Question  # rating, required
    expectations: Question  # yes/no, required
    detail: Question  # "What has not matched your expectations?" after "No", required
    nps: Question
    concerns: Question  # free text, optional


def make_checkin() -> Asked:
    questionnaire = Questionnaire.objects.create(
        code="test-check-in",
        name="Test check-in",
        public_title="How are things going?",
        audience="candidate",
        intro="A few questions.",
        thanks="Thanks a lot.",
    )

    def ask(order: int, code: str, kind: str, label: str, **extra: object) -> Question:
        return Question.objects.create(
            questionnaire=questionnaire, order=order, code=code, kind=kind, label=label, **extra
        )

    expectations = ask(20, "expectations_met", "yes_no", "Does the job live up to expectations?")
    return Asked(
        questionnaire=questionnaire,
        satisfaction=ask(10, "satisfaction_job", "rating", "How happy are you with the job?"),
        expectations=expectations,
        detail=ask(
            30,
            "expectations_detail",
            "text",
            "What has not matched your expectations?",
            show_if=expectations,
            show_if_values="no",
        ),
        nps=ask(40, "nps", "nps", "How likely are you to recommend us?"),
        concerns=ask(50, "concerns", "text", "Anything I can help with?", required=False),
    )


@pytest.fixture
def asked(db: None) -> Asked:
    return make_checkin()


@pytest.fixture
def invitation(cast: Cast, asked: Asked) -> Invitation:
    return sent_invitation(cast, asked)


def sent_invitation(cast: Cast, asked: Asked) -> Invitation:
    """An invitation to `asked` for Priya about her placement at Acme, sent just now."""
    now = timezone.now()
    made = create_invitation(
        placement=cast.placement,
        person=cast.candidate,
        questionnaire=asked.questionnaire,
        sender=cast.owner,
        now=now,
    )
    Invitation.objects.filter(pk=made.pk).update(sent_at=now)
    made.refresh_from_db()
    return made


@pytest.fixture
def harrys_invitation(cast: Cast, asked: Asked) -> Invitation:
    """Harry, Acme's hiring manager, asked the same questions about Priya's placement."""
    return create_invitation(
        placement=cast.placement,
        person=cast.client_contact,
        questionnaire=asked.questionnaire,
        sender=cast.owner,
    )


def link(invitation: Invitation) -> str:
    return reverse("answer", args=[sign_invitation(invitation)])


def full_answers(asked: Asked, **changes: str) -> dict[str, str]:
    data = {
        f"q_{asked.satisfaction.pk}": "4",
        f"q_{asked.expectations.pk}": "yes",
        f"q_{asked.nps.pk}": "9",
        f"q_{asked.concerns.pk}": "",
    }
    data.update(changes)
    return data
