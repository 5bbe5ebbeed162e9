"""The outbox rows' state changes while a worker takes and settles them.

Each is a conditional UPDATE from the state the worker expects, so a row another worker
(or a person) changed meanwhile is left alone. Used by services.sending only, so the audit
test's calls of send_pending and send_now also hold the touchpoints marked bounced here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import F

from keepwarm.audit.recording import recorded_update
from keepwarm.care.models import Touchpoint
from keepwarm.care.services import record_email_failed
from keepwarm.lib.bulk import fetch_all, ids_param
from keepwarm.mail.models import OutboxMessage, OutboxTemplate, Suppression
from keepwarm.mail.suppressions import blocked, suppress
from keepwarm.mail.wire import LINE_LIMIT

State = OutboxMessage.State

# Minutes to wait after the 1st, 2nd, 3rd and 4th transient failure; the 5th is final.
RETRY_MINUTES = (1, 5, 30, 120)
MAX_ATTEMPTS = len(RETRY_MINUTES) + 1


def due_rows(now: dt.datetime) -> Any:
    return OutboxMessage.objects.filter(state=State.PENDING, send_after__lte=now).order_by(
        "send_after", "id"
    )


class Claimed(NamedTuple):
    """A claimed row as the sending needs it: a tuple straight off the claim's RETURNING,
    not a model instance (building 20,000 of those was an eighth of a newsletter's cost)."""

    id: int
    to_email: str
    from_email: str
    reply_to: str
    subject: str
    body_text: str
    body_html: str
    headers: dict[str, str]
    purpose: str
    person_id: int | None
    touchpoint_id: int | None
    attempts: int
    message_id: str
    # No line of either body is over SMTP's limit, known from its shared body's own lines
    # (OutboxTemplate.filled); False: not known, wire.build measures.
    lines_fit: bool = False


# What a claim reads of each row: a Claimed's columns up to its message_id, with its
# headers and a copy's own values (`fills`, for its shared body, OutboxTemplate) as one
# JSON array: one decode a row instead of two. Then the shared body's id.
_JSON = {
    "postgresql": "jsonb_build_array({prefix}headers, {prefix}fills)",
    "sqlite": "json_array(json({prefix}headers), json({prefix}fills))",
}


@lru_cache(maxsize=4)
def _columns(vendor: str, prefix: str = "") -> str:
    fields = [*Claimed._fields[: Claimed._fields.index("message_id") + 1], "template_id"]
    return ", ".join(
        _JSON[vendor].format(prefix=prefix) if name == "headers" else prefix + name
        for name in fields
    )


class Bodies:
    """Makes claimed rows, filling each copy of a shared body (OutboxTemplate) with its
    values; a template is read once per sending run, not once per copy."""

    def __init__(self) -> None:
        self.templates: dict[int, OutboxTemplate] = {}

    def claimed(self, row: Sequence[Any]) -> Claimed:
        # Text on SQLite; psycopg's own cursor gives it parsed.
        headers, fills = json.loads(row[7]) if isinstance(row[7], str) else row[7]
        template_id = row[13]
        if template_id is None:
            return Claimed._make((*row[:7], headers or {}, *row[8:13], False))
        template = self.templates.get(template_id)
        if template is None:
            template = self.templates[template_id] = OutboxTemplate.objects.get(pk=template_id)
        text, html, lines_fit = template.filled(fills or {}, line_limit=LINE_LIMIT)
        return Claimed._make((*row[:5], text, html, headers or {}, *row[8:13], lines_fit))


_ROWS = {
    "postgresql": "SELECT {columns} FROM {table} WHERE id = ANY(%s::bigint[]) ORDER BY id",
    "sqlite": "SELECT {columns} FROM {table} WHERE id IN (SELECT value FROM json_each(%s))"
    " ORDER BY id",
}


def claimed_rows(ids: list[int], *, bodies: Bodies) -> list[Claimed]:
    """These rows as Claimed, in id order (a test send's, already claimed)."""
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    sql = _ROWS[connection.vendor].format(columns=_columns(connection.vendor), table=table)
    return [bodies.claimed(row) for row in fetch_all(sql, [ids_param(ids)])]


# The SQL below is written once, with the list of ids as one parameter (an array on
# PostgreSQL, JSON on SQLite): the same statement text every batch, nothing for the ORM to
# compile, and psycopg prepares it on the server after a few runs.
# The row states are literals, not parameters, so the planner can use the partial index
# outbox_pending (state = 'pending').
# PostgreSQL: the rows are picked (and locked, skipping rows another worker holds) once, in
# a materialized CTE; as an IN (subquery) the planner may run the LIMITed subquery more
# than once and claim more rows than asked for. The UPDATE checks "pending" again.
# The previous batch's sent rows are recorded by the same statement (`done`, the UPDATE of
# mark_sent): one round trip a batch fewer, and never later than the next claim.
_CLAIM_POSTGRESQL = (
    "WITH done AS (UPDATE {table} SET state = 'sent', sent_at = %s, last_error = ''"
    " WHERE id = ANY(%s::bigint[]) AND state IN ('sending', 'unknown') AND claimed_by = %s),"
    " picked AS MATERIALIZED ("
    "SELECT id FROM {table} WHERE state = 'pending' AND send_after <= %s"
    " ORDER BY send_after, id LIMIT %s FOR UPDATE SKIP LOCKED)"
    " UPDATE {table} AS m SET state = 'sending', claimed_at = %s, claimed_by = %s"
    " FROM picked WHERE m.id = picked.id AND m.state = 'pending' RETURNING {columns}"
)
# SQLite runs the whole statement under its single write lock, and evaluates the IN list
# once. Told which index to use: without statistics it would rather read every pending
# row through the (state, claimed_at) index and sort them.
_CLAIM_SQLITE = (
    "UPDATE {table} SET state = 'sending', claimed_at = %s, claimed_by = %s WHERE id IN ("
    "SELECT id FROM {table} INDEXED BY outbox_pending"
    " WHERE state = 'pending' AND send_after <= %s ORDER BY send_after, id LIMIT %s"
    ") RETURNING {columns}"
)
_MARK_SENT = {
    "postgresql": "UPDATE {table} SET state = 'sent', sent_at = %s, last_error = ''"
    " WHERE id = ANY(%s::bigint[]) AND state IN ('sending', 'unknown') AND claimed_by = %s",
    "sqlite": "UPDATE {table} SET state = 'sent', sent_at = %s, last_error = ''"
    " WHERE id IN (SELECT value FROM json_each(%s)) AND state IN ('sending', 'unknown')"
    " AND claimed_by = %s",
}


@lru_cache(maxsize=4)
def _sql(vendor: str, name: str) -> str:
    """The claim's or mark_sent's statement for this database, formatted once."""
    # The SQL above writes these states as literals.
    assert State.PENDING.value == "pending" and State.SENDING.value == "sending"
    assert State.SENT.value == "sent" and State.UNKNOWN.value == "unknown"
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    if name == "mark_sent":
        return _MARK_SENT[vendor].format(table=table)
    if vendor == "postgresql":
        return _CLAIM_POSTGRESQL.format(table=table, columns=_columns(vendor, "m."))
    return _CLAIM_SQLITE.format(table=table, columns=_columns(vendor))


def claim(
    *,
    now: dt.datetime,
    worker_id: str,
    size: int,
    bodies: Bodies,
    sent: list[int] | None = None,
) -> list[Claimed]:
    """Record `sent` (this worker's rows the server accepted, see mark_sent), then take up
    to `size` due rows for this worker in one statement, which also returns them; only
    these may be sent by it. A row another worker claimed first is never taken again."""
    when = connection.ops.adapt_datetimefield_value(now)
    sql = _sql(connection.vendor, "claim")
    if connection.vendor == "postgresql":
        # One statement is its own transaction: no BEGIN and COMMIT round trips.
        rows = fetch_all(sql, [when, sent or [], worker_id, when, size, when, worker_id])
    else:
        # One transaction, one commit (and one wait for the write lock) a batch: the
        # previous batch's sent rows are recorded with this claim, as on PostgreSQL. If the
        # claim fails, the caller still holds `sent` and records it then.
        with transaction.atomic():
            mark_sent(sent or [], now=now, worker_id=worker_id)
            rows = fetch_all(sql, [when, worker_id, when, size])
    rows.sort(key=itemgetter(0))
    return [bodies.claimed(row) for row in rows]


def capture(*, now: dt.datetime, worker_id: str, size: int) -> tuple[int, int]:
    """Captured and cancelled counts: capture obeys suppressions like a real send."""
    due = list(due_rows(now).only("id", "to_email", "purpose", "person_id")[:size])
    stop = blocked(due, now=now)
    cancelled = cancel(stop, states=(State.PENDING,))
    ids = [message.id for message in due if message.id not in stop]
    captured = OutboxMessage.objects.filter(id__in=ids, state=State.PENDING).update(
        state=State.CAPTURED, sent_at=now, claimed_at=now, claimed_by=worker_id
    )
    return captured, cancelled


def cancel(reasons: dict[int, str], *, states: tuple[str, ...] = (State.SENDING,)) -> int:
    """Cancel rows that must not go, each with its reason; a check-in among them did not
    reach the person, so Today and the timeline show it as bounced."""
    cancelled = 0
    for pk, reason in reasons.items():
        cancelled += OutboxMessage.objects.filter(id=pk, state__in=states).update(
            state=State.CANCELLED, last_error=reason
        )
    if reasons:
        recorded_update(
            Touchpoint.objects.filter(
                messages__id__in=list(reasons), messages__state=State.CANCELLED
            ),
            outcome=Touchpoint.Outcome.BOUNCED,
        )
    return cancelled


def mark_sent(message_ids: list[int], *, now: dt.datetime, worker_id: str) -> None:
    """One UPDATE for the rows of a batch the server accepted (its SQL written once).

    Written after the batch's sends, not after each: a worker killed in between leaves
    those rows "sending", and they become "unknown" after the lease like the one it was
    sending. So a kill leaves at most one batch (sending.CLAIM_BATCH rows) for a person to check.
    """
    if not message_ids:
        return
    # "unknown" too: if a reconcile overtook a slow send, we now know it went.
    when = connection.ops.adapt_datetimefield_value(now)
    fetch_all(_sql(connection.vendor, "mark_sent"), [when, ids_param(message_ids), worker_id])


def mark_failed(message_ids: list[int], *, error: str) -> int:
    with transaction.atomic():
        failed = OutboxMessage.objects.filter(id__in=message_ids, state=State.SENDING).update(
            state=State.FAILED, last_error=error, attempts=F("attempts") + 1
        )
        # The check-in did not reach the person: Today and the timeline show it.
        recorded_update(
            Touchpoint.objects.filter(messages__id__in=message_ids),
            outcome=Touchpoint.Outcome.BOUNCED,
        )
    return failed


def mark_unknown(message: Claimed, *, error: str) -> None:
    OutboxMessage.objects.filter(id=message.id, state=State.SENDING).update(
        state=State.UNKNOWN, last_error=error, attempts=F("attempts") + 1
    )


def hard_bounce(message: Claimed, *, error: str, now: dt.datetime) -> None:
    OutboxMessage.objects.filter(id=message.id).update(
        outcome=OutboxMessage.Outcome.BOUNCED, outcome_at=now, outcome_detail=error[:300]
    )
    # The suppression points at the row; a bare instance is enough for its foreign key.
    row = OutboxMessage(pk=message.id)
    suppress(message.to_email, reason=Suppression.Reason.HARD_BOUNCE, detail=error, message=row)
    record_email_failed(
        email=message.to_email, reason=error, touchpoint_id=message.touchpoint_id, now=now
    )


def retry_later(message: Claimed, *, now: dt.datetime, error: str) -> bool:
    """Back to pending with a growing delay; False when it has used up its attempts."""
    attempts = message.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        mark_failed([message.id], error=f"Gave up after {attempts} attempts: {error}")
        return False
    OutboxMessage.objects.filter(id=message.id, state=State.SENDING).update(
        state=State.PENDING,
        attempts=attempts,
        last_error=error,
        send_after=now + dt.timedelta(minutes=RETRY_MINUTES[attempts - 1]),
    )
    return True
