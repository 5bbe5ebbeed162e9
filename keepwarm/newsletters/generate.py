"""Newsletter sections written from the agency's own placements.

Each function returns a title, a Markdown body the recruiter edits before sending, and
the numbers behind it (`data`, with a `chart` that chart.py draws as bars). Small groups
are left out of salary figures so nobody's pay can be worked out from them.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from keepwarm.lib.dates import add_months
from keepwarm.newsletters.models import PublicStatistic
from keepwarm.placements.models import Placement

# Fewer placements than this in a group: no salary median for it.
MIN_GROUP = 3
TOP_SECTORS = 8
# A year-on-year growth factor is kept within these bounds: a sector that went from one
# placement to five is not going to grow fivefold again.
GROWTH_BOUNDS = (0.5, 2.0)
BACKTEST_QUARTERS = 4


@dataclass
class Generated:
    title: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)


def _md_cell(text: object) -> str:
    return str(text).replace("|", "/").replace("\n", " ")


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _change(now: int, before: int) -> str:
    if before == 0:
        return "new" if now else "–"
    return f"{(now - before) / before:+.0%}"


def role_family(title: str) -> str:
    """The title's last word: "Senior Software Engineer" -> "Engineer"."""
    words = re.sub(r"\(.*?\)", " ", title).replace("/", " ").split()
    return words[-1].title() if words else "Other"


def _money(value: float) -> str:
    return f"£{value:,.0f}"


# --- Employment breakdowns and trends -----------------------------------------------------


def employment_trends(*, today: dt.date) -> Generated:
    """Placements by sector over the last 12 months against the 12 before, salary
    medians by role family, and the time from offer to start (our time-to-fill proxy)."""
    year_ago = add_months(today, -12)
    two_years_ago = add_months(today, -24)
    rows = Placement.objects.filter(
        start_date__gt=two_years_ago, start_date__lte=today
    ).values_list("start_date", "company__sector", "role_title", "salary", "currency", "created_at")
    now_by: dict[str, int] = defaultdict(int)
    before_by: dict[str, int] = defaultdict(int)
    salaries: dict[str, list[float]] = defaultdict(list)
    lead_days: list[int] = []
    for start, sector, title, salary, currency, created in rows.iterator():
        sector = sector or "Other"
        if start > year_ago:
            now_by[sector] += 1
            if salary is not None and currency == "GBP":
                salaries[role_family(title)].append(float(salary))
            days = (start - created.date()).days
            if days >= 0:
                lead_days.append(days)
        else:
            before_by[sector] += 1
    sectors = sorted(set(now_by) | set(before_by), key=lambda s: (-now_by[s], -before_by[s], s))[
        :TOP_SECTORS
    ]
    total_now, total_before = sum(now_by.values()), sum(before_by.values())
    medians = sorted(
        (
            (family, statistics.median(values), len(values))
            for family, values in salaries.items()
            if len(values) >= MIN_GROUP
        ),
        key=lambda r: -r[1],
    )
    lead_median = statistics.median(lead_days) if lead_days else None

    parts = [
        f"We placed **{total_now}** people in the last 12 months, "
        f"against {total_before} in the 12 months before ({_change(total_now, total_before)}).",
        "",
        _table(
            ["Sector", "Last 12 months", "12 months before", "Change"],
            [(s, now_by[s], before_by[s], _change(now_by[s], before_by[s])) for s in sectors],
        ),
    ]
    if medians:
        parts += [
            "",
            f"**Median salary by role family** (last 12 months, groups of {MIN_GROUP} or more):",
            "",
            _table(
                ["Role family", "Median salary", "Placements"],
                [(f, _money(m), n) for f, m, n in medians],
            ),
        ]
    parts += ["", _time_to_fill_text(lead_median, len(lead_days))]
    chart = {
        "labels": sectors,
        "values": [now_by[s] for s in sectors],
        "previous": [before_by[s] for s in sectors],
        "title": "Placements by sector",
        "value_name": "last 12 months",
        "previous_name": "12 months before",
        "caption": "Dark bars: last 12 months. Light bars: the 12 months before.",
    }
    data = {
        "today": today.isoformat(),
        "total": {"last_12_months": total_now, "previous_12_months": total_before},
        "by_sector": {s: {"last": now_by[s], "previous": before_by[s]} for s in sectors},
        "salary_medians": {f: {"median": m, "count": n} for f, m, n in medians},
        "offer_to_start_days_median": lead_median,
        "chart": chart,
    }
    return Generated(title="Jobs market: what we have seen", body="\n".join(parts), data=data)


def _time_to_fill_text(median: float | None, count: int) -> str:
    if median is None:
        return (
            "*Time to fill:* we do not record vacancies yet, so we cannot say how long roles "
            "take to fill."
        )
    return (
        "*Time to fill:* we do not record vacancies yet. What we can measure is the time from "
        f"an offer being accepted to the first day: a median of **{median:.0f} days** over "
        f"{count} placements, mostly notice periods."
    )


# --- Job forecasts ---------------------------------------------------------------------------


def quarter_index(day: dt.date) -> int:
    return day.year * 4 + (day.month - 1) // 3


def quarter_name(index: int) -> str:
    return f"{index // 4}-Q{index % 4 + 1}"


def parse_quarter(name: str) -> int:
    """ "2025-Q3" -> index; ValueError otherwise."""
    year, _, quarter = name.strip().upper().partition("-Q")
    number = int(quarter)
    if not 1 <= number <= 4 or len(year) != 4:
        raise ValueError(f"Not a quarter like 2025-Q3: {name!r}")
    return int(year) * 4 + number - 1


def _growth(series: dict[int, float], last: int) -> float:
    """The last four quarters against the four before, bounded; 1 when unknown."""
    recent = sum(series.get(q, 0) for q in range(last - 3, last + 1))
    before = sum(series.get(q, 0) for q in range(last - 7, last - 3))
    if before <= 0:
        return 1.0
    low, high = GROWTH_BOUNDS
    return min(high, max(low, recent / before))


def forecast(
    series: dict[int, float], *, target: int, last: int, public_growth: float | None = None
) -> float:
    """Seasonal naive with growth: the same quarter a year earlier, times the growth of
    the last four complete quarters (up to `last`) over the four before. With public
    figures, the growth is the mean of ours and theirs."""
    growth = _growth(series, last)
    if public_growth is not None:
        growth = (growth + public_growth) / 2
    return series.get(target - 4, 0) * growth


def backtest(
    by_sector: dict[str, dict[int, float]],
    *,
    last: int,
    horizon: int,
    quarters: int = BACKTEST_QUARTERS,
) -> dict[str, Any]:
    """Forecast each of the last `quarters` complete quarters from the data before it, as
    far ahead as the real forecast looks; MAPE over sector-quarters with placements (a
    percentage error of a zero is undefined), for our method and for "same as last quarter"."""
    errors: list[float] = []
    naive_errors: list[float] = []
    checked: list[dict[str, Any]] = []
    for target in range(last - quarters + 1, last + 1):
        known = target - horizon
        for sector, series in by_sector.items():
            actual = series.get(target, 0)
            if actual <= 0 or not any(q <= known - 4 for q in series):
                continue
            predicted = forecast(series, target=target, last=known)
            errors.append(abs(actual - predicted) / actual)
            naive_errors.append(abs(actual - series.get(known, 0)) / actual)
            checked.append(
                {
                    "quarter": quarter_name(target),
                    "sector": sector,
                    "actual": actual,
                    "forecast": round(predicted, 1),
                }
            )
    return {
        "mape": round(100 * statistics.fmean(errors), 1) if errors else None,
        "naive_mape": round(100 * statistics.fmean(naive_errors), 1) if naive_errors else None,
        "points": len(errors),
        "checked": checked,
    }


def _public_growth(last: int) -> dict[str, float]:
    series: dict[str, dict[int, float]] = defaultdict(dict)
    for period, sector, value in PublicStatistic.objects.values_list("period", "sector", "value"):
        try:
            series[sector][parse_quarter(period)] = value
        except ValueError:
            continue
    growth = {}
    for sector, values in series.items():
        latest = max((q for q in values if q <= last), default=None)
        if latest is not None and any(q <= latest - 7 for q in values):
            growth[sector] = _growth(values, latest)
    return growth


def job_forecasts(*, today: dt.date, use_public: bool = True) -> Generated:
    current = quarter_index(today)
    last = current - 1  # the last complete quarter
    target = current + 1  # "next quarter"
    horizon = target - last
    by_sector: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    first = last - 12  # enough for the backtest: its earliest growth looks back 12 quarters
    start = dt.date(first // 4, first % 4 * 3 + 1, 1)
    rows = Placement.objects.filter(start_date__gte=start, start_date__lte=today).values_list(
        "start_date", "company__sector"
    )
    for day, sector in rows.iterator():
        q = quarter_index(day)
        if q <= last:
            by_sector[sector or "Other"][q] += 1
    public = _public_growth(last) if use_public else {}
    forecasts = {
        sector: forecast(series, target=target, last=last, public_growth=public.get(sector))
        for sector, series in by_sector.items()
    }
    sectors = sorted(forecasts, key=lambda s: (-forecasts[s], s))[:TOP_SECTORS]
    test = backtest(by_sector, last=last, horizon=horizon)
    same_quarter = {s: by_sector[s].get(target - 4, 0) for s in sectors}
    rows_out = [
        (s, int(same_quarter[s]), f"{forecasts[s]:.0f}", _trend_word(forecasts[s], same_quarter[s]))
        for s in sectors
    ]
    method = (
        f"*How we worked this out:* for each sector we took the number of people we placed "
        f"in {quarter_name(target - 4)} (the same quarter last year, because hiring is seasonal) "
        "and scaled it by how the last four quarters compared with the four before "
        f"(growth kept between ×{GROWTH_BOUNDS[0]} and ×{GROWTH_BOUNDS[1]})."
    )
    if public:
        method += (
            " Where public figures for the sector were imported, we used the average of our "
            "growth and theirs."
        )
    if test["mape"] is not None:
        accuracy = (
            f"*How accurate is it?* Forecasting each of the last {BACKTEST_QUARTERS} quarters "
            f"this way, the figures were off by **{test['mape']:.0f}%** on average "
            f"(MAPE over {test['points']} sector-quarters; simply repeating the latest quarter "
            f"was off by {test['naive_mape']:.0f}%). Treat it as a direction, not a promise."
        )
    else:
        accuracy = (
            "*How accurate is it?* We do not have enough history yet to check it against "
            "past quarters."
        )
    body = "\n".join(
        [
            f"Where we expect demand in **{quarter_name(target)}**, from our own placements:",
            "",
            _table(
                ["Sector", f"Placed in {quarter_name(target - 4)}", "Forecast", "Trend"], rows_out
            ),
            "",
            method,
            "",
            accuracy,
        ]
    )
    chart = {
        "labels": sectors,
        "values": [round(forecasts[s], 1) for s in sectors],
        "previous": [same_quarter[s] for s in sectors],
        "title": f"Forecast placements by sector for {quarter_name(target)}",
        "value_name": "forecast",
        "previous_name": f"placed in {quarter_name(target - 4)}",
        "caption": f"Dark bars: forecast for {quarter_name(target)}. "
        f"Light bars: {quarter_name(target - 4)}.",
    }
    data = {
        "today": today.isoformat(),
        "target": quarter_name(target),
        "forecast": {s: round(forecasts[s], 2) for s in sectors},
        "history": {
            s: {quarter_name(q): v for q, v in sorted(by_sector[s].items())} for s in sectors
        },
        "public_growth": public,
        "backtest": test,
        "chart": chart,
    }
    return Generated(title=f"Job forecast for {quarter_name(target)}", body=body, data=data)


def _trend_word(forecast_value: float, before: float) -> str:
    if before == 0:
        return "new demand" if forecast_value >= 1 else "quiet"
    change = (forecast_value - before) / before
    if change > 0.1:
        return "rising"
    if change < -0.1:
        return "falling"
    return "steady"


# --- Success stories -------------------------------------------------------------------------


def success_stories(*, today: dt.date, months: int = 6, limit: int = 5) -> Generated:
    """Recent placements whose people agreed to be featured, newest first."""
    placements = (
        Placement.objects.filter(
            featured_consent=True,
            start_date__gte=add_months(today, -months),
            start_date__lte=today,
        )
        .exclude(status__in=Placement.ENDED)
        .select_related("person", "company")
        .order_by("-start_date", "-id")[:limit]
    )
    stories = [
        f"- **{p.person.first_name} {p.person.last_name[:1]}.** started as {p.role_title} at "
        f"{p.company.name} in {p.start_date:%B %Y}."
        for p in placements
    ]
    if not stories:
        body = "*No one placed recently has agreed to be featured yet.*"
    else:
        body = (
            "Congratulations to the people who started new roles with us recently:\n\n"
            + "\n".join(stories)
        )
    data = {"placements": [p.pk for p in placements], "today": today.isoformat()}
    return Generated(title="Success stories", body=body, data=data)


GENERATORS: dict[str, Callable[..., Generated]] = {
    "employment_trends": employment_trends,
    "job_forecasts": job_forecasts,
    "success_stories": success_stories,
}
