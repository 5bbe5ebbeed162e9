"""Each report as a page: its chart, its tables (also its CSV/XLSX downloads) and extras.

A builder takes a Scope and returns a `Page`; views render it and exports write its
tables, so the download always holds the figures shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.safestring import SafeString

from keepwarm.care.models import Audience
from keepwarm.reports import business, queries
from keepwarm.reports.charts import Series, bar_chart, line_chart
from keepwarm.reports.queries import Scope
from keepwarm.reports.survival import HORIZONS, Curve

PERCENT_TICKS = [(v, f"{v:g}%") for v in (0, 25, 50, 75, 100)]


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[Any]]


@dataclass
class Page:
    chart: SafeString
    tables: dict[str, Table]
    extra: dict[str, Any] = field(default_factory=dict)
    # The records whose people the page names (a fall-off, an answer), for the reader's
    # audit trail; a page of figures alone names nobody.
    named: list[models.Model] = field(default_factory=list)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(100 * value)}%"


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --- Retention --------------------------------------------------------------------------


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
    chart = line_chart(
        chart_id="retention",
        title="Share of placed people still in post, by days since they started",
        desc=(
            f"Kaplan–Meier survival of {data.overall.placements} placements. "
            f"Still in post after {described}."
        ),
        series=[Series(label, _curve_points(curve)) for label, curve in shown],
        x_ticks=[(0, "0"), *((h, f"{h} days") for h in HORIZONS)],
        y_range=(0, 100),
        y_ticks=PERCENT_TICKS,
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


# --- Fall-offs --------------------------------------------------------------------------


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
            "rate": percent(_share(data.inside, data.placements)),
        },
        named=list(rebates),
    )


# --- Check-in discipline ----------------------------------------------------------------


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
            percent(_share(r.on_time, r.total)),
        ]
        for r in rows
    ]
    totals = [sum(getattr(r, a) for r in rows) for a in ("on_time", "late", "missed", "skipped")]
    table.append(["Everyone", sum(totals), *totals, percent(_share(totals[0], sum(totals)))])
    return Page(chart=chart, tables={"discipline": Table("Per consultant", header, table)})


# --- NPS --------------------------------------------------------------------------------


def _nps_text(figure: queries.NpsFigure) -> str:
    return "—" if figure.score is None else f"{figure.score:+d} ({figure.answers})"


def nps_page(scope: Scope) -> Page:
    data = queries.nps(scope)
    audiences = [(Audience.CANDIDATE, "Candidates"), (Audience.CLIENT, "Clients")]
    series = [
        Series(
            label,
            [
                (i, f.score if (f := data.by_month[a].get(m)) is not None else None)
                for i, m in enumerate(data.months)
            ],
        )
        for a, label in audiences
    ]
    step = max(1, len(data.months) // 12)
    chart = line_chart(
        chart_id="nps",
        title="Net Promoter Score of placed candidates and of clients, month by month",
        desc=(
            f"Candidates {_nps_text(data.overall[Audience.CANDIDATE])}, "
            f"clients {_nps_text(data.overall[Audience.CLIENT])} over the period "
            "(score, then number of answers). NPS runs from −100 to +100."
        ),
        series=series,
        x_ticks=[(i, f"{m:%b %y}") for i, m in enumerate(data.months) if i % step == 0],
        y_range=(-100, 100),
        y_ticks=[(v, f"{v:+d}" if v else "0") for v in (-100, -50, 0, 50, 100)],
    )
    monthly = [
        [
            f"{m:%B %Y}",
            *[
                v
                for a, _ in audiences
                for f in [data.by_month[a].get(m, queries.NpsFigure())]
                for v in (f.score, f.answers)
            ],
        ]
        for m in data.months
    ]
    header = ["Month", "Candidates' NPS", "Candidate answers", "Clients' NPS", "Client answers"]
    per_consultant = [
        [name, cand.score, cand.answers, client.score, client.answers]
        for name, cand, client in data.by_consultant
    ]
    comments = list(queries.nps_comments(scope)[:100])
    comment_rows = [
        [
            c.response.submitted_at,
            c.response.person.full_name,
            c.response.questionnaire.get_audience_display(),
            c.response.placement.owner.display_name,
            c.question.label,
            c.value_text,
            None if c.nps is None else int(c.nps),  # type: ignore[attr-defined]
        ]
        for c in comments
    ]
    return Page(
        chart=chart,
        tables={
            "months": Table("Month by month", header, monthly),
            "consultants": Table(
                "Per consultant",
                ["Consultant", *header[1:]],
                per_consultant,
            ),
            "comments": Table(
                "Comments",
                ["Answered", "Person", "Audience", "Consultant", "Question", "Comment", "NPS"],
                comment_rows,
            ),
        },
        extra={"overall": data.overall, "comments": comments},
        named=list({c.response.pk: c.response for c in comments}.values()),
    )


# --- Alerts -----------------------------------------------------------------------------


def alerts_page(scope: Scope) -> Page:
    data = queries.alerts(scope)
    rows = data.rows
    chart = bar_chart(
        chart_id="alerts",
        title="Alerts raised per consultant, and how they were closed",
        desc=(
            f"{data.total('raised')} raised: {data.total('in_time')} closed in time, "
            f"{data.total('late')} closed late, {data.total('open')} still open "
            f"({data.total('overdue')} overdue). After the alert, the next answer was better "
            f"{data.outcomes['improved']} times, the same {data.outcomes['same']} and worse "
            f"{data.outcomes['worse']}."
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
            percent(_share(r.in_time, r.raised)),
        ]
        for r in rows
    ]
    table.append(
        [
            "Everyone",
            *(data.total(a) for a in ("raised", "in_time", "late", "open", "overdue")),
            percent(_share(data.total("in_time"), data.total("raised"))),
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


# --- Referrals and leads ----------------------------------------------------------------


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


# --- Newsletters ------------------------------------------------------------------------


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


# --- Client health ----------------------------------------------------------------------


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


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    summary: str
    default_days: int
    build: Callable[..., Page]


REPORTS = {
    r.slug: r
    for r in (
        Report(
            "retention",
            "Retention",
            "Still in post at 30, 90, 180 and 365 days.",
            730,
            retention_page,
        ),
        Report(
            "fall-offs",
            "Fall-offs and rebates",
            "Who left inside the guarantee, why, and the rebates owed and paid.",
            365,
            fall_offs_page,
        ),
        Report(
            "check-ins",
            "Check-in discipline",
            "Calls and meetings done on time, late or missed.",
            90,
            discipline_page,
        ),
        Report(
            "nps",
            "NPS",
            "Candidates' and clients' Net Promoter Score, with their comments.",
            365,
            nps_page,
        ),
        Report(
            "alerts",
            "Alerts",
            "Raised, closed in time, and whether the next answer improved.",
            365,
            alerts_page,
        ),
        Report(
            "network", "Referrals and leads", "What referrals and leads led to.", 365, network_page
        ),
        Report(
            "newsletters",
            "Newsletter engagement",
            "Per issue: sent, bounced, unsubscribed; opened and clicked where tracked.",
            365,
            newsletters_page,
        ),
        Report(
            "clients",
            "Client health",
            "Hires against targets, answers, repeat business, intel.",
            365,
            clients_page,
        ),
    )
}
