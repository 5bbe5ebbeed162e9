from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keepwarm.conftest import Cast
from keepwarm.imports.models import ColumnMapping, ImportRun
from keepwarm.imports.tests.conftest import FIXTURES, NOW
from keepwarm.imports.uploads import upload_dir
from keepwarm.people.models import Person
from keepwarm.worker.tick import tick

pytestmark = pytest.mark.django_db


def upload(path: Path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv")


def test_only_managers_and_admins_import(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    assert client.get(reverse("imports")).status_code == 403
    client.force_login(cast.manager)
    assert client.get(reverse("imports")).status_code == 200


def test_bullhorn_files_are_checked_then_imported_on_confirmation(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.manager)
    files = [upload(p) for p in sorted((FIXTURES / "bullhorn").iterdir())]
    response = client.post(reverse("imports"), {"source": "bullhorn", "files": files})
    check = ImportRun.objects.get()
    assert response.url == check.get_absolute_url()  # type: ignore[attr-defined]
    assert "Waiting for the worker" in client.get(response.url).content.decode()  # type: ignore[attr-defined]

    tick(now=NOW)
    check.refresh_from_db()
    page = client.get(check.get_absolute_url()).content.decode()
    assert "Import these rows" in page
    assert "candidate CAND-404 not found in this import or an earlier one" in page
    assert not Person.objects.filter(email="tomasz.nowak@example.org").exists()
    rejected = client.get(check.get_absolute_url(), {"outcome": "rejected"}).content.decode()
    assert "Tomasz" not in rejected and "no company name" in rejected

    response = client.post(reverse("import_confirm", args=[check.pk]))
    real = ImportRun.objects.get(checked_by=check)
    assert response.url == real.get_absolute_url()  # type: ignore[attr-defined]
    # Confirming twice does not queue the import twice.
    client.post(reverse("import_confirm", args=[check.pk]))
    assert ImportRun.objects.count() == 2
    tick(now=NOW)
    real.refresh_from_db()
    assert (real.state, real.created) == ("done", check.created)
    tomasz = Person.objects.get(email="tomasz.nowak@example.org")
    assert tomasz.get_absolute_url() in client.get(real.get_absolute_url()).content.decode()


def test_the_progress_bar_polls_until_the_run_is_finished(client: Client, cast: Cast) -> None:
    client.force_login(cast.manager)
    files = [upload(FIXTURES / "bullhorn" / "Candidate.csv")]
    client.post(reverse("imports"), {"source": "bullhorn", "files": files})
    run = ImportRun.objects.get()
    polling = client.get(reverse("import_progress", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 2s"' in polling.content.decode()
    assert "HX-Refresh" not in polling
    ImportRun.objects.filter(pk=run.pk).update(state="running", total_rows=6)
    assert "0 of 6 rows" in client.get(reverse("import_progress", args=[run.pk])).content.decode()
    ImportRun.objects.filter(pk=run.pk).update(state="queued")
    tick(now=NOW)
    done = client.get(reverse("import_progress", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"


def test_other_csv_goes_through_the_mapping_screen_which_remembers(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.manager)
    data = b"Surname,Given name,Mail,Notes\r\nLee,Ann,ann@example.org,likes Leeds\r\n"

    def send() -> ImportRun:
        file = SimpleUploadedFile("people.csv", data)
        response = client.post(
            reverse("imports"), {"source": "csv", "entity": "candidate", "files": [file]}
        )
        run = ImportRun.objects.order_by("-id").first()
        assert run is not None
        assert response.url == reverse("import_mapping", args=[run.pk])  # type: ignore[attr-defined]
        return run

    run = send()
    page = client.get(reverse("import_mapping", args=[run.pk])).content.decode()
    assert "e.g. Lee" in page and "guessed" in page
    # The same field twice, and no name at all: both explained, nothing queued.
    response = client.post(
        reverse("import_mapping", args=[run.pk]), {"column_0": "email", "column_2": "email"}
    )
    body = response.content.decode()
    assert "Email is already chosen for another column." in body
    assert "Choose a column for First name or Last name or Full name." in body
    run.refresh_from_db()
    assert run.state == "draft"

    choices = {
        "column_0": "last_name",
        "column_1": "first_name",
        "column_2": "email",
        "column_3": "notes",
    }
    client.post(reverse("import_mapping", args=[run.pk]), choices)
    run.refresh_from_db()
    assert run.state == "queued" and run.mapping["Mail"] == "email"
    assert ColumnMapping.objects.get().mapping == run.mapping

    again = send()
    page = client.get(reverse("import_mapping", args=[again.pk])).content.decode()
    assert "choices made last time" in page


def test_a_file_that_is_not_a_table_gets_a_message(client: Client, cast: Cast) -> None:
    client.force_login(cast.manager)
    file = SimpleUploadedFile("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    response = client.post(
        reverse("imports"), {"source": "csv", "entity": "candidate", "files": [file]}
    )
    assert response.status_code == 200
    assert "not a text file" in response.content.decode()
    response = client.post(
        reverse("imports"), {"source": "bullhorn", "files": [SimpleUploadedFile("x.csv", b"a,b\n")]}
    )
    assert "is a Bullhorn entity file" in response.content.decode()
    assert (
        "Choose at least one file."
        in client.post(reverse("imports"), {"source": "bullhorn"}).content.decode()
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=600)
    | st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass"))
)
def test_garbage_uploads_never_cause_a_server_error(
    client: Client, cast: Cast, data: bytes
) -> None:
    client.force_login(cast.manager)
    file = SimpleUploadedFile("Candidate.csv", data)
    response = client.post(
        reverse("imports"), {"source": "csv", "entity": "candidate", "files": [file]}
    )
    assert response.status_code in (200, 302)
    run = ImportRun.objects.order_by("-id").first()
    if response.status_code == 302 and run is not None and run.state == "draft":
        mapping = client.get(reverse("import_mapping", args=[run.pk]))
        assert mapping.status_code in (200, 302)
        client.post(reverse("import_mapping", args=[run.pk]), {"column_0": "last_name"})
        tick(now=NOW)
        run.refresh_from_db()
        assert run.state in ("done", "failed", "draft")
        assert client.get(run.get_absolute_url()).status_code in (200, 302)


def test_a_file_over_the_upload_limit_is_refused_with_a_message_and_not_kept(
    client: Client, cast: Cast, settings: Any
) -> None:
    settings.KEEPWARM_UPLOAD_MAX_MB = 1
    client.force_login(cast.manager)
    big = b"First name,Last name\r\n" + b"Ann,Lee\r\n" * 150_000  # 1.4 MB
    file = SimpleUploadedFile("people.csv", big, content_type="text/csv")

    response = client.post(
        reverse("imports"), {"source": "csv", "entity": "candidate", "files": [file]}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "people.csv is larger than 1 MB, the largest file Keepwarm imports" in page
    assert "Up to 1 MB a file." in page
    assert not ImportRun.objects.exists()
    uploads = upload_dir()
    assert not uploads.exists() or not any(uploads.rglob("*.csv"))


def test_a_zip_bomb_workbook_is_refused_on_the_page(client: Client, cast: Cast) -> None:
    client.force_login(cast.manager)
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (64 << 20))  # 64 MB in 64 KB
    file = SimpleUploadedFile("people.xlsx", packed.getvalue())

    response = client.post(
        reverse("imports"), {"source": "csv", "entity": "candidate", "files": [file]}
    )

    assert "people.xlsx unpacks to far more than a spreadsheet export does" in (
        response.content.decode()
    )
    assert not ImportRun.objects.exists()


def test_an_uploaded_file_is_readable_by_its_owner_only(client: Client, cast: Cast) -> None:
    client.force_login(cast.manager)
    previous = os.umask(0o022)
    try:
        client.post(
            reverse("imports"),
            {"source": "bullhorn", "files": [upload(FIXTURES / "bullhorn" / "Candidate.csv")]},
        )
    finally:
        os.umask(previous)

    [stored] = upload_dir().rglob("Candidate.csv")
    assert stored.stat().st_mode & 0o777 == 0o600
