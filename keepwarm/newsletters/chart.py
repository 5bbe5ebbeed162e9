"""A newsletter chart as HTML-table bars, with its figures as text.

Every mail client draws a table cell with a width and a `bgcolor`, Outlook's Word engine
included, while SVG and scripts show almost nowhere and an image needs a font that has
every letter a label may use. So each row of the chart is its label and figures as text,
in whatever script they are written (what a screen reader reads, and what wraps on a
phone), with bars beneath that are decoration only.

A chart is read from what a generated block stores in `data["chart"]`: `labels`,
`values`, optionally `previous` (the same labels one period earlier), `title`,
`value_name`, `previous_name` and `caption` (the legend). Blocks saved before the names
existed still render; anything malformed is left out rather than failing a send.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# This period, the period before: the masthead colour and a lighter tint of it.
COLOURS = ("#1f6f8b", "#6f98ab")  # each 3:1 or more against white
HEIGHTS = (14, 8)  # pixels: the earlier period is a thinner bar under this one
# Blocks saved before the series had names say only which bar is which ("Light bars: …").
PREVIOUS_NAME = "before"


@dataclass(frozen=True)
class Bar:
    percent: int  # of the row's width; 0 draws no bar
    colour: str
    height: int

    @property
    def rest(self) -> int:
        return 100 - self.percent


@dataclass(frozen=True)
class Row:
    label: str
    figures: str  # "34" or "last 12 months: 34, 12 months before: 28"
    bars: tuple[Bar, ...]

    @property
    def text(self) -> str:
        return f"{self.label} — {self.figures}"


@dataclass(frozen=True)
class Chart:
    title: str
    caption: str
    rows: tuple[Row, ...]

    @classmethod
    def from_data(cls, spec: object) -> Chart | None:
        """The chart a block's stored `data["chart"]` describes; None when it has no row
        with a number (not a dict, no labels, empty, or values that are not numbers)."""
        if not isinstance(spec, dict):
            return None
        labels, values = _list(spec.get("labels")), _list(spec.get("values"))
        previous = _list(spec.get("previous")) if "previous" in spec else None
        names = (_text(spec.get("value_name")), _text(spec.get("previous_name")) or PREVIOUS_NAME)
        series: list[tuple[str, float, float | None]] = []
        for index, (label, value) in enumerate(zip(labels, values, strict=False)):
            number = _number(value)
            if number is None or not isinstance(label, str | int | float):
                continue
            before = _number(previous[index]) if previous and index < len(previous) else None
            series.append((str(label), number, before))
        if not series:
            return None
        largest = max(max(now, before or 0) for _label, now, before in series)
        rows = tuple(_row(label, now, before, names, largest) for label, now, before in series)
        return cls(title=_text(spec.get("title")), caption=_text(spec.get("caption")), rows=rows)


def _row(
    label: str, now: float, before: float | None, names: tuple[str, str], largest: float
) -> Row:
    figures = [_figure(names[0], now)]
    bars = [Bar(_percent(now, largest), COLOURS[0], HEIGHTS[0])]
    if before is not None:
        figures.append(_figure(names[1], before))
        bars.append(Bar(_percent(before, largest), COLOURS[1], HEIGHTS[1]))
    return Row(label=label, figures=", ".join(figures), bars=tuple(bars))


def _percent(value: float, largest: float) -> int:
    """The bar's share of the widest; a positive value always shows, zero and below none."""
    if value <= 0 or largest <= 0:
        return 0
    return max(1, round(100 * value / largest))


def _figure(name: str, value: float) -> str:
    shown = f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.1f}"
    return f"{name}: {shown}" if name else shown


def _number(value: object) -> float | None:
    # JSON numbers only: a bool is an int to Python but no figure to a reader.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
