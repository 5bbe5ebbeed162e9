"""With uploads in a bucket (KEEPWARM_S3_BUCKET), an import file taken by one web server is
run by a jobs worker on another machine, which has no share of the first one's disk.

Both machines have the same settings (the same KEEPWARM_DATA_DIR path); "another machine"
is the same folder without the uploaded file in it."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

from keepwarm.conftest import Cast
from keepwarm.imports import services
from keepwarm.imports.fields import guess_mapping
from keepwarm.imports.models import Entity, ImportRun
from keepwarm.imports.tests.conftest import NOW
from keepwarm.imports.uploads import local_file
from keepwarm.lib.tests.s3_bucket import Bucket
from keepwarm.people.models import Person

pytestmark = pytest.mark.django_db

HEADERS = ["Forename", "Surname", "E-mail address"]
PEOPLE = "Forename,Surname,E-mail address\r\nAnn,Lee,ann@example.org\r\n"


def test_an_upload_taken_on_one_machine_is_imported_on_another(
    cast: Cast, bucket: Bucket, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path / "web-machine"
    stored = services.store_upload("people.csv", iter([PEOPLE.encode()]))
    assert bucket.keys() == [f"media/imports/{stored.parent.name}/people.csv"]
    run = services.start_import(
        source="csv",
        files=[{"entity": Entity.CANDIDATE, "path": str(stored), "name": stored.name}],
        by=cast.manager,
        dry_run=False,
        mapping=guess_mapping(Entity.CANDIDATE, HEADERS),
    )

    shutil.rmtree(stored.parent)  # the jobs worker's machine never had the file
    finished = services.run_next_import(now=NOW)
    assert finished is not None and finished.pk == run.pk
    assert finished.state == ImportRun.State.DONE, finished.error
    assert Person.objects.filter(email="ann@example.org").exists()
    # Imported: nothing of the file is kept, in the bucket or on the worker's disk.
    assert bucket.keys() == []
    assert not stored.exists()


def test_the_fetched_copy_is_readable_by_keepwarm_alone(
    bucket: Bucket, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path / "web-machine"
    stored = services.store_upload("people.csv", iter([PEOPLE.encode()]))
    shutil.rmtree(stored.parent)  # another machine
    copy = local_file(str(stored))
    assert copy == stored and copy.read_bytes() == PEOPLE.encode()
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
