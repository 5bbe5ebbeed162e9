"""In real Chromium: a statement puts a "Ready to move" call on the consultant's Today, the
Ready to move list and a vacancy's matches show the reasons, and axe-core finds no serious
accessibility issue on either page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from keepwarm.conftest import Cast
from keepwarm.lib.dates import agency_zone
from keepwarm.lib.working_days import is_working_day, next_working_day
from keepwarm.network.models import StatusStatement, Vacancy
from keepwarm.network.readiness import recompute
from keepwarm.placements.models import Placement
from keepwarm.web_tests.browser import MARKS, serious_violations

pytestmark = MARKS


@pytest.fixture
def on_a_working_day(db: Any) -> Iterator[None]:
    """A ready-to-move call found on a day off is due on the next working day, so on a
    weekend or bank holiday the test runs on that next working day (ahead of the real clock,
    so the browser's session cookie stays fresh)."""
    today = timezone.localdate()
    if is_working_day(today):
        yield
        return
    day = next_working_day(today)
    with time_machine.travel(dt.datetime.combine(day, dt.time(10), tzinfo=agency_zone())):
        yield


@pytest.mark.django_db(transaction=True)
def test_consultant_sees_who_is_ready_to_move_and_the_matches(
    cast: Cast,
    live_server: Any,
    browser_page: Any,
    on_a_working_day: None,
) -> None:
    cast.placement.status = Placement.Status.SETTLED
    cast.placement.save(update_fields=["status"])
    StatusStatement.objects.create(
        person=cast.candidate, status="actively_looking", source="personal_page"
    )
    recompute([cast.candidate.pk])
    vacancy = Vacancy.objects.create(
        company=cast.company, title="Senior Account Manager", skills="Negotiation", location="Leeds"
    )
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("olivia_owner")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Today", exact=True).wait_for()
    assert "Ready to move: Actively looking (personal page" in page.content()

    page.get_by_role("link", name="Ready to move", exact=True).click()
    page.get_by_role("heading", name="Ready to move").wait_for()
    row = page.get_by_role("row").filter(has_text="Priya Patel")
    assert "Actively looking" in row.inner_text()
    assert serious_violations(page) == []

    page.goto(f"{live_server.url}/vacancies/{vacancy.pk}/matches/")
    page.get_by_role("heading", name="Matches for Senior Account Manager").wait_for()
    row = page.get_by_role("row").filter(has_text="Priya Patel")
    assert "Title: Account Manager is close to Senior Account Manager" in row.inner_text()
    assert serious_violations(page) == []
