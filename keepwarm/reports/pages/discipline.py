"""Check-in discipline: calls and meetings done on time, late or missed."""

from __future__ import annotations

from keepwarm.reports import queries
from keepwarm.reports.charts import bar_chart
from keepwarm.reports.pages.page import Page, Table, percent, share
from keepwarm.reports.queries import Scope


def discipline_page(scope: Scope) -> Page:
    rows = queries.discipline(scope)
    chart = bar_chart(
        chart_id="discipline",
        title="Calls and meetings due, per consultant: on time, late, missed",
        desc="; ".join(
            f"{r.name}: {r.on_time} on time, {r.late} late, {r.missed} missed, {r.skipped} skipped"
            for r in rows
        )
        or "No calls or meetings were due in the period.",
        labels=[r.name for r in rows],
        series=[
            ("On time", [r.on_time for r in rows]),
            ("Late", [r.late for r in rows]),
            ("Missed", [r.missed for r in rows]),
            ("Skipped", [r.skipped for r in rows]),
        ],
        stacked=True,
    )
    header = ["Consultant", "Due", "On time", "Late", "Missed", "Skipped", "On time %"]
    table = [
        [
            r.name,
            r.total,
            r.on_time,
            r.late,
            r.missed,
            r.skipped,
            percent(share(r.on_time, r.total)),
        ]
        for r in rows
    ]
    totals = [sum(getattr(r, a) for r in rows) for a in ("on_time", "late", "missed", "skipped")]
    table.append(["Everyone", sum(totals), *totals, percent(share(totals[0], sum(totals)))])
    return Page(chart=chart, tables={"discipline": Table("Per consultant", header, table)})
