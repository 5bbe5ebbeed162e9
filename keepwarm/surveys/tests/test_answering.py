"""Answering from the link: GET never changes anything, POST records once, forms keep input."""

from __future__ import annotations

import re
from typing import Any
from unittest import mock

import pytest
from django.test import Client

from keepwarm.surveys.models import Answer, Invitation, Response
from keepwarm.surveys.tests.conftest import Asked, full_answers, link

PUBLIC_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def _state(invitation: Invitation) -> tuple[Any, ...]:
    invitation.refresh_from_db()
    return (
        Response.objects.count(),
        Answer.objects.count(),
        invitation.answered_at,
        invitation.reminded_at,
        invitation.expires_at,
    )


def test_three_gets_change_nothing_then_one_post_records_exactly_one_response(
    client: Client, invitation: Invitation, asked: Asked
) -> None:
    path = link(invitation)
    before = _state(invitation)
    for _ in range(3):  # a mail scanner, a preview pane, the person
        assert client.get(path).status_code == 200
        assert client.head(path).status_code == 200
    assert _state(invitation) == before

    sent = client.post(path, full_answers(asked, **{f"q_{asked.concerns.pk}": "Parking"}))
    assert sent.status_code == 302
    response = Response.objects.get()
    assert response.invitation == invitation
    assert response.placement == invitation.placement
    answers = {a.question.code: a for a in response.answers.select_related("question")}
    assert answers["satisfaction_job"].value_number == 4
    assert answers["expectations_met"].value_text == "yes"
    assert answers["nps"].value_number == 9
    assert answers["concerns"].value_text == "Parking"
    invitation.refresh_from_db()
    assert invitation.answered_at is not None

    thanks = client.get(path)
    assert thanks.status_code == 200
    assert "Thanks a lot." in thanks.text
    assert Response.objects.count() == 1


def test_answer_pages_send_no_referrer_and_no_store(
    client: Client, invitation: Invitation, asked: Asked
) -> None:
    path = link(invitation)
    pages = [
        client.get(path),
        client.post(path, {}),  # errors
        client.get("/q/not-a-real-token/"),
    ]
    client.post(path, full_answers(asked))
    pages.append(client.get(path))  # thanks
    for page in pages:
        for name, value in PUBLIC_HEADERS.items():
            assert page[name] == value
        assert "'self'" in page["Content-Security-Policy"]


def test_the_page_loads_nothing_from_other_sites(client: Client, invitation: Invitation) -> None:
    page = client.get(link(invitation)).text
    assert "http://" not in page.replace("http://testserver", "")
    assert "https://" not in page
    assert "<script>" not in page  # only our own static file, no inline script


def test_a_half_filled_form_comes_back_with_everything_typed_and_clear_messages(
    client: Client, invitation: Invitation, asked: Asked
) -> None:
    data = {
        f"q_{asked.satisfaction.pk}": "2",
        f"q_{asked.expectations.pk}": "no",
        f"q_{asked.concerns.pk}": "My desk has no chair",
    }
    page = client.post(link(invitation), data)
    assert page.status_code == 200
    assert "Some answers need another look" in page.text
    # The NPS and the follow-up "what has not matched" are missing and named.
    assert page.text.count("Please answer this question.") == 2
    assert "My desk has no chair" in page.text
    checked = re.findall(r'<input type="radio" name="(q_\d+)" value="(\w+)"[^>]*checked', page.text)
    assert (f"q_{asked.satisfaction.pk}", "2") in checked
    assert (f"q_{asked.expectations.pk}", "no") in checked
    assert not Response.objects.exists()


def test_out_of_range_scores_are_refused_with_a_message(
    client: Client, invitation: Invitation, asked: Asked
) -> None:
    page = client.post(link(invitation), full_answers(asked, **{f"q_{asked.nps.pk}": "11"}))
    assert page.status_code == 200
    assert "Select a valid choice" in page.text
    assert not Response.objects.exists()


def test_follow_up_is_asked_and_kept_only_after_the_answer_that_calls_for_it(
    client: Client, invitation: Invitation, asked: Asked
) -> None:
    page = client.get(link(invitation))
    # Without JavaScript the follow-up shows, with its condition written out.
    assert "If you answered No to “Does the job live up to expectations?”:" in page.text
    assert f'data-show-if="q_{asked.expectations.pk}"' in page.text

    # "Yes": the follow-up is not required, and a stray answer to it is not kept.
    sent = client.post(
        link(invitation),
        full_answers(asked, **{f"q_{asked.detail.pk}": "typed before changing my mind"}),
    )
    assert sent.status_code == 302
    assert not Answer.objects.filter(question=asked.detail).exists()


def test_no_means_the_follow_up_is_required_and_recorded(
    client: Client, invitation: Invitation, asked: Asked
) -> None:
    no = full_answers(asked, **{f"q_{asked.expectations.pk}": "no"})
    assert client.post(link(invitation), no).status_code == 200
    no[f"q_{asked.detail.pk}"] = "Much more admin than described"
    assert client.post(link(invitation), no).status_code == 302
    assert Answer.objects.get(question=asked.detail).value_text == "Much more admin than described"


@pytest.mark.django_db(transaction=True)
def test_fall_off_risk_hears_of_the_response_after_commit(asked: Asked, cast: Any) -> None:
    from keepwarm.surveys.services import create_invitation

    invitation = create_invitation(
        placement=cast.placement,
        person=cast.candidate,
        questionnaire=asked.questionnaire,
        sender=cast.owner,
    )
    with mock.patch("keepwarm.signals.services.responses.on_response") as heard:
        page = Client().post(link(invitation), full_answers(asked))
    assert page.status_code == 302
    heard.assert_called_once_with(response_id=Response.objects.get().pk)


def test_a_browser_that_sends_origin_null_can_still_answer(
    invitation: Invitation, asked: Asked
) -> None:
    # With Referrer-Policy: no-referrer, Chromium posts the form with "Origin: null".
    strict = Client(enforce_csrf_checks=True)
    sent = strict.post(link(invitation), full_answers(asked), headers={"Origin": "null"})
    assert sent.status_code == 302
    assert Response.objects.count() == 1
