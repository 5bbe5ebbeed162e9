"""Staff lists download as CSV and XLSX: same rows as the page, safe to open in Excel."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from keepwarm.accounts.models import User
from keepwarm.care.models import Kind, Touchpoint
from keepwarm.conftest import Cast
from keepwarm.lib.exports import csv_text, neutralise, write_xlsx
from keepwarm.people.models import Person
from keepwarm.placements.models import Placement

pytestmark = pytest.mark.django_db

NASTY = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _csv(response: object) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")  # type: ignore[attr-defined]
    assert body.startswith("\ufeff")  # Excel reads UTF-8 only with the byte-order mark
    return list(csv.reader(io.StringIO(body[1:])))


def _xlsx(response: object) -> list[tuple[object, ...]]:
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    book = openpyxl.load_workbook(io.BytesIO(body))
    return list(book.active.iter_rows(values_only=True))


@pytest.mark.parametrize("text", NASTY)
def test_text_that_a_spreadsheet_would_run_is_written_as_text(text: str) -> None:
    assert neutralise(text) == "'" + text
    assert neutralise("Priya") == "Priya"
    assert neutralise("") == ""


def test_numbers_stay_numbers_and_only_text_is_neutralised(tmp_path: object) -> None:
    rows = [["=1+1", -5, Decimal("-7.50"), dt.date(2026, 3, 2), None, True]]
    text = csv_text(["Name", "N", "Money", "Day", "Empty", "Flag"], rows)
    assert text.splitlines()[1] == "'=1+1,-5,-7.50,2026-03-02,,yes"
    out = io.BytesIO()
    write_xlsx(out, ["Name", "N", "Money", "Day", "Empty", "Flag"], rows)
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    values = [c.value for c in sheet[2]]
    assert values[0] == "'=1+1" and sheet["A2"].data_type == "s"
    assert values[1] == -5 and values[2] == pytest.approx(-7.5)
    assert values[3].date() == dt.date(2026, 3, 2)


def test_people_export_neutralises_a_formula_in_a_name(cast: Cast) -> None:
    cast.candidate.first_name = '=HYPERLINK("http://evil.example","Click")'
    cast.candidate.save()
    rows = _csv(_client(cast.owner).get(reverse("list_export", args=["people"])))
    assert rows[0][:3] == ["First name", "Last name", "Email"]
    names = [r[0] for r in rows[1:]]
    assert '\'=HYPERLINK("http://evil.example","Click")' in names
    xlsx = _xlsx(
        _client(cast.owner).get(reverse("list_export", args=["people"]), {"format": "xlsx"})
    )
    assert '\'=HYPERLINK("http://evil.example","Click")' in [r[0] for r in xlsx[1:]]


def test_people_export_holds_only_whom_the_list_shows(cast: Cast) -> None:
    Person.objects.create(first_name="Secret", last_name="Someone", owner=cast.outsider)
    mine = [r[1] for r in _csv(_client(cast.owner).get(reverse("list_export", args=["people"])))]
    assert "Someone" not in mine and "Patel" in mine
    everyone = [
        r[1] for r in _csv(_client(cast.manager).get(reverse("list_export", args=["people"])))
    ]
    assert "Someone" in everyone
    clients_only = _csv(
        _client(cast.manager).get(
            reverse("list_export", args=["people"]), {"role": "client_contact"}
        )
    )
    assert [r[1] for r in clients_only[1:]] == ["Hughes"]


def test_placements_export_hides_fees_from_a_covering_colleague(cast: Cast) -> None:
    from keepwarm.care.models import Cover

    today = dt.date.today()
    Cover.objects.create(
        absent=cast.owner, colleague=cast.colleague, starts_on=today, ends_on=today
    )
    url = reverse("list_export", args=["placements"])
    own = _csv(_client(cast.owner).get(url))
    header = own[0]
    fee = header.index("Fee")
    assert own[1][fee] == "7600.00"
    covering = _csv(_client(cast.colleague).get(url))
    assert covering[1][0] == "Priya Patel" and covering[1][fee] == ""
    assert len(_csv(_client(cast.outsider).get(url))) == 1  # the header only
    settled = _csv(_client(cast.manager).get(url, {"status": "settled"}))
    assert len(settled) == 1


def test_due_and_alerts_and_companies_export(cast: Cast) -> None:
    Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind=Kind.CALL,
        title="Week one call",
        due_on=dt.date.today() - dt.timedelta(days=1),
        owner=cast.owner,
    )
    due = _csv(_client(cast.owner).get(reverse("list_export", args=["due"])))
    assert due[1][2:4] == ["Week one call", "Priya Patel"]
    assert len(_csv(_client(cast.outsider).get(reverse("list_export", args=["due"])))) == 1
    alerts = _csv(
        _client(cast.owner).get(reverse("list_export", args=["alerts"]), {"state": "all"})
    )
    assert alerts[0][0] == "Person"
    companies = _xlsx(
        _client(cast.outsider).get(reverse("list_export", args=["companies"]), {"format": "xlsx"})
    )
    assert companies[1][0] == "Acme Widgets"


def test_list_pages_link_to_their_downloads_with_their_filters(cast: Cast) -> None:
    client = _client(cast.manager)
    html = client.get(reverse("placements"), {"status": "settled"}).content.decode()
    assert "/reports/export/placements/?status=settled&amp;format=csv" in html
    for name, export in [
        ("people", "people"),
        ("companies", "companies"),
        ("due", "due"),
        ("alerts", "alerts"),
    ]:
        page = client.get(reverse(name)).content.decode()
        assert f"/reports/export/{export}/?format=xlsx" in page, name


def test_unknown_list_or_format_is_not_found(cast: Cast) -> None:
    client = _client(cast.manager)
    assert client.get(reverse("list_export", args=["secrets"])).status_code == 404
    assert client.get(reverse("list_export", args=["people"]), {"format": "pdf"}).status_code == 404
    assert Client().get(reverse("list_export", args=["people"])).status_code == 302


def test_a_large_export_streams(cast: Cast) -> None:
    Placement.objects.bulk_create(
        Placement(
            person=cast.candidate,
            company=cast.company,
            owner=cast.owner,
            role_title=f"Role {i}",
            start_date=dt.date(2025, 1, 1),
        )
        for i in range(2500)
    )
    response = _client(cast.owner).get(reverse("list_export", args=["placements"]))
    assert response.streaming
    assert len(_csv(response)) == 2502


def test_referrals_and_leads_export_for_whoever_owns_them(cast: Cast) -> None:
    from keepwarm.network.models import Lead, Referral

    Referral.objects.create(
        referrer=cast.candidate, kind=Referral.Kind.CANDIDATE, name="@Sam Friend", owner=cast.owner
    )
    Lead.objects.create(source=cast.candidate, company_name="Bolt Ltd", owner=cast.outsider)
    referrals = _csv(_client(cast.owner).get(reverse("list_export", args=["referrals"])))
    assert referrals[1][1:4] == ["Priya Patel", "A candidate", "'@Sam Friend"]
    assert len(_csv(_client(cast.owner).get(reverse("list_export", args=["leads"])))) == 1
    leads = _csv(_client(cast.manager).get(reverse("list_export", args=["leads"])))
    assert leads[1][1:3] == ["Priya Patel", "Bolt Ltd"]
