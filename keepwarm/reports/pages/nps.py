"""NPS: candidates' and clients' Net Promoter Score month by month, with comments."""

from __future__ import annotations

from keepwarm.care.models import Audience
from keepwarm.reports import queries
from keepwarm.reports.charts import Series, fitted_axis, line_chart
from keepwarm.reports.pages.page import Page, Table, period
from keepwarm.reports.queries import Scope


def _nps_text(figure: queries.NpsFigure) -> str:
    if figure.score is None:
        return figure.wanting.lower()
    return f"{figure.score:+d} from {figure.answers} answers"


def _signed(value: float) -> str:
    return f"{value:+g}" if value else "0"


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
    axis = fitted_axis(
        (y for s in series for _, y in s.points),
        floor=-100,
        ceiling=100,
        name="NPS, −100 to +100",
        fmt=_signed,
    )
    chart = line_chart(
        chart_id="nps",
        title="Net Promoter Score of placed candidates and of clients, month by month",
        desc=(
            f"{period(scope)}: candidates {_nps_text(data.overall[Audience.CANDIDATE])}, "
            f"clients {_nps_text(data.overall[Audience.CLIENT])}. A month shows a score once "
            f"it has {queries.MIN_NPS_ANSWERS} answers. The value axis runs from "
            f"{axis.ticks[0][1]} to {axis.ticks[-1][1]}."
        ),
        series=series,
        x_ticks=[(i, f"{m:%b %y}") for i, m in enumerate(data.months) if i % step == 0],
        y_axis=axis,
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
        extra={
            "cards": [(label, data.overall[a]) for a, label in audiences],
            "comments": comments,
        },
        named=list({c.response.pk: c.response for c in comments}.values()),
    )
