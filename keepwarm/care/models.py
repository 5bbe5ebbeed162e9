from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from keepwarm.people.models import Person
from keepwarm.placements.models import Placement


class Kind(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "Email"
    QUESTIONNAIRE = "questionnaire", "Questionnaire"
    MEETING = "meeting", "Meeting"
    NOTE = "note", "Note"


class Audience(models.TextChoices):
    CANDIDATE = "candidate", "Placed candidate"
    CLIENT = "client", "Client contact"


# Kinds the worker sends by itself; the rest are done by a consultant.
SENT_BY_WORKER = (Kind.EMAIL, Kind.QUESTIONNAIRE)


class CarePlan(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    placement_kind = models.CharField(
        max_length=10, choices=Placement.Kind.choices, default=Placement.Kind.PERMANENT
    )
    is_default = models.BooleanField(
        default=False, help_text="Used for new placements of this kind unless another is chosen."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PlanStep(models.Model):
    """One step of a plan, relative to an anchor date of the placement.

    A repeating step (keep-in-touch) is laid out as a finite series up to
    `repeat_until_months`, so every future touchpoint is a row with a stored due date.
    """

    class Anchor(models.TextChoices):
        START = "start", "start date"
        GUARANTEE_END = "guarantee_end", "guarantee end"
        END = "end", "contract end date"
        # Halfway between start and contract end: "mid-assignment" whatever the contract's length.
        MIDPOINT = "midpoint", "halfway to the contract end date"

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    audience = models.CharField(max_length=20, choices=Audience.choices, default=Audience.CANDIDATE)
    anchor = models.CharField(max_length=20, choices=Anchor.choices, default=Anchor.START)
    offset_days = models.IntegerField(
        default=0, help_text="Days after the anchor (negative: before)."
    )
    offset_months = models.PositiveSmallIntegerField(default=0)
    repeat_every_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Repeat this step every N months (keep-in-touch)."
    )
    repeat_until_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Stop repeating this many months after the start."
    )
    email_subject = models.CharField(max_length=200, blank=True)
    email_body = models.TextField(
        blank=True,
        help_text=(
            "Plain text; {{ first_name }}, {{ owner_name }}, {{ company }} and {{ role }} "
            "are filled in."
        ),
    )
    questionnaire = models.ForeignKey(
        "surveys.Questionnaire",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plan_steps",
        help_text="For questionnaire steps: which questions the emailed link asks.",
    )

    class Meta:
        ordering = ["plan", "order", "offset_months", "offset_days"]

    def __str__(self) -> str:
        return self.title


class Touchpoint(models.Model):
    """One planned or logged interaction with a person."""

    class State(models.TextChoices):
        PLANNED = "planned", "Planned"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped"
        MISSED = "missed", "Missed"

    class Outcome(models.TextChoices):
        REACHED = "reached", "Spoke to them"
        VOICEMAIL = "voicemail", "Left a voicemail"
        NO_ANSWER = "no_answer", "No answer"
        WRONG_NUMBER = "wrong_number", "Wrong number"
        EMAILED = "emailed", "Email sent"
        MET = "met", "Met in person"
        BOUNCED = "bounced", "Email failed"

    # person and owner lead composite indexes below, which serve their lookups too; an index
    # of their own would only slow every write (an import lays out ~300k touchpoints).
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="touchpoints", db_index=False
    )
    placement = models.ForeignKey(
        Placement, null=True, blank=True, on_delete=models.CASCADE, related_name="touchpoints"
    )
    step = models.ForeignKey(
        PlanStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    audience = models.CharField(max_length=20, choices=Audience.choices, default=Audience.CANDIDATE)
    title = models.CharField(max_length=200)
    # The stored "next due" column: the tick and Today filter on it, never on date arithmetic.
    due_on = models.DateField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="touchpoints",
        db_index=False,
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PLANNED)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    notes = models.TextField(blank=True)
    skip_reason = models.CharField(max_length=200, blank=True)
    # A planned call tried without reaching anyone stays planned: `attempts` counts the
    # tries, `outcome` holds the last one's, `due_on` moves to the retry day and
    # `first_due_on` keeps the day it was first due, which the discipline report judges by.
    attempts = models.PositiveSmallIntegerField(default=0)
    first_due_on = models.DateField(null=True, blank=True)
    # Copied from the plan step so editing a plan never rewrites what was sent.
    email_subject = models.CharField(max_length=200, blank=True)
    email_body = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            # Covering for the worker's read of due ids, so the 2M-row table itself is only
            # read for the rows handled. `state` is listed too: SQLite only treats an index
            # as covering when it holds every column the query names, the WHERE's as well.
            models.Index(
                fields=["due_on", "id", "kind", "person", "owner", "state"],
                name="touchpoint_due_planned",
                condition=Q(state="planned"),
            ),
            models.Index(fields=["owner", "state", "due_on"], name="touchpoint_owner_due"),
            # Today's calls and meetings: a few thousand rows of two million, so reading an
            # owner's due calls no longer visits every due check-in email to drop it.
            models.Index(
                fields=["owner", "due_on", "id"],
                name="touchpoint_calls_due",
                condition=Q(state="planned") & ~Q(kind__in=SENT_BY_WORKER),
            ),
            models.Index(fields=["person", "due_on"], name="touchpoint_person_due"),
            # The few calls retried after nobody answered, for the discipline report.
            models.Index(
                fields=["first_due_on"],
                name="touchpoint_retried",
                condition=Q(first_due_on__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.person}, {self.due_on:%d %b %Y})"

    def is_overdue(self, today: dt.date) -> bool:
        return self.state == self.State.PLANNED and self.due_on < today

    @property
    def is_done(self) -> bool:
        return self.state == self.State.DONE

    @property
    def was_due_on(self) -> dt.date:
        """The day this was first due, before any retry moved it."""
        return self.first_due_on or self.due_on

    @property
    def happened_on(self) -> dt.date:
        """The day it was done or skipped, or, for one missed, the day it was due: where a
        history puts it (as the person's timeline does)."""
        return timezone.localdate(self.done_at) if self.done_at else self.due_on


# A call that reached nobody: a planned call tried this way stays open for a retry.
NOT_REACHED = (
    Touchpoint.Outcome.VOICEMAIL,
    Touchpoint.Outcome.NO_ANSWER,
    Touchpoint.Outcome.WRONG_NUMBER,
)


class Cover(models.Model):
    """A colleague covers an absent consultant's due work between two dates."""

    absent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="covered_by_set"
    )
    colleague = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="covering_set"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="cover_dates_in_order"
            ),
            models.CheckConstraint(
                condition=~Q(absent=models.F("colleague")), name="cover_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.colleague} covers {self.absent} {self.starts_on}–{self.ends_on}"

    def is_active_on(self, day: dt.date) -> bool:
        return self.starts_on <= day <= self.ends_on


class DailyJob(models.Model):
    """A ledger of once-a-day jobs the worker has run: one row per job and local day.

    Several workers tick at once; the UNIQUE constraint lets exactly one of them claim the
    day (its insert wins, the others get an IntegrityError and move on).
    """

    name = models.CharField(max_length=50)
    day = models.DateField()
    started_at = models.DateTimeField()
    worker_id = models.CharField(max_length=100, blank=True)
    summary = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-day", "name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "day"], name="daily_job_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.day}"


class Closure(models.Model):
    """Days the agency is shut (a Christmas shutdown): no calls fall due, no email goes."""

    first_day = models.DateField()
    last_day = models.DateField()
    reason = models.CharField(max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["first_day"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=models.F("first_day")), name="closure_dates_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reason} {self.first_day}–{self.last_day}"


def agency_closures() -> list[tuple[dt.date, dt.date]]:
    """Every closure's first and last day, for lib.working_days."""
    return list(Closure.objects.values_list("first_day", "last_day"))
