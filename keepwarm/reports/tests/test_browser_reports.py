"""A manager reads a report in real Chromium: no JavaScript needed, no serious axe
finding, and the printout keeps the chart and the figures but not the menu or filters."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

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
    pytest.mark.filterwarnings("ignore:No directory at"),
]


@pytest.fixture
def no_js_page() -> Iterator[Any]:
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    connections.close_all()  # see keepwarm/web_tests: Playwright switches greenlets
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser.new_context(java_script_enabled=False).new_page()
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
def test_manager_reads_retention_without_javascript_and_prints_it(
    cast: Cast, live_server: Any, no_js_page: Any
) -> None:
    page = no_js_page
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("maggie_manager")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("heading", name="Reports", exact=True).wait_for()
    page.get_by_role("link", name="Retention", exact=True).first.click()
    page.get_by_label("Break down by").select_option("client")
    page.get_by_role("button", name="Show").click()
    chart = page.get_by_role("img", name="Share of placed people still in post")
    assert chart.is_visible()
    assert "Acme Widgets" in page.get_by_role("table").first.inner_text()

    # axe needs script in the page it checks: open the same page with it enabled.
    with_js = page.context.browser.new_context().new_page()
    with_js.context.add_cookies(page.context.cookies())
    with_js.goto(page.url)
    assert _serious_violations(with_js) == []
    with_js.emulate_media(media="print")
    assert not with_js.locator("header.topbar").is_visible()
    assert not with_js.locator("form.filters").is_visible()
    assert with_js.locator("svg.chart").is_visible()
    assert with_js.pdf()[:4] == b"%PDF"
