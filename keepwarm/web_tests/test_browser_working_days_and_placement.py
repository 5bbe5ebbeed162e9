"""In a real browser: a manager closes the agency for Christmas and the call due then moves;
a consultant's placement page shows what is next, the rest behind "show all", and the
money at stake."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from keepwarm.care.models import CarePlan, Kind, PlanStep, Touchpoint
from keepwarm.care.services import lay_out_care_plan
from keepwarm.conftest import Cast
from keepwarm.lib.working_days import forget_closures
from keepwarm.placements.models import Placement
from keepwarm.web_tests.browser import MARKS

pytestmark = MARKS


def _sign_in(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Today", exact=True).wait_for()


@pytest.mark.django_db(transaction=True)
def test_manager_closes_the_agency_for_christmas_in_the_browser(
    cast: Cast, live_server: Any, browser_page: Any
) -> None:
    forget_closures()
    year = timezone.localdate().year + 1
    call = Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind=Kind.CALL,
        title="Keep-in-touch call",
        due_on=dt.date(year, 12, 30),
        owner=cast.owner,
    )
    page = browser_page
    _sign_in(page, live_server.url, "maggie_manager")

    page.get_by_text("Admin", exact=True).click()
    page.get_by_role("link", name="Working days").click()
    assert "Christmas Day" in page.locator("main").inner_text()
    page.get_by_label("First day closed").fill(f"{year}-12-24")
    page.get_by_label("Last day closed").fill(f"{year}-12-31")
    page.get_by_label("Reason").fill("Christmas shutdown")
    page.get_by_role("button", name="Add closure").click()

    page.get_by_text("calls and emails due then move to the next working day").wait_for()
    assert "Christmas shutdown" in page.locator("#closures-heading").locator("..").inner_text()
    call.refresh_from_db()
    assert call.due_on > dt.date(year, 12, 31)
    assert call.due_on.weekday() < 5
    forget_closures()


@pytest.mark.django_db(transaction=True)
def test_placement_page_shows_what_is_next_then_all_on_request(
    cast: Cast, live_server: Any, browser_page: Any
) -> None:
    today = timezone.localdate()
    Placement.objects.filter(pk=cast.placement.pk).update(
        start_date=today - dt.timedelta(days=10), status=Placement.Status.IN_GUARANTEE
    )
    cast.placement.refresh_from_db()
    # Its own plan: a transactional test before this one emptied the shipped ones.
    plan = CarePlan.objects.create(name="Two years of calls")
    PlanStep.objects.create(
        plan=plan,
        order=1,
        title="Keep-in-touch call",
        kind=Kind.CALL,
        offset_months=1,
        repeat_every_months=1,
        repeat_until_months=24,
    )
    lay_out_care_plan(placement=cast.placement, plan=plan, today=today)
    planned = cast.placement.touchpoints.filter(state=Touchpoint.State.PLANNED).count()
    page = browser_page
    _sign_in(page, live_server.url, "olivia_owner")

    page.goto(f"{live_server.url}/placements/{cast.placement.pk}/")

    steps = page.locator("#planned-heading").locator("..").locator('li[id^="tp-"]')
    steps.first.wait_for()
    assert sum(1 for i in range(steps.count()) if steps.nth(i).is_visible()) == 5
    page.get_by_text(f"Show all {planned} planned calls and check-ins").click()
    assert sum(1 for i in range(steps.count()) if steps.nth(i).is_visible()) == planned
    guarantee = page.locator("#guarantee-heading").locator("..").inner_text()
    assert "Guarantee day 11 of 90" in guarantee
    assert "rebate 100%: £7,600 at stake" in guarantee
