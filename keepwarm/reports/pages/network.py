"""Referrals and leads, and the placements they led to."""

from __future__ import annotations

from typing import Any

from keepwarm.reports import business
from keepwarm.reports.charts import bar_chart
from keepwarm.reports.pages.page import Page, Table
from keepwarm.reports.queries import Scope


def network_page(scope: Scope) -> Page:
    data = business.network(scope)
    labels: list[str] = []
    values: list[float] = []
    for row in data.referrals:
        for key, text in (("received", "received"), ("contacted", "contacted"), ("won", "won")):
            labels.append(f"{row['label']} referrals {text}")
            values.append(row[key])
    leads = data.leads
    for key, text in (
        ("received", "Leads received"),
        ("converted", "Leads converted"),
        ("placements", "Placements at lead clients"),
    ):
        labels.append(text)
        values.append(leads[key])
    chart = bar_chart(
        chart_id="network",
        title="Referrals and leads, and the placements they led to",
        desc=", ".join(f"{lbl}: {v:g}" for lbl, v in zip(labels, values, strict=True)),
        labels=labels,
        series=[("Count", values)],
    )
    header = [
        "Kind",
        "Received",
        "Contacted",
        "Placed or won",
        "Fees from placements",
        "Rewards due",
        "Rewards paid",
    ]
    rows: list[list[Any]] = [
        [
            f"{r['label']} referrals",
            r["received"],
            r["contacted"],
            r["won"],
            r["revenue"],
            r["rewards_due"],
            r["rewards_paid"],
        ]
        for r in data.referrals
    ]
    lead_rows = [
        [
            "Leads",
            leads["received"],
            leads["converted"],
            leads["discarded"],
            leads["placements"],
            leads["revenue"],
        ]
    ]
    return Page(
        chart=chart,
        tables={
            "referrals": Table("Referrals", header, rows),
            "leads": Table(
                "Leads",
                ["", "Received", "Converted", "Discarded", "Placements since", "Fees since"],
                lead_rows,
            ),
        },
    )
