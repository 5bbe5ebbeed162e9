"""Sending: claimed rows go out over one connection, each once, at the provider's pace
(keepwarm.mail.pace, shared by every worker)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone

from keepwarm.mail.backends import backend_captures
from keepwarm.mail.claims import (
    Bodies,
    Claimed,
    cancel,
    capture,
    claim,
    claimed_rows,
    hard_bounce,
    mark_failed,
    mark_sent,
    mark_unknown,
    retry_later,
)
from keepwarm.mail.delivery import Permanent, Transient, Unknown, close_quietly, deliver
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.pace import Pace
from keepwarm.mail.services.outbox import default_worker_id
from keepwarm.mail.suppressions import blocked

logger = logging.getLogger(__name__)

State = OutboxMessage.State

# A claim is sent within seconds, far inside its lease. Bigger claims cost fewer round
# trips a copy, but a worker killed mid-claim leaves the whole claim "unknown" for a person
# to check; 50 keeps that to one screen.
CLAIM_BATCH = 50


@dataclass
class SendReport:
    sent: int = 0
    captured: int = 0
    retried: int = 0
    failed: int = 0
    # Suppressed or no basis left at the moment of sending.
    cancelled: int = 0
    # The connection was lost after the message went out: a person checks.
    unknown: int = 0

    @property
    def handled(self) -> int:
        return (
            self.sent + self.captured + self.retried + self.failed + self.cancelled + self.unknown
        )

    def add(self, other: SendReport) -> None:
        self.sent += other.sent
        self.captured += other.captured
        self.retried += other.retried
        self.failed += other.failed
        self.cancelled += other.cancelled
        self.unknown += other.unknown


def _retry_all(messages: list[Claimed], *, now: dt.datetime, error: str) -> SendReport:
    report = SendReport()
    for message in messages:
        if retry_later(message, now=now, error=error):
            report.retried += 1
        else:
            report.failed += 1
    return report


def _send_claimed(
    backend: BaseEmailBackend,
    messages: list[Claimed],
    *,
    now: dt.datetime,
    worker_id: str,
    pace: Pace | None = None,
    sent: list[int] | None = None,
) -> tuple[SendReport, bool]:
    """Send claimed rows over one connection; the flag says the server is unreachable.

    The ids the server accepted are recorded as sent before returning, or, when the caller
    passes `sent`, appended to it for the caller to record (with its next claim)."""
    report = SendReport()
    record = sent is None
    sent = [] if sent is None else sent
    # Checked now, not when queued: an unsubscribe or bounce a second ago stops this copy.
    stop = blocked(messages, now=now)
    if stop:
        report.cancelled += cancel(stop)
        messages = [message for message in messages if message.id not in stop]
    # Paced sending books each message's slot just before it goes; the envelope of the
    # next message going ahead of its slot would keep the server waiting for its content.
    ahead = pace is None or pace.rate <= 0
    try:
        for index, message in enumerate(messages):
            following = messages[index + 1] if ahead and index + 1 < len(messages) else None
            try:
                backend.open()  # a no-op while the connection is up; reconnects after an error
            except OSError as exc:  # smtplib errors are OSErrors too
                error = f"Could not connect to the mail server: {exc}"
                report.add(_retry_all(messages[index:], now=now, error=error))
                return report, True
            if pace is not None:
                pace.wait()
            try:
                deliver(backend, message, following=following)
            except Permanent as exc:
                mark_failed([message.id], error=str(exc))
                if exc.bad_address:
                    hard_bounce(message, error=str(exc), now=now)
                report.failed += 1
            except Unknown as exc:
                mark_unknown(message, error=str(exc))
                logger.warning("Message %s may have gone out; it waits for a person", message.id)
                report.unknown += 1
            except Transient as exc:
                if exc.unreachable:
                    error = f"Could not reach the email provider: {exc}"
                    report.add(_retry_all(messages[index:], now=now, error=error))
                    return report, True
                if retry_later(message, now=now, error=str(exc)):
                    report.retried += 1
                else:
                    report.failed += 1
            else:
                sent.append(message.id)
                report.sent += 1
    finally:
        # Also when something unforeseen (a database error) ends the batch early: what
        # the server accepted is recorded as sent, never left to look unsent.
        if record:
            mark_sent(sent, now=now, worker_id=worker_id)
    return report, False


def send_now(
    message_ids: list[int],
    *,
    now: dt.datetime | None = None,
    backend: BaseEmailBackend | None = None,
) -> SendReport:
    """Send these outbox rows at once (a test send), through the same claim, checks and
    send path as the worker. Rows no longer pending (sent, taken by a worker) are left.

    `backend` replaces the configured one: the demo passes a CaptureBackend, so building
    its past newsletters never mails anyone, whatever KEEPWARM_EMAIL_URL says."""
    now = now or timezone.now()
    worker_id = default_worker_id()
    report = SendReport()
    with transaction.atomic():
        # One claim for them all (a demo issue has hundreds): the rows are locked as they
        # are read (PostgreSQL; SQLite's IMMEDIATE transaction holds the write lock), so a
        # worker's claim cannot take one in between, and a row it took is no longer pending.
        pending = OutboxMessage.objects.select_for_update().filter(
            id__in=set(message_ids), state=State.PENDING
        )
        ids = sorted(pending.values_list("id", flat=True))
        OutboxMessage.objects.filter(id__in=ids).update(
            state=State.SENDING, claimed_at=now, claimed_by=worker_id
        )
    if not ids:
        return report
    backend = backend if backend is not None else get_connection(fail_silently=False)
    if backend_captures(backend):
        due = OutboxMessage.objects.filter(id__in=ids).only(
            "id", "to_email", "purpose", "person_id"
        )
        stop = blocked(due, now=now)
        report.cancelled += cancel(stop)
        report.captured += OutboxMessage.objects.filter(
            id__in=[pk for pk in ids if pk not in stop], state=State.SENDING
        ).update(state=State.CAPTURED, sent_at=now)
        return report
    try:
        messages = claimed_rows(ids, bodies=Bodies())
        batch, _ = _send_claimed(backend, messages, now=now, worker_id=worker_id)
        report.add(batch)
    finally:
        close_quietly(backend)
    return report


def send_pending(
    *, now: dt.datetime | None = None, worker_id: str = "", limit: int = 500
) -> SendReport:
    """Send (or capture) up to `limit` due outbox rows over one connection."""
    now = now or timezone.now()
    worker_id = worker_id or default_worker_id()
    report = SendReport()
    backend = get_connection(fail_silently=False)
    if backend_captures(backend):
        # Capture mode (no KEEPWARM_EMAIL_URL): record, send nothing, open no socket.
        while report.handled < limit:
            captured, cancelled = capture(
                now=now, worker_id=worker_id, size=min(500, limit - report.handled)
            )
            if not captured + cancelled:
                break
            report.captured += captured
            report.cancelled += cancelled
        return report
    pace = Pace(settings.KEEPWARM_EMAIL_RATE)
    # Sent ids not yet recorded: the next claim records them in the same statement, and
    # the `finally` below does if there is no next claim (or something went wrong).
    sent: list[int] = []
    bodies = Bodies()
    try:
        while report.handled < limit:
            claimed = claim(
                now=now,
                worker_id=worker_id,
                size=min(CLAIM_BATCH, limit - report.handled),
                bodies=bodies,
                sent=sent,
            )
            sent = []
            if not claimed:
                break
            batch, unreachable = _send_claimed(
                backend, claimed, now=now, worker_id=worker_id, pace=pace, sent=sent
            )
            report.add(batch)
            if unreachable:
                logger.warning(
                    "Mail server unreachable; %d messages wait for a retry", batch.retried
                )
                break
    finally:
        try:
            mark_sent(sent, now=now, worker_id=worker_id)
        finally:
            close_quietly(backend)
    return report
