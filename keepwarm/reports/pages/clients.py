"""Client health: hires, answers, repeat business and intel per client."""

from __future__ import annotations

from keepwarm.reports import business
from keepwarm.reports.charts import bar_chart
from keepwarm.reports.pages.page import Page, Table
from keepwarm.reports.queries import Scope


def clients_page(scope: Scope) -> Page:
    clients = business.client_health(scope)
    top = clients[:15]
    chart = bar_chart(
        chart_id="clients",
        title="Placements per client in the period: still in post and ended",
        desc="; ".join(
            f"{c['company'].name}: {c['in_post']} in post, {c['ended']} ended" for c in top
        )
        or "No placements in the period.",
        labels=[c["company"].name for c in top],
        series=[("In post", [c["in_post"] for c in top]), ("Ended", [c["ended"] for c in top])],
        stacked=True,
    )
    header = [
        "Client",
        "Sector",
        "Placed",
        "In post",
        "Ended",
        "Fees",
        "Placed before",
        "Repeat business",
        "Targets met or on track",
        "Targets behind",
        "Client NPS",
        "Client answers",
        "Intel notes",
        "Latest intel",
        "What we have learnt",
    ]
    rows = [
        [
            c["company"].name,
            c["company"].sector,
            c["placed"],
            c["in_post"],
            c["ended"],
            c["fees"],
            c["earlier"],
            c["repeat"],
            c["targets_met"],
            c["targets_behind"],
            c["nps"].score,
            c["nps"].answers,
            c["intel_notes"],
            c["latest_intel"],
            c["company"].learnt,
        ]
        for c in clients
    ]
    return Page(
        chart=chart,
        tables={"clients": Table("Per client", header, rows)},
        extra={"clients": clients},
    )
