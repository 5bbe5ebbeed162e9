"""An import and a consultant changing the same placement: neither silently undoes the other.

The import changes a placement through the same service as the edit form, so it moves the
placement's version on (a form left open meanwhile is told, not saved over), and a row
meeting an edit made in Keepwarm since the import last wrote is reported, not applied.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from keepwarm.conftest import Cast
from keepwarm.imports.models import ExternalRef, RowResult
from keepwarm.imports.tests.test_bullhorn_import import outcome, run_bullhorn
from keepwarm.people.tests.test_edit_conflicts import _form_data
from keepwarm.placements.models import Placement

pytestmark = pytest.mark.django_db

# Tomasz Nowak's placement (PL-1) is line 2 of Placement.csv: salary 32000, fee 6400.
LINE = 2


def _tomasz() -> Placement:
    return Placement.objects.get(person__email="tomasz.nowak@example.org")


def _file_says(folder: Path, money: str) -> None:
    path = folder / "Placement.csv"
    text = path.read_text()
    old = next(line for line in text.splitlines() if line.startswith("PL-1,")).split(",")[7:9]
    path.write_text(text.replace(",".join(old), money, 1))


def _edit_on_the_page(cast: Cast, **changes: str) -> None:
    url = reverse("placement_edit", args=[_tomasz().pk])
    olivia = Client()
    olivia.force_login(cast.owner)
    response = olivia.post(url, {**_form_data(olivia, url), **changes})
    assert response.status_code == 302, response.context["form"].errors


def test_a_form_left_open_during_an_import_cannot_overwrite_what_it_imported(
    cast: Cast, bullhorn_dir: Path
) -> None:
    run_bullhorn(bullhorn_dir)
    url = reverse("placement_edit", args=[_tomasz().pk])
    olivia = Client()
    olivia.force_login(cast.owner)
    left_open = _form_data(olivia, url)
    _file_says(bullhorn_dir, "34000,6800")
    assert run_bullhorn(bullhorn_dir).updated == 1

    response = olivia.post(url, {**left_open, "terms_notes": "Nights only"})

    assert response.status_code == 200
    assert "Changed while you were editing" in response.content.decode()
    saved = _tomasz()
    assert (saved.salary, saved.fee, saved.terms_notes) == (34000, 6800, "")


def test_an_import_meeting_a_newer_edit_keeps_the_edit_and_reports_a_conflict(
    cast: Cast, bullhorn_dir: Path
) -> None:
    run_bullhorn(bullhorn_dir)
    _edit_on_the_page(cast, salary="33000")
    _file_says(bullhorn_dir, "34000,6800")

    again = run_bullhorn(bullhorn_dir)

    row = outcome(again, "Placement.csv", LINE)
    assert row.outcome == RowResult.Outcome.CONFLICT
    assert (again.conflicts, again.updated) == (1, 0)
    assert "kept the edit by olivia_owner on" in row.reason
    assert "(salary)" in row.reason and "salary 34,000.00, fee 6,800.00" in row.reason
    assert row.target_url == _tomasz().get_absolute_url()
    saved = _tomasz()
    assert (saved.salary, saved.fee) == (Decimal("33000"), Decimal("6400"))


def test_an_ending_in_a_conflicting_row_is_still_recorded(cast: Cast, bullhorn_dir: Path) -> None:
    run_bullhorn(bullhorn_dir)
    _edit_on_the_page(cast, salary="33000")
    path = bullhorn_dir / "Placement.csv"
    text = path.read_text()
    ended = "PL-1,CAND-1,JOB-1,3/2/26 0:00,,Terminated,,32000,6400,90,Counter offer accepted"
    path.write_text(text.replace("PL-1,CAND-1,JOB-1,3/2/26 0:00,,Approved,,32000,6400,90,", ended))

    again = run_bullhorn(bullhorn_dir)

    row = outcome(again, "Placement.csv", LINE)
    assert row.outcome == RowResult.Outcome.CONFLICT
    assert "The file has salary 32,000.00" in row.reason
    assert "Its ending was recorded: fell off on 09 Mar 2026." in row.reason
    saved = _tomasz()
    assert (saved.status, saved.salary) == (Placement.Status.FELL_OFF, 33000)


def test_a_conflict_is_reported_once_and_a_later_change_in_the_file_applies(
    cast: Cast, bullhorn_dir: Path
) -> None:
    run_bullhorn(bullhorn_dir)
    _edit_on_the_page(cast, salary="33000")
    _file_says(bullhorn_dir, "34000,6800")
    run_bullhorn(bullhorn_dir)

    same_file = run_bullhorn(bullhorn_dir)
    _file_says(bullhorn_dir, "35000,7000")
    changed_file = run_bullhorn(bullhorn_dir)

    assert outcome(same_file, "Placement.csv", LINE).outcome == RowResult.Outcome.UNCHANGED
    assert outcome(changed_file, "Placement.csv", LINE).outcome == RowResult.Outcome.UPDATED
    assert (_tomasz().salary, _tomasz().fee) == (35000, 7000)


def test_an_import_that_wrote_last_updates_without_a_conflict(
    cast: Cast, bullhorn_dir: Path
) -> None:
    run_bullhorn(bullhorn_dir)
    _file_says(bullhorn_dir, "34000,6800")
    run_bullhorn(bullhorn_dir)
    _file_says(bullhorn_dir, "36000,7200")

    again = run_bullhorn(bullhorn_dir)

    assert (again.updated, again.conflicts) == (1, 0)
    assert _tomasz().salary == 36000
    ref = ExternalRef.objects.get(entity="placement", external_id="PL-1")
    assert ref.data["version"] == _tomasz().version
