"""The test suite writes into a data folder of its own, never the real one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from keepwarm.conftest import Cast
from keepwarm.imports.uploads import upload_dir
from keepwarm.pytest_plugin import REAL_DATA_DIR, TEST_DATA_DIR, listing


def _inside(path: object, folder: Path) -> bool:
    return Path(str(path)).resolve().is_relative_to(folder)


def test_every_setting_derived_from_the_data_folder_points_into_the_suites_own() -> None:
    assert TEST_DATA_DIR != REAL_DATA_DIR
    derived = {
        "DATA_DIR": settings.DATA_DIR,
        "MEDIA_ROOT": settings.MEDIA_ROOT,
        "STATIC_ROOT": settings.STATIC_ROOT,
        "import uploads": upload_dir(),
    }
    assert {name: _inside(path, TEST_DATA_DIR) for name, path in derived.items()} == dict.fromkeys(
        derived, True
    )
    assert not _inside(settings.KEEPWARM_ERASURE_JOURNAL, REAL_DATA_DIR)


def test_an_upload_through_the_api_leaves_nothing_in_the_real_data_folder(
    api_as: Any, cast: Cast
) -> None:
    before = listing(REAL_DATA_DIR)
    api = api_as(cast.manager)
    file = SimpleUploadedFile("Candidate.csv", b"firstName,lastName\r\nAnn,Lee\r\n")

    response = api.client.post(
        "/api/v1/imports", {"source": "bullhorn", "files": [file]}, headers=api.headers
    )

    assert response.status_code == 201, response.content
    assert listing(REAL_DATA_DIR) == before
    assert any(upload_dir().rglob("Candidate.csv"))
    assert _inside(upload_dir(), TEST_DATA_DIR)
