from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any

from django.db import models
from django.db.models import Q

from keepwarm.care.models import Touchpoint
from keepwarm.lib.stamps import Stamped
from keepwarm.mail.fill import Filler
from keepwarm.people.models import Person
from keepwarm.placements.models import Placement


class OutboxTemplate(models.Model):
    """A body many outbox rows share, stored once: a newsletter issue's text and HTML with
    a placeholder (keepwarm.mail.fill) for each of `fields`, which each copy fills from its
    own `fills`. Stored in every copy it was ~13 KB a row for the database to write when
    queued and to rewrite when claimed and sent. Never changed once written; `key` names
    it for whoever queues copies of the same body (a second worker finds it)."""

    key = models.CharField(max_length=200, unique=True)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    fields = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key

    @cached_property
    def _fillers(self) -> tuple[Filler, Filler]:
        return (
            Filler(self.body_text, names=self.fields, escape=False),
            Filler(self.body_html, names=self.fields, escape=True),
        )

    def text_for(self, values: Mapping[str, str]) -> str:
        return self._fillers[0].fill(values)

    def html_for(self, values: Mapping[str, str]) -> str:
        return self._fillers[1].fill(values)

    def filled(self, values: Mapping[str, str], *, line_limit: int) -> tuple[str, str, bool]:
        """Text and HTML for these values, and whether no line of either can pass
        `line_limit` bytes (see Filler.fill_within: known from the template's own lines)."""
        text, text_fits = self._fillers[0].fill_within(values, line_limit)
        html, html_fits = self._fillers[1].fill_within(values, line_limit)
        return text, html, text_fits and html_fits


class OutboxMessage(models.Model):
    """Every email Keepwarm sends: the queue of record and the person's mail history.

    `key` is UNIQUE per (what, whom, when), e.g. "touchpoint:42", so enqueuing twice
    is a no-op. A worker owns a row only after a conditional UPDATE from pending
    to sending succeeds; a row found still "sending" after a crash becomes
    "unknown" and waits for a person to reconcile it, because it may have gone out.
    """

    class Purpose(models.TextChoices):
        # Check-ins, questionnaires, confirmations: continue after a newsletter unsubscribe.
        SERVICE = "service", "Service"
        MARKETING = "marketing", "Marketing"

    class Outcome(models.TextChoices):
        # What the receiving side told us after sending (webhooks, bounce messages).
        NONE = "", "No news"
        DELIVERED = "delivered", "Delivered"
        SOFT_BOUNCED = "soft_bounced", "Soft bounce"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Marked as spam"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"

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
        Touchpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    # The placement the message is about: always its touchpoint's (`about_placements`,
    # when it is saved or queued), so who may read it (those who see the placement) is a
    # column of the message and Sent mail needs no touchpoint for each of a consultant's
    # ~27,000 messages. None for a message about no placement (a keep-in-touch call's
    # email, a newsletter).
    # Not indexed on its own: placements are not deleted (an ended one stays on record),
    # and Sent mail reads it from the indexes below.
    placement = models.ForeignKey(
        Placement,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    to_email = models.EmailField()
    from_email = models.CharField(max_length=254)
    reply_to = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    # A copy of a shared body (a newsletter's): the body is the template's, filled with
    # this row's values, and body_text and body_html stay empty. Read them through `text`
    # and `html`, which work for every row.
    # Not indexed: a template is never deleted, and an index would be one more write a copy.
    template = models.ForeignKey(
        OutboxTemplate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    fills = models.JSONField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.SERVICE)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default="", blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_detail = models.CharField(max_length=300, blank=True)
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
            # The claim's order (send_after, id): with id in the index a claim reads
            # its rows and stops, instead of sorting every pending row of a newsletter
            # (which all share one send_after) for each batch.
            models.Index(
                fields=["send_after", "id"], name="outbox_pending", condition=Q(state="pending")
            ),
            models.Index(fields=["state", "claimed_at"], name="outbox_state_claimed"),
            # A person's mail, newest first; and a consultant's Sent mail, read from the
            # index alone (who it is to, what it is about, its state): their ~27,000
            # messages at agency size in a few milliseconds, where reading each row's
            # touchpoint took 70 ms on SQLite. The count stops at 1,001 of them.
            models.Index(
                fields=["person", "-created_at", "-id", "placement", "state"],
                name="outbox_person_newest",
            ),
            # Sent mail's order: a manager's page reads its 51 entries; on PostgreSQL a
            # consultant's page walks it and keeps the messages they may read, from the
            # index alone (~2,000 entries). SQLite, without statistics, reads the person
            # index above instead, which never walks an agency's outbox for a small book.
            models.Index(
                fields=["-created_at", "-id", "person", "placement", "state"],
                name="outbox_newest",
            ),
            # Bounce reports name the recipient (and maybe the Message-ID).
            models.Index(fields=["to_email", "created_at"], name="outbox_to_email"),
            models.Index(fields=["message_id"], name="outbox_message_id"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_email} ({self.state})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding:
            about_placements([self])
        super().save(*args, **kwargs)

    @property
    def text(self) -> str:
        """The plain-text body as sent."""
        if self.template_id is None:
            return self.body_text
        assert self.template is not None
        return self.template.text_for(self.fills or {})

    @property
    def html(self) -> str:
        """The HTML body as sent ("" for a text-only message)."""
        if self.template_id is None:
            return self.body_html
        assert self.template is not None
        return self.template.html_for(self.fills or {})


def about_placements(messages: Iterable[OutboxMessage]) -> None:
    """Give each new message its touchpoint's placement, whatever it was given: who may
    read a message follows it (Sent mail's rule), so it is never left to each caller. A
    touchpoint already at hand is read as it is; the others in one query."""
    unread: dict[int, list[OutboxMessage]] = {}
    for message in messages:
        if message.touchpoint_id is None:
            message.placement_id = None
        elif OutboxMessage.touchpoint.is_cached(message):
            assert message.touchpoint is not None
            message.placement_id = message.touchpoint.placement_id
        else:
            unread.setdefault(message.touchpoint_id, []).append(message)
    if not unread:
        return
    placements = Touchpoint.objects.filter(pk__in=unread).values_list("pk", "placement_id")
    for touchpoint_id, placement_id in placements:
        for message in unread[touchpoint_id]:
            message.placement_id = placement_id


def email_hash(email: str) -> str:
    """The address as stored in suppressions: lowercase, trimmed, SHA-256 hex."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


class Suppression(Stamped):
    """An address Keepwarm must not mail (marketing only, or anything at all).

    Keyed by a hash of the address, so an erased person's address can stay here
    without the address itself (`email` is then blank): they are never re-imported
    and mailed again. One row per (address, reason).
    """

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        SOFT_BOUNCES = "soft_bounces", "Repeated soft bounces"
        COMPLAINT = "complaint", "Marked as spam"
        UNSUBSCRIBE = "unsubscribe", "Unsubscribed at the provider"
        ERASURE = "erasure", "Erased on request"
        MANUAL = "manual", "Added by staff"

    email_hash = models.CharField(max_length=64)
    email = models.EmailField(blank=True, db_index=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.CharField(max_length=300, blank=True)
    message = models.ForeignKey(
        OutboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # The address does not work (or must be forgotten): no mail of any kind.
    BLOCKS_ALL = (Reason.HARD_BOUNCE, Reason.SOFT_BOUNCES, Reason.ERASURE, Reason.MANUAL)

    class Meta(Stamped.Meta):
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["email_hash", "reason"], name="suppression_unique")
        ]

    def __str__(self) -> str:
        return f"{self.email or self.email_hash[:12]}: {self.get_reason_display()}"


class SendingPace(models.Model):
    """The provider's rate limit, shared by every worker (keepwarm.mail.pace).

    `next_at` is the moment the next message may go, in seconds since the epoch on the
    database's clock: a float, because both engines do the booking's arithmetic on it in
    one UPDATE, and the workers' own clocks never enter it.
    """

    name = models.CharField(max_length=50, unique=True)
    next_at = models.FloatField(default=0.0)

    def __str__(self) -> str:
        return f"{self.name}: next at {self.next_at:.3f}"
