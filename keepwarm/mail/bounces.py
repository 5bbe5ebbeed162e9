"""What happened after sending: deliveries, bounces and spam complaints.

They arrive three ways: an SMTP 5xx while sending (mail.delivery), a provider's signed
webhook (mail.webhooks, through django-anymail), or, for plain SMTP, a bounce message
(RFC 3464 delivery status notification) or a feedback-loop complaint (RFC 5965 ARF)
fed to `keepwarm bounces`. All end here:

- a hard bounce suppresses the address (no mail of any kind: it does not exist);
- a complaint suppresses it for marketing and withdraws every marketing consent;
- soft bounces suppress after KEEPWARM_SOFT_BOUNCE_LIMIT in a row without a delivery.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.message import Message
from email.parser import HeaderParser
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone

from keepwarm.care.services import record_email_failed
from keepwarm.mail.models import OutboxMessage, Suppression
from keepwarm.mail.services.consent import withdraw_consent_for_address
from keepwarm.mail.suppressions import suppress

logger = logging.getLogger(__name__)

Outcome = OutboxMessage.Outcome
Reason = Suppression.Reason

HARD, SOFT, COMPLAINT = "hard", "soft", "complaint"
# Outcomes never overwritten by a lesser one arriving late (a delivery after a complaint).
_RANK = {
    Outcome.NONE: 0,
    Outcome.DELIVERED: 1,
    Outcome.SOFT_BOUNCED: 2,
    Outcome.BOUNCED: 3,
    Outcome.UNSUBSCRIBED: 4,
    Outcome.COMPLAINED: 5,
}


def soft_bounce_limit() -> int:
    return int(getattr(settings, "KEEPWARM_SOFT_BOUNCE_LIMIT", 3))


def _addresses(email: str) -> list[str]:
    # to_email is stored as typed; bounce reports often lowercase it.
    email = email.strip()
    return list(dict.fromkeys([email, email.lower()]))


def find_message(*, message_id: str = "", recipient: str = "") -> OutboxMessage | None:
    """The outbox row a report is about: by our Message-ID, else the newest sent to the
    recipient (a report that lost the original headers)."""
    if message_id:
        wanted = message_id.strip()
        if not wanted.startswith("<"):
            wanted = f"<{wanted}>"
        found = OutboxMessage.objects.filter(message_id=wanted).first()
        if found is not None:
            return found
    if recipient:
        return (
            OutboxMessage.objects.filter(to_email__in=_addresses(recipient))
            .exclude(state__in=(OutboxMessage.State.PENDING, OutboxMessage.State.CANCELLED))
            .order_by("-created_at", "-id")
            .first()
        )
    return None


def _set_outcome(
    message: OutboxMessage | None, outcome: str, *, detail: str, now: dt.datetime
) -> None:
    if message is None:
        return
    lesser = [value for value, rank in _RANK.items() if rank <= _RANK[Outcome(outcome)]]
    OutboxMessage.objects.filter(id=message.id, outcome__in=lesser).update(
        outcome=outcome, outcome_at=now, outcome_detail=detail[:300]
    )


def record_delivered(message: OutboxMessage, *, now: dt.datetime | None = None) -> None:
    _set_outcome(message, Outcome.DELIVERED, detail="", now=now or timezone.now())


def record_bounce(
    *,
    email: str,
    hard: bool,
    message: OutboxMessage | None = None,
    detail: str = "",
    now: dt.datetime | None = None,
) -> bool:
    """Record a bounce; True when the address is now suppressed."""
    now = now or timezone.now()
    if hard:
        _set_outcome(message, Outcome.BOUNCED, detail=detail, now=now)
        suppress(email, reason=Reason.HARD_BOUNCE, detail=detail, message=message)
        _address_failed(email, reason=detail or "Hard bounce", message=message, now=now)
        return True
    _set_outcome(message, Outcome.SOFT_BOUNCED, detail=detail, now=now)
    if soft_bounces_in_a_row(email) >= soft_bounce_limit():
        detail = f"{soft_bounce_limit()} soft bounces in a row; last: {detail}"
        suppress(email, reason=Reason.SOFT_BOUNCES, detail=detail, message=message)
        _address_failed(email, reason=detail, message=message, now=now)
        return True
    return False


def _address_failed(
    email: str, *, reason: str, message: OutboxMessage | None, now: dt.datetime
) -> None:
    # The person's check-ins turn into calls (care decides for whom); the outbox row says
    # which check-in it was, when the report could be matched to one.
    record_email_failed(
        email=email,
        reason=reason,
        touchpoint_id=message.touchpoint_id if message is not None else None,
        now=now,
    )


def soft_bounces_in_a_row(email: str) -> int:
    """Soft-bounced messages to the address since its last delivered one."""
    to_address = OutboxMessage.objects.filter(to_email__in=_addresses(email))
    last_delivered = (
        to_address.filter(outcome=Outcome.DELIVERED)
        .order_by("-outcome_at")
        .values_list("outcome_at", flat=True)
        .first()
    )
    bounced = to_address.filter(outcome=Outcome.SOFT_BOUNCED)
    if last_delivered is not None:
        bounced = bounced.filter(outcome_at__gt=last_delivered)
    return bounced.count()


def record_complaint(
    *,
    email: str,
    message: OutboxMessage | None = None,
    detail: str = "",
    now: dt.datetime | None = None,
) -> None:
    """Marked as spam: no more marketing to this address, on any purpose."""
    now = now or timezone.now()
    _set_outcome(message, Outcome.COMPLAINED, detail=detail, now=now)
    suppress(email, reason=Reason.COMPLAINT, detail=detail, message=message)
    withdraw_consent_for_address(email, how="Marked our email as spam", now=now)
    _address_failed(email, reason=f"Marked our email as spam ({detail})", message=message, now=now)


def record_unsubscribe(
    *,
    email: str,
    message: OutboxMessage | None = None,
    detail: str = "",
    now: dt.datetime | None = None,
) -> None:
    """The provider's own unsubscribe (its link or its list): stop marketing."""
    now = now or timezone.now()
    _set_outcome(message, Outcome.UNSUBSCRIBED, detail=detail, now=now)
    suppress(email, reason=Reason.UNSUBSCRIBE, detail=detail, message=message)
    withdraw_consent_for_address(email, how="Unsubscribed at the email provider", now=now)


# --- Bounce messages (RFC 3464) and feedback-loop complaints (RFC 5965) --------------------


@dataclass
class Report:
    """One recipient's fate as a report tells it."""

    kind: str  # hard | soft | complaint
    recipient: str
    status: str = ""
    detail: str = ""
    message_id: str = ""


@dataclass
class ReportResult:
    reports: list[Report] = field(default_factory=list)
    recognised: bool = False


_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


def _address_field(value: str | None) -> str:
    # "rfc822; someone@example.org" -> someone@example.org
    if not value:
        return ""
    _, _, address = str(value).partition(";")
    return parseaddr(address.strip() or str(value))[1].strip()


def _kind_for(status: str) -> str:
    # 5.1.x bad address, 5.2.1 mailbox disabled, 5.0.0 what many servers say for "no such
    # user". Mailbox full (5.2.2), policy and spam blocks (5.7.x) and everything 4.x.x
    # are about this message or this moment, not the address: soft.
    if status.startswith("5.1.") or status in ("5.2.1", "5.0.0"):
        return HARD
    return SOFT


def _text(part: Message) -> str:
    raw = part.get_payload(decode=True)
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="replace")
    return str(part.get_payload())


def _original_headers(report: Message) -> Message | None:
    for part in report.walk():
        content_type = part.get_content_type()
        if content_type in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                inner = payload[0]
                return inner if isinstance(inner, Message) else None
        if content_type in ("text/rfc822-headers", "text/global-headers"):
            return HeaderParser(policy=email_policy.default).parsestr(_text(part))
    return None


def _field_blocks(part: Message) -> list[Message]:
    """The header blocks of a message/delivery-status or feedback-report part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    text = _text(part).replace("\r\n", "\n")
    return [
        HeaderParser(policy=email_policy.default).parsestr(chunk + "\n")
        for chunk in re.split(r"\n\s*\n", text)
        if chunk.strip()
    ]


def _delivery_status(part: Message, original_id: str) -> list[Report]:
    reports = []
    # The first block is about the whole message; the rest, one per recipient.
    for block in _field_blocks(part)[1:]:
        action = str(block.get("Action", "")).strip().lower()
        if action != "failed":
            continue  # delayed, delivered, relayed, expanded: not a bounce
        recipient = _address_field(block.get("Final-Recipient")) or _address_field(
            block.get("Original-Recipient")
        )
        found = _STATUS.search(str(block.get("Status", "")))
        status = ".".join(found.groups()) if found else "5.0.0"
        diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
        _, _, diagnostic = diagnostic.partition(";") if ";" in diagnostic else ("", "", diagnostic)
        if recipient:
            reports.append(
                Report(
                    kind=_kind_for(status),
                    recipient=recipient,
                    status=status,
                    detail=f"{status} {diagnostic.strip()}".strip(),
                    message_id=original_id,
                )
            )
    return reports


def _feedback(part: Message, original: Message | None, original_id: str) -> list[Report]:
    blocks = _field_blocks(part)
    fields = blocks[0] if blocks else Message()
    recipient = _address_field(fields.get("Original-Rcpt-To"))
    if not recipient and original is not None:
        recipient = parseaddr(str(original.get("To", "")))[1]
    feedback_type = str(fields.get("Feedback-Type", "abuse")).strip()
    if not recipient:
        return []
    return [
        Report(
            kind=COMPLAINT,
            recipient=recipient,
            detail=f"Feedback loop report: {feedback_type}",
            message_id=original_id,
        )
    ]


def parse_report(raw: bytes) -> ReportResult:
    """Read a bounce (DSN) or complaint (ARF) message with the standard library."""
    message = message_from_bytes(raw, policy=email_policy.default)
    result = ReportResult()
    if message.get_content_type() != "multipart/report":
        return result
    original = _original_headers(message)
    original_id = str(original.get("Message-ID", "")).strip() if original is not None else ""
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type in ("message/delivery-status", "message/global-delivery-status"):
            result.recognised = True
            result.reports.extend(_delivery_status(part, original_id))
        elif content_type == "message/feedback-report":
            result.recognised = True
            result.reports.extend(_feedback(part, original, original_id))
    return result


def process_report(raw: bytes, *, now: dt.datetime | None = None) -> ReportResult:
    """Parse a report and record what it says; the result lists what was found."""
    now = now or timezone.now()
    result = parse_report(raw)
    for report in result.reports:
        message = find_message(message_id=report.message_id, recipient=report.recipient)
        recipient = report.recipient
        if message is not None and report.message_id.strip("<> ") == message.message_id.strip("<>"):
            # Ours for sure: suppress the address we sent to, even if a forward bounced.
            recipient = message.to_email
        if report.kind == COMPLAINT:
            record_complaint(email=recipient, message=message, detail=report.detail, now=now)
        else:
            record_bounce(
                email=recipient,
                hard=report.kind == HARD,
                message=message,
                detail=report.detail,
                now=now,
            )
    return result
