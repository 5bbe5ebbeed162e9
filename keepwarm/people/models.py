from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from keepwarm.agency.models import agency_settings


class PersonErased(ValidationError):
    """A change to someone erased on request: their record is read-only (the API answers
    409), and nothing is sent to them."""


class GuaranteeUnit(models.TextChoices):
    CALENDAR = "calendar", "Calendar days"
    WORKING = "working", "Working days"


class Remedy(models.TextChoices):
    REFUND = "refund", "Refund (rebate)"
    REPLACEMENT = "replacement", "Free replacement"


class Company(models.Model):
    """A client or employer, with its default terms of business."""

    name = models.CharField(max_length=200, db_index=True)
    sector = models.CharField(max_length=100, blank=True)
    location = models.CharField(max_length=100, blank=True)
    website = models.URLField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    guarantee_length = models.PositiveIntegerField(default=90)
    guarantee_unit = models.CharField(
        max_length=10, choices=GuaranteeUnit.choices, default=GuaranteeUnit.CALENDAR
    )
    guarantee_remedy = models.CharField(
        max_length=12, choices=Remedy.choices, default=Remedy.REFUND
    )
    # [{"up_to_day": 30, "percent": 100}, {"up_to_day": 60, "percent": 50}, ...], ascending.
    rebate_scale = models.JSONField(default=list, blank=True)
    learnt = models.TextField(blank=True, help_text="What the agency has learnt about this client.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("company", args=[self.pk])


class Person(models.Model):
    """One record per human, whatever roles they have held."""

    class Source(models.TextChoices):
        # Given by the person themselves: they were told how we use it when they gave it.
        APPLIED = "applied", "Applied or registered with us"
        MET = "met", "Met us (call, event, interview)"
        SIGNED_UP = "signed_up", "Signed up on our website"
        # Obtained from elsewhere: UK GDPR Art. 14 wants a privacy notice within a month.
        SOURCED = "sourced", "Sourced (job board, LinkedIn, public profile)"
        REFERRED = "referred", "Referred by someone else"
        CLIENT = "client", "Given by a client"
        IMPORTED = "imported", "Imported from another system"
        UNKNOWN = "unknown", "Not recorded"

    class Basis(models.TextChoices):
        LEGITIMATE_INTERESTS = "legitimate_interests", "Legitimate interests"
        CONSENT = "consent", "Consent"
        CONTRACT = "contract", "Contract (work-finding services)"
        LEGAL_OBLIGATION = "legal_obligation", "Legal obligation"

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, db_index=True)
    email = models.EmailField(blank=True, db_index=True)
    phone = models.CharField(max_length=40, blank=True, db_index=True)
    location = models.CharField(max_length=100, blank=True)
    sector = models.CharField(max_length=100, blank=True)
    headline = models.CharField(max_length=200, blank=True)
    skills = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_people",
    )
    # Stored so Today's red/amber/green and "long silence" are an indexed read.
    # The one "last contact" every page, list, export, the API and the risk model read:
    # the latest moment we got through to them or they to us (see `record_contact`).
    last_contacted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped by every edit form save, so a stale form cannot overwrite a newer edit.
    version = models.PositiveIntegerField(default=0)
    # Set when the person was erased on request; the record is then a pseudonym only.
    erased_at = models.DateTimeField(null=True, blank=True)
    # Where their data came from, on what basis, and since when (UK GDPR Art. 13/14, 30).
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.UNKNOWN)
    source_detail = models.CharField(
        max_length=200, blank=True, help_text="For example: “CV-Library search, 3 March”"
    )
    lawful_basis = models.CharField(
        max_length=30, choices=Basis.choices, default=Basis.LEGITIMATE_INTERESTS
    )
    obtained_on = models.DateField(null=True, blank=True)
    privacy_notice_sent_at = models.DateTimeField(null=True, blank=True)
    # They (or a consultant, on review) asked to keep the data for another retention period.
    retention_renewed_at = models.DateTimeField(null=True, blank=True)
    # Their address bounced hard or they marked us as spam: no email reaches them, so their
    # emailed check-ins become calls until someone enters a working address.
    email_failed_at = models.DateTimeField(null=True, blank=True)
    email_failed_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name_plural = "people"
        # The people list's order: a page of the whole agency (managers) is read from the
        # index, not sorted from every row.
        indexes = [
            models.Index(fields=["last_name", "first_name", "id"], name="person_name_order"),
            # Who a consultant may see (care.queries.visible_person_ids) reads the ids of
            # the people they own from this index alone, and their people list walks it in
            # name order (visible_people_names): a page reads 51 entries, not the book.
            models.Index(
                fields=["owner", "last_name", "first_name", "id"], name="person_owner_names"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_absolute_url(self) -> str:
        return reverse("person", args=[self.pk])

    @property
    def email_works(self) -> bool:
        """They have an address and it has not bounced (nor complained) since it was entered."""
        return bool(self.email.strip()) and self.email_failed_at is None

    def is_contact_at(self, company: Company) -> bool:
        """Whether they are (or were) a client contact at `company`: a placement's hiring
        manager is one of its client's contacts."""
        return self.roles.filter(kind=Role.Kind.CLIENT_CONTACT, company=company).exists()

    def refuse_if_erased(self) -> None:
        """Every change to a person, and every message to them, asks this first."""
        if self.erased_at is not None:
            on = timezone.localtime(self.erased_at)
            raise PersonErased(
                f"{self.full_name} was erased on request on {on.day} {on:%b %Y}: the record "
                "is read-only and nothing is sent to them."
            )

    @property
    def last_contact_on(self) -> dt.date | None:
        """The agency's calendar day of the last contact (a call at 00:30 in June is that
        day in London, the day before in UTC)."""
        if self.last_contacted_at is None:
            return None
        return timezone.localdate(self.last_contacted_at)

    def days_since_contact(self, today: dt.date) -> int | None:
        contact_on = self.last_contact_on
        return None if contact_on is None else (today - contact_on).days

    def contact_rag(self, today: dt.date) -> str:
        """Red/amber/green by days since last contact (never contacted counts as red)."""
        return rag_after(self.days_since_contact(today))


def rag_after(days_since_contact: int | None) -> str:
    """Red/amber/green for that many days since the last contact (None: never contacted,
    red): Person.contact_rag's rule, for lists that read the dates without the people."""
    brand = agency_settings()
    if days_since_contact is None or days_since_contact >= brand.red_days:
        return "red"
    if days_since_contact >= brand.amber_days:
        return "amber"
    return "green"


class Role(models.Model):
    """A role a person holds over time: a candidate can later become a client contact."""

    class Kind(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        PLACED = "placed", "Placed candidate"
        CLIENT_CONTACT = "client_contact", "Client contact"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="roles")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="roles"
    )
    title = models.CharField(max_length=200, blank=True)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-started_on"]
        indexes = [
            models.Index(fields=["kind", "company"]),
            # Whether a person's role of a kind is current, asked of each person a role tab
            # walks (care.queries.visible_people_names): answered from the index alone,
            # without reading the person's roles (a third fewer buffers at agency size).
            models.Index(
                fields=["person", "kind"],
                condition=models.Q(ended_on__isnull=True),
                name="role_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} since {self.started_on:%d %b %Y}"

    @property
    def is_current(self) -> bool:
        return self.ended_on is None


class Note(models.Model):
    """A free note on a person's timeline."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="timeline_notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.text[:60]


class Consent(models.Model):
    """A person's lawful basis to receive marketing for one purpose, with its evidence.

    One row per time a basis was given; the current one has no `withdrawn_at` (at most
    one per person and purpose). Giving a basis again closes the old row and opens a new
    one, so the record of who agreed to what wording, when and how, is never rewritten.
    Preferences (frequency, topics, pause) change on the current row.
    """

    class Purpose(models.TextChoices):
        NEWSLETTER = "newsletter", "Newsletter"

    class Basis(models.TextChoices):
        CONSENT = "consent", "Consent"
        # PECR reg. 22(3): an individual's details gathered in a sale or negotiation.
        SOFT_OPT_IN = "soft_opt_in", "Soft opt-in (placed or negotiated with)"
        # Corporate subscribers need no consent, only identification and an opt-out.
        LEGITIMATE_INTEREST = "legitimate_interest", "Legitimate interest (corporate address)"

    class SubscriberType(models.TextChoices):
        INDIVIDUAL = "individual", "Individual (personal address, sole trader, partnership)"
        CORPORATE = "corporate", "Corporate address"

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"

    class Topic(models.TextChoices):
        COURSES = "courses", "Training and certification courses"
        SUCCESS_STORIES = "success_stories", "Success stories"
        TRENDS = "trends", "Employment trends"
        FORECASTS = "forecasts", "Job forecasts"
        CV_TIPS = "cv_tips", "CV tips"
        JOB_TIPS = "job_tips", "Job-hunting tips"
        OPEN_ROLES = "open_roles", "Open roles"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.NEWSLETTER)
    basis = models.CharField(max_length=20, choices=Basis.choices)
    subscriber_type = models.CharField(
        max_length=12, choices=SubscriberType.choices, default=SubscriberType.INDIVIDUAL
    )
    frequency = models.CharField(
        max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    # Empty means every topic.
    topics = models.JSONField(default=list, blank=True)
    paused_until = models.DateField(null=True, blank=True)
    # Evidence: when, how (form, phone call, placement), the exact wording and its version.
    given_at = models.DateTimeField()
    method = models.CharField(max_length=200)
    wording = models.TextField(blank=True)
    wording_version = models.CharField(max_length=50, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_how = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-given_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "purpose"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="consent_one_current",
            )
        ]
        indexes = [
            models.Index(
                fields=["purpose", "basis", "person"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="consent_current",
            )
        ]

    def __str__(self) -> str:
        state = "withdrawn" if self.withdrawn_at else "current"
        return f"{self.person} {self.purpose}: {self.get_basis_display()} ({state})"

    @property
    def is_current(self) -> bool:
        return self.withdrawn_at is None

    def is_paused(self, today: dt.date) -> bool:
        return self.paused_until is not None and today < self.paused_until

    def topic_labels(self) -> list[str]:
        labels = dict(self.Topic.choices)
        return [str(labels[t]) for t in self.topics if t in labels]
