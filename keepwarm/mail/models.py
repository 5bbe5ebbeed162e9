from __future__ import annotations

from django.db import models
from django.db.models import Q

from keepwarm.people.models import Person


class OutboxMessage(models.Model):
    """Every email Keepwarm sends: the queue of record and the person's mail history.

    `key` is UNIQUE per (what, whom, when), e.g. "touchpoint:42", so enqueuing twice
    is a no-op. A worker owns a row only after a conditional UPDATE from pending
    to sending succeeds; a row found still "sending" after a crash becomes
    "unknown" and waits for a person to reconcile it, because it may have gone out.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to send"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        CAPTURED = "captured", "Captured (not sent)"
        FAILED = "failed", "Failed"
        UNKNOWN = "unknown", "Unknown — check"
        CANCELLED = "cancelled", "Cancelled"

    key = models.CharField(max_length=200, unique=True)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    touchpoint = models.ForeignKey(
        "care.Touchpoint", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    to_email = models.EmailField()
    from_email = models.CharField(max_length=254)
    reply_to = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    send_after = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["send_after"], name="outbox_pending", condition=Q(state="pending")
            ),
            models.Index(fields=["state", "claimed_at"], name="outbox_state_claimed"),
            models.Index(fields=["person", "created_at"], name="outbox_person"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_email} ({self.state})"
