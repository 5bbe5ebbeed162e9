"""Addresses Keepwarm must not mail, and the send-time check against them.

The check runs when a row is about to be sent, not only when it was queued: an
unsubscribe or a bounce that arrives while a newsletter is going out stops the very
next copy.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from functools import lru_cache

from django.db import IntegrityError, transaction
from django.db.models import CharField, QuerySet, Value
from django.db.models.functions import Cast
from django.utils import timezone

from keepwarm.lib import events
from keepwarm.mail.models import OutboxMessage, Suppression, email_hash
from keepwarm.mail.services.consent import marketable_people
from keepwarm.people.models import Person

logger = logging.getLogger(__name__)

Reason = Suppression.Reason


def _normal(email: str) -> str:
    return email.strip().lower()


def is_suppressed(email: str, *, purpose: str = OutboxMessage.Purpose.MARKETING) -> bool:
    """True when `email` must not get mail of this purpose (service mail is stopped only
    by an address that does not work or was erased)."""
    rows = Suppression.objects.filter(email_hash=email_hash(email))
    if purpose != OutboxMessage.Purpose.MARKETING:
        rows = rows.filter(reason__in=Suppression.BLOCKS_ALL)
    return rows.exists()


def suppress(
    email: str, *, reason: str, detail: str = "", message: OutboxMessage | None = None
) -> Suppression | None:
    """Add the address under `reason`; None when it was already there for that reason."""
    if not email.strip():
        return None
    try:
        with transaction.atomic():
            row = Suppression.objects.create(
                email_hash=email_hash(email),
                email="" if reason == Reason.ERASURE else _normal(email),
                reason=reason,
                detail=detail[:300],
                message=message,
            )
    except IntegrityError:
        return None
    logger.info("Suppressed an address: %s", reason)
    people = Person.objects.filter(email__iexact=email.strip(), erased_at__isnull=True)
    events.emit(
        events.EMAIL_SUPPRESSED,
        {
            "suppression_id": row.pk,
            "reason": reason,
            "person_ids": sorted(people.values_list("pk", flat=True)),
        },
    )
    return row


@lru_cache(maxsize=4)
def _marketable(today: dt.date) -> QuerySet[Person]:
    """marketable_people(today=today), built once a day instead of once a batch (building
    it was most of the check's cost). Never evaluated itself: .filter() makes a copy."""
    return marketable_people(today=today)


def blocked(messages: Iterable[OutboxMessage], *, now: dt.datetime | None = None) -> dict[int, str]:
    """The rows of a claimed batch that must not go, with the reason; two queries a batch.

    Service rows stop for an address that does not work; marketing rows also for a
    complaint or provider unsubscribe, and when the person's basis is gone (withdrawn,
    paused, never had one).
    """
    now = now or timezone.now()
    messages = list(messages)
    if not messages:
        return {}
    hashes = {m.id: email_hash(m.to_email) for m in messages}
    marketing = [m for m in messages if m.purpose == OutboxMessage.Purpose.MARKETING]
    people = {m.person_id for m in marketing if m.person_id}
    rows = Suppression.objects.filter(email_hash__in=set(hashes.values())).values_list(
        "email_hash", "reason"
    )
    if people:
        # One round trip, not two: the people who may still get marketing come back in the
        # same answer, as rows with an empty hash and the person's id for the reason.
        today = timezone.localdate(now)
        allowed_rows = (
            _marketable(today)
            .filter(pk__in=people)
            .order_by()
            .annotate(no_hash=Value(""), person=Cast("pk", CharField()))
            .values_list("no_hash", "person")
        )
        rows = rows.order_by().union(allowed_rows, all=True)
    found: dict[str, set[str]] = {}
    allowed = set()
    for digest, reason in rows:
        if digest:
            found.setdefault(digest, set()).add(reason)
        else:
            allowed.add(int(reason))
    result: dict[int, str] = {}
    labels = dict(Reason.choices)
    for message in messages:
        reasons = found.get(hashes[message.id], set())
        stopping = reasons & set(Suppression.BLOCKS_ALL)
        if message.purpose == OutboxMessage.Purpose.MARKETING:
            stopping = reasons
        if stopping:
            names = ", ".join(sorted(str(labels[r]).lower() for r in stopping))
            result[message.id] = f"Not sent: the address is suppressed ({names})."
        elif (
            message.purpose == OutboxMessage.Purpose.MARKETING
            and message.person_id
            and message.person_id not in allowed
        ):
            result[message.id] = (
                "Not sent: no current basis for marketing (unsubscribed, paused or never agreed)."
            )
    return result
