"""Data-protection duties the agency must be able to show it meets."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse

from keepwarm.lib.dates import add_months
from keepwarm.people.models import Person


def one_month_after(received: dt.date) -> dt.date:
    """UK GDPR's deadline: the same day next month, or the month's last day if it has none."""
    return add_months(received, 1)


class AccessRequest(models.Model):
    """A subject access request: someone asking for everything the agency holds on them."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone"
        LETTER = "letter", "Letter"
        IN_PERSON = "in_person", "In person"
        OTHER = "other", "Other"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="access_requests")
    received_on = models.DateField()
    due_on = models.DateField()
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.EMAIL)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    answered_on = models.DateField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["answered_on", "due_on"]
        indexes = [models.Index(fields=["answered_on", "due_on"])]

    def __str__(self) -> str:
        return f"Access request from {self.person} received {self.received_on:%d %b %Y}"

    def get_absolute_url(self) -> str:
        return reverse("access_request", args=[self.pk])

    def days_left(self, today: dt.date) -> int:
        return (self.due_on - today).days


class RetentionRule(models.Model):
    """How long the agency keeps a kind of record after the last contact, and what then."""

    class Category(models.TextChoices):
        UNPLACED = "unplaced", "Candidates never placed"
        EVERYONE = "everyone", "Anyone (placed people and client contacts included)"

    class Action(models.TextChoices):
        FLAG = "flag", "Flag for review"
        ANONYMISE = "anonymise", "Anonymise"

    category = models.CharField(max_length=20, choices=Category.choices)
    years = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    action = models.CharField(max_length=20, choices=Action.choices, default=Action.FLAG)
    # Ask the person whether to keep their details this many days before the period ends.
    reask_days = models.PositiveSmallIntegerField(default=30)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "years"]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.years} years without contact"


class RetentionEvent(models.Model):
    """What a retention rule did to whom: the log the issue asks for, and open reviews."""

    class Kind(models.TextChoices):
        FLAGGED = "flagged", "Flagged for review"
        ANONYMISED = "anonymised", "Anonymised"
        ASKED = "asked", "Asked whether to keep their details"
        KEPT = "kept", "Kept for another period"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="retention_events")
    rule = models.ForeignKey(RetentionRule, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A flag stays open until someone keeps or erases the record.
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["kind", "resolved_at"])]

    def __str__(self) -> str:
        return f"{self.person}: {self.get_kind_display()}"
