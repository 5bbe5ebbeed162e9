"""Crashes and people: rows caught mid-send become "unknown", and a person settles them."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from keepwarm.audit.models import AuditEntry
from keepwarm.audit.recording import Entry, record_entries
from keepwarm.mail.models import OutboxMessage

if TYPE_CHECKING:
    from keepwarm.accounts.models import User

logger = logging.getLogger(__name__)

State = OutboxMessage.State

# A row still "sending" this long after its claim belonged to a worker that died.
LEASE = dt.timedelta(minutes=10)


def reconcile_stale(*, now: dt.datetime) -> int:
    """Rows still "sending" past their lease become "unknown"; returns how many.

    The worker that claimed them died mid-send (kill -9, power cut), perhaps after the
    server had the message: resending blindly could mail the person twice.
    """
    count = OutboxMessage.objects.filter(state=State.SENDING, claimed_at__lt=now - LEASE).update(
        state=State.UNKNOWN,
        last_error=(
            "The worker stopped while sending this message; it may have gone out. "
            "Check with the recipient, then mark it sent or send it again."
        ),
    )
    if count:
        logger.warning("%d messages were caught mid-send and need checking", count)
    return count


def resolve_unknown(
    *, message_ids: Iterable[int], sent: bool, by: User, now: dt.datetime | None = None
) -> int:
    """A person settles messages caught mid-send: they went out, or they should go again.

    Only rows still "unknown" change (a conditional UPDATE, so a second tab or a worker's
    late success is never overwritten); each change is audited. Returns how many changed;
    raises ValidationError when none of them was still unknown.
    """
    now = now or timezone.now()
    when = f"{timezone.localtime(now):%d %b %Y %H:%M}"
    with transaction.atomic():
        # select_for_update holds them on PostgreSQL; SQLite's IMMEDIATE transaction
        # already holds the write lock, so the audit names exactly the rows updated.
        found = list(
            OutboxMessage.objects.select_for_update()
            .filter(id__in=list(message_ids), state=State.UNKNOWN)
            .values_list("id", "person_id", "subject")
        )
        rows = OutboxMessage.objects.filter(id__in=[m[0] for m in found], state=State.UNKNOWN)
        if sent:
            updated = rows.update(
                state=State.SENT,
                sent_at=F("claimed_at"),
                last_error=f"Marked as sent by {by.display_name} on {when}.",
            )
        else:
            updated = rows.update(
                state=State.PENDING,
                send_after=now,
                claimed_at=None,
                claimed_by="",
                last_error=f"Queued to send again by {by.display_name} on {when}.",
            )
        new_state = State.SENT if sent else State.PENDING
        record_entries(
            AuditEntry.Action.CHANGED,
            (
                Entry(
                    OutboxMessage._meta.label_lower,
                    message_id,
                    subject,
                    person_id,
                    {"state": [State.UNKNOWN.value, new_state.value]},
                )
                for message_id, person_id, subject in found
            ),
        )
    if not updated:
        raise ValidationError("Only a message whose outcome is unknown can be resolved.")
    return updated
