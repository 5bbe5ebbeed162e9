"""A newsletter chart is bars drawn by table cells, with each label and figure as text:
any script, any length, read aloud by a screen reader and listed in the plain-text part."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from keepwarm.newsletters.chart import Chart
from keepwarm.newsletters.models import Block, Kind
from keepwarm.newsletters.render import Frozen, compose
from keepwarm.newsletters.services import add_block
from keepwarm.newsletters.tests.conftest import Setup

HOSPITALITY = "Café & Hospitality"
LONG = "Specialist mechanical and electrical building services engineers"[:60]


class Reader(HTMLParser):
    """What a screen reader reads: the text outside aria-hidden elements; and the bars,
    as (width, colour) of each cell drawn with a bgcolor."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.bars: list[tuple[str, str]] = []
        self.bar_text: list[str] = []
        self._stack: list[bool] = []  # hidden, per open element

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        hidden = bool(self._stack and self._stack[-1]) or found.get("aria-hidden") == "true"
        if found.get("bgcolor") and tag == "td":
            assert hidden, "a bar is decoration: inside an aria-hidden cell"
            self.bars.append((str(found.get("width")), str(found["bgcolor"])))
        if tag not in {"br", "img", "meta", "hr"}:
            self._stack.append(hidden)

    def handle_endtag(self, tag: str) -> None:
        if tag not in {"br", "img", "meta", "hr"} and self._stack:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        (self.bar_text if self._stack and self._stack[-1] else self.text).append(data)

    @property
    def read_aloud(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.text))


def read(html: str) -> Reader:
    reader = Reader()
    reader.feed(html)
    return reader


def chart_block(setup: Setup, **chart: Any) -> Block:
    return add_block(
        issue=setup.issue, kind=Kind.EMPLOYMENT_TRENDS, title="Sectors", data={"chart": chart}
    )


def composed(setup: Setup, **chart: Any) -> Frozen:
    chart_block(setup, **chart)
    return compose(setup.issue)


def test_cafe_and_hospitality_reads_intact_in_html_and_text(setup: Setup) -> None:
    frozen = composed(
        setup,
        labels=[HOSPITALITY, "Technology"],
        values=[34, 12],
        previous=[28, 15],
        title="Placements by sector",
        value_name="last 12 months",
        previous_name="12 months before",
        caption="Dark bars: last 12 months. Light bars: the 12 months before.",
    )
    reader = read(frozen.html)
    assert "Placements by sector" in reader.read_aloud
    assert f"{HOSPITALITY} — last 12 months: 34, 12 months before: 28" in reader.read_aloud
    assert "CAF?" not in frozen.html + frozen.text and "<img" not in frozen.html
    # The plain-text part lists the same figures, one line each, not a table.
    assert "Placements by sector:\n" in frozen.text
    assert f"\n- {HOSPITALITY} — last 12 months: 34, 12 months before: 28\n" in frozen.text
    assert "\n- Technology — last 12 months: 12, 12 months before: 15\n" in frozen.text


def test_a_60_character_label_is_neither_cut_nor_kept_from_wrapping(setup: Setup) -> None:
    assert len(LONG) == 60
    frozen = composed(setup, labels=[LONG, "Ünïcödé ✓ 日本語"], values=[3, 5])
    reader = read(frozen.html)
    assert f"{LONG} — 3" in reader.read_aloud and f"- {LONG} — 3\n" in frozen.text
    assert "Ünïcödé ✓ 日本語 — 5" in reader.read_aloud
    assert "nowrap" not in frozen.html and "white-space" not in frozen.html


def test_bars_are_as_long_as_their_values_on_one_scale(setup: Setup) -> None:
    frozen = composed(setup, labels=["A", "B", "C"], values=[50, 25, 0.5], previous=[40, 0, 1])
    reader = read(frozen.html)
    dark, light = "#1f6f8b", "#6f98ab"
    assert reader.bars == [
        ("100%", dark), ("80%", light),
        ("50%", dark),  # B's zero the year before draws nothing
        ("1%", dark), ("2%", light),  # a small figure still shows
    ]  # fmt: skip
    assert "".join(reader.bar_text).strip("\xa0") == ""  # bars carry no text of their own
    assert "C — 0.5, before: 1" in reader.read_aloud


def test_zero_and_negative_figures_show_as_text_without_a_bar(setup: Setup) -> None:
    frozen = composed(setup, labels=["Retail", "Mining"], values=[0, -3])
    reader = read(frozen.html)
    assert reader.bars == []
    assert "Retail — 0" in reader.read_aloud and "Mining — -3" in reader.read_aloud
    assert "\n- Retail — 0\n- Mining — -3\n" in frozen.text


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"chart": "a chart"},
        {"chart": {}},
        {"chart": {"labels": [], "values": []}},
        {"chart": {"labels": "Retail", "values": [1]}},
        {"chart": {"labels": ["Retail"], "values": ["many"]}},
        {"chart": {"labels": ["Retail"], "values": [True]}},
        {"chart": {"labels": ["Retail"], "values": None}},
    ],
    ids=["list", "text", "empty", "no-rows", "labels-text", "values-text", "bool", "none"],
)
def test_a_block_with_no_usable_chart_sends_without_one(setup: Setup, data: object) -> None:
    block = add_block(issue=setup.issue, kind=Kind.JOB_FORECASTS, title="Forecast")
    block.data = data
    block.save(update_fields=["data"])
    assert block.chart is None
    frozen = compose(setup.issue)
    assert "Forecast" in frozen.text and "bgcolor" not in frozen.html


def test_a_chart_keeps_its_good_rows_and_skips_what_is_broken() -> None:
    chart = Chart.from_data(
        {
            "labels": ["Retail", "Mining", 42, None, "Farming"],
            "values": [4, "n/a", 2, 5, float("nan"), 9],
            "previous": [1, 1, "x"],
            "value_name": 7,
        }
    )
    assert chart is not None
    assert [row.text for row in chart.rows] == ["Retail — 4, before: 1", "42 — 2"]
    assert Chart.from_data({"labels": ["a"], "values": [float("inf")]}) is None


def test_issues_saved_with_the_old_image_chart_still_show_it(setup: Setup) -> None:
    """Blocks generated before the bars stored `alt` and no series names."""
    frozen = composed(
        setup,
        labels=["Technology"],
        values=[28],
        previous=[34],
        alt="Bar chart of placements by sector: Technology 28 (was 34)",
        caption="Dark bars: last 12 months. Light bars: the 12 months before.",
    )
    assert "Technology — 28, before: 34" in read(frozen.html).read_aloud
    assert "Dark bars: last 12 months." in frozen.html
    assert "\n- Technology — 28, before: 34\n" in frozen.text


def test_preview_and_view_in_browser_show_the_chart(setup: Setup, client: Client) -> None:
    chart_block(setup, labels=[HOSPITALITY], values=[34])
    assert client.login(username="maggie_manager", password="correct-horse-battery")
    page = client.get(f"/newsletters/issues/{setup.issue.pk}/")
    assert f"{HOSPITALITY} — 34" in read(page.context["preview_html"]).read_aloud
    # The preview's iframe holds the same email, escaped into its srcdoc attribute.
    assert "Café &amp;amp; Hospitality" in page.content.decode()
