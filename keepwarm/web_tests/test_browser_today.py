"""One real browser run: sign in, open Today, log a call inline, see it done."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from keepwarm.care.models import Kind, Touchpoint
from keepwarm.conftest import Cast
from keepwarm.web_tests.browser import MARKS

pytestmark = MARKS


@pytest.mark.django_db(transaction=True)
def test_consultant_logs_a_call_from_today_in_the_browser(
    cast: Cast, live_server: Any, browser_page: Any
) -> None:
    due = Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind=Kind.CALL,
        title="Week one call",
        due_on=timezone.localdate(),
        owner=cast.owner,
    )
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("olivia_owner")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("heading", name="Today", exact=True).wait_for()
    row = page.locator(f"#tp-{due.pk}")
    assert "Priya Patel" in row.inner_text()
    row.get_by_role("link", name="Log call").click()

    # htmx swaps the form into the row: no page load.
    row.get_by_label("Outcome").select_option("reached")
    row.get_by_label("Notes").fill("Settling in; likes the team")
    next_call = timezone.localdate() + dt.timedelta(days=14)
    row.get_by_label("Next call on").fill(next_call.isoformat())
    row.get_by_role("button", name="Save call").click()

    page.locator(f"#tp-{due.pk} .badge-done").wait_for()
    assert "Settling in; likes the team" in page.locator(f"#tp-{due.pk}").inner_text()
    due.refresh_from_db()
    assert due.state == Touchpoint.State.DONE
    assert Touchpoint.objects.filter(
        person=cast.candidate, state=Touchpoint.State.PLANNED, due_on=next_call
    ).exists()
