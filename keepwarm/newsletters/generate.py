"""Newsletter sections written from the agency's own placements and vacancies, for clients
and candidates to read.

Each function returns a title, a Markdown body the recruiter edits before sending, and
the numbers behind it (`data`, with a `chart` that chart.py draws as bars). What the
words promise, each held by a test in tests/test_generated_blocks.py:

- ranges, not spurious precision: salaries and times as the middle half of what we saw,
  a forecast as "between X and Y";
- a percentage change only from a base of MIN_BASE or more; below it, the two counts;
- never a sentence about what we do not record when the records exist (vacancies);
- no error figures of our own methods: the backtest lives in bench/, not in a client's
  inbox;
- small groups are left out of salary figures so nobody's pay can be worked out.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q

from keepwarm.lib.dates import add_months
from keepwarm.network.models import StatusStatement, Vacancy
from keepwarm.newsletters.forecast import MIN_FOR_MODEL, Outlook, forecast_next
from keepwarm.newsletters.models import PublicStatistic
from keepwarm.placements.models import Placement
from keepwarm.signals.models import Alert, Risk, RiskSettings, Signal, SignalKind

# Fewer than this in a group: no salary or time range for it.
MIN_GROUP = 3
TOP_SECTORS = 8
# A percentage change needs a base of at least this many; "+325%" from 4 to 17 says more
# about the small base than about the market.
MIN_BASE = 10
# Quarters of history the forecast looks at: five years.
FORECAST_QUARTERS = 20


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


def change_text(now: float, before: float, *, unit: str = "") -> str:
    """The change from `before` to `now` as a reader should take it: a percentage only
    from a base of MIN_BASE or more, otherwise the two figures."""
    if before >= MIN_BASE:
        return f"{(now - before) / before:+.0%}"
    counted = f" {unit}" if unit else ""
    if now == before:
        return f"the same ({now:g}{counted})"
    return f"from {before:g} to {now:g}{counted}"


def role_family(title: str) -> str:
    """The title's last word: "Senior Software Engineer" -> "Engineer"."""
    words = re.sub(r"\(.*?\)", " ", title).replace("/", " ").split()
    return words[-1].title() if words else "Other"


def _money(value: float) -> str:
    return f"£{value:,.0f}"


def middle_half(values: list[float]) -> tuple[float, float]:
    """The range holding the middle half of `values` (from the lower to the upper quartile)."""
    if len(values) < 2:
        return values[0], values[0]
    low, _, high = statistics.quantiles(values, n=4, method="inclusive")
    return low, high


def _thousands(value: float) -> float:
    return round(value / 1000) * 1000


def _days_range(days: list[int]) -> str:
    low, high = middle_half([float(d) for d in days])
    if round(low) == round(high):
        return f"about {low:.0f} days"
    return f"{low:.0f} to {high:.0f} days"


# --- Employment breakdowns and trends -----------------------------------------------------


def employment_trends(*, today: dt.date) -> Generated:
    """Placements by sector over the last 12 months against the 12 before, salary ranges by
    role family, the vacancies we hold by sector and how long filled ones took."""
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
    pay = _salary_ranges(salaries)
    vacancies = vacancy_summary(today=today)

    parts = [
        f"We placed **{total_now}** people in the last 12 months "
        f"({change_text(total_now, total_before, unit='placements')} on the 12 months before).",
        "",
        _table(
            ["Sector", "Last 12 months", "12 months before", "Change"],
            [(s, now_by[s], before_by[s], change_text(now_by[s], before_by[s])) for s in sectors],
        ),
    ]
    if pay:
        parts += [
            "",
            f"**Typical salaries by role family** (last 12 months, the middle half of what was "
            f"agreed, groups of {MIN_GROUP} or more):",
            "",
            _table(
                ["Role family", "Typical salary", "Placements"],
                [(f, f"{_money(low)} to {_money(high)}", n) for f, (low, high, n) in pay.items()],
            ),
        ]
    parts += ["", *_vacancy_lines(vacancies), "", _offer_to_start_text(lead_days)]
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
        "salary_ranges": {f: {"low": lo, "high": hi, "count": n} for f, (lo, hi, n) in pay.items()},
        "offer_to_start_days_median": statistics.median(lead_days) if lead_days else None,
        "vacancies": vacancies,
        "chart": chart,
    }
    return Generated(title="Jobs market: what we have seen", body="\n".join(parts), data=data)


def _salary_ranges(salaries: dict[str, list[float]]) -> dict[str, tuple[float, float, int]]:
    """Role family -> (low, high, count), to the nearest £1,000, highest first."""
    ranges = {}
    for family, values in salaries.items():
        if len(values) >= MIN_GROUP:
            low, high = middle_half(values)
            ranges[family] = (_thousands(low), _thousands(high), len(values))
    return dict(sorted(ranges.items(), key=lambda item: -item[1][1]))


def _offer_to_start_text(lead_days: list[int]) -> str:
    if len(lead_days) < MIN_GROUP:
        return ""
    return (
        f"*From offer to first day:* usually **{_days_range(lead_days)}** "
        f"(the middle half of {len(lead_days)} placements), mostly notice periods."
    )


def vacancy_summary(*, today: dt.date) -> dict[str, Any]:
    """The vacancies we hold: open now and taken on in the last 12 months by sector, and
    the days from taking a vacancy on to agreeing its placement, for filled ones whose
    placement we can find (the same client and job title, agreed after the vacancy)."""
    year_ago = add_months(today, -12)
    open_by: dict[str, int] = defaultdict(int)
    taken_by: dict[str, int] = defaultdict(int)
    fill_days: list[int] = []
    rows = Vacancy.objects.values_list(
        "sector", "company__sector", "status", "created_at", "company_id", "title"
    )
    filled: list[tuple[int, str, dt.datetime]] = []
    for sector, company_sector, status, created, company_id, title in rows.iterator():
        sector = sector or company_sector or "Other"
        if status == Vacancy.Status.OPEN:
            open_by[sector] += 1
        if created.date() > year_ago:
            taken_by[sector] += 1
            if status == Vacancy.Status.FILLED:
                filled.append((company_id, title.strip().lower(), created))
    placed = _placements_at(company_id for company_id, _, _ in filled)
    for company_id, title, created in filled:
        agreed = min(
            (at for at in placed.get((company_id, title), []) if at >= created), default=None
        )
        if agreed is not None:
            fill_days.append((agreed - created).days)
    sectors = sorted(set(open_by) | set(taken_by), key=lambda s: (-open_by[s], -taken_by[s], s))
    return {
        "open": sum(open_by.values()),
        "by_sector": {s: {"open": open_by[s], "last_12_months": taken_by[s]} for s in sectors},
        "fill_days": sorted(fill_days),
    }


def _placements_at(company_ids: Iterable[int]) -> dict[tuple[int, str], list[dt.datetime]]:
    found: dict[tuple[int, str], list[dt.datetime]] = defaultdict(list)
    rows = Placement.objects.filter(company_id__in=set(company_ids)).values_list(
        "company_id", "role_title", "created_at"
    )
    for company_id, title, created in rows:
        found[(company_id, title.strip().lower())].append(created)
    return found


def _vacancy_lines(summary: dict[str, Any]) -> list[str]:
    by_sector = summary["by_sector"]
    if not by_sector:
        return []
    lines = [
        f"**Vacancies we hold:** {summary['open']} open now.",
        "",
        _table(
            ["Sector", "Open now", "Taken on in the last 12 months"],
            [(s, v["open"], v["last_12_months"]) for s, v in list(by_sector.items())[:TOP_SECTORS]],
        ),
    ]
    days = summary["fill_days"]
    if len(days) >= MIN_GROUP:
        lines += [
            "",
            f"*Time to fill:* the vacancies we filled took **{_days_range(days)}** from the day "
            f"we took them on to an accepted offer (the middle half of {len(days)}).",
        ]
    return lines


# --- Job forecasts ---------------------------------------------------------------------------


def quarter_index(day: dt.date) -> int:
    return day.year * 4 + (day.month - 1) // 3


def quarter_name(index: int) -> str:
    return f"{index // 4}-Q{index % 4 + 1}"


def quarter_start(index: int) -> dt.date:
    return dt.date(index // 4, index % 4 * 3 + 1, 1)


def parse_quarter(name: str) -> int:
    """ "2025-Q3" -> index; ValueError otherwise."""
    year, _, quarter = name.strip().upper().partition("-Q")
    number = int(quarter)
    if not 1 <= number <= 4 or len(year) != 4:
        raise ValueError(f"Not a quarter like 2025-Q3: {name!r}")
    return int(year) * 4 + number - 1


def share_of_quarter_gone(today: dt.date) -> float:
    start = quarter_start(quarter_index(today))
    end = quarter_start(quarter_index(today) + 1)
    return (today - start).days / (end - start).days


@dataclass(frozen=True)
class SectorHistory:
    """One sector's placements per complete quarter (oldest first) and in the current one."""

    complete: list[float]
    so_far: int


def placement_history(*, today: dt.date) -> dict[str, SectorHistory]:
    """Placements by sector and by the quarter they start in, from the agency's first
    placement in the window (quarters without any count as none) to the last complete
    quarter; `so_far`: those already agreed to start in the current quarter."""
    current = quarter_index(today)
    first_allowed = current - FORECAST_QUARTERS
    counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    rows = Placement.objects.filter(
        start_date__gte=quarter_start(first_allowed),
        start_date__lt=quarter_start(current + 1),
        created_at__date__lte=today,
    ).values_list("start_date", "company__sector")
    first = current
    for day, sector in rows.iterator():
        quarter = quarter_index(day)
        counts[sector or "Other"][quarter] += 1
        first = min(first, quarter)
    return {
        sector: SectorHistory(
            complete=[float(by_quarter.get(q, 0)) for q in range(first, current)],
            so_far=by_quarter.get(current, 0),
        )
        for sector, by_quarter in counts.items()
    }


def job_forecasts(*, today: dt.date) -> Generated:
    """Next quarter's placements by sector, as a range, from each sector's history and the
    placements already made this quarter (keepwarm.newsletters.forecast)."""
    current = quarter_index(today)
    target = current + 1
    elapsed = share_of_quarter_gone(today)
    history = placement_history(today=today)
    # The busiest sectors of the last year are the ones worth a forecast (each is a few
    # model fits: a long tail of sectors would only cost time).
    busiest = sorted(history, key=lambda s: (-sum(history[s].complete[-4:]), s))[:TOP_SECTORS]
    outlooks = {
        sector: forecast_next(history[sector].complete, so_far=history[sector].so_far,
                              elapsed=elapsed)
        for sector in busiest
    }  # fmt: skip
    sectors = sorted(outlooks, key=lambda s: (-outlooks[s].expected, s))
    last_year = {s: _last_year(history[s], current) for s in sectors}
    so_far = sum(history[s].so_far for s in sectors)
    rows = [
        (s, _between(outlooks[s]), last_year[s], _trend_word(outlooks[s], last_year[s]))
        for s in sectors
    ]
    parts = [
        f"Where we expect demand in **{quarter_name(target)}**, from our own placements:",
        "",
        _table(
            ["Sector", "Expected placements", f"Placed in {quarter_name(target - 4)}", "Trend"],
            rows,
        ),
        "",
        _method_text(history, outlooks, sectors, current=current, so_far=so_far),
        *_public_lines(sectors),
    ]
    chart = {
        "labels": sectors,
        "values": [round(outlooks[s].expected, 1) for s in sectors],
        "previous": [last_year[s] for s in sectors],
        "title": f"Expected placements by sector for {quarter_name(target)}",
        "value_name": "expected",
        "previous_name": f"placed in {quarter_name(target - 4)}",
        "caption": f"Dark bars: the middle of the expected range for {quarter_name(target)}. "
        f"Light bars: {quarter_name(target - 4)}.",
    }
    data = {
        "today": today.isoformat(),
        "target": quarter_name(target),
        "forecast": {
            s: {
                "expected": round(outlooks[s].expected, 2),
                "low": round(outlooks[s].low, 2),
                "high": round(outlooks[s].high, 2),
                "method": outlooks[s].method,
                "so_far": history[s].so_far,
            }
            for s in sectors
        },
        "so_far": so_far,
        "chart": chart,
    }
    return Generated(
        title=f"Job forecast for {quarter_name(target)}", body="\n".join(parts), data=data
    )


def _last_year(history: SectorHistory, current: int) -> int:
    """Placements in the target quarter a year earlier (current + 1 - 4 = current - 3)."""
    back = 3  # quarters before the current one
    return int(history.complete[-back]) if len(history.complete) >= back else 0


def _between(outlook: Outlook) -> str:
    low, high = round(outlook.low), round(outlook.high)
    if low == high:
        return f"about {low}"
    return f"between {low} and {high}"


def _method_text(
    history: dict[str, SectorHistory],
    outlooks: dict[str, Outlook],
    sectors: list[str],
    *,
    current: int,
    so_far: int,
) -> str:
    text = (
        "*How we worked this out:* for each sector, a statistical forecast (exponential "
        "smoothing, fitted to that sector's own quarters and seasons) from the people we "
        f"placed each quarter, counting the **{so_far}** placements already agreed for "
        f"{quarter_name(current)}. The range is where we expect the number to fall, most "
        "quarters."
    )
    short = [s for s in sectors if outlooks[s].simple]
    if short:
        text += (
            f" For {_and_list(short)} we have fewer than {MIN_FOR_MODEL} quarters of history, "
            "so the figure is the average of the quarters we have, and the range runs from "
            "the quietest to the busiest of them."
        )
    return text


def _and_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _public_lines(sectors: list[str]) -> list[str]:
    """The latest public figure imported for each sector, with its change on a year before
    (from a meaningful base only)."""
    latest: dict[str, dict[int, tuple[float, str]]] = defaultdict(dict)
    rows = PublicStatistic.objects.filter(sector__in=sectors).values_list(
        "sector", "period", "value", "source"
    )
    for sector, period, value, source in rows:
        try:
            latest[sector][parse_quarter(period)] = (value, source)
        except ValueError:
            continue
    lines = []
    for sector in sectors:
        by_quarter = latest.get(sector)
        if not by_quarter:
            continue
        quarter = max(by_quarter)
        value, source = by_quarter[quarter]
        line = f"- {sector}: {value:,.0f} in {quarter_name(quarter)}"
        if quarter - 4 in by_quarter:
            line += f" ({change_text(value, by_quarter[quarter - 4][0])} on a year before)"
        lines.append(line + (f", {source}" if source else "") + ".")
    return ["", "*Public figures for the same sectors:*", "", *lines] if lines else []


def _trend_word(outlook: Outlook, last_year: float) -> str:
    if outlook.low > last_year:
        return "rising"
    if outlook.high < last_year:
        return "falling"
    return "about the same"


# --- Success stories -------------------------------------------------------------------------


def featurable(placements: Any) -> Any:
    """`placements` without anyone a story must not be about: the person did not agree,
    the placement is at risk (an open alert, or a score at the agency's alert level), they
    said they might leave, or their latest word on their personal page or to us is that
    they are actively looking."""
    threshold = RiskSettings.current().alert_threshold
    latest_status = (
        StatusStatement.objects.filter(person=OuterRef("person"))
        .order_by("-created_at", "-id")
        .values("status")[:1]
    )
    return (
        placements.filter(featured_consent=True)
        .exclude(Exists(Alert.objects.filter(placement=OuterRef("pk"), state=Alert.State.OPEN)))
        .exclude(
            Exists(
                Risk.objects.filter(placement=OuterRef("pk")).filter(
                    Q(score__gte=threshold) | Q(fitted_score__gte=threshold)
                )
            )
        )
        .exclude(
            Exists(
                Signal.objects.filter(
                    placement__person=OuterRef("person"),
                    kind=SignalKind.MIGHT_LEAVE,
                    active=True,
                )
            )
        )
        .annotate(latest_status=latest_status)
        # Spelled out: a NULL (no statement) would fall to a plain exclude's NOT (NULL = x).
        .filter(
            Q(latest_status__isnull=True)
            | ~Q(latest_status=StatusStatement.Status.ACTIVELY_LOOKING)
        )
    )


def success_stories(*, today: dt.date, months: int = 6, limit: int = 5) -> Generated:
    """Recent placements whose people agreed to be featured and are doing well, newest first."""
    recent = Placement.objects.filter(
        start_date__gte=add_months(today, -months), start_date__lte=today
    ).exclude(status__in=Placement.ENDED)
    placements = (
        featurable(recent)
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
