"""A person answers on a phone in real Chromium; axe-core finds no serious accessibility issue."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from keepwarm.conftest import Cast
from keepwarm.surveys.models import Invitation, Response
from keepwarm.surveys.services import create_invitation
from keepwarm.surveys.tests.conftest import Asked, link, make_checkin
from keepwarm.web_tests.browser import MARKS, phone_page, serious_violations

pytestmark = MARKS


@pytest.fixture
def phone(chromium: Any) -> Any:
    return phone_page(chromium)


def _invite(cast: Cast, asked: Asked) -> Invitation:
    return create_invitation(
        placement=cast.placement,
        person=cast.candidate,
        questionnaire=asked.questionnaire,
        sender=cast.owner,
        now=timezone.now(),
    )


@pytest.mark.django_db(transaction=True)
def test_a_candidate_answers_on_a_phone_and_the_follow_up_appears_after_no(
    cast: Cast, live_server: Any, phone: Any
) -> None:
    asked = make_checkin()
    invitation = _invite(cast, asked)
    page = phone
    page.goto(live_server.url + link(invitation))
    page.get_by_role("heading", name="How are things going?").wait_for()
    # The tab and heading carry the public title and the agency, never the team's name for it.
    assert page.title() == "How are things going? · Keepwarm"
    assert "Test check-in" not in page.content()
    assert serious_violations(page) == []
    follow_up = page.locator(f"#question-{asked.detail.pk}")
    assert follow_up.is_hidden()  # our script hides it until "No"

    # Send it half-filled first: the page comes back with a message and keeps the answer.
    page.get_by_role("group", name="How happy are you with the job?").get_by_label(
        "4 – Good"
    ).check()
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_text("Some answers need another look").wait_for()
    assert page.get_by_label("4 – Good").is_checked()
    assert serious_violations(page) == []

    page.get_by_role("group", name="Does the job live up to expectations?").get_by_label(
        "No"
    ).check()
    follow_up.wait_for(state="visible")
    page.get_by_label("What has not matched your expectations?").fill("More admin than I thought")
    page.get_by_role("group", name="How likely are you to recommend us?").get_by_label(
        "7", exact=True
    ).check()
    page.get_by_label("Anything I can help with?").fill("A second screen would help")
    page.get_by_role("button", name="Send my answers").click()

    page.get_by_role("heading", name="Answers received, Priya").wait_for()
    response = Response.objects.get()
    answers = {a.question.code: a for a in response.answers.select_related("question")}
    assert answers["satisfaction_job"].value_number == 4
    assert answers["expectations_met"].value_text == "no"
    assert answers["expectations_detail"].value_text == "More admin than I thought"
    assert answers["nps"].value_number == 7


@pytest.mark.django_db(transaction=True)
def test_the_broken_link_page_is_accessible(live_server: Any, phone: Any) -> None:
    page = phone
    answer = page.goto(live_server.url + "/q/this-link-was-cut-short/")
    assert answer.status == 400
    page.get_by_role("heading", name="This link does not work").wait_for()
    assert serious_violations(page) == []


@pytest.mark.django_db(transaction=True)
def test_the_0_to_10_scale_fits_on_one_line_on_a_phone_and_a_desktop(
    cast: Cast, live_server: Any, chromium: Any
) -> None:
    from keepwarm.web_tests.browser import DESKTOP

    invitation = _invite(cast, make_checkin())
    for page, width in ((phone_page(chromium), 390), (chromium.new_page(viewport=DESKTOP), 1280)):
        page.goto(live_server.url + link(invitation))
        scale = page.get_by_role("group", name="How likely are you to recommend us?")
        boxes = [scale.locator("label.option").nth(n).bounding_box() for n in range(11)]
        assert all(box is not None for box in boxes)
        assert len({round(box["y"]) for box in boxes if box}) == 1  # one line
        assert max(box["x"] + box["width"] for box in boxes if box) <= width
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # Still eleven radio inputs with their labels: a tap on "10" picks 10.
        scale.get_by_label("10", exact=True).click()
        assert scale.get_by_role("radio", name="10").is_checked()
        assert serious_violations(page) == []
        page.context.close()
