"""Fall-offs and rebates: who left inside the guarantee, why, and what is owed."""

from __future__ import annotations

from typing import Any

from keepwarm.reports import queries
from keepwarm.reports.charts import bar_chart
from keepwarm.reports.pages.page import Page, Table, percent, share
from keepwarm.reports.queries import Scope


def fall_offs_page(scope: Scope) -> Page:
    data = queries.fall_offs(scope)
    labels = [r.label for r in data.reasons]
    chart = bar_chart(
        chart_id="falloffs",
        title="Fall-offs and early leavers by reason",
        desc=(
            f"{data.inside} ended inside the guarantee and {data.after} after it, "
            f"out of {data.placements} placements started in the period."
        ),
        labels=labels,
        series=[
            ("Inside the guarantee", [r.inside for r in data.reasons]),
            ("After the guarantee", [r.after for r in data.reasons]),
        ],
        stacked=True,
    )
    header = ["Reason", "Inside the guarantee", "After the guarantee", "Rebate owed", "Rebate paid"]
    rows: list[list[Any]] = [
        [r.label, r.inside, r.after, r.rebate_owed, r.rebate_paid] for r in data.reasons
    ]
    rows.append(["All reasons", data.inside, data.after, data.rebate_owed, data.rebate_paid])
    rebates = list(queries.rebates_outstanding(scope)[:200])
    rebate_rows = [
        [
            p.person.full_name,
            p.company.name,
            p.left_on,
            p.get_leave_reason_display(),
            p.rebate_owed,
            p.paid_amount,  # type: ignore[attr-defined]
            p.paid_on,  # type: ignore[attr-defined]
        ]
        for p in rebates
    ]
    return Page(
        chart=chart,
        tables={
            "reasons": Table("By reason", header, rows),
            "rebates": Table(
                "Rebates",
                ["Person", "Client", "Left on", "Reason", "Owed", "Paid", "Paid on"],
                rebate_rows,
            ),
        },
        extra={
            "data": data,
            "rebates": rebates,
            "rate": percent(share(data.inside, data.placements)),
        },
        named=list(rebates),
    )
