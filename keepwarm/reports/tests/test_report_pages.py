"""Every report opens with its chart first and its figures beneath, filters and downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from keepwarm.accounts.models import User
from keepwarm.conftest import Cast
from keepwarm.demo import agency
from keepwarm.newsletters.models import Issue
from keepwarm.placements.models import Placement
from keepwarm.reports.models import RebatePayment
from keepwarm.reports.pages import REPORTS

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_agency() -> User:
    agency.load(people=60, placements=40)
    return User.objects.get(username="demo")


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("slug", list(REPORTS))
def test_report_page_has_an_accessible_chart_before_its_table(demo_agency: User, slug: str) -> None:
    response = _client(demo_agency).get(reverse("report", args=[slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<svg class="chart"' in html and 'role="img"' in html
    assert "<title id=" in html and "<desc id=" in html
    assert (
        "<script" not in html.split('<figure class="card report-chart">')[1].split("</figure>")[0]
    )
    assert html.index("<svg") < html.index("<table")
    assert "format=csv" in html and "format=xlsx" in html


@pytest.mark.parametrize("slug", list(REPORTS))
def test_report_downloads_as_csv_with_the_figures_shown(demo_agency: User, slug: str) -> None:
    response = _client(demo_agency).get(reverse("report", args=[slug]), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows[0]) >= 2


def test_dashboard_gathers_the_headline_figures(demo_agency: User) -> None:
    response = _client(demo_agency).get(reverse("reports"))
    html = response.content.decode()
    assert response.status_code == 200
    for heading in (
        "Retention",
        "Fall-offs in guarantee",
        "Check-ins on time",
        "NPS",
        "Alerts closed in time",
        "Referrals and leads",
        "Last newsletter",
    ):
        assert heading in html
    assert 'href="/reports/"' in _client(demo_agency).get(reverse("today")).content.decode()


def test_newsletter_report_lists_the_demos_sent_issues_with_open_and_click_rates(
    demo_agency: User,
) -> None:
    response = _client(demo_agency).get(reverse("report", args=["newsletters"]), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))  # type: ignore[attr-defined]
    issues = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    # Last month's and the month before's; the scheduled one has not gone yet.
    assert len(issues) == 2
    for issue in issues:
        assert issue["Opens and clicks"] == "Tracked (indicative)"
        assert int(issue["Opened"]) > int(issue["Clicked"]) > 0
        assert float(issue["Open rate"].rstrip("%")) > float(issue["Click rate"].rstrip("%")) > 0
        assert int(issue["Unsubscribed"]) > 0
    html = _client(demo_agency).get(reverse("report", args=["newsletters"])).content.decode()
    assert escape(issues[0]["Issue"]) in html and issues[0]["Open rate"] in html


def test_dashboard_card_gives_the_last_newsletters_opens_and_clicks(demo_agency: User) -> None:
    html = _client(demo_agency).get(reverse("reports")).content.decode()
    card = html.split("<h2>Last newsletter</h2>")[1].split("</a>")[0]
    figures = re.search(r"opened by (\d+) \(([\d.]+)%\), clicked by (\d+) \(([\d.]+)%\)", card)
    assert figures, card
    assert int(figures[1]) > int(figures[3]) > 0
    assert float(figures[2]) > float(figures[4]) > 0
    last = Issue.objects.filter(state=Issue.State.SENT).latest("scheduled_for")
    assert escape(last.subject) in card


def test_retention_csv_starts_with_the_whole_agency_then_each_consultant(demo_agency: User) -> None:
    response = _client(demo_agency).get(
        reverse("report", args=["retention"]), {"format": "csv", "by": "consultant"}
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))  # type: ignore[attr-defined]
    assert rows[0][:3] == ["Consultant", "Placements", "Left in the first year"]
    assert rows[1][0] == "All placements"
    started = Placement.objects.filter(
        start_date__lte=timezone.localdate(),
        start_date__gte=timezone.localdate() - dt.timedelta(days=730),
    ).count()
    assert int(rows[1][1]) == started
    assert sum(int(r[1]) for r in rows[2:]) == started


def test_consultant_sees_only_their_own_figures_whatever_the_url_says(cast: Cast) -> None:
    other = Placement.objects.create(
        person=cast.client_contact,
        company=cast.company,
        owner=cast.outsider,
        role_title="Other",
        start_date=cast.placement.start_date,
    )
    assert other.pk
    client = _client(cast.owner)
    response = client.get(
        reverse("report", args=["clients"]),
        {
            "format": "csv",
            "consultant": str(cast.outsider.pk),
            "start": "2026-01-01",
            "end": "2026-12-31",
        },
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))  # type: ignore[attr-defined]
    assert rows[1][0] == "Acme Widgets"
    assert rows[1][2] == "1"  # Olivia's one placement, not Oscar's
    page = client.get(reverse("reports")).content.decode()
    assert "your own figures" in page
    assert "oscar" not in page.lower()


def test_bad_filters_explain_themselves_and_fall_back(cast: Cast) -> None:
    response = _client(cast.manager).get(
        reverse("report", args=["nps"]), {"start": "2026-05-01", "end": "2026-01-01"}
    )
    assert response.status_code == 200
    assert "The end of the period is before its start." in response.content.decode()
    response = _client(cast.manager).get(reverse("report", args=["nps"]), {"start": "not a date"})
    assert response.status_code == 200
    assert _client(cast.manager).get(reverse("report", args=["nope"])).status_code == 404
    centuries = _client(cast.manager).get(
        reverse("report", args=["nps"]), {"start": "1900-01-01", "end": "2999-12-31"}
    )
    assert "A period can be at most 20 years long." in centuries.content.decode()


def test_fall_offs_show_rebates_owed_and_record_what_was_paid(cast: Cast) -> None:
    placement = cast.placement
    placement.status = Placement.Status.FELL_OFF
    placement.left_on = placement.start_date + dt.timedelta(days=20)
    placement.leave_reason = Placement.LeaveReason.COUNTER_OFFER
    placement.rebate_owed = placement.rebate_for(placement.left_on)
    placement.save()
    assert placement.rebate_owed == Decimal("7600.00")
    client = _client(cast.manager)
    url = reverse("report", args=["fall-offs"])
    period = {"start": "2026-01-01", "end": "2026-12-31"}
    html = client.get(url, period).content.decode()
    assert "Counter-offer" in html and "£7,600" in html and "£7,600.00" not in html
    assert "Not yet" in html and reverse("rebate_paid", args=[placement.pk]) in html

    too_much = client.post(
        reverse("rebate_paid", args=[placement.pk]),
        {"amount": "9000", "paid_on": "2026-04-30"},
        follow=True,
    )
    assert "more than the £7,600 owed" in too_much.content.decode()
    assert not RebatePayment.objects.exists()

    client.post(
        reverse("rebate_paid", args=[placement.pk]), {"amount": "7600.00", "paid_on": "2026-04-30"}
    )
    assert RebatePayment.objects.get().amount == Decimal("7600.00")
    # Paid in full: no prefilled form asks for it again.
    html = client.get(url, period).content.decode()
    assert "Paid in full" in html and reverse("rebate_paid", args=[placement.pk]) not in html
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(
                    client.get(url, {**period, "format": "csv"}).streaming_content  # type: ignore[attr-defined]
                ).decode("utf-8-sig")
            )
        )
    )
    assert rows[1] == ["Counter-offer", "1", "0", "7600.00", "7600.00"]

    # A colleague who is not the owner cannot record it, and a GET changes nothing.
    assert (
        _client(cast.outsider)
        .post(reverse("rebate_paid", args=[placement.pk]), {"amount": "1", "paid_on": "2026-05-01"})
        .status_code
        == 404
    )
    assert client.get(reverse("rebate_paid", args=[placement.pk])).status_code == 405
