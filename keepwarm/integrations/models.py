from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class CalendarFeed(models.Model):
    """A consultant's private calendar feed. Only the SHA-256 of its secret URL is kept;
    the URL is shown once, and making a new one (or revoking) stops the old at once."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    # Calls due on a day are laid out from this local time, one slot each.
    day_starts_at = models.TimeField(default="09:00")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def new_secret() -> str:
        return "cal_" + secrets.token_urlsafe(32)


class Webhook(models.Model):
    """An admin's subscription: POST these events to this URL, signed with the secret
    (Standard Webhooks, integrations/signing.py)."""

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # Kept as it is (whsec_…): the receiver needs the same secret to check the signature.
    secret = models.CharField(max_length=200)
    # After a rotation the old secret signs too, until the receiver has switched.
    previous_secret = models.CharField(max_length=200, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    events = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["url", "id"]

    def __str__(self) -> str:
        return self.url

    def signing_secrets(self, now: dt.datetime) -> list[str]:
        """The secrets a request sent at `now` is signed with: the current one, and the
        one it replaced while the rotation's overlap lasts."""
        until = self.previous_secret_until
        if self.previous_secret and until is not None and now < until:
            return [self.secret, self.previous_secret]
        return [self.secret]


class WebhookDelivery(models.Model):
    """One event for one webhook: the worker's queue of record and the history admins read.

    `event_id` is the same for every delivery (and redelivery) of one event, so a
    receiver can tell a repeat from a new event.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to send"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=50)
    event_id = models.UUIDField(default=uuid.uuid4)
    payload = models.JSONField(default=dict)
    # When the event happened: the same on every delivery and redelivery of it.
    occurred_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    send_after = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    # The last attempt's answer: what the admin page shows.
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    redelivery_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["send_after", "id"],
                name="webhook_delivery_pending",
                condition=Q(state="pending"),
            ),
            models.Index(fields=["state", "claimed_at"], name="webhook_delivery_claimed"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook}"


class WebhookAttempt(models.Model):
    """Each try at sending a delivery, with what the receiver answered and how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField()
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.status_code or self.error[:40]} at {self.attempted_at:%Y-%m-%d %H:%M}"
