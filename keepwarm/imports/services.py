"""Import runs: start one, run it (in the worker or from the command line), remember mappings.

A run is all or nothing: every file of it is written in one transaction, and any failure
(a file that turns out unreadable half-way, a database error) rolls the whole run back.
Rows that are merely wrong (no name, a date that is not a date) are rejected with the
reason and the rest goes in. A dry run does all the same work and rolls back at the end;
its row-by-row report is kept.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.audit.recording import Actor, acting_as
from keepwarm.imports import uploads
from keepwarm.imports.entities import HANDLERS
from keepwarm.imports.entities.rows import Context, Row
from keepwarm.imports.fields import (
    bullhorn_entity,
    bullhorn_mapping,
    fingerprint,
    header_signature,
    row_to_fields,
)
from keepwarm.imports.models import (
    ENTITY_ORDER,
    ColumnMapping,
    Entity,
    ExternalRef,
    ImportRun,
    Source,
)
from keepwarm.imports.reading import ImportFileError, UploadTooLarge, count_rows, open_table
from keepwarm.imports.uploads import upload_dir
from keepwarm.lib.private_files import open_private
from keepwarm.people.models import Person, Role
from keepwarm.placements.models import Placement

logger = logging.getLogger(__name__)

BATCH = 1000
# PostgreSQL plans the import's lookups from table statistics that autovacuum cannot
# gather while the import's own rows are uncommitted; without them a 500-value IN list on
# a table the import has filled looks like it matches every row, and each lookup becomes a
# full scan (matching went quadratic: 24 s of a 100k-candidate import). So the import
# refreshes them itself, each time the rows it has read double from this many.
ANALYZE_FROM = 2000


class DryRunDone(Exception):
    """Raised at the end of a dry run to roll its writes back."""


# How long an uploaded file stays for a dry run to be confirmed or a failed run looked into.
KEEP_UPLOADS = dt.timedelta(days=1)
# How far back the daily clean-up looks, so a worker that was down a few days catches up.
LOOK_BACK = dt.timedelta(days=7)
UPLOADS = "import-uploads"


def store_upload(name: str, chunks: Iterator[bytes]) -> Path:
    """Keep an uploaded file for the worker under the data directory.

    Raises UploadTooLarge, keeping nothing, past KEEPWARM_UPLOAD_MAX_MB: the bytes are
    counted as they are written, whatever size the request declared.
    """
    limit = settings.KEEPWARM_UPLOAD_MAX_MB * 1024 * 1024
    folder = upload_dir() / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(c for c in Path(name).name if c.isalnum() or c in "._- ")[:100] or "upload.csv"
    path = folder / safe
    written = 0
    with os.fdopen(open_private(path), "wb") as handle:  # personal data: owner only
        for chunk in chunks:
            written += len(chunk)
            if written > limit:
                break
            handle.write(chunk)
    if written > limit:
        shutil.rmtree(folder, ignore_errors=True)
        raise UploadTooLarge(
            f"{safe} is larger than {settings.KEEPWARM_UPLOAD_MAX_MB} MB, the largest file "
            "Keepwarm imports. Split it into smaller files and import them one after another."
        )
    uploads.share(path)  # for a jobs worker on another machine
    return path


def bullhorn_files(paths: list[Path]) -> tuple[list[dict[str, str]], list[str]]:
    """The Bullhorn entity files among `paths`, in import order, and the names skipped."""
    files, skipped = [], []
    for path in paths:
        entity = (
            bullhorn_entity(path.name)
            if path.suffix.lower() in (".csv", ".txt", ".tsv", ".xlsx")
            else None
        )
        if entity is None:
            skipped.append(path.name)
        else:
            files.append({"entity": entity, "path": str(path), "name": path.name})
    files.sort(key=lambda f: (ENTITY_ORDER.index(f["entity"]), f["name"]))  # type: ignore[arg-type]
    return files, skipped


def start_import(
    *,
    source: str,
    files: list[dict[str, str]],
    by: User | None,
    dry_run: bool,
    mapping: dict[str, str] | None = None,
    queued: bool = True,
) -> ImportRun:
    """A new run, queued for the worker (or a draft waiting for its column mapping)."""
    if not files:
        raise ImportFileError("No files to import.")
    return ImportRun.objects.create(
        source=source,
        files=files,
        created_by=by,
        dry_run=dry_run,
        mapping=mapping or {},
        state=ImportRun.State.QUEUED if queued else ImportRun.State.DRAFT,
    )


def run_for_real(*, dry_run: ImportRun, by: User | None) -> ImportRun:
    """Queue the import a finished dry run checked, with the same files and mapping."""
    return ImportRun.objects.create(
        source=dry_run.source,
        files=dry_run.files,
        mapping=dry_run.mapping,
        created_by=by,
        dry_run=False,
        checked_by=dry_run,
        state=ImportRun.State.QUEUED,
    )


def remember_mapping(
    *, entity: str, headers: list[str], mapping: dict[str, str], name: str = ""
) -> ColumnMapping:
    remembered, _ = ColumnMapping.objects.update_or_create(
        entity=entity,
        signature=header_signature(headers),
        defaults={"headers": headers, "mapping": mapping, "name": name[:100]},
    )
    return remembered


def remembered_mapping(entity: str, headers: list[str], name: str = "") -> dict[str, str] | None:
    """A mapping saved under `name`, or the one last used for files with these headers.

    A named mapping made for other headers still applies to the columns the two share.
    """
    found = ColumnMapping.objects.filter(entity=entity)
    found = found.filter(name=name) if name else found.filter(signature=header_signature(headers))
    remembered = found.first()
    if remembered is None:
        return None
    return {h: f for h, f in remembered.mapping.items() if h in headers}


# --- running -------------------------------------------------------------------------------


def claim(run_id: int, *, now: dt.datetime) -> bool:
    """Take a queued run for this process (a conditional UPDATE: one worker wins)."""
    return (
        ImportRun.objects.filter(id=run_id, state=ImportRun.State.QUEUED).update(
            state=ImportRun.State.RUNNING, started_at=now
        )
        == 1
    )


# An import of 150k rows takes minutes; one "running" for this long lost its worker.
STALE_AFTER = dt.timedelta(hours=12)
STALE = (
    "The worker stopped during this import, so nothing was written (its transaction was "
    "rolled back). Upload the files again."
)


def run_next_import(*, now: dt.datetime | None = None) -> ImportRun | None:
    """The worker's part: run the oldest queued import, if any."""
    now = now or timezone.now()
    # A worker killed mid-import leaves the run "running"; the database rolled its writes back.
    ImportRun.objects.filter(
        state=ImportRun.State.RUNNING, started_at__lt=now - STALE_AFTER
    ).update(state=ImportRun.State.FAILED, finished_at=now, error=STALE)
    for run_id in (
        ImportRun.objects.filter(state=ImportRun.State.QUEUED)
        .order_by("id")
        .values_list("id", flat=True)[:5]
    ):
        if claim(run_id, now=now):
            return execute(ImportRun.objects.get(id=run_id), now=now)
    return None


def import_waiting() -> bool:
    """Whether someone is waiting for an import (or its check) to start: one indexed read,
    cheap enough for the worker to ask every second between its ticks."""
    return ImportRun.objects.filter(state=ImportRun.State.QUEUED).exists()


def run_now(run: ImportRun, *, now: dt.datetime | None = None) -> ImportRun:
    """Run a queued import in this process (the command line)."""
    now = now or timezone.now()
    if not claim(run.pk, now=now):
        raise ImportFileError(f"Import #{run.pk} is not waiting to run.")
    return execute(ImportRun.objects.get(id=run.pk), now=now)


def _acting_user(run: ImportRun) -> User:
    if run.created_by is not None:
        return run.created_by
    user = (
        User.objects.filter(is_active=True)
        .order_by("-is_superuser", "id")
        .filter(role=User.Role.ADMIN)
        .first()
    )
    user = user or User.objects.filter(is_active=True, is_superuser=True).order_by("id").first()
    if user is None:
        raise ImportFileError("There is no admin to own imported placements; create one first.")
    return user


def _rows(ctx: Context, entity: str, path: Path) -> Iterator[Row]:
    table, data = open_table(path)
    if ctx.source == Source.BULLHORN:
        mapping = bullhorn_mapping(entity, table.headers)
    else:
        mapping = {h: f for h, f in ctx.run.mapping.items() if h in table.headers}
    if not mapping:
        raise ImportFileError(f"{path.name}: none of its columns is mapped to a Keepwarm field.")
    for line, row in enumerate(data, start=2):
        if not any(row):
            continue
        values = row_to_fields(table.headers, row, mapping)
        yield Row(line=line, values=values, fingerprint=fingerprint(values))


def execute(run: ImportRun, *, now: dt.datetime) -> ImportRun:
    """Read every file of the run and write it in one transaction (rolled back for a dry run)."""
    ctx: Context | None = None
    progress = Progress(run.pk)
    try:
        total = sum(count_rows(uploads.local_file(f["path"])) for f in run.files)
        ImportRun.objects.filter(pk=run.pk).update(total_rows=total)
        ctx = Context(
            run=run,
            by=_acting_user(run),
            today=timezone.localdate(now),
            month_first=run.source == Source.BULLHORN,
        )
        done = 0
        # Whoever started the import wrote what it wrote, also when the worker runs it.
        importer = Actor(user=ctx.by, path=f"import #{run.pk}")
        try:
            with acting_as(importer), transaction.atomic():
                analyzed = 0
                for spec in run.files:
                    ctx.file_name = spec["name"]
                    handler = HANDLERS[spec["entity"]]
                    rows = _rows(ctx, spec["entity"], uploads.local_file(spec["path"]))
                    while batch := list(itertools.islice(rows, BATCH)):
                        handler(ctx, spec["entity"], batch)
                        ctx.spool.end_batch()
                        done += len(batch)
                        progress.report(done)
                        analyzed = _refresh_statistics(done, analyzed)
                if run.dry_run:
                    raise DryRunDone
                ctx.spool.save(run)
                _finish(run, ctx, done=done, now=now)
        except DryRunDone:
            with transaction.atomic():
                ctx.spool.save(run)
                _finish(run, ctx, done=done, now=now)
    except ImportFileError as exc:
        _fail(run, str(exc), now=now)
    except Exception as exc:
        logger.exception("Import #%s failed", run.pk)
        where = f" while reading {ctx.file_name}" if ctx and ctx.file_name else ""
        _fail(
            run,
            f"The import stopped{where} and nothing was written: {exc.__class__.__name__}: {exc}",
            now=now,
        )
    finally:
        if ctx is not None:
            ctx.spool.close()
        progress.close()
    run.refresh_from_db()
    if not run.dry_run and run.state == ImportRun.State.DONE:
        # The rows are in the database now; a copy of the file would outlive an erasure.
        delete_files(run)
    return run


def _refresh_statistics(done: int, analyzed: int) -> int:
    """ANALYZE the tables an import matches against once the rows read have doubled since
    the last time (a handful of times per import, ~0.1 s each); returns the new mark.
    ANALYZE counts the transaction's own uncommitted rows, which is the point."""
    if connection.vendor != "postgresql" or done < max(ANALYZE_FROM, 2 * analyzed):
        return analyzed
    tables = ", ".join(
        connection.ops.quote_name(model._meta.db_table)
        for model in (Person, Role, ExternalRef, Placement)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")
    return done


def _finish(run: ImportRun, ctx: Context, *, done: int, now: dt.datetime) -> None:
    counts = ctx.counts
    ImportRun.objects.filter(pk=run.pk).update(
        state=ImportRun.State.DONE,
        finished_at=timezone.now() if now is None else max(now, timezone.now()),
        done_rows=done,
        created=counts["created"],
        updated=counts["updated"],
        merged=counts["merged"],
        unchanged=counts["unchanged"],
        rejected=counts["rejected"],
        conflicts=counts["conflict"],
    )


def _fail(run: ImportRun, message: str, *, now: dt.datetime) -> None:
    ImportRun.objects.filter(pk=run.pk).update(
        state=ImportRun.State.FAILED, finished_at=max(now, timezone.now()), error=message[:2000]
    )


class Progress:
    """Rows done so far, visible to the progress bar while the run's transaction is open.

    PostgreSQL: a second connection updates the run row outside the import's transaction.
    SQLite allows one writer at a time, so the count goes to a small file next to the
    database instead (SQLite means one machine, so the web process can read it).
    """

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.sqlite = connection.vendor == "sqlite"
        self._side: Any = None

    def path(self) -> Path:
        return upload_dir() / "progress" / str(self.run_id)

    def report(self, done: int) -> None:
        try:
            if self.sqlite:
                self.path().parent.mkdir(parents=True, exist_ok=True)
                self.path().write_text(str(done))
                return
            if self._side is None:
                self._side = connections.create_connection("default")
            with self._side.cursor() as cursor:
                cursor.execute(
                    "UPDATE imports_importrun SET done_rows = %s WHERE id = %s", [done, self.run_id]
                )
        except Exception:
            # Progress is a courtesy; it never stops an import.
            logger.warning("Could not record progress of import #%s", self.run_id, exc_info=True)

    def read(self, fallback: int) -> int:
        if self.sqlite:
            try:
                return int(self.path().read_text() or 0)
            except (OSError, ValueError):
                return fallback
        return fallback

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None


def progress_of(run: ImportRun) -> tuple[int, int]:
    """(rows done, rows in all files) for the progress bar."""
    if run.state == ImportRun.State.RUNNING:
        return Progress(run.pk).read(run.done_rows), run.total_rows
    if run.state == ImportRun.State.DONE:
        return run.total_rows, run.total_rows
    return run.done_rows, run.total_rows


def forget_old_uploads(*, now: dt.datetime) -> int:
    """Uploaded files hold personal data: none is kept longer than KEEP_UPLOADS unless an
    import still waits to read it (a dry run nobody confirmed, a failed run, are dropped).
    A daily job of the worker: runs older than a week were seen by an earlier day's."""
    waiting = (ImportRun.State.DRAFT, ImportRun.State.QUEUED, ImportRun.State.RUNNING)
    old = ImportRun.objects.filter(
        created_at__lt=now - KEEP_UPLOADS, created_at__gte=now - KEEP_UPLOADS - LOOK_BACK
    ).exclude(state__in=waiting)
    forgotten = 0
    for run in old.only("id", "files").order_by("-id"):
        if any(uploads.kept(spec["path"]) for spec in run.files):
            delete_files(run)
            forgotten += 1
    return forgotten


def forget_old_uploads_daily(*, now: dt.datetime) -> str:
    return f"old import uploads deleted {forget_old_uploads(now=now)}"


def delete_files(run: ImportRun) -> None:
    """Remove an uploaded run's files once nothing will read them again."""
    for spec in run.files:
        uploads.forget(spec["path"])


__all__ = [
    "Entity",
    "bullhorn_files",
    "delete_files",
    "execute",
    "progress_of",
    "remember_mapping",
    "remembered_mapping",
    "run_for_real",
    "run_next_import",
    "run_now",
    "start_import",
    "store_upload",
]
