"""Every card of the reports states the period chosen and counts only what fell in it;
charts fit their axes to the figures and say where a cut axis starts."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from keepwarm.accounts.models import User
from keepwarm.care.models import Kind, Touchpoint
from keepwarm.conftest import Cast
from keepwarm.network.services import receive_referral
from keepwarm.people.models import Person
from keepwarm.placements.models import Placement
from keepwarm.reports import business, queries
from keepwarm.reports.charts import fitted_axis
from keepwarm.reports.pages.retention import retention_page
from keepwarm.reports.queries import Scope
from keepwarm.reports.survival import kaplan_meier

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2026-03-01", "end": "2026-06-30"}
STATED = "1 Mar 2026 – 30 Jun 2026"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def another_placement(cast: Cast, first: str, start: dt.date, **extra: Any) -> Placement:
    """A second placement at the cast's client, for a person of its own."""
    person = Person.objects.create(first_name=first, last_name="Earlier", owner=cast.owner)
    return Placement.objects.create(
        person=person,
        company=cast.company,
        owner=cast.owner,
        role_title="Buyer",
        start_date=start,
        salary=Decimal("30000"),
        fee=Decimal("6000"),
        guarantee_length=90,
        **extra,
    )


def _call(cast: Cast, due: dt.date) -> Touchpoint:
    return Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind=Kind.CALL,
        title="Call",
        due_on=due,
        owner=cast.owner,
        state=Touchpoint.State.DONE,
        outcome=Touchpoint.Outcome.REACHED,
        done_at=dt.datetime.combine(due, dt.time(11), tzinfo=dt.UTC),
    )


def _cards(html: str) -> list[str]:
    grid = html.split('<div class="grid headline">')[1].split("<figure")[0]
    return [re.sub(r"<[^>]+>|\s+", " ", card) for card in grid.split('class="card stat"')[1:]]


def test_every_dashboard_card_states_and_counts_the_chosen_period(cast: Cast) -> None:
    # Before the period: a year-old placement and a call, which two years or "the last
    # 90 days" would have counted on some cards and not on others.
    another_placement(cast, "Olga", dt.date(2025, 6, 2))
    _call(cast, dt.date(2026, 2, 20))
    # Inside the period, but more than 90 days before its end.
    _call(cast, dt.date(2026, 3, 10))

    html = _client(cast.manager).get(reverse("reports"), PERIOD).content.decode()

    cards = _cards(html)
    assert len(cards) == 8
    for card in cards:
        assert STATED in card, card
    text = " ".join(cards)
    assert f"Of 1 placement started {STATED}" in text
    assert f"Of 1 call or meeting due {STATED}" in text
    assert "against 1 placement started then" in text
    assert "0 of 0" not in text
    assert "None has an answer before and after it to compare yet." in text


def test_nps_card_gives_the_count_and_no_score_below_ten_answers(cast: Cast) -> None:
    html = _client(cast.manager).get(reverse("report", args=["nps"]), PERIOD).content.decode()
    assert f"No answers yet — a score needs 10 (given {STATED})" in html


def test_retention_chart_axis_fits_the_curves_and_says_where_it_starts(cast: Cast) -> None:
    # 19 of 20 still in post after a year: 95%, which a 0–100% axis squashes flat.
    data = queries.Retention(
        overall=kaplan_meier([(400, False, 19), (10, True, 1)]), rows=[], by="consultant"
    )
    scope = Scope(
        user=cast.manager,
        start=dt.date(2025, 1, 1),
        end=dt.date(2026, 6, 30),
        today=dt.date(2026, 6, 30),
    )
    svg = str(retention_page(scope, data=data).chart)
    ticks = re.findall(r'text-anchor="end"[^>]*>([^<]+)</text>', svg)
    assert ticks[0] == "90%" and ticks[-1] == "100%"
    assert "Still in post (axis starts at 90%)" in svg
    assert "placements started 1 Jan 2025 – 30 Jun 2026" in svg


def test_an_axis_keeps_to_the_measures_own_range() -> None:
    spread = fitted_axis([100, 40, None], floor=0, ceiling=100, name="Share", fmt=str)
    assert (spread.low, spread.high) == (40, 100) and spread.label == "Share (axis starts at 40)"
    low = fitted_axis([5, 30], floor=0, ceiling=100, name="Share", fmt=str)
    assert low.low == 0 and low.label == "Share"
    nps = fitted_axis([-100, 100], floor=-100, ceiling=100, name="NPS", fmt=str)
    assert (nps.low, nps.high) == (-100, 100)
    empty = fitted_axis([], floor=-100, ceiling=100, name="NPS", fmt=str)
    assert (empty.low, empty.high) == (-100, 100)


def test_referrals_read_as_candidate_and_client_referrals(cast: Cast) -> None:
    receive_referral(referrer=cast.candidate, kind="candidate", name="Nina Newman")
    scope = Scope(
        user=cast.manager,
        start=dt.date(2020, 1, 1),
        end=dt.date(2030, 1, 1),
        today=dt.date(2030, 1, 1),
    )
    assert [r["label"] for r in business.network(scope).referrals] == ["Candidate"]
    html = (
        _client(cast.manager)
        .get(reverse("report", args=["network"]), {"start": "2020-01-01", "end": "2030-01-01"})
        .content.decode()
    )
    assert "Candidate referrals received" in html and "A candidate referrals" not in html


def test_alerts_report_says_plainly_when_nothing_can_be_compared(cast: Cast) -> None:
    html = _client(cast.manager).get(reverse("report", args=["alerts"]), PERIOD).content.decode()
    assert f"0 raised {STATED}" in html
    assert "No alert has an answer before and after it to compare yet." in html
    assert "better 0 times" not in html
