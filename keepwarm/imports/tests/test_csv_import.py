"""Any other CSV or XLSX: the columns are mapped to fields, and the mapping is remembered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from keepwarm.conftest import Cast
from keepwarm.imports import services
from keepwarm.imports.fields import guess_mapping
from keepwarm.imports.models import ColumnMapping, Entity, ImportRun
from keepwarm.network.models import Vacancy
from keepwarm.people.models import Company, Person
from keepwarm.placements.models import Placement

pytestmark = pytest.mark.django_db

PEOPLE = (
    "Forename;Surname;E-mail address;Telephone;Town\r\n"
    "Ann;Lee;ann@example.org;0113 496 0000;Leeds\r\n"
)


def test_columns_are_guessed_from_their_names() -> None:
    headers = ["Forename", "Surname", "E-mail address", "Telephone", "Town"]
    assert guess_mapping(Entity.CANDIDATE, headers) == {
        "Forename": "first_name",
        "Surname": "last_name",
        "E-mail address": "email",
        "Telephone": "phone",
    }


def test_csv_command_imports_people_and_remembers_the_mapping(
    cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE, encoding="utf-8-sig")
    call_command("import", "csv", str(path), "--entity", "candidate")
    assert Person.objects.get(email="ann@example.org").phone == "+441134960000"
    assert "'Town' -> (ignored)" in capsys.readouterr().out
    remembered = ColumnMapping.objects.get(entity=Entity.CANDIDATE)
    assert remembered.mapping["Surname"] == "last_name"
    # The same file again: the known address means nothing new.
    call_command("import", "csv", str(path), "--entity", "candidate")
    assert Person.objects.filter(email="ann@example.org").count() == 1
    assert ImportRun.objects.first().unchanged == 0  # type: ignore[union-attr]
    assert ImportRun.objects.first().merged == 1  # type: ignore[union-attr]


def test_a_named_mapping_is_used_for_a_file_whose_columns_are_not_guessable(
    cast: Cast, tmp_path: Path
) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("col1,col2,col3\nBea,Khan,bea@example.org\n")
    with pytest.raises(CommandError, match="None of the columns"):
        call_command("import", "csv", str(path), "--entity", "candidate")
    services.remember_mapping(
        entity=Entity.CANDIDATE,
        headers=["col1", "col2", "col3"],
        mapping={"col1": "first_name", "col2": "last_name", "col3": "email"},
        name="Old ATS",
    )
    call_command("import", "csv", str(path), "--entity", "candidate", "--mapping", "Old ATS")
    assert Person.objects.filter(email="bea@example.org", last_name="Khan").exists()


def test_placements_from_an_xlsx_refer_to_people_by_email_and_companies_by_name(
    cast: Cast, tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Candidate email", "Company", "Job title", "Start date", "Salary", "Owner"])
    sheet.append(
        ["priya@example.net", "Northwind Traders", "Buyer", "02/03/2026", "£31,500", "olivia_owner"]
    )
    sheet.append(["nobody@example.net", "Northwind Traders", "Buyer", "02/03/2026", "", ""])
    sheet.append(["priya@example.net", "Acme Widgets", "Account Manager", "2026-03-02", "", ""])
    path = tmp_path / "placements.xlsx"
    book.save(path)
    call_command("import", "csv", str(path), "--entity", "placement")
    run = ImportRun.objects.get()
    placement = Placement.objects.get(company__name="Northwind Traders")
    assert (placement.person, placement.start_date.isoformat(), placement.salary) == (
        cast.candidate,
        "2026-03-02",
        31500,
    )
    assert Company.objects.filter(name="Northwind Traders").count() == 1
    assert run.rows.get(line=3).outcome == "rejected"
    # Priya's Acme placement is already in Keepwarm: not made twice.
    assert run.rows.get(line=4).outcome == "unchanged"
    assert Placement.objects.filter(person=cast.candidate, company=cast.company).count() == 1


def test_a_spreadsheet_of_open_jobs_becomes_vacancies_at_companies_found_by_name(
    cast: Cast, tmp_path: Path
) -> None:
    path = tmp_path / "jobs.csv"
    path.write_text(
        "Job title,Company,Skills,Location,Salary,Status\r\n"
        'Buyer,Acme Widgets,Negotiation;SAP,Leeds,"£30,000 - £34,000",Open\r\n'
        "Forklift Driver,Northwind Traders,Forklift,York,24000,Filled\r\n"
        "Mystery Role,,,,,\r\n"
        ",Acme Widgets,,,,Open\r\n",
        encoding="utf-8",
    )
    call_command("import", "csv", str(path), "--entity", "job")
    buyer = Vacancy.objects.get(title="Buyer")
    assert (buyer.company, buyer.status, buyer.location) == (cast.company, "open", "Leeds")
    assert (buyer.salary_min, buyer.salary_max, buyer.skills) == (30000, 34000, "Negotiation, SAP")
    driver = Vacancy.objects.get(title="Forklift Driver")
    assert (driver.company.name, driver.status) == ("Northwind Traders", "filled")
    run = ImportRun.objects.get()
    assert "no client company" in run.rows.get(line=4).reason
    assert run.rows.get(line=5).reason == "no job title"
    # No ids in this file: each row is known by what it says, so the same file again
    # changes nothing.
    call_command("import", "csv", str(path), "--entity", "job")
    assert Vacancy.objects.count() == 2
    assert ImportRun.objects.order_by("-pk").first().unchanged == 2  # type: ignore[union-attr]


def test_a_person_erased_on_request_is_not_brought_back_by_an_import(
    cast: Cast, tmp_path: Path
) -> None:
    from keepwarm.privacy.erasure import erase_person

    ann = Person.objects.create(first_name="Ann", last_name="Lee", email="ann@example.org")
    erase_person(ann, by=cast.manager, reason="Asked by email")
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE, encoding="utf-8-sig")

    call_command("import", "csv", str(path), "--entity", "candidate")

    assert not Person.objects.filter(email__iexact="ann@example.org").exists()
    run = ImportRun.objects.first()
    assert run is not None and run.rejected == 1
    row = run.rows.get()
    assert "asked to be erased" in row.reason


def test_uploaded_files_are_deleted_once_imported_and_leftovers_after_a_day(
    cast: Cast, tmp_path: Path, settings: Any
) -> None:
    import datetime as dt

    from django.utils import timezone

    settings.DATA_DIR = tmp_path
    stored = services.store_upload("people.csv", iter([PEOPLE.encode()]))
    mapping = guess_mapping(
        Entity.CANDIDATE, ["Forename", "Surname", "E-mail address", "Telephone", "Town"]
    )
    spec = {"entity": Entity.CANDIDATE, "path": str(stored), "name": stored.name}

    dry = services.start_import(
        source="csv", files=[spec], by=cast.manager, dry_run=True, mapping=mapping
    )
    services.run_now(dry)
    assert stored.exists()  # a dry run keeps it for the real import

    later = timezone.now() + services.KEEP_UPLOADS + dt.timedelta(minutes=1)
    assert services.forget_old_uploads(now=later) == 1
    assert not stored.exists()

    again = services.store_upload("people.csv", iter([PEOPLE.encode()]))
    spec = {"entity": Entity.CANDIDATE, "path": str(again), "name": again.name}
    real = services.start_import(
        source="csv", files=[spec], by=cast.manager, dry_run=False, mapping=mapping
    )
    assert services.run_now(real).state == ImportRun.State.DONE
    assert not again.exists()  # imported: the rows are in the database, the file is gone


def test_imported_and_merged_people_are_on_the_audit_trail(cast: Cast, tmp_path: Path) -> None:
    from keepwarm.audit.models import AuditEntry

    path = tmp_path / "people.csv"
    path.write_text(PEOPLE, encoding="utf-8")
    call_command("import", "csv", str(path), "--entity", "candidate", "--as", "maggie_manager")
    call_command("import", "csv", str(path), "--entity", "candidate", "--as", "maggie_manager")

    ann = Person.objects.get(email="ann@example.org")
    actions = list(
        AuditEntry.objects.filter(person_id=ann.pk).order_by("id").values_list("action", flat=True)
    )
    assert actions == ["created", "merged"]
    entry = AuditEntry.objects.filter(person_id=ann.pk).first()
    assert entry is not None and entry.actor == cast.manager
    assert entry.path.startswith("import #")
