"""Answers where staff look: the timeline, the response page, placement and company records."""

from __future__ import annotations

from decimal import Decimal

from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from keepwarm.care.queries import timeline_for
from keepwarm.conftest import Cast
from keepwarm.surveys.models import Invitation, Questionnaire
from keepwarm.surveys.services import Given, create_invitation, record_response
from keepwarm.surveys.tests.conftest import Asked


def _answered(invitation: Invitation, asked: Asked) -> object:
    return record_response(
        invitation=invitation,
        given={
            asked.satisfaction.pk: Given(number=Decimal(2)),
            asked.expectations.pk: Given(text="no"),
            asked.detail.pk: Given(text="More admin than described"),
            asked.nps.pk: Given(number=Decimal(3)),
        },
    )


def test_the_answer_shows_on_the_persons_timeline(
    cast: Cast, asked: Asked, invitation: Invitation
) -> None:
    response = _answered(invitation, asked)
    entry = next(e for e in timeline_for(cast.candidate, user=cast.owner) if e.kind == "response")
    assert entry.obj == response
    assert entry.title == "Answered: Test check-in"
    assert "How happy are you with the job? 2 – Poor" in entry.text


def test_the_response_page_is_for_those_who_see_the_placement(
    cast: Cast, asked: Asked, invitation: Invitation
) -> None:
    response = _answered(invitation, asked)
    path = reverse("response", args=[response.pk])  # type: ignore[attr-defined]
    owner = Client()
    owner.force_login(cast.owner)
    page = owner.get(path)
    assert page.status_code == 200
    assert "More admin than described" in page.text
    assert "2 – Poor" in page.text
    outsider = Client()
    outsider.force_login(cast.outsider)
    assert outsider.get(path).status_code == 404


def test_the_placement_keeps_a_record_against_each_target(cast: Cast) -> None:
    questionnaire = Questionnaire.objects.get(code="client-check-in")
    target = cast.placement.targets.get()
    for status, number in (("behind", "9000"), ("on_track", "21000")):
        invitation = create_invitation(
            placement=cast.placement,
            person=cast.client_contact,
            questionnaire=questionnaire,
            sender=cast.owner,
        )
        question = invitation.extra_questions.get(code=f"target:{target.pk}")
        record_response(
            invitation=invitation, given={question.pk: Given(text=status, number=Decimal(number))}
        )
    html = Template('{% include "surveys/_placement_answers.html" %}').render(
        Context({"placement": cast.placement})
    )
    assert html.index("Behind") < html.index("On track")
    assert "9000 GBP" in html and "21000 GBP" in html


def test_the_company_shows_how_its_hires_do(
    cast: Cast, asked: Asked, invitation: Invitation
) -> None:
    _answered(invitation, asked)
    html = Template('{% include "surveys/_company_answers.html" %}').render(
        Context({"company": cast.company})
    )
    assert "How likely are you to recommend us?" in html
    assert "3.0" in html


def test_answers_show_on_the_person_placement_and_company_pages(
    cast: Cast, asked: Asked, invitation: Invitation
) -> None:
    response = _answered(invitation, asked)
    owner = Client()
    owner.force_login(cast.owner)
    person = owner.get(cast.candidate.get_absolute_url()).text
    assert reverse("response", args=[response.pk]) in person  # type: ignore[attr-defined]
    placement = owner.get(cast.placement.get_absolute_url()).text
    assert "Performance against targets" in placement
    assert "Test check-in" in placement
    assert "How its hires do" in owner.get(cast.company.get_absolute_url()).text
