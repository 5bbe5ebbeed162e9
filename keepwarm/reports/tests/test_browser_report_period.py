"""A manager reads the reports dashboard in real Chromium, on a desktop and on a 390 px
phone: every card names the period chosen, and the retention chart's value axis fits its
curves (labelled where it starts) instead of squashing them into the top of 0–100%."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from keepwarm.conftest import START, Cast
from keepwarm.placements.models import Placement
from keepwarm.reports.tests.test_report_period import another_placement
from keepwarm.web_tests.browser import DESKTOP, MARKS, launched, phone_page, serious_violations

pytestmark = MARKS

QUERY = "start=2026-01-01&end=2026-11-30"
STATED = "1 Jan 2026 – 30 Nov 2026"

# How much of the plot's height the "All placements" curve spans, and the lowest tick.
CURVE = """() => {
  const svg = document.querySelector('svg#retention, svg[aria-labelledby^="retention"]');
  const grid = [...svg.querySelectorAll('line[stroke="#ddd"]')].map(l => +l.getAttribute('y1'));
  const curve = svg.querySelector('polyline').getBBox();
  const ticks = [...svg.querySelectorAll('text[text-anchor="end"]')].map(t => t.textContent);
  return {share: curve.height / (Math.max(...grid) - Math.min(...grid)), lowest: ticks[0]};
}"""


def _one_fell_off(cast: Cast) -> None:
    left_on = START + dt.timedelta(days=20)
    another_placement(cast, "Fern", START, status=Placement.Status.FELL_OFF, left_on=left_on)


def _read_dashboard(page: Any, url: str) -> None:
    page.goto(f"{url}/login/")
    page.get_by_label("Username").fill("maggie_manager")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Today", exact=True).wait_for()
    page.goto(f"{url}/reports/?{QUERY}")
    page.get_by_role("heading", name="Reports", exact=True).wait_for()


@pytest.mark.django_db(transaction=True)
def test_dashboard_cards_name_the_period_and_the_chart_axis_fits_on_desktop_and_phone(
    cast: Cast, live_server: Any
) -> None:
    _one_fell_off(cast)
    with launched() as browser:
        desktop = browser.new_context(viewport=DESKTOP).new_page()
        phone = phone_page(browser)
        for page in (desktop, phone):
            _read_dashboard(page, live_server.url)
            cards = page.locator(".card.stat")
            assert cards.count() == 8
            for i in range(cards.count()):
                assert STATED in cards.nth(i).inner_text()
            label = page.locator("svg.chart text.axis-label")
            assert label.is_visible()
            assert label.text_content() == "Still in post (axis starts at 40%)"
            curve = page.evaluate(CURVE)
            # Half of them left: on a 0–100% axis the curve filled half the plot at most.
            assert curve["lowest"] == "40%" and curve["share"] > 0.8
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        assert serious_violations(desktop) == []
