"""In real Chromium: a statement puts a "Ready to move" call on the consultant's Today, the
Ready to move list and a vacancy's matches show the reasons, and axe-core finds no serious
accessibility issue on either page."""

from __future__ import annotations

from typing import Any

import pytest

from keepwarm.conftest import Cast
from keepwarm.network.models import StatusStatement, Vacancy
from keepwarm.network.readiness import recompute
from keepwarm.placements.models import Placement
from keepwarm.web_tests.browser import MARKS, serious_violations

pytestmark = MARKS


@pytest.mark.django_db(transaction=True)
def test_consultant_sees_who_is_ready_to_move_and_the_matches(
    cast: Cast,
    live_server: Any,
    browser_page: Any,
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
