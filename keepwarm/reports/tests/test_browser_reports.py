"""A manager reads a report in real Chromium: no JavaScript needed, no serious axe
finding, and the printout keeps the chart and the figures but not the menu or filters."""

from __future__ import annotations

from typing import Any

import pytest

from keepwarm.conftest import Cast
from keepwarm.web_tests.browser import MARKS, serious_violations

pytestmark = MARKS


@pytest.fixture
def no_js_page(chromium: Any) -> Any:
    return chromium.new_context(java_script_enabled=False).new_page()


@pytest.mark.django_db(transaction=True)
def test_manager_reads_retention_without_javascript_and_prints_it(
    cast: Cast, live_server: Any, no_js_page: Any
) -> None:
    page = no_js_page
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("maggie_manager")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("More", exact=True).click()  # the menu opens without script too
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
    assert serious_violations(with_js) == []
    with_js.emulate_media(media="print")
    assert not with_js.locator("header.topbar").is_visible()
    assert not with_js.locator("form.filters").is_visible()
    assert with_js.locator("svg.chart").is_visible()
    assert with_js.pdf()[:4] == b"%PDF"
