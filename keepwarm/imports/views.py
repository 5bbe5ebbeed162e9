"""The import page: upload, map the columns, read the dry run's report, then import."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from keepwarm.accounts.access import manager_required, user_of
from keepwarm.accounts.models import User
from keepwarm.imports import services
from keepwarm.imports.fields import guess_mapping
from keepwarm.imports.forms import MappingForm, UploadForm
from keepwarm.imports.models import ImportRun, RowResult, Source
from keepwarm.imports.reading import ImportFileError, read_head
from keepwarm.imports.uploads import local_file

MAX_FILES = 12


# Imports touch everyone's records: managers and admins only.
importers_only = manager_required("Only managers and admins import data.")


@importers_only
@never_cache
def imports(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form = UploadForm(request.POST or None)
    file_error = ""
    if request.method == "POST":
        uploads: list[UploadedFile] = request.FILES.getlist("files")
        if not uploads:
            file_error = "Choose at least one file."
        elif len(uploads) > MAX_FILES:
            file_error = f"Upload at most {MAX_FILES} files at once."
        if form.is_valid() and not file_error:
            run = _start(form, uploads, user)
            if isinstance(run, str):
                file_error = run
            elif run.state == ImportRun.State.DRAFT:
                return redirect("import_mapping", run.pk)
            else:
                skipped = len(uploads) - len(run.files)
                if skipped:
                    files = "file" if skipped == 1 else "files"
                    messages.info(
                        request, f"Skipped {skipped} {files} not named as Bullhorn names them."
                    )
                messages.success(
                    request, "Checking the files: nothing is written until you confirm."
                )
                return redirect(run)
    runs = ImportRun.objects.select_related("created_by")[:30]
    context = {
        "form": form,
        "file_error": file_error,
        "runs": runs,
        "max_mb": settings.KEEPWARM_UPLOAD_MAX_MB,
    }
    return render(request, "imports/imports.html", context)


def _start(form: UploadForm, uploads: list[UploadedFile], user: User) -> ImportRun | str:
    """A queued dry run for Bullhorn files, a draft waiting for its mapping for the rest;
    or the reason the files cannot be used."""
    try:
        paths = [services.store_upload(u.name or "upload.csv", u.chunks()) for u in uploads]
    except ImportFileError as exc:
        return str(exc)
    if form.cleaned_data["source"] == Source.BULLHORN:
        files, _ = services.bullhorn_files(paths)
        if not files:
            return (
                f"None of {', '.join(p.name for p in paths)} is a Bullhorn entity file: name them "
                "as the data loader does (Candidate.csv, ClientCorporation.csv, ClientContact.csv, "
                "JobOrder.csv, Placement.csv, Note.csv)."
            )
        return services.start_import(source=Source.BULLHORN, files=files, by=user, dry_run=True)
    if len(paths) > 1:
        return "Upload one file at a time for other CSV or XLSX files."
    try:
        read_head(paths[0])
    except ImportFileError as exc:
        return str(exc)
    files = [{"entity": form.cleaned_data["entity"], "path": str(paths[0]), "name": paths[0].name}]
    return services.start_import(
        source=Source.CSV, files=files, by=user, dry_run=True, queued=False
    )


@importers_only
@never_cache
def mapping(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(ImportRun, pk=pk)
    if run.state != ImportRun.State.DRAFT:
        return redirect(run)
    spec = run.files[0]
    try:
        table, samples = read_head(local_file(spec["path"]))
    except ImportFileError as exc:
        messages.error(request, str(exc))
        return redirect("imports")
    entity, headers = spec["entity"], table.headers
    remembered = services.remembered_mapping(entity, headers)
    initial_mapping = remembered or guess_mapping(entity, headers)
    initial = {f"column_{i}": initial_mapping.get(h, "") for i, h in enumerate(headers)}
    form = MappingForm(
        request.POST or None, entity=entity, headers=headers, samples=samples, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["mapping"]
        services.remember_mapping(
            entity=entity, headers=headers, mapping=chosen, name=form.cleaned_data["remember_as"]
        )
        updated = ImportRun.objects.filter(pk=run.pk, state=ImportRun.State.DRAFT).update(
            mapping=chosen, state=ImportRun.State.QUEUED
        )
        if updated:
            messages.success(request, "Checking the file: nothing is written until you confirm.")
        return redirect(run)
    context = {"run": run, "form": form, "remembered": remembered is not None, "table": table}
    return render(request, "imports/mapping.html", context)


def _progress_context(run: ImportRun) -> dict[str, object]:
    done, total = services.progress_of(run)
    percent = int(100 * done / total) if total else 0
    return {"run": run, "done": done, "total": total, "percent": percent}


@importers_only
@never_cache
def run_page(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(ImportRun, pk=pk)
    if run.state == ImportRun.State.DRAFT:
        return redirect("import_mapping", run.pk)
    rows = run.rows.all()
    outcome = request.GET.get("outcome", "")
    if outcome in RowResult.Outcome.values:
        rows = rows.filter(outcome=outcome)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    confirmed = ImportRun.objects.filter(checked_by=run).first()
    context = {
        **_progress_context(run),
        "page_obj": page,
        "outcome": outcome,
        "outcomes": RowResult.Outcome.choices,
        "confirmed": confirmed,
    }
    return render(request, "imports/run.html", context)


@importers_only
@never_cache
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(ImportRun, pk=pk)
    response = render(request, "imports/_progress.html", _progress_context(run))
    if run.is_finished and request.headers.get("HX-Request"):
        # The report replaces the bar: reload the whole page once.
        response["HX-Refresh"] = "true"
    return response


@importers_only
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(ImportRun, pk=pk)
    if not (run.dry_run and run.state == ImportRun.State.DONE):
        messages.error(request, "Only a finished dry run can be imported.")
        return redirect(run)
    existing = ImportRun.objects.filter(checked_by=run).first()
    if existing is not None:
        return redirect(existing)
    real = services.run_for_real(dry_run=run, by=user_of(request))
    messages.success(request, "Importing: the worker writes the rows the dry run checked.")
    return redirect(real)
