"""Addresses Keepwarm must not mail, and the send-time check against them.

The check runs when a row is about to be sent, not only when it was queued: an
unsubscribe or a bounce that arrives while a newsletter is going out stops the very
next copy.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from keepwarm.lib import events
from keepwarm.lib.bulk import fetch_all, ids_param
from keepwarm.mail.models import OutboxMessage, Suppression, email_hash
from keepwarm.mail.services.consent import marketable_people
from keepwarm.people.models import Person

logger = logging.getLogger(__name__)

Reason = Suppression.Reason
MARKETING = OutboxMessage.Purpose.MARKETING
_BLOCKS_ALL = {str(reason) for reason in Suppression.BLOCKS_ALL}
_LABELS = {str(value): str(label).lower() for value, label in Reason.choices}


class Sendable(Protocol):
    """What the check reads of a row: an outbox row, or a claimed row's tuple."""

    @property
    def id(self) -> int: ...
    @property
    def to_email(self) -> str: ...
    @property
    def purpose(self) -> str: ...
    @property
    def person_id(self) -> int | None: ...


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


# The send-time check is one statement written once a day per database, not rebuilt and
# compiled by the ORM for every batch: the addresses' suppressions, and (for marketing) in
# the same answer the people who may still get marketing today, as rows with an empty hash
# and the person's id for the reason. The batch's hashes and people are one parameter each
# (an array on PostgreSQL, JSON for json_each on SQLite).
_HASHES = {
    "postgresql": "SELECT email_hash, reason FROM {table} WHERE email_hash = ANY(%s::text[])",
    "sqlite": "SELECT email_hash, reason FROM {table}"
    " WHERE email_hash IN (SELECT value FROM json_each(%s))",
}
_PEOPLE = {
    "postgresql": " UNION ALL SELECT '', CAST(m.pk AS text) FROM ({marketable}) AS m"
    " WHERE m.pk = ANY(%s::bigint[])",
    "sqlite": " UNION ALL SELECT '', CAST(m.pk AS text) FROM ({marketable}) AS m"
    " WHERE m.pk IN (SELECT value FROM json_each(%s))",
}


@dataclass(frozen=True)
class _Check:
    addresses: str  # the suppressions of a batch's hashes
    with_people: str  # and which of its people may get marketing today
    marketable_params: tuple[Any, ...]


@lru_cache(maxsize=4)
def _check(vendor: str, today: dt.date) -> _Check:
    """The check's SQL for this database and day (marketable_people depends on the day)."""
    table = connection.ops.quote_name(Suppression._meta.db_table)
    marketable, params = (
        marketable_people(today=today).order_by().values_list("pk").query.sql_with_params()
    )
    addresses = _HASHES[vendor].format(table=table)
    return _Check(
        addresses=addresses,
        with_people=addresses + _PEOPLE[vendor].format(marketable=marketable),
        marketable_params=tuple(params),
    )


def blocked(messages: Iterable[Sendable], *, now: dt.datetime | None = None) -> dict[int, str]:
    """The rows of a claimed batch that must not go, with the reason; one query a batch.

    Service rows stop for an address that does not work; marketing rows also for a
    complaint or provider unsubscribe, and when the person's basis is gone (withdrawn,
    paused, never had one).
    """
    now = now or timezone.now()
    messages = list(messages)
    if not messages:
        return {}
    hashes = {m.id: email_hash(m.to_email) for m in messages}
    people = {m.person_id for m in messages if m.purpose == MARKETING and m.person_id}
    check = _check(connection.vendor, timezone.localdate(now))
    if people:
        sql = check.with_people
        params = [ids_param(set(hashes.values())), *check.marketable_params, ids_param(people)]
    else:
        sql, params = check.addresses, [ids_param(set(hashes.values()))]
    found: dict[str, set[str]] = {}
    allowed = set()
    for digest, reason in fetch_all(sql, params):
        if digest:
            found.setdefault(digest, set()).add(reason)
        else:
            allowed.add(int(reason))
    result: dict[int, str] = {}
    for message in messages:
        reasons = found.get(hashes[message.id])
        marketing = message.purpose == MARKETING
        if reasons:
            stopping = reasons if marketing else reasons & _BLOCKS_ALL
            if stopping:
                names = ", ".join(sorted(_LABELS[r] for r in stopping))
                result[message.id] = f"Not sent: the address is suppressed ({names})."
                continue
        if marketing and message.person_id and message.person_id not in allowed:
            result[message.id] = (
                "Not sent: no current basis for marketing (unsubscribed, paused or never agreed)."
            )
    return result
