"""Money, hours and days as people write them, in pages, reports and emails alike."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from keepwarm.conftest import Cast
from keepwarm.lib.humane import days_ago, hours_a_week, money

TODAY = dt.date(2026, 10, 19)


@pytest.mark.parametrize(
    ("value", "currency", "written"),
    [
        (Decimal("49000.00"), "GBP", "£49,000"),
        (Decimal("1234.5"), "GBP", "£1,234.50"),
        (Decimal("0.00"), "GBP", "£0"),
        (Decimal("-250"), "EUR", "-€250"),
        (Decimal("49000"), "CHF", "49,000 CHF"),
        (None, "GBP", "—"),
    ],
)
def test_money_drops_pence_only_when_there_are_none(
    value: Decimal | None, currency: str, written: str
) -> None:
    assert money(value, currency) == written


def test_hours_read_as_hours_a_week() -> None:
    assert hours_a_week(Decimal("35.0")) == "35 hours a week"
    assert hours_a_week(Decimal("37.5")) == "37.5 hours a week"
    assert hours_a_week(Decimal("1.0")) == "1 hour a week"
    assert hours_a_week(None) == ""


def test_days_read_as_today_yesterday_or_days_ago() -> None:
    assert days_ago(TODAY, TODAY) == "today"
    assert days_ago(TODAY - dt.timedelta(days=1), TODAY) == "yesterday"
    assert days_ago(TODAY - dt.timedelta(days=12), TODAY) == "12 days ago"
    assert days_ago(TODAY + dt.timedelta(days=3), TODAY) == "in 3 days"
    assert days_ago(None, TODAY) == ""


def test_the_template_filters_read_the_same() -> None:
    template = Template(
        "{% load keepwarm %}{{ fee|money }} · {{ hours|hours_a_week }} · {{ day|days_ago }}"
    )
    text = template.render(
        Context({"fee": Decimal("7600.00"), "hours": Decimal("35.0"), "day": timezone.now()})
    )
    assert text == "£7,600 · 35 hours a week · today"


@pytest.mark.django_db
def test_the_placement_page_writes_salary_fee_and_hours_as_people_do(
    cast: Cast, client: object
) -> None:
    client.force_login(cast.owner)  # type: ignore[attr-defined]
    html = client.get(cast.placement.get_absolute_url()).content.decode()  # type: ignore[attr-defined]
    assert "£38,000" in html and "£7,600" in html and "37.5 hours a week" in html
    assert "£38,000.00" not in html and "a week</dd>" in html
    assert reverse("person", args=[cast.candidate.pk]) in html


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2026, 12, 8, 9, 5, tzinfo=dt.UTC),  # GMT
        dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC),  # BST: the next day in London
        dt.datetime(2027, 1, 31, 0, 0, tzinfo=dt.UTC),
    ],
)
def test_a_lists_moment_reads_as_the_date_filter_writes_it(moment: dt.datetime) -> None:
    def written(template: str) -> str:
        return Template("{% load keepwarm %}" + template).render(Context({"m": moment}))

    assert written("{{ m|moment }}") == written('{{ m|date:"j M Y, H:i" }}')
