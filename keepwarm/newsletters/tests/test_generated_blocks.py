from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from keepwarm.conftest import Cast
from keepwarm.newsletters.chart import Chart
from keepwarm.newsletters.generate import (
    backtest,
    employment_trends,
    forecast,
    job_forecasts,
    parse_quarter,
    quarter_index,
    role_family,
    success_stories,
)
from keepwarm.newsletters.models import PublicStatistic
from keepwarm.people.models import Company, Person
from keepwarm.placements.models import Placement

TODAY = dt.date(2026, 6, 10)  # 2026-Q2; the last complete quarter is 2026-Q1


def place(
    cast: Cast, company: Company, start: dt.date, title: str = "Engineer", salary: int | None = None
) -> Placement:
    person = Person.objects.create(first_name="P", last_name=f"{start}", email="")
    placement = Placement.objects.create(
        person=person, company=company, owner=cast.owner, role_title=title, start_date=start,
        salary=Decimal(salary) if salary else None, status=Placement.Status.STARTED,
    )  # fmt: skip
    Placement.objects.filter(pk=placement.pk).update(
        created_at=dt.datetime.combine(start - dt.timedelta(days=28), dt.time(12), tzinfo=dt.UTC)
    )
    return placement


def test_trends_compare_the_last_12_months_with_the_12_before(cast: Cast) -> None:
    tech = Company.objects.create(name="Bytes Ltd", sector="Technology")
    cast.placement.delete()
    for start, title, salary in [
        (dt.date(2026, 5, 1), "Software Engineer", 40000),
        (dt.date(2026, 1, 5), "Data Engineer", 50000),
        (dt.date(2025, 9, 1), "Senior Engineer", 60000),
        (dt.date(2025, 8, 1), "Data Analyst", 35000),  # a group of one: no median shown
    ]:
        place(cast, tech, start, title, salary)
    place(cast, cast.company, dt.date(2025, 3, 1))  # Manufacturing, the year before
    place(cast, tech, dt.date(2026, 7, 1))  # not started yet: not counted
    made = employment_trends(today=TODAY)
    assert made.data["total"] == {"last_12_months": 4, "previous_12_months": 1}
    assert made.data["by_sector"]["Technology"] == {"last": 4, "previous": 0}
    assert made.data["by_sector"]["Manufacturing"] == {"last": 0, "previous": 1}
    assert made.data["salary_medians"] == {"Engineer": {"median": 50000.0, "count": 3}}
    assert made.data["offer_to_start_days_median"] == 28
    assert "| Technology | 4 | 0 | new |" in made.body
    assert "£50,000" in made.body and "Analyst" not in made.body
    assert "we do not record vacancies yet" in made.body
    chart = Chart.from_data(made.data["chart"])
    assert chart and chart.title == "Placements by sector"
    assert chart.rows[0].text == "Technology — last 12 months: 4, 12 months before: 0"


def test_role_family_is_the_last_word() -> None:
    assert role_family("Senior Software Engineer") == "Engineer"
    assert role_family("accounts assistant") == "Assistant"
    assert role_family("") == "Other"


def test_forecast_is_last_years_quarter_times_the_growth() -> None:
    q = parse_quarter("2026-Q1")
    # Eight quarters of 10 then four of 20: growth ×2 (the bound), same quarter last year 20.
    series = {q - i: 20.0 for i in range(4)} | {q - 4 - i: 10.0 for i in range(4)}
    assert forecast(series, target=q + 2, last=q) == pytest.approx(40.0)
    # Public growth of ×1.0 halves the way: (2 + 1) / 2 = 1.5.
    assert forecast(series, target=q + 2, last=q, public_growth=1.0) == pytest.approx(30.0)
    flat = {q - i: 5.0 for i in range(12)}
    assert forecast(flat, target=q + 1, last=q) == pytest.approx(5.0)


def test_backtest_reports_mape_against_the_naive_method() -> None:
    q = parse_quarter("2026-Q1")
    # A seasonal sector: 10 in Q1, Q2, Q3 and 30 in Q4, every year.
    series = {i: (30.0 if i % 4 == 3 else 10.0) for i in range(q - 16, q + 1)}
    result = backtest({"Retail": series}, last=q, horizon=2)
    assert result["mape"] == 0.0  # the seasonal method is exact on a repeating year
    assert result["points"] == 4
    # "Same as the last known quarter" misses: one of the four targets is off 200% (10 vs 30)
    # and the one after Q4 is off... (see checked points); its mean is well above ours.
    assert result["naive_mape"] > 50


def test_job_forecasts_from_placements_with_public_blend(cast: Cast) -> None:
    cast.placement.delete()
    tech = Company.objects.create(name="Bytes Ltd", sector="Technology")
    # Two placements in every quarter of 2023-2025 and in 2026-Q1; three in 2025-Q3.
    for index in range(quarter_index(dt.date(2023, 1, 1)), quarter_index(dt.date(2026, 3, 1)) + 1):
        start = dt.date(index // 4, index % 4 * 3 + 1, 15)
        for _ in range(3 if index == quarter_index(dt.date(2025, 8, 1)) else 2):
            place(cast, tech, start)
    made = job_forecasts(today=TODAY)
    assert made.data["target"] == "2026-Q3"
    # Same quarter last year 3, growth (2+2+3+2)/(2+2+2+2) = 9/8.
    assert made.data["forecast"]["Technology"] == pytest.approx(3 * 9 / 8, abs=0.01)
    assert made.data["backtest"]["points"] == 4
    chart = Chart.from_data(made.data["chart"])
    assert chart and chart.rows[0].text == "Technology — forecast: 3.4, placed in 2025-Q3: 3"
    assert "How accurate is it?" in made.body and "MAPE" in made.body
    for i, value in enumerate([100, 100, 100, 100, 120, 120, 120, 120]):
        PublicStatistic.objects.create(
            period=f"{2024 + i // 4}-Q{i % 4 + 1}", sector="Technology", value=value
        )
    blended = job_forecasts(today=TODAY)
    # Public growth 1.2 (last four quarters to 2025-Q4 over the four before); mean with 9/8.
    assert blended.data["forecast"]["Technology"] == pytest.approx(3 * (9 / 8 + 1.2) / 2, abs=0.01)
    assert "public figures" in blended.body


def test_success_stories_only_feature_people_who_agreed(cast: Cast) -> None:
    assert "No one placed recently" in success_stories(today=TODAY).body
    Placement.objects.filter(pk=cast.placement.pk).update(
        featured_consent=True, featured_consent_on=dt.date(2026, 3, 1)
    )
    made = success_stories(today=TODAY)
    assert "**Priya P.** started as Account Manager at Acme Widgets in March 2026" in made.body
    assert made.data["placements"] == [cast.placement.pk]


def test_role_family_ignores_brackets() -> None:
    assert role_family("Account Manager (SaaS)") == "Manager"
