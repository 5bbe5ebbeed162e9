"""The long game: referrals, leads, intelligence, vacancies and readiness to move.

Everything here points back at people and companies the agency already holds, so a
referral, a lead or a statement shows on the records it concerns.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from keepwarm.lib.stamps import Stamped
from keepwarm.people.models import Company, Person
from keepwarm.placements.models import shows_money


class Vacancy(Stamped):
    """An open role at a client, to be matched against the people the agency knows."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        FILLED = "filled", "Filled"
        CLOSED = "closed", "Closed"

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="vacancies")
    title = models.CharField(max_length=200)
    # Free text, one skill per line or separated by commas; matching splits it.
    skills = models.TextField(blank=True)
    sector = models.CharField(max_length=100, blank=True)
    location = models.CharField(max_length=100, blank=True)
    salary_min = models.PositiveIntegerField(null=True, blank=True)
    salary_max = models.PositiveIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="vacancies",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(Stamped.Meta):
        ordering = ["-created_at"]
        verbose_name_plural = "vacancies"
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.title} at {self.company}"

    def get_absolute_url(self) -> str:
        return reverse("vacancy", args=[self.pk])

    def shows_money_to(self, user: Any) -> bool:
        """The salary range: the same rule as a placement's money."""
        return shows_money(user, owner_id=self.owner_id)

    def may_change_owner(self, user: Any) -> bool:
        """Handing the vacancy to someone else: its consultant, managers and admins, the
        same people who see its money (an unowned one is a manager's to give out)."""
        return shows_money(user, owner_id=self.owner_id)


class RewardRule(models.Model):
    """What the agency pays for a referral, and when it becomes due."""

    class Kind(models.TextChoices):
        CANDIDATE = "candidate", "Candidate referral"
        CLIENT = "client", "Client referral"

    class DueWhen(models.TextChoices):
        AFTER_GUARANTEE = "after_guarantee", "After the placement's guarantee ends"
        AFTER_DAYS = "after_days", "A number of days after the placement starts"
        ON_WIN = "on_win", "When the placement or client is won"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="GBP")
    due_when = models.CharField(max_length=20, choices=DueWhen.choices)
    days = models.PositiveIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class Referral(Stamped):
    """Someone the agency knows pointing it at a candidate or a client."""

    class Kind(models.TextChoices):
        CANDIDATE = "candidate", "A candidate"
        CLIENT = "client", "A client"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        CONTACTED = "contacted", "Contacted"
        PLACED = "placed", "Placed"
        WON = "won", "Won"
        REWARD_DUE = "reward_due", "Reward due"
        PAID = "paid", "Paid"
        NOT_ELIGIBLE = "not_eligible", "Not eligible"

    referrer = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="referrals_made")
    # Empty until de-duplication links the named person (or a consultant resolves a doubt).
    referred = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals_received",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    # As the referrer gave them, kept for the record and for resolving duplicates.
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    company_name = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    rule = models.ForeignKey(RewardRule, null=True, blank=True, on_delete=models.PROTECT)
    placement = models.ForeignKey(
        "placements.Placement",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
    )
    # People who may be the one named, when de-duplication could not tell; a consultant
    # picks one (or says it is someone new) on the referral's page.
    candidates = models.ManyToManyField(Person, blank=True, related_name="+")
    reward_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    reward_due_on = models.DateField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
    )
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta(Stamped.Meta):
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["status", "reward_due_on"])]

    def __str__(self) -> str:
        return f"{self.referrer} referred {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("referral", args=[self.pk])

    def next_statuses(self) -> list[str]:
        """Where this referral can go now (a candidate is placed, a client is won)."""
        won = (
            Referral.Status.PLACED if self.kind == Referral.Kind.CANDIDATE else Referral.Status.WON
        )
        return [s for s in NEXT_STATUSES[self.status] if s not in WON_STATUSES or s == won]

    def reward_date(self, *, today: dt.date) -> dt.date | None:
        """When the reward falls due under its rule (None: no rule, no reward)."""
        rule, placement = self.rule, self.placement
        if rule is None:
            return None
        if rule.due_when == RewardRule.DueWhen.AFTER_GUARANTEE:
            if placement is None:
                raise ValidationError(
                    f"The rule “{rule.name}” pays after the guarantee: choose the placement."
                )
            return placement.guarantee_ends_on + dt.timedelta(days=1)
        if rule.due_when == RewardRule.DueWhen.AFTER_DAYS:
            start = placement.start_date if placement else today
            return start + dt.timedelta(days=rule.days or 0)
        return today

    def reward_is_due(self, *, today: dt.date) -> bool:
        """Placed or won, its reward date come, and the placement did not fall through
        before then."""
        if self.status == Referral.Status.REWARD_DUE:
            return True
        if self.status not in WON_STATUSES or self.reward_due_on is None:
            return False
        if self.reward_due_on > today:
            return False
        placement = self.placement
        return not (
            placement is not None
            and placement.status in FALLEN_THROUGH
            and (placement.left_on is None or placement.left_on < self.reward_due_on)
        )


# The referral's life: received → contacted → placed/won → reward due → paid.
_S = Referral.Status
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    _S.RECEIVED: (_S.CONTACTED, _S.PLACED, _S.WON, _S.NOT_ELIGIBLE),
    _S.CONTACTED: (_S.PLACED, _S.WON, _S.NOT_ELIGIBLE),
    _S.PLACED: (_S.REWARD_DUE, _S.PAID, _S.NOT_ELIGIBLE),
    _S.WON: (_S.REWARD_DUE, _S.PAID, _S.NOT_ELIGIBLE),
    _S.REWARD_DUE: (_S.PAID, _S.NOT_ELIGIBLE),
    _S.PAID: (),
    _S.NOT_ELIGIBLE: (),
}
WON_STATUSES = (_S.PLACED, _S.WON)
# A placement that ended like this before the reward fell due earns no reward.
FALLEN_THROUGH = ("fell_off", "left")


class Lead(Stamped):
    """A hint of business passed on by someone the agency placed or knows."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        CONVERTED = "converted", "Converted"
        DISCARDED = "discarded", "Discarded"

    source = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="leads_given")
    company_name = models.CharField(max_length=200)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    role_hint = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    # Filled in when the lead is converted; they remember where the business came from.
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    contact = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads_about"
    )
    vacancy = models.OneToOneField(
        Vacancy, null=True, blank=True, on_delete=models.SET_NULL, related_name="lead"
    )
    # As for referrals: people the contact may be, when de-duplication could not tell.
    contact_candidates = models.ManyToManyField(Person, blank=True, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta(Stamped.Meta):
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"Lead: {self.company_name}"

    def get_absolute_url(self) -> str:
        return reverse("lead", args=[self.pk])


class IntelNote(Stamped):
    """What the agency learns about a client or a sector, with where it came from."""

    class Kind(models.TextChoices):
        INDUSTRY_NEWS = "industry_news", "Industry news"
        CLIENT_PLANS = "client_plans", "A client's plans"
        COMPETITOR = "competitor", "A competitor's moves"
        OTHER = "other", "Other"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.CASCADE, related_name="intel_notes"
    )
    sector = models.CharField(max_length=100, blank=True)
    body = models.TextField()
    # Who or where it came from, in words ("Dev at the CIPD dinner"), and the person if known.
    source = models.CharField(max_length=200, blank=True)
    source_person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="intel_given"
    )
    noted_on = models.DateField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="intel_notes",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(Stamped.Meta):
        ordering = ["-noted_on", "-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.body[:40]}"


class StatusStatement(models.Model):
    """A person saying how things are: on their personal page, in a check-in or on a call."""

    class Status(models.TextChoices):
        HAPPY = "happy", "Happy where I am"
        OPEN = "open", "Open to hearing about roles"
        ACTIVELY_LOOKING = "actively_looking", "Actively looking"

    class Source(models.TextChoices):
        PERSONAL_PAGE = "personal_page", "Personal page"
        CHECK_IN = "check_in", "Check-in"
        CONSULTANT = "consultant", "Told a consultant"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="statements")
    status = models.CharField(max_length=20, choices=Status.choices)
    contract_end_on = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["person", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.person}: {self.get_status_display()}"


class Readiness(models.Model):
    """The latest readiness-to-move signal per person, with its reasons in words."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="readiness")
    score = models.FloatField()
    # [{"code": "anniversary", "text": "12 months in post on 3 March"}, ...]
    reasons = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["-score"])]
        verbose_name_plural = "readiness"

    def __str__(self) -> str:
        return f"{self.person}: {self.score:.2f}"
