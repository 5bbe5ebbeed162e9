"""Consistent backups while the app runs, and restores that prove they brought everything back.

A backup is one tar file: ``manifest.json`` (engine, when, the migrations applied, and per
table a row count and a SHA-256 of its rows), the database (SQLite's online backup API, or
``pg_dump`` custom format taken from the same snapshot the checksums were read from), and the
uploaded files under MEDIA_ROOT. A restore puts all three back and re-reads the checksums, so
"the restore worked" is a comparison, not a hope.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.db import connection, connections

from keepwarm.lib.private_files import open_private

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
MEDIA_PREFIX = "media/"
# Rows are hashed in batches so a two-million-row table never sits in memory at once.
FETCH_BATCH = 5_000


class BackupError(Exception):
    """Something an operator can act on: wrong engine, missing tool, damaged file."""


@dataclass(frozen=True)
class TableSummary:
    rows: int
    sha256: str


@dataclass
class RestoreReport:
    tables: int
    rows: int
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


# --- checksums ---------------------------------------------------------------------------


def _user_tables(cursor: Any, vendor: str) -> list[str]:
    if vendor == "sqlite":
        # A virtual table (the search index, people migration 0019) cannot be read row by
        # row; what it holds is in its shadow tables, which are listed like any other.
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'"
        )
    else:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
    return sorted(row[0] for row in cursor.fetchall())


def _rows(cursor: Any, table: str) -> Iterator[tuple[Any, ...]]:
    # Every Django table's first column is its primary key (or a unique pair for m2m).
    quoted = '"' + table.replace('"', '""') + '"'
    cursor.execute(f"SELECT * FROM {quoted} ORDER BY 1")  # noqa: S608 - a name read from the catalogue
    while batch := cursor.fetchmany(FETCH_BATCH):
        yield from batch


def _summarise(rows: Iterable[tuple[Any, ...]]) -> TableSummary:
    digest = hashlib.sha256()
    count = 0
    for row in rows:
        digest.update(repr(row).encode())
        digest.update(b"\n")
        count += 1
    return TableSummary(rows=count, sha256=digest.hexdigest())


def table_summaries(cursor: Any, vendor: str) -> dict[str, TableSummary]:
    return {table: _summarise(_rows(cursor, table)) for table in _user_tables(cursor, vendor)}


def _applied_migrations(cursor: Any) -> list[str]:
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    return [f"{app}.{name}" for app, name in cursor.fetchall()]


# --- backup ------------------------------------------------------------------------------


def backup(path: Path) -> dict[str, Any]:
    """Write a consistent backup of the database and uploaded files to ``path``."""
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="keepwarm-backup-") as work:
        workdir = Path(work)
        if connection.vendor == "sqlite":
            database_file = workdir / SQLITE_MEMBER
            member = SQLITE_MEMBER
            _dump_sqlite(database_file)
            summaries, migrations = _read_sqlite_copy(database_file)
        elif connection.vendor == "postgresql":
            database_file = workdir / PG_MEMBER
            member = PG_MEMBER
            summaries, migrations = _dump_postgres(database_file)
        else:
            raise BackupError(f"backups are not supported on {connection.vendor}")
        manifest = {
            "format": FORMAT_VERSION,
            "engine": connection.vendor,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "migrations": migrations,
            "tables": {name: s.__dict__ for name, s in summaries.items()},
            "media_files": 0,
        }
        _write_archive(path, manifest, database_file, member)
    return manifest


def _dump_sqlite(target: Path) -> None:
    """SQLite's online backup API: a consistent copy even while the web and worker write."""
    connection.ensure_connection()
    destination = sqlite3.connect(target)
    try:
        connection.connection.backup(destination)
    finally:
        destination.close()


def _read_sqlite_copy(copy: Path) -> tuple[dict[str, TableSummary], list[str]]:
    # Checksums come from the copy itself, so they describe exactly what was saved.
    database = sqlite3.connect(copy)
    try:
        cursor = database.cursor()
        return table_summaries(cursor, "sqlite"), _applied_migrations(cursor)
    finally:
        database.close()


def _pg_environment() -> tuple[list[str], dict[str, str]]:
    conf = connection.settings_dict
    args = ["--host", conf.get("HOST") or "localhost", "--port", str(conf.get("PORT") or 5432)]
    args += ["--username", conf.get("USER") or "postgres"]
    env = dict(os.environ)
    if conf.get("PASSWORD"):
        env["PGPASSWORD"] = conf["PASSWORD"]
    return args, env


def _require(tool: str) -> str:
    found = shutil.which(tool)
    if not found:
        raise BackupError(f"{tool} is not installed; install the PostgreSQL client tools")
    return found


def _dump_postgres(target: Path) -> tuple[dict[str, TableSummary], list[str]]:
    """pg_dump and the checksums read the same exported snapshot, so they agree exactly."""
    pg_dump = _require("pg_dump")
    args, env = _pg_environment()
    # A connection of our own: the snapshot lives only as long as this transaction.
    raw = connection.get_new_connection(connection.get_connection_params())
    try:
        raw.autocommit = False
        with raw.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            completed = subprocess.run(  # noqa: S603 - fixed argv, no shell
                [
                    pg_dump,
                    *args,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    "--no-owner",
                    "--file",
                    str(target),
                    connection.settings_dict["NAME"],
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if completed.returncode != 0:
                raise BackupError(f"pg_dump failed: {completed.stderr.strip()}")
            summaries = table_summaries(cursor, "postgresql")
            migrations = _applied_migrations(cursor)
        raw.rollback()
    finally:
        raw.close()
    return summaries, migrations


def _media_root() -> Path | None:
    root = getattr(settings, "MEDIA_ROOT", "")
    return Path(root) if root and Path(root).is_dir() else None


def _write_archive(path: Path, manifest: dict[str, Any], database: Path, member: str) -> None:
    # Written beside the target and renamed, so a failed backup never replaces a good one;
    # 0600 from the first byte, since it holds everyone's personal data.
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    files: dict[str, str] = {}
    with (
        os.fdopen(open_private(partial), "wb") as raw,
        tarfile.open(fileobj=raw, mode="w:gz") as archive,
    ):
        archive.add(database, arcname=member)
        files[member] = _sha256(database)
        media = _media_root()
        if media is not None:
            for file in sorted(p for p in media.rglob("*") if p.is_file()):
                name = MEDIA_PREFIX + file.relative_to(media).as_posix()
                archive.add(file, arcname=name)
                files[name] = _sha256(file)
                manifest["media_files"] += 1
        # Per file, so a restore refuses a damaged archive before it changes anything.
        manifest["files"] = files
        body = json.dumps(manifest, indent=2, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(body)
        info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
        archive.addfile(info, io.BytesIO(body))
    os.replace(partial, path)


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# --- restore -----------------------------------------------------------------------------


# What reading a damaged archive raises: gzip's and tar's errors, a file cut short.
UNREADABLE = (OSError, EOFError, zlib.error, tarfile.TarError, KeyError, UnicodeError, ValueError)


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        with tarfile.open(path, "r:gz") as archive:
            extracted = archive.extractfile(MANIFEST)
            if extracted is None:
                raise KeyError(MANIFEST)
            manifest = json.load(extracted)
    except UNREADABLE as exc:
        raise BackupError(
            f"{path} is not a Keepwarm backup, or is damaged ({_one_line(exc)})"
        ) from None
    if not isinstance(manifest, dict):
        raise BackupError(f"{path} is not a Keepwarm backup (its manifest is not an object)")
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"{path} has backup format {manifest.get('format')!r}, expected 1")
    if not _manifest_is_whole(manifest):
        raise BackupError(f"{path} has a damaged manifest (a field is missing or malformed)")
    return manifest


def _manifest_is_whole(manifest: dict[str, Any]) -> bool:
    tables, files = manifest.get("tables"), manifest.get("files", {})
    return (
        manifest.get("engine") in ("sqlite", "postgresql")
        and isinstance(manifest.get("created_at"), str)
        and isinstance(tables, dict)
        and all(
            isinstance(t, dict)
            and isinstance(t.get("rows"), int)
            and isinstance(t.get("sha256"), str)
            and set(t) == {"rows", "sha256"}
            for t in tables.values()
        )
        and isinstance(files, dict)
        and all(isinstance(v, str) for v in files.values())
    )


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def restore(path: Path) -> RestoreReport:
    """Replace the database and uploaded files with the backup's, then verify them."""
    path = Path(path)
    manifest = read_manifest(path)
    # Everything is checked before the live data is touched: a damaged or forged archive
    # changes nothing.
    _check_members(path)
    if manifest["engine"] != connection.vendor:
        raise BackupError(
            f"this backup is of a {manifest['engine']} database; "
            f"KEEPWARM_DATABASE_URL points at {connection.vendor}"
        )
    member = SQLITE_MEMBER if connection.vendor == "sqlite" else PG_MEMBER
    with tempfile.TemporaryDirectory(prefix="keepwarm-restore-") as work:
        workdir = Path(work)
        _extract(path, workdir)
        if not (workdir / member).is_file():
            raise BackupError(f"{path} holds no {member}; nothing was changed")
        _check_files(path, manifest, workdir)
        if connection.vendor == "sqlite":
            _check_sqlite_copy(path, manifest, workdir / SQLITE_MEMBER)
            _restore_sqlite(workdir / SQLITE_MEMBER)
        else:
            _restore_postgres(workdir / PG_MEMBER)
        _restore_media(workdir / MEDIA_PREFIX.rstrip("/"))
    return verify(manifest)


def _check_members(path: Path) -> None:
    """Only regular files named as a backup names them: no `..`, absolute path or link."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            for info in archive.getmembers():
                if not _allowed_member(info):
                    raise BackupError(
                        f"{path} is not a backup Keepwarm wrote: it holds {info.name!r}, "
                        "which a restore will not write; nothing was changed"
                    )
    except UNREADABLE as exc:
        raise BackupError(f"{path} is damaged ({_one_line(exc)}); nothing was changed") from None


def _extract(path: Path, workdir: Path) -> None:
    # The "data" filter refuses anything _check_members let through by mistake.
    try:
        with tarfile.open(path, "r:gz") as archive:
            archive.extractall(workdir, filter="data")
    except UNREADABLE as exc:
        raise BackupError(f"{path} is damaged ({_one_line(exc)}); nothing was changed") from None


def _allowed_member(info: tarfile.TarInfo) -> bool:
    parts = PurePosixPath(info.name).parts
    if info.isdir():
        return bool(parts) and parts[0] == MEDIA_PREFIX.rstrip("/") and ".." not in parts
    if not info.isfile() or info.name.startswith("/") or ".." in parts or "\\" in info.name:
        return False
    return info.name in (MANIFEST, SQLITE_MEMBER, PG_MEMBER) or (
        info.name.startswith(MEDIA_PREFIX) and len(parts) > 1
    )


def _check_files(path: Path, manifest: dict[str, Any], workdir: Path) -> None:
    # Backups written before the manifest listed its files have no "files": nothing to compare.
    for name, expected in sorted(manifest.get("files", {}).items()):
        file = workdir / name
        if not file.is_file():
            raise BackupError(f"{path} is damaged: {name} is missing; nothing was changed")
        if _sha256(file) != expected:
            raise BackupError(
                f"{path} is damaged: {name} does not match its checksum; nothing was changed"
            )


def _check_sqlite_copy(path: Path, manifest: dict[str, Any], copy: Path) -> None:
    try:
        found, _ = _read_sqlite_copy(copy)
    except sqlite3.DatabaseError as exc:
        raise BackupError(
            f"{path} is damaged: its database cannot be read ({_one_line(exc)}); "
            "nothing was changed"
        ) from None
    expected = {name: TableSummary(**value) for name, value in manifest["tables"].items()}
    mismatches = [
        _describe_mismatch(name, want, found.get(name))
        for name, want in sorted(expected.items())
        if found.get(name) != want
    ]
    if mismatches:
        raise BackupError(
            f"{path} is damaged: its database does not match its own checksums "
            f"({'; '.join(mismatches[:3])}); nothing was changed"
        )


def _restore_sqlite(copy: Path) -> None:
    connection.ensure_connection()
    source = sqlite3.connect(copy)
    try:
        # The backup API copies page by page into the live file, WAL included.
        source.backup(connection.connection)
    finally:
        source.close()


def _restore_postgres(dump: Path) -> None:
    pg_restore = _require("pg_restore")
    args, env = _pg_environment()
    connections.close_all()
    completed = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [
            pg_restore,
            *args,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--dbname",
            connection.settings_dict["NAME"],
            str(dump),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise BackupError(f"pg_restore failed: {completed.stderr.strip()}")


def _restore_media(extracted: Path) -> None:
    root = getattr(settings, "MEDIA_ROOT", "")
    if not root or not extracted.is_dir():
        return
    target = Path(root)
    target.mkdir(parents=True, exist_ok=True)
    for file in extracted.rglob("*"):
        if file.is_file():
            destination = target / file.relative_to(extracted)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, destination)


def _live_summaries() -> dict[str, TableSummary]:
    if connection.vendor == "sqlite":
        # Read through a plain copy, as the backup was: Django's connection converts
        # dates on the way out, which would change the checksums but not the data.
        with tempfile.TemporaryDirectory(prefix="keepwarm-verify-") as work:
            copy = Path(work) / SQLITE_MEMBER
            _dump_sqlite(copy)
            return _read_sqlite_copy(copy)[0]
    with connection.cursor() as cursor:
        return table_summaries(cursor, connection.vendor)


def verify(manifest: dict[str, Any]) -> RestoreReport:
    """Compare the live database's tables with the manifest's counts and checksums."""
    live = _live_summaries()
    expected = {name: TableSummary(**value) for name, value in manifest["tables"].items()}
    mismatches = [
        _describe_mismatch(name, want, live.get(name))
        for name, want in sorted(expected.items())
        if live.get(name) != want
    ]
    return RestoreReport(
        tables=len(expected),
        rows=sum(s.rows for s in expected.values()),
        mismatches=mismatches,
    )


def _describe_mismatch(table: str, want: TableSummary, got: TableSummary | None) -> str:
    if got is None:
        return f"{table}: missing after the restore"
    if got.rows != want.rows:
        return f"{table}: expected {want.rows} rows, found {got.rows}"
    return f"{table}: {want.rows} rows as expected, but their contents differ"
