from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse

from keepwarm.lib.dates import add_months, add_working_days, working_days_between
from keepwarm.people.models import Company, GuaranteeUnit, Person, Remedy


def shows_money(user: Any, *, owner_id: int | None) -> bool:
    """The agency's one rule for money (a placement's salary, fee and rebates, a vacancy's
    salary range): its owner, managers and admins see it; a colleague covering sees the
    person and the calls, not the money; work nobody owns shows it to managers and admins."""
    if getattr(user, "sees_whole_team", False):
        return True
    return owner_id is not None and owner_id == user.pk


@dataclass(frozen=True)
class RebateTier:
    """What the agency would refund if the person left today, and until when."""

    percent: int
    amount: Decimal
    until: dt.date  # the last day this tier applies
    next_percent: int  # the tier after it (0 once the guarantee is over)


class Placement(models.Model):
    class Status(models.TextChoices):
        OFFER_ACCEPTED = "offer_accepted", "Offer accepted"
        STARTED = "started", "Started"
        IN_GUARANTEE = "in_guarantee", "In guarantee"
        SETTLED = "settled", "Settled"
        FELL_OFF = "fell_off", "Fell off"
        LEFT = "left", "Left early"

    class LeaveReason(models.TextChoices):
        COUNTER_OFFER = "counter_offer", "Counter-offer"
        ROLE_NOT_AS_DESCRIBED = "role_not_as_described", "Role not as described"
        MANAGER = "manager", "Manager"
        PAY = "pay", "Pay"
        RELOCATION = "relocation", "Relocation"
        PERFORMANCE = "performance", "Performance"
        PERSONAL = "personal", "Personal"
        OTHER = "other", "Other"

    class Kind(models.TextChoices):
        PERMANENT = "permanent", "Permanent"
        CONTRACT = "contract", "Contract"

    ENDED = (Status.FELL_OFF, Status.LEFT)
    ACTIVE = (Status.OFFER_ACCEPTED, Status.STARTED, Status.IN_GUARANTEE)

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="placements")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="placements")
    hiring_manager = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_placements",
    )
    # No index of its own: (owner, status) below serves lookups by owner.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="placements",
        db_index=False,
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERMANENT)
    role_title = models.CharField(max_length=200)
    start_date = models.DateField(db_index=True)
    end_date = models.DateField(null=True, blank=True, help_text="Contracts only.")
    salary = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    fee = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="GBP")

    # The agreed terms, structured where the client questionnaire asks about them.
    responsibilities = models.TextField(blank=True)
    hours_per_week = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    probation_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    benefits = models.TextField(blank=True)
    terms_notes = models.TextField(blank=True)

    # Copied from the company's terms of business when the placement is made.
    guarantee_length = models.PositiveIntegerField(default=90)
    guarantee_unit = models.CharField(
        max_length=10, choices=GuaranteeUnit.choices, default=GuaranteeUnit.CALENDAR
    )
    guarantee_remedy = models.CharField(
        max_length=12, choices=Remedy.choices, default=Remedy.REFUND
    )
    rebate_scale = models.JSONField(default=list, blank=True)

    care_plan = models.ForeignKey(
        "care.CarePlan", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.OFFER_ACCEPTED, db_index=True
    )
    left_on = models.DateField(null=True, blank=True)
    leave_reason = models.CharField(max_length=30, choices=LeaveReason.choices, blank=True)
    leave_notes = models.TextField(blank=True)
    rebate_owed = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # A free-replacement guarantee that failed: the agency owes the client another hire by
    # this date, at no fee, and links the placement that made it good.
    replacement_due_by = models.DateField(null=True, blank=True)
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces"
    )
    # The placed person agreed to be named in the newsletter's success stories.
    featured_consent = models.BooleanField(default=False)
    featured_consent_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped by every edit form save, so a stale form cannot overwrite a newer edit.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-start_date"]
        indexes = [
            models.Index(fields=["owner", "status"]),
            # Who a consultant may see (care.queries.visible_person_ids) reads these alone.
            models.Index(fields=["owner", "person"], name="placement_owner_person"),
            models.Index(
                fields=["owner", "hiring_manager"],
                name="placement_owner_manager",
                condition=models.Q(hiring_manager__isnull=False),
            ),
        ]

    def shows_money_to(self, user: Any) -> bool:
        """Salary, fee and rebates: see `shows_money`."""
        return shows_money(user, owner_id=self.owner_id)

    def may_change_owner(self, user: Any) -> bool:
        """Handing the placement to someone else: its owner, managers and admins, the
        same people who see its money; a colleague covering looks after it, no more."""
        return shows_money(user, owner_id=self.owner_id)

    def __str__(self) -> str:
        return f"{self.person} — {self.role_title} at {self.company}"

    def get_absolute_url(self) -> str:
        return reverse("placement", args=[self.pk])

    @property
    def guarantee_ends_on(self) -> dt.date:
        if self.guarantee_unit == GuaranteeUnit.WORKING:
            return add_working_days(self.start_date, self.guarantee_length)
        return self.start_date + dt.timedelta(days=self.guarantee_length)

    def guarantee_day(self, today: dt.date) -> int:
        """Which day of the guarantee `today` is (1-based), in the guarantee's own unit."""
        if today < self.start_date:
            return 0
        if self.guarantee_unit == GuaranteeUnit.WORKING:
            return working_days_between(self.start_date, today) + 1
        return (today - self.start_date).days + 1

    def in_guarantee_on(self, today: dt.date) -> bool:
        return self.start_date <= today <= self.guarantee_ends_on

    def off_limits_until(self, months: int | None = None) -> dt.date | None:
        """The last day the placed person is off-limits to other roles: through the
        guarantee and at least `months` (KEEPWARM_OFF_LIMITS_MONTHS) in post. None once the
        placement has ended: someone who left may be offered anything."""
        if self.status in self.ENDED or self.left_on is not None:
            return None
        months = settings.KEEPWARM_OFF_LIMITS_MONTHS if months is None else months
        first_months = add_months(self.start_date, months) - dt.timedelta(days=1)
        return max(self.guarantee_ends_on, first_months)

    def status_on(self, day: dt.date) -> str:
        """Where an active placement stands on `day`, from its dates alone."""
        if self.start_date > day:
            return self.Status.OFFER_ACCEPTED
        if not self.guarantee_length:
            return self.Status.STARTED
        if day <= self.guarantee_ends_on:
            return self.Status.IN_GUARANTEE
        return self.Status.SETTLED

    def days_in_post(self, on: dt.date) -> int:
        """Calendar days from start to `on`; rebate scales count calendar days."""
        return max(0, (on - self.start_date).days)

    def rebate_for(self, left_on: dt.date) -> Decimal:
        """The rebate owed if the candidate leaves on `left_on`, from the scale.

        Scale rows are {"up_to_day": N, "percent": P}: leaving on or before day N of
        the guarantee refunds P% of the fee. Outside the guarantee, or on a
        free-replacement guarantee, nothing is owed in money.
        """
        if self.fee is None or self.guarantee_remedy != Remedy.REFUND:
            return Decimal("0.00")
        if left_on > self.guarantee_ends_on:
            return Decimal("0.00")
        day = self.guarantee_day(left_on)
        for row in sorted(self.rebate_scale or [], key=lambda r: int(r["up_to_day"])):
            if day <= int(row["up_to_day"]):
                amount = self.fee * Decimal(int(row["percent"])) / Decimal(100)
                return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return Decimal("0.00")

    @property
    def replacement_owed(self) -> bool:
        """A free replacement is still owed (not yet linked to the placement that made it)."""
        return self.replacement_due_by is not None and self.replaced_by_id is None

    def guarantee_date_of_day(self, day: int) -> dt.date:
        """The date that is day `day` (1-based) of the guarantee, in its own unit."""
        if self.guarantee_unit == GuaranteeUnit.WORKING:
            return add_working_days(self.start_date, day - 1) if day > 1 else self.start_date
        return self.start_date + dt.timedelta(days=day - 1)

    def rebate_tier(self, today: dt.date) -> RebateTier | None:
        """The rebate scale's tier on `today` with the money at stake: None outside the
        guarantee, without a fee, or on a free-replacement guarantee (nothing is refunded)."""
        if self.fee is None or self.guarantee_remedy != Remedy.REFUND:
            return None
        if not self.in_guarantee_on(today):
            return None
        day = self.guarantee_day(today)
        rows = sorted(self.rebate_scale or [], key=lambda r: int(r["up_to_day"]))
        for index, row in enumerate(rows):
            if day <= int(row["up_to_day"]):
                following = rows[index + 1] if index + 1 < len(rows) else None
                until = min(
                    self.guarantee_date_of_day(int(row["up_to_day"])), self.guarantee_ends_on
                )
                return RebateTier(
                    percent=int(row["percent"]),
                    amount=self.rebate_for(today),
                    until=until,
                    next_percent=int(following["percent"]) if following else 0,
                )
        return None


class Target(models.Model):
    """An agreed target for the placed person, e.g. new business 40,000 GBP a quarter."""

    # The most one placement has, on the form and through the API alike.
    MAX_PER_PLACEMENT = 50

    class Period(models.TextChoices):
        WEEK = "week", "a week"
        MONTH = "month", "a month"
        QUARTER = "quarter", "a quarter"
        YEAR = "year", "a year"

    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="targets")
    name = models.CharField(max_length=200)
    target_value = models.DecimalField(max_digits=14, decimal_places=2)
    unit = models.CharField(max_length=40, help_text="GBP, tickets, calls, deals…")
    period = models.CharField(max_length=10, choices=Period.choices, default=Period.MONTH)

    def __str__(self) -> str:
        amount = f"{self.target_value.normalize():f}"
        return f"{self.name}: {amount} {self.unit} {self.get_period_display()}"
