"""A manager uploads Bullhorn files in real Chromium, watches the check finish without
reloading, and axe-core finds no serious accessibility issue on the report."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from keepwarm.conftest import Cast
from keepwarm.imports.models import ImportRun
from keepwarm.imports.services import run_next_import
from keepwarm.imports.tests.conftest import FIXTURES, NOW

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
    pytest.mark.filterwarnings("ignore:No directory at"),
]


@pytest.fixture
def browser_page() -> Iterator[Any]:
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    # As in web_tests: connections opened around Playwright's greenlets must be closed,
    # or PostgreSQL refuses to drop the test database.
    connections.close_all()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 900})
        finally:
            connections.close_all()
            browser.close()


def _serious_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


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
    page.get_by_role("link", name="Import").click()
    assert _serious_violations(page) == []

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
    assert _serious_violations(page) == []
    assert ImportRun.objects.get().state == ImportRun.State.DONE
