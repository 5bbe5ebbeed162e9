"""The outbox: every email is queued as a row, then claimed, sent once and recorded.

A row moves pending -> sending -> sent | captured | failed, or back to pending with a
later `send_after` after a transient error. A worker owns a row only after its claim
(an UPDATE from pending to sending) succeeded, so two workers never send the same row.
A row left in "sending" by a crashed worker becomes "unknown": it may have gone out,
so a person decides, never a blind retry. So does a row whose connection was lost after
the server (or provider) had the message but before it answered.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import smtplib
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import make_msgid, parseaddr
from typing import TYPE_CHECKING, Any

import requests
import urllib3.exceptions
from anymail.exceptions import AnymailError, AnymailRecipientsRefused
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.template import Context, Engine
from django.utils import timezone

from keepwarm.audit.models import AuditEntry
from keepwarm.audit.recording import Entry, record_entries, recorded_update
from keepwarm.care.models import Touchpoint
from keepwarm.lib.bulk import insert_objects
from keepwarm.mail import wire
from keepwarm.mail.backends import SmtpBackend, backend_captures
from keepwarm.mail.compose import Email, compose
from keepwarm.mail.models import OutboxMessage, Suppression
from keepwarm.mail.suppressions import blocked, suppress
from keepwarm.mail.suppressions import is_suppressed as is_suppressed
from keepwarm.mail.unsubscribe import list_unsubscribe_headers as list_unsubscribe_headers
from keepwarm.mail.unsubscribe import preferences_url as preferences_url
from keepwarm.mail.unsubscribe import unsubscribe_url as unsubscribe_url
from keepwarm.portal.links import personal_page_url

if TYPE_CHECKING:
    from keepwarm.accounts.models import User
    from keepwarm.people.models import Person

logger = logging.getLogger(__name__)

State = OutboxMessage.State

# Minutes to wait after the 1st, 2nd, 3rd and 4th transient failure; the 5th is final.
RETRY_MINUTES = (1, 5, 30, 120)
MAX_ATTEMPTS = len(RETRY_MINUTES) + 1
# Small claims: a claimed row is sent within seconds, far inside its lease.
CLAIM_BATCH = 20
# A row still "sending" this long after its claim belonged to a worker that died.
LEASE = dt.timedelta(minutes=10)
LOST_AFTER_SEND = "Connection lost after the message was sent; check before resending."

DEFAULT_CHECKIN_BODY = (
    "Hi {{ first_name }},\n\n"
    "I hope everything is going well{% if company %} at {{ company }}{% endif %}. "
    "If there is anything I can help with, just reply to this email or give me a call.\n\n"
    "Best wishes,\n{{ owner_first_name }}"
)


# --- Queueing -------------------------------------------------------------------------


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
    """Add a message to the outbox; None when a message with this key exists already.

    `purpose` "marketing" rows are checked against consent and every suppression when
    they are sent; "service" rows (check-ins, confirmations) only against addresses that
    do not work. `headers` (e.g. from list_unsubscribe_headers) go out with the message.

    The UNIQUE key is the guard, not a read before the write: two workers enqueuing
    the same key at once get one row, on SQLite and PostgreSQL alike.
    """
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
        headers={_one_line(k): _one_line(v) for k, v in (headers or {}).items()},
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
    for message in messages:
        message.message_id = message.message_id or make_msgid(idstring="keepwarm", domain=domain)
    return insert_objects(messages, skip_conflicts_on="key")


# --- Rendering check-ins --------------------------------------------------------------

# Plan steps are written by admins: render them with an engine that has no template
# loaders, so `{% include %}` cannot reach files, and without autoescaping, because
# the result is plain text that the HTML wrapper escapes.
_STEP_ENGINE = Engine(autoescape=False)


def _one_line(text: str) -> str:
    # Headers never carry a newline (header injection); collapse any whitespace run.
    return " ".join(text.split())


def personal_from(owner: User) -> str:
    """ "Olivia Owner via Keepwarm <keepwarm@agency>": personal, but our own domain."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return str(
        Address(display_name=_one_line(f"{owner.display_name} via Keepwarm"), addr_spec=address)
    )


def personal_reply_to(owner: User) -> str:
    if not owner.email:
        return ""
    return str(Address(display_name=_one_line(owner.display_name), addr_spec=owner.email))


def checkin_context(touchpoint: Touchpoint) -> dict[str, str]:
    owner = touchpoint.owner
    person = touchpoint.person
    placement = touchpoint.placement
    return {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "full_name": person.full_name,
        "owner_name": owner.display_name,
        "owner_first_name": owner.first_name or owner.display_name,
        "owner_phone": owner.phone,
        "owner_email": owner.email,
        "owner_hours": owner.available_hours,
        "company": placement.company.name if placement else "",
        "role": placement.role_title if placement else "",
        "candidate_name": placement.person.full_name if placement else "",
    }


def render_checkin(touchpoint: Touchpoint) -> Email:
    """Subject, plain text and HTML of a check-in, from the text copied onto the touchpoint."""
    context = checkin_context(touchpoint)
    subject_source = touchpoint.email_subject or touchpoint.title
    subject = _STEP_ENGINE.from_string(subject_source).render(Context(context, autoescape=False))
    body = (
        _STEP_ENGINE.from_string(touchpoint.email_body or DEFAULT_CHECKIN_BODY)
        .render(Context(context, autoescape=False))
        .strip()
    )
    return compose(
        "checkin",
        {
            **context,
            "subject": subject,
            "body": body,
            "personal_page_url": personal_page_url(touchpoint.person),
        },
    )


# --- Sending ---------------------------------------------------------------------------


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


def _due(now: dt.datetime) -> Any:
    return OutboxMessage.objects.filter(state=State.PENDING, send_after__lte=now).order_by(
        "send_after", "id"
    )


# The row states are literals, not parameters, so the planner can use the partial index
# outbox_pending (state = 'pending').
# PostgreSQL: the rows are picked (and locked, skipping rows another worker holds) once, in
# a materialized CTE; as an IN (subquery) the planner may run the LIMITed subquery more
# than once and claim more rows than asked for. The UPDATE checks "pending" again.
# The previous batch's sent rows are recorded by the same statement (`done`, the UPDATE of
# _mark_sent): one round trip a batch fewer, and never later than the next claim.
_CLAIM_POSTGRESQL = (
    "WITH done AS (UPDATE {table} SET state = 'sent', sent_at = %s, last_error = ''"
    " WHERE id = ANY(%s) AND state IN ('sending', 'unknown') AND claimed_by = %s),"
    " picked AS MATERIALIZED ("
    "SELECT id FROM {table} WHERE state = 'pending' AND send_after <= %s"
    " ORDER BY send_after, id LIMIT %s FOR UPDATE SKIP LOCKED)"
    " UPDATE {table} AS m SET state = 'sending', claimed_at = %s, claimed_by = %s"
    " FROM picked WHERE m.id = picked.id AND m.state = 'pending' RETURNING m.*"
)
# SQLite runs the whole statement under its single write lock, and evaluates the IN list
# once. Told which index to use: without statistics it would rather read every pending
# row through the (state, claimed_at) index and sort them.
_CLAIM_SQLITE = (
    "UPDATE {table} SET state = 'sending', claimed_at = %s, claimed_by = %s WHERE id IN ("
    "SELECT id FROM {table} INDEXED BY outbox_pending"
    " WHERE state = 'pending' AND send_after <= %s ORDER BY send_after, id LIMIT %s"
    ") RETURNING *"
)


def _claim(
    *, now: dt.datetime, worker_id: str, size: int, sent: list[int] | None = None
) -> list[OutboxMessage]:
    """Record `sent` (this worker's rows the server accepted, see _mark_sent), then take up
    to `size` due rows for this worker in one statement, which also returns them; only
    these may be sent by it. A row another worker claimed first is never taken again."""
    # The SQL above writes these states as literals.
    assert State.PENDING.value == "pending" and State.SENDING.value == "sending"
    assert State.SENT.value == "sent" and State.UNKNOWN.value == "unknown"
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    when = connection.ops.adapt_datetimefield_value(now)
    if connection.vendor == "postgresql":
        # One statement is its own transaction: no BEGIN and COMMIT round trips.
        params = [when, sent or [], worker_id, when, size, when, worker_id]
        claimed = list(OutboxMessage.objects.raw(_CLAIM_POSTGRESQL.format(table=table), params))
    else:
        _mark_sent(sent or [], now=now, worker_id=worker_id)
        with transaction.atomic():
            params = [when, worker_id, when, size]
            claimed = list(OutboxMessage.objects.raw(_CLAIM_SQLITE.format(table=table), params))
    return sorted(claimed, key=lambda message: message.id)


def _capture(*, now: dt.datetime, worker_id: str, size: int) -> tuple[int, int]:
    """Captured and cancelled counts: capture obeys suppressions like a real send."""
    due = list(_due(now).only("id", "to_email", "purpose", "person_id")[:size])
    stop = blocked(due, now=now)
    cancelled = _cancel(stop, states=(State.PENDING,))
    ids = [message.id for message in due if message.id not in stop]
    captured = OutboxMessage.objects.filter(id__in=ids, state=State.PENDING).update(
        state=State.CAPTURED, sent_at=now, claimed_at=now, claimed_by=worker_id
    )
    return captured, cancelled


def _cancel(reasons: dict[int, str], *, states: tuple[str, ...] = (State.SENDING,)) -> int:
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


def _email_for(message: OutboxMessage, backend: BaseEmailBackend) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=message.from_email,
        to=[message.to_email],
        reply_to=[message.reply_to] if message.reply_to else None,
        headers={**message.headers, "Message-ID": message.message_id},
        connection=backend,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    # Providers (through anymail) echo metadata back in their webhooks, so a bounce or
    # complaint finds its row; the SMTP backend ignores the attribute.
    email.metadata = {"keepwarm_outbox": str(message.id)}  # type: ignore[attr-defined]
    return email


class _Transient(Exception):
    def __init__(self, error: str, *, unreachable: bool = False) -> None:
        super().__init__(error)
        # Nothing answered at all: the rest of the batch waits too instead of each
        # message sitting through its own connect timeout.
        self.unreachable = unreachable


class _Unknown(Exception):
    """The message may have arrived; sending it again could deliver it twice."""


class _Permanent(Exception):
    def __init__(self, error: str, *, bad_address: bool = False) -> None:
        super().__init__(error)
        # The server said the address itself does not work: a hard bounce.
        self.bad_address = bad_address


def _smtp_error(code: int, reply: bytes | str, *, recipient: bool = False) -> Exception:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    error = f"{code} {text}".strip()
    # 5xx is the server's final word (no such user, rejected); 4xx means try later.
    if not 500 <= code < 600:
        return _Transient(error)
    # A refused RCPT, or an enhanced status 5.1.x (bad mailbox) at any step, is about the
    # address; 5.7.x (policy, spam) at DATA is about the message and suppresses nothing.
    return _Permanent(error, bad_address=recipient or text.lstrip().startswith("5.1."))


def _close_quietly(backend: BaseEmailBackend) -> None:
    # A broken connection is being dropped anyway; its goodbye may fail too.
    with contextlib.suppress(Exception):
        backend.close()


def _never_connected(error: BaseException | None) -> bool:
    """Whether an HTTP request failed before a connection, so the provider has nothing."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    if not isinstance(error, requests.ConnectionError):  # a read timeout, for one
        return False
    reason = error.args[0] if error.args else None
    reason = getattr(reason, "reason", reason)  # urllib3 wraps the cause in MaxRetryError
    # NewConnectionError (refused, no DNS) is a kind of ConnectTimeoutError in urllib3 2.
    return isinstance(reason, urllib3.exceptions.ConnectTimeoutError | urllib3.exceptions.SSLError)


def _provider_error(exc: AnymailError) -> Exception:
    """Classify an error from a provider's HTTP API (through anymail) like an SMTP reply."""
    # One line for the Sent mail page; anymail's text has the provider's answer as JSON.
    error = " ".join(str(exc).split()) or exc.__class__.__name__
    if isinstance(exc, AnymailRecipientsRefused):
        # The provider refused the address itself (invalid, or it bounced before).
        if exc.response is not None:
            error += f": {exc.response.status_code} {' '.join(exc.response.text.split())}"
        return _Permanent(error[:1000], bad_address=True)
    status = exc.status_code
    if status is None:
        if _never_connected(exc.__cause__):
            return _Transient(error, unreachable=True)
        if isinstance(exc.__cause__, requests.RequestException):
            # The request went out and no answer came (read timeout, dropped connection).
            return _Unknown(f"{LOST_AFTER_SEND} ({exc.__cause__})")
        return _Permanent(error)  # a message anymail cannot express for this provider
    if 200 <= status < 300:
        # Accepted, but the answer made no sense to anymail: it has most likely gone.
        return _Unknown(f"{LOST_AFTER_SEND} ({error})")
    if status == 429 or status >= 500:  # rate limited, or the provider's own trouble
        return _Transient(error)
    return _Permanent(error)


def _deliver(backend: BaseEmailBackend, message: OutboxMessage) -> None:
    """Send one message over the open connection, or raise _Transient / _Permanent /
    _Unknown."""
    try:
        if isinstance(backend, SmtpBackend):
            # Our own bytes over Django's open connection: what send_messages would send,
            # without the email package's generator (see wire.py).
            built = wire.build(message)
            backend.send_one(built.sender, built.recipient, built.data)
        elif backend.send_messages([_email_for(message, backend)]) != 1:
            raise _Permanent("The mail server accepted no recipient.")
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = next(iter(exc.recipients.values()))
        raise _smtp_error(code, reply, recipient=True) from exc
    except smtplib.SMTPResponseException as exc:  # data, sender and connect errors
        _close_quietly(backend)
        raise _smtp_error(exc.smtp_code, exc.smtp_error) from exc
    except AnymailError as exc:  # before OSError: anymail's HTTP errors are OSErrors too
        raise _provider_error(exc) from exc
    except (BadHeaderError, ValueError) as exc:  # an address or header no server will take
        raise _Permanent(str(exc) or exc.__class__.__name__) from exc
    except OSError as exc:  # disconnects and timeouts, with no reply to go by
        # Once DATA went out the server may hold the whole message; only its "250" is
        # missing. A backend that cannot tell (not ours) is treated as before DATA.
        after_data = isinstance(backend, SmtpBackend) and backend.reached_data()
        _close_quietly(backend)
        if after_data:
            raise _Unknown(f"{LOST_AFTER_SEND} ({exc})") from exc
        raise _Transient(str(exc) or exc.__class__.__name__) from exc


def _mark_sent(message_ids: list[int], *, now: dt.datetime, worker_id: str) -> None:
    """One UPDATE for the rows of a batch the server accepted.

    Written after the batch's sends, not after each: a worker killed in between leaves
    those rows "sending", and they become "unknown" after the lease like the one it was
    sending. So a kill leaves at most one batch (CLAIM_BATCH rows) for a person to check.
    """
    if not message_ids:
        return
    # "unknown" too: if a reconcile overtook a slow send, we now know it went.
    OutboxMessage.objects.filter(
        id__in=message_ids, state__in=(State.SENDING, State.UNKNOWN), claimed_by=worker_id
    ).update(state=State.SENT, sent_at=now, last_error="")


def _mark_failed(message_ids: list[int], *, error: str) -> int:
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


def _mark_unknown(message: OutboxMessage, *, error: str) -> None:
    OutboxMessage.objects.filter(id=message.id, state=State.SENDING).update(
        state=State.UNKNOWN, last_error=error, attempts=F("attempts") + 1
    )


def _hard_bounce(message: OutboxMessage, *, error: str, now: dt.datetime) -> None:
    OutboxMessage.objects.filter(id=message.id).update(
        outcome=OutboxMessage.Outcome.BOUNCED, outcome_at=now, outcome_detail=error[:300]
    )
    suppress(message.to_email, reason=Suppression.Reason.HARD_BOUNCE, detail=error, message=message)


def _retry_later(message: OutboxMessage, *, now: dt.datetime, error: str) -> bool:
    """Back to pending with a growing delay; False when it has used up its attempts."""
    attempts = message.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        _mark_failed([message.id], error=f"Gave up after {attempts} attempts: {error}")
        return False
    OutboxMessage.objects.filter(id=message.id, state=State.SENDING).update(
        state=State.PENDING,
        attempts=attempts,
        last_error=error,
        send_after=now + dt.timedelta(minutes=RETRY_MINUTES[attempts - 1]),
    )
    return True


def _retry_all(messages: list[OutboxMessage], *, now: dt.datetime, error: str) -> SendReport:
    report = SendReport()
    for message in messages:
        if _retry_later(message, now=now, error=error):
            report.retried += 1
        else:
            report.failed += 1
    return report


class Pace:
    """A token bucket that keeps sending under the provider's limit (messages a second).

    `rate` 0 means no limit. One bucket holds at most one second's worth, so a worker
    that waited for mail never bursts above the rate afterwards.
    """

    def __init__(self, rate: float, *, clock: Any = time.monotonic, sleep: Any = time.sleep):
        self.rate = rate
        self.clock = clock
        self.sleep = sleep
        self.tokens = 1.0
        self.last = clock()

    def wait(self) -> None:
        if self.rate <= 0:
            return
        now = self.clock()
        self.tokens = min(max(1.0, self.rate), self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < 1.0:
            self.sleep((1.0 - self.tokens) / self.rate)
            self.last = self.clock()
            self.tokens = 1.0
        self.tokens -= 1.0


def _send_claimed(
    backend: BaseEmailBackend,
    messages: list[OutboxMessage],
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
        report.cancelled += _cancel(stop)
        messages = [message for message in messages if message.id not in stop]
    try:
        for index, message in enumerate(messages):
            try:
                backend.open()  # a no-op while the connection is up; reconnects after an error
            except OSError as exc:  # smtplib errors are OSErrors too
                error = f"Could not connect to the mail server: {exc}"
                report.add(_retry_all(messages[index:], now=now, error=error))
                return report, True
            if pace is not None:
                pace.wait()
            try:
                _deliver(backend, message)
            except _Permanent as exc:
                _mark_failed([message.id], error=str(exc))
                if exc.bad_address:
                    _hard_bounce(message, error=str(exc), now=now)
                report.failed += 1
            except _Unknown as exc:
                _mark_unknown(message, error=str(exc))
                logger.warning("Message %s may have gone out; it waits for a person", message.id)
                report.unknown += 1
            except _Transient as exc:
                if exc.unreachable:
                    error = f"Could not reach the email provider: {exc}"
                    report.add(_retry_all(messages[index:], now=now, error=error))
                    return report, True
                if _retry_later(message, now=now, error=str(exc)):
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
            _mark_sent(sent, now=now, worker_id=worker_id)
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
        report.cancelled += _cancel(stop)
        report.captured += OutboxMessage.objects.filter(
            id__in=[pk for pk in ids if pk not in stop], state=State.SENDING
        ).update(state=State.CAPTURED, sent_at=now)
        return report
    try:
        messages = list(OutboxMessage.objects.filter(id__in=ids).order_by("id"))
        batch, _ = _send_claimed(backend, messages, now=now, worker_id=worker_id)
        report.add(batch)
    finally:
        _close_quietly(backend)
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
            captured, cancelled = _capture(
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
    try:
        while report.handled < limit:
            claimed = _claim(
                now=now,
                worker_id=worker_id,
                size=min(CLAIM_BATCH, limit - report.handled),
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
            _mark_sent(sent, now=now, worker_id=worker_id)
        finally:
            _close_quietly(backend)
    return report


# --- Crashes and people ----------------------------------------------------------------


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
