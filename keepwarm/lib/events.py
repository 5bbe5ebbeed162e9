"""Domain events: what happened, for whoever listens (webhooks, and risk hearing answers).

Services call ``emit`` after their transaction commits, so a listener never sees an
event for a change that was rolled back. Emitting with no listener connected is fine.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import Signal

# The events a webhook can subscribe to; names are part of the public API (docs/webhooks.md
# shows each payload). Payloads carry ids and what changed rather than a person's details:
# a receiver reads those through the API with its own token.
PERSON_CREATED = "person.created"
PERSON_UPDATED = "person.updated"
PERSON_ERASED = "person.erased"
PERSON_READY_TO_MOVE = "person.ready_to_move"
PLACEMENT_CREATED = "placement.created"
PLACEMENT_UPDATED = "placement.updated"
PLACEMENT_ENDED = "placement.ended"
PLACEMENT_AT_RISK = "placement.at_risk"
RISK_CHANGED = "placement.risk_changed"
TOUCHPOINT_LOGGED = "touchpoint.logged"
QUESTIONNAIRE_ANSWERED = "questionnaire.answered"
ALERT_OPENED = "alert.opened"
ALERT_CLOSED = "alert.closed"
ALERT_ESCALATED = "alert.escalated"
REFERRAL_RECEIVED = "referral.received"
REFERRAL_STATUS_CHANGED = "referral.status_changed"
LEAD_RECEIVED = "lead.received"
LEAD_STATUS_CHANGED = "lead.status_changed"
CONSENT_CHANGED = "consent.changed"
EMAIL_SUPPRESSED = "email.suppressed"

EVENTS: tuple[str, ...] = (
    PERSON_CREATED,
    PERSON_UPDATED,
    PERSON_ERASED,
    PERSON_READY_TO_MOVE,
    PLACEMENT_CREATED,
    PLACEMENT_UPDATED,
    PLACEMENT_ENDED,
    PLACEMENT_AT_RISK,
    RISK_CHANGED,
    TOUCHPOINT_LOGGED,
    QUESTIONNAIRE_ANSWERED,
    ALERT_OPENED,
    ALERT_CLOSED,
    ALERT_ESCALATED,
    REFERRAL_RECEIVED,
    REFERRAL_STATUS_CHANGED,
    LEAD_RECEIVED,
    LEAD_STATUS_CHANGED,
    CONSENT_CHANGED,
    EMAIL_SUPPRESSED,
)

# Receivers get ``event`` (one of EVENTS) and ``payload`` (JSON-serialisable dict).
domain_event = Signal()


def emit(event: str, payload: dict[str, Any]) -> None:
    """Announce ``event`` once the surrounding transaction (if any) has committed."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    transaction.on_commit(lambda: domain_event.send(sender=None, event=event, payload=payload))
