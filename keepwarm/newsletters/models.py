from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse

from keepwarm.agency.models import agency_settings
from keepwarm.lib.dates import add_months
from keepwarm.lib.stamps import Stamped
from keepwarm.mail.services.consent import lawful
from keepwarm.newsletters.chart import Chart
from keepwarm.people.models import Consent, Person, Role
from keepwarm.placements.models import Placement

if TYPE_CHECKING:
    from keepwarm.accounts.models import User


class Kind(models.TextChoices):
    """What a block is about."""

    TRAINING_COURSES = "training_courses", "Training and certification courses"
    SUCCESS_STORIES = "success_stories", "Success stories"
    EMPLOYMENT_TRENDS = "employment_trends", "Employment breakdowns and trends"
    JOB_FORECASTS = "job_forecasts", "Job forecasts"
    CV_TIPS = "cv_tips", "CV tips"
    JOB_HUNTING_TIPS = "job_hunting_tips", "Job-hunting tips"
    OPEN_ROLES = "open_roles", "Open roles"


# Kinds whose numbers Keepwarm writes from the agency's own data.
GENERATED = (Kind.EMPLOYMENT_TRENDS, Kind.JOB_FORECASTS, Kind.SUCCESS_STORIES)


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


class Audience(Stamped):
    """A saved segment. Members are worked out when needed, never stored."""

    class Who(models.TextChoices):
        CANDIDATE = Role.Kind.CANDIDATE.value, "Candidates"
        PLACED = Role.Kind.PLACED.value, "Placed candidates"
        CLIENT_CONTACT = Role.Kind.CLIENT_CONTACT.value, "Client contacts"

    name = models.CharField(max_length=200)
    roles = models.JSONField(default=list, blank=True, help_text="Empty: everyone.")
    sectors = models.JSONField(default=list, blank=True)
    locations = models.JSONField(default=list, blank=True)
    placed_min_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Placed at least this many months ago."
    )
    placed_max_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Placed at most this many months ago."
    )
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    topics = models.JSONField(
        default=list, blank=True, help_text="People who chose none of these topics are left out."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(Stamped.Meta):
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def segment(self, today: dt.date) -> QuerySet[Person]:
        """People matching the filters, before the lawful-basis check."""
        people = Person.objects.exclude(email="")
        if self.roles:
            people = people.filter(
                Exists(
                    Role.objects.filter(
                        person=OuterRef("pk"), kind__in=self.roles, ended_on__isnull=True
                    )
                )
            )
        if self.sectors:
            # A client contact's sector is their company's.
            people = people.filter(
                Q(sector__in=self.sectors)
                | Exists(
                    Role.objects.filter(
                        person=OuterRef("pk"),
                        ended_on__isnull=True,
                        company__sector__in=self.sectors,
                    )
                )
            )
        if self.locations:
            people = people.filter(location__in=self.locations)
        if self.consultant_id:
            people = people.filter(owner_id=self.consultant_id)
        if self.placed_min_months is not None or self.placed_max_months is not None:
            placements = Placement.objects.filter(person=OuterRef("pk")).exclude(
                status__in=Placement.ENDED
            )
            if self.placed_min_months is not None:
                placements = placements.filter(
                    start_date__lte=add_months(today, -self.placed_min_months)
                )
            if self.placed_max_months is not None:
                placements = placements.filter(
                    start_date__gte=add_months(today, -self.placed_max_months)
                )
            people = people.filter(Exists(placements))
        return people

    def members(self, today: dt.date, *, frequency: str = "") -> QuerySet[Person]:
        """Who would receive a newsletter today: the segment, with a lawful basis only."""
        return lawful(self.segment(today), topics=self.topics, today=today, frequency=frequency)

    def describe(self) -> str:
        parts = []
        if self.roles:
            labels = dict(self.Who.choices)
            parts.append(", ".join(str(labels.get(r, r)) for r in self.roles))
        else:
            parts.append("Everyone")
        if self.sectors:
            parts.append("in " + ", ".join(self.sectors))
        if self.locations:
            parts.append("around " + ", ".join(self.locations))
        if self.placed_min_months is not None or self.placed_max_months is not None:
            low = self.placed_min_months or 0
            high = self.placed_max_months
            parts.append(
                f"placed {low}–{high} months ago"
                if high is not None
                else f"placed {low}+ months ago"
            )
        if self.consultant_id and self.consultant:
            parts.append(f"owned by {self.consultant.display_name}")
        if self.topics:
            labels = dict(Consent.Topic.choices)
            parts.append("interested in " + ", ".join(str(labels.get(t, t)) for t in self.topics))
        return " · ".join(parts)


class Newsletter(models.Model):
    name = models.CharField(max_length=200)
    frequency = models.CharField(
        max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    send_weekday = models.PositiveSmallIntegerField(
        default=1, help_text="Weekly: 0 = Monday … 6 = Sunday."
    )
    send_day = models.PositiveSmallIntegerField(
        default=1, help_text="Monthly: day of the month, 1–28."
    )
    send_time = models.TimeField(
        default=dt.time(9, 0), help_text="Local time in the agency's time zone."
    )
    audience = models.ForeignKey(Audience, on_delete=models.PROTECT, related_name="newsletters")
    from_name = models.CharField(max_length=100)
    postal_address = models.TextField(
        blank=True, help_text="Shown in every footer. Empty: the agency's address setting."
    )
    active = models.BooleanField(default=True)
    track_engagement = models.BooleanField(
        "Track opens and clicks",
        default=False,
        help_text=(
            "Adds an invisible image and sends links through Keepwarm to count who opens and "
            "clicks. Under UK PECR (regulation 6) tracking pixels and tracked links need the "
            "recipients' consent, so turn this on only for an audience that gave it. Apple "
            "Mail and some security scanners open or click automatically: the figures are "
            "indicative."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("newsletter", args=[self.pk])

    @property
    def address(self) -> str:
        return self.postal_address.strip() or agency_settings().postal_address

    def schedule_text(self) -> str:
        at = f"{self.send_time:%H:%M}"
        if self.frequency == Frequency.WEEKLY:
            day = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][
                self.send_weekday % 7
            ]
            return f"Weekly on {day}s at {at}"
        return f"Monthly on day {self.send_day} at {at}"


class Issue(Stamped):
    """One edition. Each copy is an outbox row keyed newsletter:<issue>:<person>."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        PAUSED = "paused", "Paused"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"
        # The worker could not prepare or queue it; `failure` says why. Edit and reschedule.
        FAILED = "failed", "Failed"

    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE, related_name="issues")
    subject = models.CharField(max_length=200)
    preheader = models.CharField(
        max_length=200, blank=True, help_text="The line inboxes show after the subject."
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    # Expansion to outbox rows walks members by id; the cursor makes it resumable.
    expanded_through = models.BigIntegerField(default=0)
    expanded_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0, help_text="Copies queued so far.")
    # Why the worker's last attempt at it failed, in words; failed_attempts counts them in a
    # row (a success resets it), and the issue is failed after too many or a content error.
    failure = models.TextField(blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    # The whole issue rendered and inlined once, with placeholders for each recipient.
    html_template = models.TextField(blank=True)
    text_template = models.TextField(blank=True)
    # Whether html_template carries the open pixel and tracked links (the newsletter tracked
    # when the issue was rendered), and the original URLs those links lead to, by index:
    # a click redirects only to one of these.
    tracked = models.BooleanField(default=False)
    links = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Moves on with every save of the editor and every added, moved or removed block, so an
    # editor open meanwhile is told instead of overwriting (keepwarm.audit.concurrency).
    version = models.PositiveIntegerField(default=0)

    class Meta(Stamped.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "scheduled_for"], name="issue_due")]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("newsletter_issue", args=[self.pk])

    @property
    def key_prefix(self) -> str:
        return f"newsletter:{self.pk}:"

    @property
    def editable(self) -> bool:
        return self.state in (self.State.DRAFT, self.State.SCHEDULED, self.State.FAILED)

    def locked_for(self, user: User) -> str:
        """Why `user` may not change the issue now, in words; "" when they may.

        A scheduled issue is what a manager approved for the whole audience, so from then
        on only managers and admins change it. A failed one is no longer going out (it
        needs a manager to schedule it again), so anyone may fix it."""
        if not self.editable:
            return "This issue is already going out; it can no longer be edited."
        if self.state == self.State.SCHEDULED and not user.sees_whole_team:
            return (
                "A manager has scheduled this issue, so only managers and admins can change "
                "it now. Ask one to move it back to draft."
            )
        return ""

    @property
    def untracked_because(self) -> str:
        """Why the issue has no open and click figures; "" when it has them."""
        if not self.newsletter.track_engagement:
            return "Not tracked (turned off for this newsletter)"
        if not self.tracked:
            return "Not tracked (this issue went out before tracking was turned on)"
        return ""

    def link(self, index: int) -> str | None:
        """The original URL of tracked link `index`: the only places a click redirects to."""
        links = self.links if isinstance(self.links, list) else []
        url = links[index] if 0 <= index < len(links) else None
        if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
            return url
        return None


class Engagement(models.Model):
    """Who opened an issue or clicked one of its links, when first and last, how often.

    Recorded only for newsletters that track (off by default). One row per person, issue,
    kind and link: a repeat open or click adds to `count`.
    """

    class Kind(models.TextChoices):
        OPEN = "open", "Opened"
        CLICK = "click", "Clicked"

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="engagements")
    person = models.ForeignKey(
        Person, null=True, on_delete=models.SET_NULL, related_name="newsletter_engagements"
    )
    kind = models.CharField(max_length=5, choices=Kind.choices)
    link = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Clicks: the link's index in the issue's links."
    )
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    count = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["issue", "first_at", "id"]
        constraints = [
            # Two partial constraints, because NULLs are distinct in a UNIQUE index on both
            # engines: opens (no link) would otherwise never collide.
            models.UniqueConstraint(
                fields=["issue", "person", "kind", "link"],
                condition=Q(link__isnull=False),
                name="engagement_click_once",
            ),
            models.UniqueConstraint(
                fields=["issue", "person", "kind"],
                condition=Q(link__isnull=True),
                name="engagement_open_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.issue}"


class Block(models.Model):
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="blocks")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, help_text="Markdown.")
    order = models.PositiveSmallIntegerField(default=0)
    # Generated blocks keep their numbers (and chart) here; the body is the editable text.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def chart(self) -> Chart | None:
        return Chart.from_data(self.data.get("chart")) if isinstance(self.data, dict) else None


class LibraryBlock(models.Model):
    """Reusable text: courses and tips get used again and again."""

    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown.")
    # Empty for items saved before authors were kept (and the demo's): managers remove those.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "title"]

    def __str__(self) -> str:
        return self.title

    def locked_for(self, user: User) -> str:
        """Why `user` may not remove this item, in words; "" when they may.

        The library serves every consultant's issues, so an item is taken away only by
        whoever saved it, or by a manager or admin (as for a scheduled issue)."""
        if user.sees_whole_team or (
            self.created_by_id is not None and self.created_by_id == user.pk
        ):
            return ""
        return (
            f"“{self.title}” is shared with the whole team: only whoever saved it, or a "
            "manager or admin, can remove it from the library."
        )


class PublicStatistic(models.Model):
    """A figure from public statistics (e.g. vacancies by sector), imported as CSV."""

    period = models.CharField(max_length=7, help_text="A quarter, e.g. 2025-Q3.")
    sector = models.CharField(max_length=100)
    value = models.FloatField()
    source = models.CharField(max_length=200, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sector", "period"]
        constraints = [
            models.UniqueConstraint(fields=["period", "sector"], name="public_stat_period_sector")
        ]

    def __str__(self) -> str:
        return f"{self.sector} {self.period}: {self.value}"
