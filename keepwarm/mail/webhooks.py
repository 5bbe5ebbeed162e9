"""Email providers' webhooks, normalised by django-anymail, recorded as bounces etc.

anymail's views check the HTTP basic auth secret (KEEPWARM_ANYMAIL_WEBHOOK_SECRET) and
send its `tracking` signal; a library's signal is the one place a receiver is the way in.
"""

from __future__ import annotations

import logging
from typing import Any

from anymail.signals import AnymailTrackingEvent, EventType, RejectReason
from django.utils import timezone

from keepwarm.lib.ids import parse_id
from keepwarm.mail.bounces import (
    find_message,
    record_bounce,
    record_complaint,
    record_delivered,
    record_unsubscribe,
)
from keepwarm.mail.models import OutboxMessage

logger = logging.getLogger(__name__)

# Every message carries its outbox id in the provider's metadata (see _email_for).
METADATA_KEY = "keepwarm_outbox"


def _message_for(event: AnymailTrackingEvent) -> OutboxMessage | None:
    metadata = event.metadata or {}
    outbox_id = parse_id(metadata.get(METADATA_KEY, ""))
    if outbox_id is not None:
        found = OutboxMessage.objects.filter(id=outbox_id).first()
        if found is not None:
            return found
    return find_message(recipient=event.recipient or "")


def _is_soft(event: AnymailTrackingEvent, esp_name: str) -> bool:
    # anymail calls both kinds "bounced"; the provider's own field tells them apart.
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    if esp_name == "Postmark":
        return raw.get("Type") in ("SoftBounce", "Transient", "DnsError")
    if esp_name == "SendGrid":
        return raw.get("type") == "blocked"
    return False


def on_tracking(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    recipient = (event.recipient or "").strip()
    if not recipient:
        return
    message = _message_for(event)
    now = event.timestamp or timezone.now()
    detail = f"{esp_name}: {event.description or event.mta_response or event.event_type}"
    kind = event.event_type
    if kind == EventType.DELIVERED and message is not None:
        record_delivered(message, now=now)
    elif kind == EventType.BOUNCED:
        hard = not _is_soft(event, esp_name)
        record_bounce(email=recipient, hard=hard, message=message, detail=detail, now=now)
    elif kind == EventType.COMPLAINED:
        record_complaint(email=recipient, message=message, detail=detail, now=now)
    elif kind == EventType.UNSUBSCRIBED:
        record_unsubscribe(email=recipient, message=message, detail=detail, now=now)
    elif kind == EventType.REJECTED:
        # The provider refused to send, usually because of its own suppression list.
        reason = event.reject_reason
        if reason == RejectReason.SPAM:
            record_complaint(email=recipient, message=message, detail=detail, now=now)
        elif reason == RejectReason.UNSUBSCRIBED:
            record_unsubscribe(email=recipient, message=message, detail=detail, now=now)
        elif reason in (RejectReason.BOUNCED, RejectReason.INVALID):
            record_bounce(email=recipient, hard=True, message=message, detail=detail, now=now)
    # deferred (the provider retries), opened, clicked: nothing to record.
