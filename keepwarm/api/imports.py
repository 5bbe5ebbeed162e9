"""Imports: start one (Bullhorn files or any CSV/XLSX), follow it, read its row report.

Managers and admins only: an import writes everyone's records. Every import is a dry run
unless `dry_run` is false; the worker runs it (`keepwarm worker`).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import WithJsonSchema

from keepwarm.api.auth import caller
from keepwarm.api.errors import Invalid, error_body
from keepwarm.api.schemas import ErrorOut, Id, PageQuery, Str200, SyncQuery
from keepwarm.imports import services
from keepwarm.imports.fields import FIELDS, guess_mapping
from keepwarm.imports.forms import CSV_ENTITIES, REQUIRED
from keepwarm.imports.models import ImportRun, RowResult, Source
from keepwarm.imports.reading import ImportFileError, UploadTooLarge, read_head

router = Router()

MAX_FILES = 12
NOT_ALLOWED = {"detail": "Only managers and admins import data.", "errors": []}
ImportSource = Annotated[str, WithJsonSchema({"type": "string", "enum": Source.values})]
ImportEntity = Annotated[
    str, WithJsonSchema({"type": "string", "enum": [e for e, _ in CSV_ENTITIES]})
]
RowOutcome = Annotated[str, WithJsonSchema({"type": "string", "enum": RowResult.Outcome.values})]


class ImportOut(Schema):
    id: int
    url: str
    report_url: str
    source: str
    dry_run: bool
    state: str
    files: list[str]
    total_rows: int
    done_rows: int
    created: int
    updated: int
    merged: int
    unchanged: int
    rejected: int
    conflicts: int = Field(description="Rows not applied: edited in Keepwarm since imported.")
    error: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    checked_by: int | None = Field(None, description="The dry run this import repeats.")

    @staticmethod
    def resolve_url(obj: ImportRun) -> str:
        return reverse("api:import", args=[obj.pk])

    @staticmethod
    def resolve_report_url(obj: ImportRun) -> str:
        return reverse("api:import_rows", args=[obj.pk])

    @staticmethod
    def resolve_files(obj: ImportRun) -> list[str]:
        return [f["name"] for f in obj.files]

    @staticmethod
    def resolve_done_rows(obj: ImportRun) -> int:
        return services.progress_of(obj)[0]

    @staticmethod
    def resolve_checked_by(obj: ImportRun) -> int | None:
        return obj.checked_by_id


class ImportPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ImportOut]


class RowOut(Schema):
    file_name: str
    line: int
    entity: str
    outcome: str
    external_id: str
    label: str
    reason: str
    target: str = Field(description='What the row became or matched, e.g. "person:12".')


class RowPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[RowOut]


class RowFilters(PageQuery):
    outcome: RowOutcome = Field("", description="Only rows with this outcome.")


class StartForm(Schema):
    source: ImportSource = Field(description="bullhorn: data loader files named by entity.")
    entity: ImportEntity = Field("", description="Other CSV/XLSX: what each row is.")
    mapping: Str200 = Field(
        "",
        description='Other CSV/XLSX: JSON {"column header": "field"}; default the mapping '
        "remembered for these headers, else a guess from the column names.",
    )
    dry_run: bool = True


def _allowed(request: HttpRequest) -> bool:
    return caller(request).sees_whole_team


@router.get("", response={200: ImportPage, 403: ErrorOut}, url_name="imports")
def list_imports(request: HttpRequest, page: Query[SyncQuery]) -> Any:
    if not _allowed(request):
        return Status(403, NOT_ALLOWED)
    runs = page.changed(ImportRun.objects.order_by("-id"))
    window = runs[page.offset : page.offset + page.limit]
    return {
        "count": runs.count(),
        "limit": page.limit,
        "offset": page.offset,
        "items": list(window),
    }


@router.post("", response={201: ImportOut, 403: ErrorOut, 413: ErrorOut, 422: ErrorOut})
def start(
    request: HttpRequest, form: Form[StartForm], files: File[list[UploadedFile]]
) -> Status[ImportRun] | Status[dict[str, Any]]:
    """Upload files and queue a dry run (or, with dry_run false, the import itself).

    A file larger than KEEPWARM_UPLOAD_MAX_MB is answered with 413."""
    if not _allowed(request):
        return Status(403, NOT_ALLOWED)
    if not files or len(files) > MAX_FILES:
        raise Invalid("files", f"Send 1 to {MAX_FILES} files.")
    try:
        paths = [services.store_upload(f.name or "upload.csv", f.chunks()) for f in files]
    except UploadTooLarge as exc:
        return Status(413, error_body([{"field": "files", "message": str(exc)}]))
    if form.source == Source.BULLHORN:
        found, _ = services.bullhorn_files(paths)
        if not found:
            raise Invalid("files", "No Bullhorn entity file (Candidate.csv, Placement.csv, …).")
        run = services.start_import(
            source=Source.BULLHORN, files=found, by=caller(request), dry_run=form.dry_run
        )
        return Status(201, run)
    if not form.entity:
        raise Invalid("entity", "Say what each row of the file is.")
    if len(paths) > 1:
        raise Invalid("files", "Send one file at a time for other CSV or XLSX files.")
    try:
        table, _ = read_head(paths[0])
    except ImportFileError as exc:
        raise Invalid("files", str(exc)) from exc
    mapping = _mapping(form, table.headers)
    spec = [{"entity": form.entity, "path": str(paths[0]), "name": paths[0].name}]
    run = services.start_import(
        source=Source.CSV, files=spec, by=caller(request), dry_run=form.dry_run, mapping=mapping
    )
    return Status(201, run)


def _mapping(form: StartForm, headers: list[str]) -> dict[str, str]:
    fields = FIELDS[form.entity]
    if form.mapping:
        try:
            given = json.loads(form.mapping)
        except ValueError:
            raise Invalid("mapping", "must be a JSON object") from None
        if not isinstance(given, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in given.items()
        ):
            raise Invalid(
                "mapping", 'must map column headers to field names: {"Surname": "last_name"}'
            )
        unknown = [v for v in given.values() if v and v not in fields]
        if unknown:
            raise Invalid("mapping", f"unknown fields {unknown}; use {sorted(fields)}")
        mapping = {h: f for h, f in given.items() if f and h in headers}
    else:
        mapping = services.remembered_mapping(form.entity, headers) or guess_mapping(
            form.entity, headers
        )
    for group in REQUIRED[form.entity]:
        if not any(name in mapping.values() for name in group):
            raise Invalid("mapping", f"no column maps to {' or '.join(group)}")
    return mapping


@router.get("/{id}", response={200: ImportOut, 403: ErrorOut, 404: ErrorOut}, url_name="import")
def status(request: HttpRequest, id: Id) -> Any:
    if not _allowed(request):
        return Status(403, NOT_ALLOWED)
    return get_object_or_404(ImportRun, pk=id)


@router.get(
    "/{id}/rows", response={200: RowPage, 403: ErrorOut, 404: ErrorOut}, url_name="import_rows"
)
def report(request: HttpRequest, id: Id, filters: Query[RowFilters]) -> Any:
    """What each row did (or, for a dry run, would do), and why."""
    if not _allowed(request):
        return Status(403, NOT_ALLOWED)
    run = get_object_or_404(ImportRun, pk=id)
    rows = run.rows.order_by("id")
    if filters.outcome:
        rows = rows.filter(outcome=filters.outcome)
    window = rows[filters.offset : filters.offset + filters.limit]
    return {
        "count": rows.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": list(window),
    }


@router.post(
    "/{id}/confirm", response={201: ImportOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
)
def confirm(request: HttpRequest, id: Id) -> Status[ImportRun] | Status[dict[str, Any]]:
    """Queue the import a finished dry run checked (once; again returns the same import)."""
    if not _allowed(request):
        return Status(403, NOT_ALLOWED)
    run = get_object_or_404(ImportRun, pk=id)
    if not (run.dry_run and run.state == ImportRun.State.DONE):
        raise Invalid("id", "only a finished dry run can be confirmed")
    existing = ImportRun.objects.filter(checked_by=run).first()
    return Status(201, existing or services.run_for_real(dry_run=run, by=caller(request)))
