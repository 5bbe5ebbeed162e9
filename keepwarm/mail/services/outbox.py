"""Queueing: a message becomes an outbox row, once per key."""

from __future__ import annotations

import datetime as dt
import os
import socket
from email.utils import make_msgid, parseaddr
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import OuterRef, Subquery

from keepwarm.care.models import Touchpoint
from keepwarm.lib.bulk import insert_objects
from keepwarm.mail.models import OutboxMessage, about_placements

if TYPE_CHECKING:
    from keepwarm.people.models import Person


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _sender_domain() -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
    return domain or "keepwarm.invalid"


def queue_email(
    *,
    key: str,
    to_email: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    from_email: str,
    reply_to: str = "",
    send_after: dt.datetime,
    person: Person | None = None,
    touchpoint: Touchpoint | None = None,
    headers: dict[str, str] | None = None,
    purpose: str = OutboxMessage.Purpose.SERVICE,
) -> OutboxMessage | None:
    """Add a message to the outbox; None when a message with this key exists already, or
    the person was erased on request.

    `purpose` "marketing" rows are checked against consent and every suppression when
    they are sent; "service" rows (check-ins, confirmations) only against addresses that
    do not work. `headers` (e.g. from list_unsubscribe_headers) go out with the message.

    The UNIQUE key is the guard, not a read before the write: two workers enqueuing
    the same key at once get one row, on SQLite and PostgreSQL alike.
    """
    if person is not None and person.erased_at is not None:
        return None  # erased on request: nothing is sent to them, whoever asks
    message = OutboxMessage(
        key=key,
        to_email=to_email,
        from_email=from_email,
        reply_to=reply_to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        send_after=send_after,
        person=person,
        touchpoint=touchpoint,
        headers={one_line(k): one_line(v) for k, v in (headers or {}).items()},
        purpose=purpose,
        # Generated once and kept across retries, so a receiving system can tell a
        # retry of a message it already has from a new one.
        message_id=make_msgid(idstring="keepwarm", domain=_sender_domain()),
    )
    try:
        # A savepoint, so a duplicate key leaves the caller's transaction usable.
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        if OutboxMessage.objects.filter(key=key).exists():
            return None
        raise
    return message


def queue_emails(messages: list[OutboxMessage]) -> int:
    """Add many unsaved messages at once (the tick's chunks); returns how many were new.

    Keys already in the outbox are left out; a key another worker inserts meanwhile is
    dropped by the UNIQUE constraint (ON CONFLICT DO NOTHING), never doubled. Written
    with insert_objects: a newsletter copy is ~25 KB of HTML and text, which bulk_create
    on PostgreSQL would quote value by value in Python.
    """
    domain = _sender_domain()
    about_placements(messages)
    for message in messages:
        message.message_id = message.message_id or make_msgid(idstring="keepwarm", domain=domain)
    return insert_objects(messages, skip_conflicts_on="key")


# The daily step that gives recent messages their touchpoint's placement when whoever
# queued them did not (copy_missing_placements).
PLACEMENTS = "outbox-placements"
# How far back it looks: a switch-over between releases takes minutes, and the step runs
# once a day.
MISSING_PLACEMENTS_WITHIN = dt.timedelta(days=2)


def copy_missing_placements(*, now: dt.datetime) -> str:
    """Give each message queued in the last two days about a touchpoint with a placement
    that placement, where it has none: a message queued by the release before (while
    several servers switch over, the old code runs against the new column) would
    otherwise show a colleague's check-in to a shared contact in Sent mail, which reads
    who may see a message from the message alone. One UPDATE, along the date index."""
    placement_of = Touchpoint.objects.filter(pk=OuterRef("touchpoint_id")).values("placement_id")
    copied = OutboxMessage.objects.filter(
        created_at__gte=now - MISSING_PLACEMENTS_WITHIN,
        placement__isnull=True,
        touchpoint__isnull=False,
        touchpoint__placement__isnull=False,
    ).update(placement_id=Subquery(placement_of[:1]))
    return f"{copied} message{'s' if copied != 1 else ''} given their placement"


def outbox_grew() -> None:
    """Many rows were just queued at once (a newsletter's copies): refresh the outbox's
    statistics on PostgreSQL before they are claimed.

    With statistics from before (an empty outbox, or a tenth of the rows), the planner
    estimates one pending row and reads the claim's rows through (state, claimed_at),
    sorting every pending row for each claim of 50, instead of walking outbox_pending in
    order: 30-240 ms a claim with 20,000 pending, more CPU than the worker itself spent a
    copy. ANALYZE samples the table (a fraction of a second) and invalidates the prepared
    claim's plan. SQLite's claim names its index (INDEXED BY) instead."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(OutboxMessage._meta.db_table)}")


def one_line(text: str) -> str:
    # Headers never carry a newline (header injection); collapse any whitespace run.
    return " ".join(text.split())
