"""Reports read grouped figures: the number of queries does not grow with the data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keepwarm.care.models import Kind, Touchpoint
from keepwarm.conftest import Cast
from keepwarm.people.models import Company, Person
from keepwarm.placements.models import Placement
from keepwarm.reports.pages import REPORTS
from keepwarm.signals.models import Alert

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2025-01-01", "end": "2026-12-31"}


def _more(cast: Cast, n: int) -> None:
    for i in range(n):
        company = Company.objects.create(name=f"Client {i}", sector=f"Sector {i % 3}")
        person = Person.objects.create(first_name="P", last_name=f"{i}", owner=cast.owner)
        start = dt.date(2025, 6, 1) + dt.timedelta(days=7 * i)
        ended = i % 3 == 0
        placement = Placement.objects.create(
            person=person,
            company=company,
            owner=cast.owner,
            role_title="Analyst",
            start_date=start,
            fee=Decimal("5000"),
            rebate_owed=Decimal("100") if ended else None,
            status=Placement.Status.FELL_OFF if ended else Placement.Status.STARTED,
            left_on=start + dt.timedelta(days=10 + i) if ended else None,
            leave_reason=Placement.LeaveReason.PAY if ended else "",
        )
        Touchpoint.objects.create(
            person=person,
            placement=placement,
            kind=Kind.CALL,
            title="Call",
            due_on=start + dt.timedelta(days=7),
            owner=cast.owner,
        )
        opened = dt.datetime.combine(start, dt.time(9), tzinfo=dt.UTC)
        Alert.objects.create(
            placement=placement,
            owner=cast.owner,
            reason="Worry",
            opened_at=opened,
            due_at=opened + dt.timedelta(days=1),
        )


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, PERIOD).status_code == 200
    return len(captured)


def test_report_pages_cost_the_same_queries_for_three_placements_or_thirty(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.manager)
    urls = [reverse("reports")] + [reverse("report", args=[slug]) for slug in REPORTS]
    client.get(reverse("reports"))  # the session's first request notes the sign-in time
    _more(cast, 3)
    few = {url: _queries(client, url) for url in urls}
    # The same shapes, ten times as many.
    Placement.objects.filter(company__name__startswith="Client ").delete()
    Company.objects.filter(name__startswith="Client ").delete()
    _more(cast, 30)
    many = {url: _queries(client, url) for url in urls}
    assert many == few
