"""`keepwarm export`: the staff lists from the server, as the named colleague sees them."""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from keepwarm.audit.models import AuditEntry
from keepwarm.conftest import Cast
from keepwarm.people.models import Person

pytestmark = pytest.mark.django_db


def _export(tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "export.out"
    call_command("export", *args, "--output", str(out))
    return out


def test_people_as_json_hold_only_whom_the_colleague_may_see(cast: Cast, tmp_path: Path) -> None:
    Person.objects.create(first_name="Secret", last_name="Someone", owner=cast.outsider)

    mine = json.loads(_export(tmp_path, "people", "--as", cast.owner.username, "--format", "json")
                      .read_text())  # fmt: skip
    everyone = json.loads(
        _export(tmp_path, "people", "--as", cast.manager.username, "--format", "json").read_text()
    )

    assert {p["last_name"] for p in mine} == {"Patel", "Hughes"}
    assert "Someone" in {p["last_name"] for p in everyone}
    assert set(mine[0]) >= {"first_name", "last_name", "email", "owner", "last_contacted"}


def test_placements_as_json_keep_money_exact_and_hidden_where_the_page_hides_it(
    cast: Cast, tmp_path: Path
) -> None:
    own = json.loads(
        _export(tmp_path, "placements", "--as", cast.owner.username, "--format", "json").read_text()
    )
    assert own[0]["person"] == "Priya Patel"
    assert own[0]["fee"] == "7600.00"
    assert own[0]["start"] == cast.placement.start_date.isoformat()
    assert (
        json.loads(
            _export(
                tmp_path, "placements", "--as", cast.outsider.username, "--format", "json"
            ).read_text()
        )
        == []
    )


def test_a_filter_works_as_on_the_page(cast: Cast, tmp_path: Path) -> None:
    contacts = _export(
        tmp_path, "people", "--as", "maggie_manager", "--filter", "role=client_contact"
    )

    rows = list(csv.reader(io.StringIO(contacts.read_text(encoding="utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["Hughes"]


def test_xlsx_opens_in_a_spreadsheet_with_formulas_as_text(cast: Cast, tmp_path: Path) -> None:
    Person.objects.create(first_name="=HYPERLINK(1)", last_name="Evil", owner=cast.owner)

    out = _export(tmp_path, "people", "--as", cast.owner.username, "--format", "xlsx")

    rows = list(
        openpyxl.load_workbook(io.BytesIO(out.read_bytes())).active.iter_rows(values_only=True)
    )
    assert rows[0][:2] == ("First name", "Last name")
    assert ("'=HYPERLINK(1)", "Evil") in [row[:2] for row in rows]


def test_the_file_is_for_its_owner_alone_and_the_export_is_on_the_audit_trail(
    cast: Cast, tmp_path: Path
) -> None:
    out = _export(tmp_path, "companies", "--as", cast.manager.username)

    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORTED)
    assert (entry.actor, entry.object_repr) == (cast.manager, "companies")


def test_csv_goes_to_standard_output_without_a_file(
    cast: Cast, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    call_command("export", "companies", "--as", cast.manager.username)

    text = capsysbinary.readouterr().out.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Name,Sector")
    assert "Acme Widgets" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["people", "--as", "nobody"], "No active user called 'nobody'"),
        (["people", "--as", "olivia_owner", "--filter", "role"], "--filter takes NAME=VALUE"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    cast: Cast, tmp_path: Path, args: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        _export(tmp_path, *args)
    assert not (tmp_path / "export.out").exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORTED).exists()


def test_the_download_comes_as_json_too(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.manager)

    response = client.get(reverse("list_export", args=["companies"]), {"format": "json"})

    assert response["Content-Type"] == "application/json"
    body = json.loads(b"".join(response.streaming_content))  # type: ignore[attr-defined]
    assert [c["name"] for c in body] == ["Acme Widgets"]
