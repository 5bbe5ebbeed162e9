"""In real Chromium: the placed person writes on their phone that another agency called
and they are tempted; their consultant sees the leaving intent on Today, in the
placement's risk reasons and under the words on the timeline, with no serious
accessibility issue on those pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from keepwarm.conftest import Cast
from keepwarm.placements.models import Placement
from keepwarm.signals.models import Alert
from keepwarm.surveys.services import create_invitation
from keepwarm.surveys.tests.conftest import link, make_checkin
from keepwarm.web_tests.browser import MARKS, phone_page, serious_violations

pytestmark = MARKS

ANOTHER_AGENCY = "I've had a call from another agency about a role paying £5k more and I'm tempted"


@pytest.mark.django_db(transaction=True)
def test_a_candidate_writes_another_agency_called_and_the_consultant_sees_it(
    cast: Cast, live_server: Any, chromium: Any, browser_page: Any
) -> None:
    # Six weeks into the placement, whatever day the test runs.
    Placement.objects.filter(pk=cast.placement.pk).update(
        start_date=timezone.localdate() - dt.timedelta(days=42)
    )
    asked = make_checkin()
    invitation = create_invitation(
        placement=cast.placement,
        person=cast.candidate,
        questionnaire=asked.questionnaire,
        sender=cast.owner,
        now=timezone.now(),
    )
    phone = phone_page(chromium)
    phone.goto(live_server.url + link(invitation))
    phone.get_by_role("heading", name="How are things going?").wait_for()
    phone.get_by_role("group", name="How happy are you with the job?").get_by_label(
        "4 – Good"
    ).check()
    phone.get_by_role("group", name="Does the job live up to expectations?").get_by_label(
        "Yes"
    ).check()
    phone.get_by_role("group", name="How likely are you to recommend us?").get_by_label(
        "8", exact=True
    ).check()
    phone.get_by_label("Anything I can help with?").fill(ANOTHER_AGENCY)
    phone.get_by_role("button", name="Send my answers").click()
    phone.get_by_role("heading", name="Answers received, Priya").wait_for()
    assert Alert.objects.filter(placement=cast.placement, state=Alert.State.OPEN).exists()

    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("olivia_owner")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Today", exact=True).wait_for()
    assert "Leaving intent (another agency called)" in page.content()

    page.goto(live_server.url + cast.placement.get_absolute_url())
    first_reason = page.locator("ul.reasons li").first.inner_text()
    assert first_reason.startswith(
        "Leaving intent (another agency called): “I've had a call from another agency"
    )
    assert serious_violations(page) == []

    page.goto(live_server.url + cast.candidate.get_absolute_url())
    reading = page.locator(".timeline .text-reading").first
    assert "leaving intent another agency called: “call from another agency”" in (
        reading.inner_text()
    )
    assert "tone " in reading.inner_text()
    assert serious_violations(page) == []
