"""`keepwarm backup` and `keepwarm restore`: what an operator relies on after a bad day."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.utils import ConnectionHandler

from keepwarm.conftest import Cast
from keepwarm.ops.backup import MANIFEST, SQLITE_MEMBER, read_manifest
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


# --- Private files -----------------------------------------------------------------------


@pytest.fixture
def usual_umask() -> Iterator[None]:
    # What most servers run with: new files readable by everyone unless chmodded.
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_a_backup_is_readable_by_its_owner_only(
    cast: Cast, tmp_path: Path, usual_umask: None
) -> None:
    archive = tmp_path / "b.tar.gz"
    archive.write_bytes(b"last week's backup")
    archive.chmod(0o644)

    _run("backup", str(archive))

    assert _mode(archive) == 0o600


def test_the_sqlite_database_and_its_wal_and_shm_files_are_private(
    tmp_path: Path, usual_umask: None
) -> None:
    name = tmp_path / "keepwarm.sqlite3"
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(name),
                "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL;"},
            }
        }
    )
    database = handler["default"]
    try:
        with database.cursor() as cursor:
            cursor.execute("CREATE TABLE note (text TEXT)")
            cursor.execute("INSERT INTO note VALUES ('Priya asked for a call')")
        files = [name, Path(f"{name}-wal"), Path(f"{name}-shm")]
        assert all(f.exists() for f in files)
        assert [_mode(f) for f in files] == [0o600, 0o600, 0o600]

        # A database made by an older version, readable by all, is closed on next use.
        database.close()
        for f in files:
            if f.exists():
                f.chmod(0o644)
        database.ensure_connection()
        assert _mode(name) == 0o600
    finally:
        database.close()


# --- Damaged and forged archives ------------------------------------------------------------


def _manifest(**changes: Any) -> dict[str, Any]:
    return {
        "format": 1,
        "engine": "sqlite",
        "created_at": "2026-03-01T09:00:00+00:00",
        "migrations": [],
        "tables": {},
        "media_files": 0,
        **changes,
    }


def _forge(path: Path, members: dict[str, bytes], manifest: Any) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, body in {**members, MANIFEST: json.dumps(manifest).encode()}.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    return path


def _truncated(path: Path) -> Path:
    _forge(path, {SQLITE_MEMBER: os.urandom(200_000)}, _manifest())
    path.write_bytes(path.read_bytes()[:100_000])
    return path


def _not_a_tar(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(MANIFEST, json.dumps(_manifest()))
    return path


def _climbing_out(path: Path) -> Path:
    return _forge(path, {SQLITE_MEMBER: b"", "media/../../escaped.txt": b"gotcha"}, _manifest())


def _with_a_link(path: Path) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        link = tarfile.TarInfo("media/staff/passwd.png")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
        body = json.dumps(_manifest()).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(body)
        archive.addfile(info, io.BytesIO(body))
    return path


def _manifest_a_list(path: Path) -> Path:
    return _forge(path, {SQLITE_MEMBER: b""}, [1, 2, 3])


def _manifest_without_tables(path: Path) -> Path:
    manifest = _manifest()
    del manifest["tables"]
    return _forge(path, {SQLITE_MEMBER: b""}, manifest)


def _wrong_format(path: Path) -> Path:
    return _forge(path, {SQLITE_MEMBER: b""}, _manifest(format=2))


def _no_database(path: Path) -> Path:
    return _forge(path, {}, _manifest(engine=connection.vendor))


DAMAGED: dict[str, tuple[Callable[[Path], Path], str]] = {
    "truncated": (_truncated, "is not a Keepwarm backup, or is damaged"),
    "a zip, not a tar": (_not_a_tar, "is not a Keepwarm backup, or is damaged"),
    "a member climbing out": (_climbing_out, "holds 'media/../../escaped.txt', which a restore"),
    "a symbolic link": (_with_a_link, "holds 'media/staff/passwd.png', which a restore"),
    "a manifest that is a list": (_manifest_a_list, "its manifest is not an object"),
    "a manifest without tables": (_manifest_without_tables, "has a damaged manifest"),
    "another format": (_wrong_format, "has backup format 2, expected 1"),
    "no database": (_no_database, "holds no database."),
}


@pytest.mark.parametrize("damage", DAMAGED)
def test_restoring_a_damaged_or_forged_archive_says_why_in_one_line_and_changes_nothing(
    damage: str, tmp_path: Path, db: None, settings: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    Company.objects.create(name="Kept Ltd")
    forge, expected = DAMAGED[damage]
    archive = forge(tmp_path / "b.tar.gz")

    with pytest.raises(CommandError) as refused:
        _run("restore", str(archive), "--yes")

    assert expected in str(refused.value)
    assert "\n" not in str(refused.value)
    assert Company.objects.filter(name="Kept Ltd").exists()
    assert not (tmp_path / "escaped.txt").exists()
    assert not any((tmp_path / "media").rglob("*"))


def test_an_archive_whose_database_was_changed_is_refused_before_restoring(
    cast: Cast, tmp_path: Path
) -> None:
    archive = tmp_path / "b.tar.gz"
    _run("backup", str(archive))
    Company.objects.create(name="Kept Ltd")
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive, "r:gz") as old, tarfile.open(tampered, "w:gz") as new:
        for member in old.getmembers():
            data = old.extractfile(member)
            assert data is not None
            body = data.read()
            if member.name.startswith("database."):
                body += b"\0" * 512  # one more page: the same rows, another checksum
                member.size = len(body)
            new.addfile(member, io.BytesIO(body))

    with pytest.raises(CommandError) as refused:
        _run("restore", str(tampered), "--yes")

    assert "does not match its checksum; nothing was changed" in str(refused.value)
    assert "\n" not in str(refused.value)
    assert Company.objects.filter(name="Kept Ltd").exists()


@pytest.mark.parametrize("damage", ["truncated", "a member climbing out", "another format"])
def test_keepwarm_restore_of_a_damaged_archive_exits_non_zero_with_one_line_and_no_traceback(
    damage: str, tmp_path: Path
) -> None:
    archive = DAMAGED[damage][0](tmp_path / "b.tar.gz")
    env = {
        **os.environ,
        "KEEPWARM_DATA_DIR": str(tmp_path / "data"),
        "KEEPWARM_DATABASE_URL": f"sqlite:///{tmp_path / 'keepwarm.sqlite3'}",
    }

    done = subprocess.run(
        [sys.executable, "-m", "keepwarm.cli", "restore", str(archive), "--yes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("CommandError: "), done.stderr
    assert DAMAGED[damage][1] in lines[0]
