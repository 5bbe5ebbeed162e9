"""Retention figures against a small example worked out by hand, recent placements included.

Six placements, watched until 1 Jan 2027 (today):

    A  left on day 20                     (ended)
    B  started 25 days ago, still there   (censored at 25)
    C  left on day 60                     (ended)
    D  started 100 days ago, still there  (censored at 100)
    E  left on day 120                    (ended)
    F  started 400 days ago, still there  (censored at 400)

Kaplan–Meier, by hand:
    day 20:  6 followed, 1 leaves  ->  S = 5/6                     = 0.8333
    day 60:  4 followed (C D E F), 1 leaves -> S = 5/6 × 3/4       = 0.625
    day 120: 2 followed (E F), 1 leaves  -> S = 0.625 × 1/2        = 0.3125

so in post after 30 days 83%, 90 days 63% (62.5 rounds half to even), 180 days 31%,
365 days 31%. Counting B and D as "stayed" would have said 4/6 = 67% at 90 days, and
leaving them out 2/4 = 50%: neither is right.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from keepwarm.conftest import Cast
from keepwarm.people.models import Company, Person
from keepwarm.placements.models import Placement
from keepwarm.reports import queries
from keepwarm.reports.queries import Scope
from keepwarm.reports.survival import kaplan_meier

TODAY = dt.date(2027, 1, 1)
EXAMPLE = [
    (20, True, 1),
    (25, False, 1),
    (60, True, 1),
    (100, False, 1),
    (120, True, 1),
    (400, False, 1),
]


def test_hand_computed_example() -> None:
    curve = kaplan_meier(EXAMPLE)
    assert curve.at(30) == pytest.approx(5 / 6)
    assert curve.at(90) == pytest.approx(0.625)
    assert curve.at(180) == pytest.approx(0.3125)
    assert curve.at(365) == pytest.approx(0.3125)
    assert [(s.day, s.at_risk, s.left) for s in curve.steps] == [
        (20, 6, 1),
        (60, 4, 1),
        (120, 2, 1),
    ]
    assert curve.at_risk(90) == 3  # D, E and F were followed that long


def test_a_figure_nobody_has_been_followed_long_enough_for_is_unknown() -> None:
    # Six followed, one leaves on day 20, nobody followed past day 50.
    curve = kaplan_meier([(20, True, 1), (25, False, 3), (50, False, 2)])
    assert curve.at(30) == pytest.approx(5 / 6)
    assert curve.at(90) is None
    assert curve.at(365) is None


def test_everyone_gone_is_zero_not_unknown() -> None:
    curve = kaplan_meier([(10, True, 2), (15, True, 1)])
    assert curve.at(365) == 0.0


def test_leaving_and_last_seen_on_the_same_day_counts_the_leaver_first() -> None:
    # Day 30: 4 followed, 1 leaves, 1 last seen still in post -> S = 3/4.
    curve = kaplan_meier([(30, True, 1), (30, False, 1), (200, False, 2)])
    assert curve.at(30) == pytest.approx(0.75)
    assert curve.at(180) == pytest.approx(0.75)


def _place(cast: Cast, company: Company, *, days_ago: int, left_day: int | None) -> Placement:
    person = Person.objects.create(first_name="P", last_name=str(days_ago), owner=cast.owner)
    start = TODAY - dt.timedelta(days=days_ago)
    ended = left_day is not None
    return Placement.objects.create(
        person=person,
        company=company,
        owner=cast.owner,
        role_title="Analyst",
        start_date=start,
        fee=Decimal("5000"),
        status=Placement.Status.LEFT if ended else Placement.Status.STARTED,
        left_on=start + dt.timedelta(days=left_day) if left_day is not None else None,
    )


@pytest.mark.django_db
def test_retention_report_reads_the_example_from_the_database(cast: Cast) -> None:
    cast.placement.delete()
    company = cast.company
    for days_ago, left_day in [
        (500, 20),
        (25, None),
        (500, 60),
        (100, None),
        (500, 120),
        (400, None),
    ]:
        _place(cast, company, days_ago=days_ago, left_day=left_day)
    with time_machine.travel(dt.datetime(2027, 1, 1, 12, tzinfo=dt.UTC), tick=False):
        scope = Scope(
            user=cast.manager, start=TODAY - dt.timedelta(days=730), end=TODAY, today=TODAY
        )
        result = queries.retention(scope, by="client")
    assert result.overall.placements == 6
    assert [result.overall.at(h) for h in (30, 90, 180, 365)] == pytest.approx(
        [5 / 6, 0.625, 0.3125, 0.3125]
    )
    assert [r.name for r in result.rows] == ["Acme Widgets"]


@pytest.mark.django_db
def test_consultants_retention_counts_only_their_own_placements(cast: Cast) -> None:
    cast.placement.delete()
    _place(cast, cast.company, days_ago=400, left_day=10)
    other = Person.objects.create(first_name="O", last_name="Other", owner=cast.outsider)
    Placement.objects.create(
        person=other,
        company=cast.company,
        owner=cast.outsider,
        role_title="X",
        start_date=TODAY - dt.timedelta(days=400),
    )
    scope = Scope(
        user=cast.owner,
        start=TODAY - dt.timedelta(days=730),
        end=TODAY,
        today=TODAY,
        consultant_id=cast.outsider.pk,
    )
    result = queries.retention(scope)
    assert result.overall.placements == 1
    assert result.overall.at(365) == 0.0


@pytest.mark.django_db
def test_a_finished_contract_is_not_a_fall_off_and_a_leaver_without_a_date_is_left_out(
    cast: Cast,
) -> None:
    cast.placement.delete()
    person = Person.objects.create(first_name="C", last_name="Contractor", owner=cast.owner)
    start = TODAY - dt.timedelta(days=300)
    # A 60-day contract that ran its course: watched for 60 days, then censored.
    Placement.objects.create(
        person=person,
        company=cast.company,
        owner=cast.owner,
        role_title="Contract",
        kind=Placement.Kind.CONTRACT,
        start_date=start,
        end_date=start + dt.timedelta(days=60),
        status=Placement.Status.SETTLED,
    )
    Placement.objects.create(
        person=person,
        company=cast.company,
        owner=cast.owner,
        role_title="Gone",
        start_date=start,
        status=Placement.Status.LEFT,
    )
    scope = Scope(user=cast.manager, start=TODAY - dt.timedelta(days=730), end=TODAY, today=TODAY)
    result = queries.retention(scope)
    assert result.overall.placements == 1 and result.overall.left == 0
    assert result.overall.at(30) == 1.0
    assert result.overall.at(90) is None  # nobody followed that long
    assert result.excluded == 1
