"""What a consultant does about a placement's worries, in one step: the call made about an
alert (logged, and closing the alert when it reached the person), and a concern raised."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.care.models import Kind, Touchpoint
from keepwarm.care.queries import due_calls_for
from keepwarm.care.services import CONTACT_OUTCOMES, log_touchpoint
from keepwarm.placements.models import Placement
from keepwarm.signals.models import Alert, Signal
from keepwarm.signals.services.alerts import open_alert
from keepwarm.signals.services.concerns import close_alert, flag_placement

# The reasons offered as one-click buttons; "Other" asks for a word more.
CONCERN_REASONS = (
    "Sounds unhappy",
    "Mentioned another offer or interview",
    "Problem with the manager or team",
    "Hours, pay or duties not as agreed",
    "Client is unhappy with them",
    "Other",
)


@transaction.atomic
def call_about_alert(
    *, alert: Alert, by: User, outcome: str, note: str, now: dt.datetime | None = None
) -> tuple[Alert, Touchpoint]:
    """Log the call made about `alert`; when it reached the person, close the alert with
    the same note. One step, one record: the note is the call's, on the timeline, and
    reaching them is their last contact. A call due with them is completed rather than
    logged beside it (one that reached nobody stays open for its retry, and so does the
    alert). Returns the alert and the call (the due one, when there was one)."""
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Say what was said, or what you did."})
    if not alert.is_open:
        raise ValidationError("This alert is already closed.")
    now = now or timezone.now()
    placement = alert.placement
    person = placement.person
    due = list(due_calls_for(by, person, today=timezone.localdate(now)))
    # The call about this placement first; else any call due with them.
    due.sort(key=lambda t: t.placement_id != placement.pk)
    call = log_touchpoint(
        person=person,
        by=by,
        kind=Kind.CALL,
        outcome=outcome,
        notes=note,
        placement=placement,
        touchpoint=due[0] if due else None,
        now=now,
    )
    if outcome in CONTACT_OUTCOMES:
        alert = close_alert(alert=alert, by=by, note=note, now=now, on_timeline=False)
    return alert, call


def raise_concern(
    *, placement: Placement, by: User, reason: str, detail: str = "", now: dt.datetime | None = None
) -> Signal:
    """A consultant's judgement, in one click: counted in the risk at once (a consultant's
    flag) and added to the placement's open alert, if it has one."""
    reason, detail = reason.strip(), detail.strip()
    if reason == "Other" and not detail:
        raise ValidationError({"detail": "Say in a few words what worries you."})
    if placement.status in Placement.ENDED:
        raise ValidationError("This placement has ended; there is nothing left to keep.")
    said = f"{reason}: {detail}" if detail and reason != "Other" else detail or reason
    signal = flag_placement(placement=placement, by=by, reason=said, now=now)
    if Alert.objects.filter(placement=placement, state=Alert.State.OPEN).exists():
        # Adds the concern to the open alert (a placement has one open alert at most).
        open_alert(placement=placement, reason=f"Concern raised: {signal.reason}", now=now)
    return signal
