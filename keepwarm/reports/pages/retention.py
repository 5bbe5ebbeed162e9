"""Retention: the share of placed people still in post, by days since they started."""

from __future__ import annotations

from typing import Any

from keepwarm.reports import queries
from keepwarm.reports.charts import Series, fitted_axis, line_chart
from keepwarm.reports.pages.page import Page, Table, percent, period
from keepwarm.reports.queries import Scope
from keepwarm.reports.survival import HORIZONS, Curve


def _curve_points(curve: Curve) -> list[tuple[float, float | None]]:
    points: list[tuple[float, float | None]] = [(0, 100.0)]
    for step in curve.steps:
        if step.day > max(HORIZONS):
            break
        points.append((step.day, round(100 * step.survival, 1)))
    last = points[-1][1]
    points.append((min(curve.longest, max(HORIZONS)), last))
    return points


def retention_page(
    scope: Scope, by: str = "consultant", data: queries.Retention | None = None
) -> Page:
    data = data or queries.retention(scope, by=by)
    shown = [("All placements", data.overall)] + [(r.name, r.curve) for r in data.rows[:4]]
    described = ", ".join(f"{h} days {percent(data.overall.at(h))}" for h in HORIZONS)
    series = [Series(label, _curve_points(curve)) for label, curve in shown]
    axis = fitted_axis(
        (y for s in series for _, y in s.points),
        floor=0,
        ceiling=100,
        name="Still in post",
        fmt=lambda v: f"{v:g}%",
    )
    chart = line_chart(
        chart_id="retention",
        title="Share of placed people still in post, by days since they started",
        desc=(
            f"Kaplan–Meier survival of {data.overall.placements} placements started "
            f"{period(scope)}. Still in post after {described}. "
            f"The value axis runs from {axis.ticks[0][1]} to {axis.ticks[-1][1]}."
        ),
        series=series,
        x_ticks=[(0, "0"), *((h, f"{h} days") for h in HORIZONS)],
        y_axis=axis,
        step=True,
    )
    by_label = {"consultant": "Consultant", "client": "Client", "sector": "Sector"}[data.by]
    header = [by_label, "Placements", "Left in the first year"] + [
        f"In post after {h} days" for h in HORIZONS
    ]

    def row(name: str, curve: Curve) -> list[Any]:
        return [name, curve.placements, curve.left] + [percent(curve.at(h)) for h in HORIZONS]

    rows = [row("All placements", data.overall)] + [row(r.name, r.curve) for r in data.rows]
    at_risk = [data.overall.at_risk(h) for h in HORIZONS]
    return Page(
        chart=chart,
        tables={"retention": Table(f"By {by_label.lower()}", header, rows)},
        extra={
            "by": data.by,
            "at_risk": list(zip(HORIZONS, at_risk, strict=True)),
            "excluded": data.excluded,
        },
    )
