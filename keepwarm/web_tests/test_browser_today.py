"""One real browser run: sign in, open Today, log a call inline, see it done."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from keepwarm.care.models import Kind, Touchpoint
from keepwarm.conftest import Cast

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def browser_page() -> Iterator[Any]:
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the
    # test body are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    # Playwright's sync API switches greenlets, and Django keeps connections per context:
    # a connection opened before it starts would be orphaned and, on PostgreSQL, block
    # dropping the test database. Close it; the test body opens its own.
    connections.close_all()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            yield page
        finally:
            # While Playwright's loop runs, the ORM keeps this test's connection in a
            # context-local slot that the test database teardown cannot see; close it
            # here or PostgreSQL refuses to drop the test database.
            connections.close_all()
            browser.close()


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
