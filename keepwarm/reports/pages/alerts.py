"""Alerts: raised and closed per consultant, and whether the next answer improved."""

from __future__ import annotations

from keepwarm.reports import queries
from keepwarm.reports.charts import bar_chart
from keepwarm.reports.pages.page import Page, Table, percent, period, share
from keepwarm.reports.queries import Scope


def alerts_page(scope: Scope) -> Page:
    data = queries.alerts(scope)
    rows = data.rows
    better, same, worse = (data.outcomes[k] for k in ("improved", "same", "worse"))
    if better + same + worse:
        after = (
            f"After the alert, the next answer was better {better} times, the same {same} "
            f"and worse {worse}."
        )
    else:
        after = "No alert has an answer before and after it to compare yet."
    chart = bar_chart(
        chart_id="alerts",
        title="Alerts raised per consultant, and how they were closed",
        desc=(
            f"{data.total('raised')} raised {period(scope)}: {data.total('in_time')} closed in "
            f"time, {data.total('late')} closed late, {data.total('open')} still open "
            f"({data.total('overdue')} overdue). {after}"
        ),
        labels=[r.name for r in rows],
        series=[
            ("Closed in time", [r.in_time for r in rows]),
            ("Closed late", [r.late for r in rows]),
            ("Still open", [r.open for r in rows]),
        ],
        stacked=True,
    )
    header = [
        "Consultant",
        "Raised",
        "Closed in time",
        "Closed late",
        "Open",
        "Overdue",
        "Closed in time %",
    ]
    table = [
        [
            r.name,
            r.raised,
            r.in_time,
            r.late,
            r.open,
            r.overdue,
            percent(share(r.in_time, r.raised)),
        ]
        for r in rows
    ]
    table.append(
        [
            "Everyone",
            *(data.total(a) for a in ("raised", "in_time", "late", "open", "overdue")),
            percent(share(data.total("in_time"), data.total("raised"))),
        ]
    )
    outcomes = [[queries.OUTCOME_LABELS[k], n] for k, n in data.outcomes.items()]
    return Page(
        chart=chart,
        tables={
            "alerts": Table("Per consultant", header, table),
            "outcomes": Table("The next answer after the alert", ["Outcome", "Alerts"], outcomes),
        },
    )
