"""`keepwarm backup` and `keepwarm restore`: what an operator relies on after a bad day."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from keepwarm.conftest import Cast
from keepwarm.ops.backup import MANIFEST, read_manifest
from keepwarm.people.models import Company, Person
from keepwarm.placements.models import Placement

pytestmark = pytest.mark.django_db(transaction=True)


def _run(*args: Any) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_restore_brings_back_every_row_changed_since_the_backup(cast: Cast, tmp_path: Path) -> None:
    archive = tmp_path / "keepwarm.tar.gz"
    said = _run("backup", str(archive))
    assert "Backed up" in said and str(archive) in said

    # A bad day: a person edited, one deleted, a stray record added.
    Person.objects.filter(pk=cast.client_contact.pk).update(first_name="Mangled")
    Placement.objects.all().delete()
    Company.objects.create(name="Typo Ltd")

    said = _run("restore", str(archive), "--yes")

    assert "every row count and checksum matches" in said
    assert Person.objects.get(pk=cast.client_contact.pk).first_name == "Harry"
    assert Placement.objects.filter(pk=cast.placement.pk).exists()
    assert not Company.objects.filter(name="Typo Ltd").exists()


def test_backup_records_row_counts_and_checksums_per_table(cast: Cast, tmp_path: Path) -> None:
    archive = tmp_path / "b.tar.gz"
    _run("backup", str(archive))

    manifest = read_manifest(archive)

    people = manifest["tables"]["people_person"]
    assert people["rows"] == Person.objects.count()
    assert len(people["sha256"]) == 64
    assert "people.0001_initial" in manifest["migrations"]


def test_restore_says_which_tables_differ_from_a_tampered_backup(
    cast: Cast, tmp_path: Path
) -> None:
    archive = tmp_path / "b.tar.gz"
    _run("backup", str(archive))
    tampered = tmp_path / "tampered.tar.gz"
    _rewrite_manifest(archive, tampered, lambda m: m["tables"]["people_person"].update(rows=999))

    with pytest.raises(CommandError, match=r"people_person: expected 999 rows, found 2"):
        _run("restore", str(tampered), "--yes")


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")

    with pytest.raises(CommandError, match="is not a Keepwarm backup"):
        _run("restore", str(not_a_backup), "--yes")


def test_restore_asks_first_and_changes_nothing_when_told_no(
    cast: Cast, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "b.tar.gz"
    _run("backup", str(archive))
    Company.objects.create(name="Kept Ltd")
    monkeypatch.setattr("builtins.input", lambda prompt: "no")

    with pytest.raises(CommandError, match="nothing was changed"):
        _run("restore", str(archive))

    assert Company.objects.filter(name="Kept Ltd").exists()


def test_uploaded_files_come_back_with_the_database(
    cast: Cast, tmp_path: Path, settings: Any
) -> None:
    media = tmp_path / "media"
    (media / "staff").mkdir(parents=True)
    photo = media / "staff" / "olivia.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n-olivia")
    settings.MEDIA_ROOT = str(media)
    archive = tmp_path / "b.tar.gz"
    assert "1 uploaded files" in _run("backup", str(archive))
    photo.unlink()

    _run("restore", str(archive), "--yes")

    assert photo.read_bytes() == b"\x89PNG\r\n\x1a\n-olivia"


def test_a_backup_of_one_engine_is_not_restored_into_another(tmp_path: Path, db: None) -> None:
    archive = tmp_path / "b.tar.gz"
    _run("backup", str(archive))
    other = "postgresql" if read_manifest(archive)["engine"] == "sqlite" else "sqlite"
    forged = tmp_path / "forged.tar.gz"
    _rewrite_manifest(archive, forged, lambda m: m.update(engine=other))

    with pytest.raises(CommandError, match=f"this backup is of a {other} database"):
        _run("restore", str(forged), "--yes")


def _rewrite_manifest(source: Path, target: Path, change: Any) -> None:
    with tarfile.open(source, "r:gz") as old, tarfile.open(target, "w:gz") as new:
        for member in old.getmembers():
            data = old.extractfile(member)
            assert data is not None
            body = data.read()
            if member.name == MANIFEST:
                manifest = json.loads(body)
                change(manifest)
                body = json.dumps(manifest).encode()
                member.size = len(body)
            new.addfile(member, io.BytesIO(body))
