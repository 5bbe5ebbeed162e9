"""Charts drawn on the server as inline SVG: no JavaScript, sharp in print, readable by
screen readers (a <title> and <desc>, and the same figures in a table beneath).

Series differ by dash pattern and marker as well as colour, so a black-and-white
printout still tells them apart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

COLOURS = ("#1d6b57", "#b4540a", "#3457a3", "#8c3b87", "#5b5b5b")
DASHES = ("", "6 4", "2 3", "8 3 2 3", "1 5")
WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 40, 16, 44
# Line charts carry their value axis's label above the plot.
LABEL_ROW = 14
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


@dataclass
class Series:
    label: str
    points: list[tuple[float, float | None]]  # (x, y); y None: a gap


def _open(chart_id: str, title: str, desc: str, height: int = HEIGHT) -> list[str]:
    return [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#fff"/>',
    ]


def _legend(labels: Sequence[str], y: float, *, bars: bool = False) -> list[str]:
    parts = []
    x = float(LEFT)
    for i, label in enumerate(labels):
        colour = COLOURS[i % len(COLOURS)]
        if bars:
            parts.append(f'<rect x="{x}" y="{y - 9}" width="14" height="10" fill="{colour}"/>')
        else:
            dash = DASHES[i % len(DASHES)]
            parts.append(
                f'<line x1="{x}" y1="{y - 4}" x2="{x + 18}" y2="{y - 4}" stroke="{colour}" '
                f'stroke-width="2.5" stroke-dasharray="{dash}"/>'
            )
        parts.append(f'<text x="{x + 22}" y="{y}" {FONT} fill="#222">{escape(label)}</text>')
        x += 30 + 7 * len(label)
    return parts


@dataclass(frozen=True)
class Axis:
    """A value axis: its range, its ticks and the label that says what it measures and,
    when it does not start at its natural floor, where it starts."""

    low: float
    high: float
    ticks: list[tuple[float, str]]
    label: str


NICE_STEPS = (1, 2, 2.5, 5, 10, 20, 25, 50)


def fitted_axis(
    values: Iterable[float | None],
    *,
    floor: float,
    ceiling: float,
    name: str,
    fmt: Callable[[float], str],
    ticks: int = 4,
) -> Axis:
    """An axis around `values` (never beyond `floor`..`ceiling`, the measure's own range)
    with round steps, so lines near the top of a 0–100% scale are not squashed flat; the
    label says where a cut axis starts so nobody reads 85% as the bottom."""
    found = [v for v in values if v is not None]
    low, high = (min(found), max(found)) if found else (floor, ceiling)
    # A flat line still gets room: a tenth of the measure's range at least.
    span = max(high - low, (ceiling - floor) / 10)
    step = next((s for s in NICE_STEPS if span / s <= ticks), NICE_STEPS[-1])
    bottom = max(floor, step * math.floor(low / step))
    top = min(ceiling, step * math.ceil(high / step))
    if top - bottom < span:
        bottom = max(floor, top - step * math.ceil(span / step))
    marks = []
    value = bottom
    while value <= top + 1e-9:
        marks.append((value, fmt(value)))
        value += step
    cut = "" if bottom == floor else f" (axis starts at {fmt(bottom)})"
    return Axis(low=bottom, high=top, ticks=marks, label=f"{name}{cut}")


def line_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    series: Sequence[Series],
    x_ticks: Sequence[tuple[float, str]],
    y_axis: Axis,
    step: bool = False,
) -> SafeString:
    """Lines over a shared x axis; `step` draws a survival-style staircase."""
    xs = [x for x, _ in x_ticks] + [p[0] for s in series for p in s.points]
    x_min, x_max = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if x_max == x_min:
        x_max = x_min + 1
    y_min, y_max = y_axis.low, y_axis.high
    plot_w = WIDTH - LEFT - RIGHT
    top = TOP + LABEL_ROW
    plot_h = HEIGHT - top - BOTTOM - 14  # room for the legend

    def px(x: float) -> float:
        return round(LEFT + (x - x_min) / (x_max - x_min) * plot_w, 1)

    def py(y: float) -> float:
        return round(top + (1 - (y - y_min) / (y_max - y_min)) * plot_h, 1)

    parts = _open(chart_id, title, desc)
    parts.append(
        f'<text class="axis-label" x="{LEFT}" y="{TOP}" {FONT} fill="#222">'
        f"{escape(y_axis.label)}</text>"
    )
    for value, label in y_axis.ticks:
        y = py(value)
        parts.append(
            f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y + 4}" text-anchor="end" {FONT} fill="#444">'
            f"{escape(label)}</text>"
        )
    base = top + plot_h
    for value, label in x_ticks:
        x = px(value)
        parts.append(
            f'<line x1="{x}" y1="{base}" x2="{x}" y2="{base + 4}" stroke="#444"/>'
            f'<text x="{x}" y="{base + 17}" text-anchor="middle" {FONT} fill="#444">'
            f"{escape(label)}</text>"
        )
    parts.append(f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="#444"/>')
    for i, s in enumerate(series):
        colour, dash = COLOURS[i % len(COLOURS)], DASHES[i % len(DASHES)]
        for run in _runs(s.points):
            coords: list[str] = []
            previous_y: float | None = None
            for x, y in run:
                if step and previous_y is not None:
                    coords.append(f"{px(x)},{py(previous_y)}")
                coords.append(f"{px(x)},{py(y)}")
                previous_y = y
            parts.append(
                f'<polyline points="{" ".join(coords)}" fill="none" stroke="{colour}" '
                f'stroke-width="2.5" stroke-dasharray="{dash}"/>'
            )
            if not step:
                parts.extend(
                    f'<circle cx="{px(x)}" cy="{py(y)}" r="3" fill="{colour}"/>' for x, y in run
                )
    parts.extend(_legend([s.label for s in series], HEIGHT - 6))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def _runs(points: Sequence[tuple[float, float | None]]) -> list[list[tuple[float, float]]]:
    """Split a series at its gaps (y None), so a missing month is not bridged."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in points:
        if y is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((x, y))
    return [r for r in runs if r]


def bar_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    stacked: bool = False,
    value_format: Callable[[float], str] = lambda v: f"{v:g}",
) -> SafeString:
    """Horizontal bars, one row per label; several series side by side or stacked."""
    label_w = min(220, 12 + 7 * max((len(lbl) for lbl in labels), default=4))
    row_h = 22 if stacked or len(series) == 1 else 12 * len(series) + 8
    height = TOP + max(1, len(labels)) * row_h + 34
    totals = [
        sum(vals[i] for _, vals in series) if stacked else max((v[i] for _, v in series), default=0)
        for i in range(len(labels))
    ]
    top = max(totals, default=0) or 1
    plot_w = WIDTH - label_w - RIGHT - 60
    parts = _open(chart_id, title, desc, height)
    if not labels:
        parts.append(f'<text x="{LEFT}" y="{TOP + 20}" {FONT} fill="#444">Nothing to show.</text>')
    for i, label in enumerate(labels):
        y0 = TOP + i * row_h
        y: float = float(y0)
        text = escape(label if len(label) <= 30 else label[:29] + "…")
        parts.append(
            f'<text x="{label_w - 6}" y="{y0 + row_h / 2 + 4}" text-anchor="end" {FONT} '
            f'fill="#222">{text}</text>'
        )
        x = float(label_w)
        for j, (_, values) in enumerate(series):
            value = values[i]
            w = round(value / top * plot_w, 1)
            colour = COLOURS[j % len(COLOURS)]
            h: float
            if stacked:
                y, h = y0 + 3, row_h - 6
            else:
                h = (row_h - 8) / len(series) if len(series) > 1 else row_h - 6.0
                y, x = y0 + 3 + j * h, float(label_w)
            parts.append(
                f'<rect x="{x}" y="{round(y, 1)}" width="{w}" height="{round(h, 1)}" '
                f'fill="{colour}"/>'
            )
            if not stacked:
                parts.append(
                    f'<text x="{x + w + 4}" y="{round(y + h - 2, 1)}" {FONT} fill="#222">'
                    f"{escape(value_format(value))}</text>"
                )
            x += w
        if stacked:
            parts.append(
                f'<text x="{x + 4}" y="{y0 + row_h / 2 + 4}" {FONT} fill="#222">'
                f"{escape(value_format(totals[i]))}</text>"
            )
    if len(series) > 1:
        parts.extend(_legend([name for name, _ in series], height - 8, bars=True))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
