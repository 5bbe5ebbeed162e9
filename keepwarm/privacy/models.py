"""Data-protection duties the agency must be able to show it meets."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
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
