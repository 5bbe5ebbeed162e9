"""In real Chromium: someone in the first days of their placement who says they are
looking is shown as off-limits (never ready to move, no matching vacancies), and cover
with a colleague who is away is refused with who covers them; axe-core finds no serious
accessibility issue on the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from keepwarm.care.services import set_cover
from keepwarm.conftest import Cast
from keepwarm.network.models import StatusStatement
from keepwarm.network.readiness import recompute
from keepwarm.placements.models import Placement
from keepwarm.web_tests.browser import MARKS, serious_violations

pytestmark = MARKS


def sign_in(page: Any, live_server: Any, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Today", exact=True).wait_for()


@pytest.mark.django_db(transaction=True)
def test_someone_in_their_guarantee_shows_as_off_limits(
    cast: Cast, live_server: Any, browser_page: Any, settings: Any
) -> None:
    settings.KEEPWARM_OFF_LIMITS_MONTHS = 0
    today = timezone.localdate()
    start = today - dt.timedelta(days=7)
    Placement.objects.filter(pk=cast.placement.pk).update(
        start_date=start, status=Placement.Status.IN_GUARANTEE
    )
    until = start + dt.timedelta(days=90)
    StatusStatement.objects.create(
        person=cast.candidate, status="actively_looking", source="personal_page"
    )
    recompute([cast.candidate.pk])
    page = browser_page
    sign_in(page, live_server, "olivia_owner")
    assert "Ready to move: " not in page.content()

    page.get_by_role("link", name="Ready to move", exact=True).click()
    page.get_by_role("heading", name="Off-limits for now").wait_for()
    assert page.get_by_role("row").filter(has_text="Priya Patel").count() == 0
    off_limits = page.get_by_role("region", name="Off-limits for now").inner_text()
    assert f"Priya Patel — off-limits until {until.day} {until:%b %Y}" in off_limits
    assert serious_violations(page) == []

    page.get_by_role("link", name="Priya Patel").click()
    page.get_by_role("heading", name="Priya Patel").wait_for()
    assert f"Off-limits until {until.day} {until:%b %Y}" in page.content()
    assert page.get_by_role("link", name="Matching vacancies").count() == 0
    assert serious_violations(page) == []


@pytest.mark.django_db(transaction=True)
def test_cover_with_a_colleague_on_leave_is_refused_and_a_colleague_can_offer(
    cast: Cast, live_server: Any, browser_page: Any
) -> None:
    today = timezone.localdate()
    set_cover(
        absent=cast.colleague,
        colleague=cast.outsider,
        starts_on=today,
        ends_on=today + dt.timedelta(days=3),
        by=cast.manager,
    )
    page = browser_page
    sign_in(page, live_server, "olivia_owner")
    page.goto(f"{live_server.url}/cover/")
    covered_by = page.get_by_label("Covered by")
    options = covered_by.locator("option").all_inner_texts()
    assert "Colin Cover" in options and "Olivia Owner" not in options
    assert "Ada Tester" not in options and "Ada Admin" not in options
    covered_by.select_option(label="Colin Cover")
    page.get_by_role("button", name="Set cover").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "Colin Cover is away" in alert.inner_text()
    assert "Oscar Other covers them" in alert.inner_text()
    assert serious_violations(page) == []

    page.get_by_label("Colleague you will cover").select_option(label="Oscar Other")
    page.get_by_role("button", name="Cover them").click()
    page.get_by_text("Olivia Owner covers Oscar Other").wait_for()
