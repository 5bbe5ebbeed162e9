"""Real browser runs of the consultant's day agreeing with itself: a call nobody answered
stays on Today for a retry, and an alert is acted on in one place, on a phone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from keepwarm.care.models import Kind, Touchpoint
from keepwarm.conftest import Cast
from keepwarm.lib.working_days import next_working_day
from keepwarm.placements.models import Placement
from keepwarm.signals.models import Alert, Signal
from keepwarm.signals.services.alerts import open_alert
from keepwarm.web_tests.browser import MARKS, phone_page, serious_violations

pytestmark = MARKS


def sign_in(page: Any, url: str) -> None:
    page.goto(f"{url}/login/")
    page.get_by_label("Username").fill("olivia_owner")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Today", exact=True).wait_for()


def due_call(cast: Cast) -> Touchpoint:
    return Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind=Kind.CALL,
        title="Month-one call",
        due_on=timezone.localdate(),
        owner=cast.owner,
    )


@pytest.mark.django_db(transaction=True)
def test_no_answer_on_today_keeps_the_call_open_for_a_retry_in_the_browser(
    cast: Cast, live_server: Any, browser_page: Any
) -> None:
    call = due_call(cast)
    page = browser_page
    sign_in(page, live_server.url)

    row = page.locator(f"#tp-{call.pk}")
    row.get_by_role("link", name="Log call").click()
    row.get_by_label("Outcome").select_option("no_answer")
    row.get_by_role("button", name="Save call").click()

    retry = next_working_day(timezone.localdate())
    row.get_by_text("Tried 1×, last: No answer").wait_for()
    assert f"next try {retry:%a} {retry.day} {retry:%b}" in row.inner_text()
    # Still open: it can be logged again, and nothing says Done.
    assert row.get_by_role("link", name="Log call").is_visible()
    assert row.locator(".badge-done").count() == 0
    call.refresh_from_db()
    assert (call.state, call.due_on) == (Touchpoint.State.PLANNED, retry)


@pytest.mark.django_db(transaction=True)
def test_on_a_phone_a_consultant_taps_to_call_raises_a_concern_and_logs_call_and_close(
    cast: Cast, live_server: Any, chromium: Any
) -> None:
    Placement.objects.filter(pk=cast.placement.pk).update(
        status=Placement.Status.IN_GUARANTEE,
        start_date=timezone.localdate() - dt.timedelta(days=20),
    )
    cast.placement.refresh_from_db()
    alert = open_alert(placement=cast.placement, reason="Said she might leave")
    assert alert is not None
    call = due_call(cast)
    page = phone_page(chromium)
    sign_in(page, live_server.url)

    page.get_by_role("link", name="Act and close").click()
    tap = page.get_by_role("link", name="07700 900123")
    assert tap.get_attribute("href") == "tel:07700 900123"
    assert serious_violations(page) == []

    page.get_by_text("Raise a concern").last.click()
    page.get_by_role("button", name="Mentioned another offer or interview").last.click()
    page.get_by_text("Concern about Priya Patel raised").wait_for()
    assert Signal.objects.filter(source=Signal.Source.MANUAL).count() == 1

    page.get_by_label("Spoke to them").check()
    page.get_by_label("What was said").fill("Offer was lower; she is staying")
    page.get_by_role("button", name="Log call and close").click()

    page.get_by_text("Call with Priya Patel logged and the alert closed.").wait_for()
    alert.refresh_from_db()
    call.refresh_from_db()
    assert alert.state == Alert.State.CLOSED
    assert (call.state, call.notes) == (Touchpoint.State.DONE, "Offer was lower; she is staying")
    page.goto(f"{live_server.url}{cast.candidate.get_absolute_url()}")
    timeline = page.locator("ol.timeline").inner_text()
    assert "Month-one call — Spoke to them" in timeline
    assert "Offer was lower; she is staying" in timeline
