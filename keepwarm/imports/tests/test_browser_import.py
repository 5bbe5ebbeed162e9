"""A manager uploads Bullhorn files in real Chromium, watches the check finish without
reloading, and axe-core finds no serious accessibility issue on the report."""

from __future__ import annotations

from typing import Any

import pytest

from keepwarm.conftest import Cast
from keepwarm.imports.models import ImportRun
from keepwarm.imports.services import run_next_import
from keepwarm.imports.tests.conftest import FIXTURES, NOW
from keepwarm.web_tests.browser import MARKS, serious_violations

pytestmark = MARKS


@pytest.mark.django_db(transaction=True)
def test_manager_uploads_bullhorn_files_and_reads_the_check(
    cast: Cast, live_server: Any, browser_page: Any
) -> None:
    page = browser_page
    page.set_default_timeout(30_000)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("maggie_manager")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("Admin", exact=True).click()  # the menu of pages managers keep
    page.get_by_role("link", name="Import").click()
    assert serious_violations(page) == []

    page.get_by_label("Bullhorn data loader files").check()
    page.get_by_label("Files (CSV or XLSX)").set_input_files(
        sorted(str(p) for p in (FIXTURES / "bullhorn").iterdir())
    )
    page.get_by_role("button", name="Upload and check").click()
    page.get_by_text("Waiting for the worker to start this check").wait_for()

    assert run_next_import(now=NOW) is not None
    # The progress fragment polls and reloads the page once the check is finished.
    page.get_by_role("button", name="Import these rows").wait_for()
    assert "no company name" in page.content()
    assert serious_violations(page) == []
    assert ImportRun.objects.get().state == ImportRun.State.DONE
