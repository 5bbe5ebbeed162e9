"""Imports from other systems: runs, their row-by-row report, remembered column mappings
and the map from another system's ids to ours (so a re-import changes nothing)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from keepwarm.lib.ids import parse_id
from keepwarm.lib.stamps import Stamped


class Source(models.TextChoices):
    BULLHORN = "bullhorn", "Bullhorn data loader files"
    CSV = "csv", "Other CSV or XLSX"


class Entity(models.TextChoices):
    """What one file holds. Candidates and client contacts both become people; their ids are
    kept apart because the other system numbers them separately."""

    COMPANY = "company", "Companies"
    CANDIDATE = "candidate", "Candidates"
    CONTACT = "contact", "Client contacts"
    JOB = "job", "Job orders"
    PLACEMENT = "placement", "Placements"
    NOTE = "note", "Notes"


# The order files are read in, so cross-references point at rows already imported.
ENTITY_ORDER = [
    Entity.COMPANY,
    Entity.CANDIDATE,
    Entity.CONTACT,
    Entity.JOB,
    Entity.PLACEMENT,
    Entity.NOTE,
]


class ImportRun(Stamped):
    class State(models.TextChoices):
        DRAFT = "draft", "Waiting for a column mapping"
        QUEUED = "queued", "Waiting for the worker"
        RUNNING = "running", "Running"
        DONE = "done", "Finished"
        FAILED = "failed", "Failed, nothing was written"

    source = models.CharField(max_length=10, choices=Source.choices)
    dry_run = models.BooleanField(default=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    # [{"entity": "candidate", "path": "/abs/file.csv", "name": "Candidate.csv"}], in ENTITY_ORDER.
    files = models.JSONField(default=list)
    # Other CSVs: {"header as in the file": "field"}; Bullhorn files use the fixed layout.
    mapping = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The dry run this real run repeats, if any.
    checked_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    done_rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    merged = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    # Rows not applied because the record was edited in Keepwarm since the import wrote it.
    conflicts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta(Stamped.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "id"])]

    def __str__(self) -> str:
        kind = "Dry run" if self.dry_run else "Import"
        return f"{kind} #{self.pk} ({self.get_source_display()})"

    def get_absolute_url(self) -> str:
        return reverse("import_run", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def file_names(self) -> str:
        return ", ".join(f["name"] for f in self.files)


class RowResult(models.Model):
    class Outcome(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        MERGED = "merged", "Merged with a known record"
        UNCHANGED = "unchanged", "Already imported, unchanged"
        REJECTED = "rejected", "Rejected"
        CONFLICT = "conflict", "Not applied: edited in Keepwarm since"

    # No index of its own: (run, outcome, id) below serves lookups by run.
    run = models.ForeignKey(
        ImportRun, on_delete=models.CASCADE, related_name="rows", db_index=False
    )
    entity = models.CharField(max_length=10, choices=Entity.choices)
    file_name = models.CharField(max_length=200)
    line = models.PositiveIntegerField(help_text="Line in the file; the header is line 1.")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    external_id = models.CharField(max_length=100, blank=True)
    label = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    # "person:12", "company:3", "placement:7", "vacancy:4": what the row became or matched.
    target = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["run", "outcome", "id"])]

    def __str__(self) -> str:
        return f"{self.file_name}:{self.line} {self.outcome}"

    @property
    def target_url(self) -> str:
        kind, _, pk = self.target.partition(":")
        number = parse_id(pk)
        # Each kind is also the name of its page's URL.
        if kind in {"person", "company", "placement", "vacancy"} and number is not None:
            return reverse(kind, args=[number])
        return ""


class ColumnMapping(models.Model):
    """A column mapping remembered by the file's header signature, optionally named."""

    entity = models.CharField(max_length=10, choices=Entity.choices)
    signature = models.CharField(max_length=64, help_text="SHA-256 of the normalised headers.")
    name = models.CharField(max_length=100, blank=True)
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "signature"], name="mapping_one_per_layout")
        ]

    def __str__(self) -> str:
        return self.name or f"{self.get_entity_display()} {self.signature[:8]}"


class ExternalRef(models.Model):
    """Which of our records another system's id became. Kept here rather than on the
    people and placement models: one table serves every source and entity."""

    source = models.CharField(max_length=10, choices=Source.choices)
    entity = models.CharField(max_length=10, choices=Entity.choices)
    external_id = models.CharField(max_length=100)
    object_id = models.BigIntegerField(
        help_text="Person, company, placement, note or (a job order's) vacancy id."
    )
    # What the row said last time, hashed: the same row again is "unchanged" without a write.
    fingerprint = models.CharField(max_length=40)
    # Job orders also keep what placements take from them: title, company_id, contact_id,
    # owner_id, kind, and vacancy_id (refs written before job orders became vacancies lack
    # it, and their object_id is the company).
    data = models.JSONField(default=dict, blank=True)
    first_run = models.ForeignKey(
        ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "entity", "external_id"], name="external_id_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.entity} {self.external_id} -> {self.object_id}"
