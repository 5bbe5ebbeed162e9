"""Domain events: what happened, for whoever listens (webhooks today).

Services call ``emit`` after their transaction commits, so a listener never sees an
event for a change that was rolled back. Emitting with no listener connected is fine.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import Signal

# The events an admin can subscribe a webhook to; names are part of the public API.
PLACEMENT_AT_RISK = "placement.at_risk"
ALERT_OPENED = "alert.opened"
QUESTIONNAIRE_ANSWERED = "questionnaire.answered"
REFERRAL_RECEIVED = "referral.received"
PERSON_READY_TO_MOVE = "person.ready_to_move"

EVENTS: tuple[str, ...] = (
    PLACEMENT_AT_RISK,
    ALERT_OPENED,
    QUESTIONNAIRE_ANSWERED,
    REFERRAL_RECEIVED,
    PERSON_READY_TO_MOVE,
)

# Receivers get ``event`` (one of EVENTS) and ``payload`` (JSON-serialisable dict).
domain_event = Signal()


def emit(event: str, payload: dict[str, Any]) -> None:
    """Announce ``event`` once the surrounding transaction (if any) has committed."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    transaction.on_commit(lambda: domain_event.send(sender=None, event=event, payload=payload))
