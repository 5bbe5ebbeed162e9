from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from keepwarm.conftest import Cast
from keepwarm.imports.models import ImportRun
from keepwarm.imports.tests.conftest import FIXTURES, NOW
from keepwarm.people.models import Person
from keepwarm.worker.tick import tick

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path / "data"


def start(api: Any, data: dict[str, Any], files: list[SimpleUploadedFile]) -> Any:
    return api.client.post("/api/v1/imports", {**data, "files": files}, headers=api.headers)


def test_start_a_bullhorn_dry_run_follow_it_read_the_report_then_confirm(
    api_as: Any, cast: Cast
) -> None:
    api = api_as(cast.manager)
    files = [
        SimpleUploadedFile(p.name, p.read_bytes())
        for p in sorted((FIXTURES / "bullhorn").iterdir())
    ]
    response = start(api, {"source": "bullhorn"}, files)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["state"], body["dry_run"]) == ("queued", True)
    assert body["files"][0] == "ClientCorporation.csv"

    tick(now=NOW)
    status = api.get(f"/imports/{body['id']}").json()
    assert status["state"] == "done"
    assert status["done_rows"] == status["total_rows"] > 0
    rejected = api.get(f"/imports/{body['id']}/rows", outcome="rejected").json()
    assert rejected["count"] == status["rejected"]
    assert any(r["reason"] == "no company name" for r in rejected["items"])
    assert not Person.objects.filter(email="tomasz.nowak@example.org").exists()

    confirmed = api.client.post(f"/api/v1/imports/{body['id']}/confirm", headers=api.headers)
    assert confirmed.status_code == 201
    tick(now=NOW)
    assert api.get(f"/imports/{confirmed.json()['id']}").json()["created"] == status["created"]
    assert Person.objects.filter(email="tomasz.nowak@example.org").exists()


def test_a_csv_with_a_mapping_imports_for_real_without_a_dry_run(api_as: Any, cast: Cast) -> None:
    api = api_as(cast.admin)
    file = SimpleUploadedFile("people.csv", b"a;b;c\r\nAnn;Lee;ann@example.org\r\n")
    mapping = json.dumps({"a": "first_name", "b": "last_name", "c": "email"})
    response = start(
        api,
        {"source": "csv", "entity": "candidate", "mapping": mapping, "dry_run": "false"},
        [file],
    )
    assert response.status_code == 201, response.content
    tick(now=NOW)
    assert Person.objects.filter(email="ann@example.org", first_name="Ann").exists()


def test_bad_requests_get_422_naming_the_field(api_as: Any, cast: Cast) -> None:
    api = api_as(cast.manager)
    file = SimpleUploadedFile("people.csv", b"x,y\n1,2\n")
    response = start(api, {"source": "csv", "entity": "candidate"}, [file])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "mapping"
    bad_json = start(
        api,
        {"source": "csv", "entity": "candidate", "mapping": "{"},
        [SimpleUploadedFile("p.csv", b"x,y\n")],
    )
    assert bad_json.status_code == 422
    not_table = start(
        api, {"source": "csv", "entity": "candidate"}, [SimpleUploadedFile("p.csv", b"\x00\x01")]
    )
    assert not_table.status_code == 422
    assert ImportRun.objects.count() == 0


def test_consultants_cannot_import(api_as: Any, cast: Cast) -> None:
    api = api_as(cast.owner)
    assert api.get("/imports").status_code == 403
    file = SimpleUploadedFile("Candidate.csv", b"firstName,lastName\nA,B\n")
    assert start(api, {"source": "bullhorn"}, [file]).status_code == 403


def test_a_file_over_the_upload_limit_gets_413_in_the_error_shape(
    api_as: Any, cast: Cast, settings: Any
) -> None:
    settings.KEEPWARM_UPLOAD_MAX_MB = 1
    api = api_as(cast.manager)
    file = SimpleUploadedFile("Candidate.csv", b"firstName,lastName\r\n" + b"Ann,Lee\r\n" * 150_000)

    response = start(api, {"source": "bullhorn"}, [file])

    assert response.status_code == 413
    assert response.json() == {
        "detail": "files: Candidate.csv is larger than 1 MB, the largest file Keepwarm imports. "
        "Split it into smaller files and import them one after another.",
        "errors": [
            {
                "field": "files",
                "message": "Candidate.csv is larger than 1 MB, the largest file Keepwarm "
                "imports. Split it into smaller files and import them one after another.",
            }
        ],
    }
    assert not ImportRun.objects.exists()
