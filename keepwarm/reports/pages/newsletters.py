"""Newsletter engagement per issue: sent, bounced, unsubscribed, opened, clicked."""

from __future__ import annotations

from typing import Any

from keepwarm.reports import business
from keepwarm.reports.charts import bar_chart
from keepwarm.reports.pages.page import Page, Table
from keepwarm.reports.queries import Scope


def _engagement_cells(issue: dict[str, Any]) -> list[Any]:
    """Unique openers and clickers over copies sent, or why the issue has none."""
    figures = issue["engagement"]
    if figures is None:
        return [None, None, None, None, issue["issue"].untracked_because]
    rates = [figures[k] for k in ("open_percent", "click_percent")]
    opened, clicked = (None if v is None else f"{v:g}%" for v in rates)
    return [figures["opened"], opened, figures["clicked"], clicked, "Tracked (indicative)"]


def newsletters_page(scope: Scope) -> Page:
    issues = business.newsletter_issues(scope)
    ordered = list(reversed(issues))
    chart = bar_chart(
        chart_id="newsletters",
        title="Bounces and unsubscribes per newsletter issue, as a share of copies sent",
        desc="; ".join(
            f"{i['issue'].subject}: {i['sent']} sent, {i['bounced']} bounced, "
            f"{i['unsubscribed']} unsubscribed"
            for i in ordered
        )
        or "No issues were sent in the period.",
        labels=[i["issue"].subject for i in ordered],
        series=[
            ("Bounced %", [i["bounce_percent"] or 0 for i in ordered]),
            ("Unsubscribed %", [i["unsubscribe_percent"] or 0 for i in ordered]),
        ],
        value_format=lambda v: f"{v:g}%",
    )
    header = [
        "Issue",
        "Newsletter",
        "Sent for",
        "Copies",
        "Sent",
        "Failed",
        "Delivered",
        "Bounced",
        "Marked as spam",
        "Unsubscribed",
        "Opened",
        "Open rate",
        "Clicked",
        "Click rate",
        "Opens and clicks",
    ]
    rows = [
        [
            i["issue"].subject,
            i["issue"].newsletter.name,
            i["issue"].scheduled_for,
            i["copies"],
            i["sent"],
            i["failed"],
            i["delivered"],
            i["bounced"],
            i["complained"],
            i["unsubscribed"],
            *_engagement_cells(i),
        ]
        for i in issues
    ]
    return Page(
        chart=chart, tables={"issues": Table("Per issue", header, rows)}, extra={"issues": issues}
    )
