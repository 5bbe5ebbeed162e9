"""Worries people say out loud: a consultant's flag and what the person reports on their
personal page count in the risk; closing the alert they opened stops the report counting."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.lib import events
from keepwarm.people.models import Note
from keepwarm.placements.models import Placement
from keepwarm.signals.models import Alert, Signal, SignalKind
from keepwarm.signals.services.risk import current_weights, recompute_risk


def close_alert(
    *,
    alert: Alert,
    by: User,
    note: str,
    now: dt.datetime | None = None,
    on_timeline: bool = True,
) -> Alert:
    """Close an alert with a note of what was done (a note is required). The note goes on
    the person's timeline too (`on_timeline`), unless it is already there as a call's."""
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Say what was done before closing the alert."})
    now = now or timezone.now()
    closed = Alert.objects.filter(pk=alert.pk, state=Alert.State.OPEN).update(
        state=Alert.State.CLOSED, closed_at=now, closed_by=by, close_note=note
    )
    if closed != 1:
        raise ValidationError("This alert is already closed.")
    alert.refresh_from_db()
    events.emit(
        events.ALERT_CLOSED,
        {
            "alert_id": alert.pk,
            "placement_id": alert.placement_id,
            "person_id": alert.placement.person_id,
            "closed_by": by.username,
        },
    )
    if on_timeline:
        Note.objects.create(
            person_id=alert.placement.person_id, author=by, text=f"Alert closed: {note}"
        )
    # The problem the person reported has been dealt with: it no longer counts.
    if Signal.objects.filter(
        placement_id=alert.placement_id, source=Signal.Source.PERSONAL_PAGE, active=True
    ).update(active=False):
        recompute_risk(placement=alert.placement, now=now)
    return alert


def flag_placement(
    *, placement: Placement, by: User, reason: str, now: dt.datetime | None = None
) -> Signal:
    """A consultant's own worry, counted in the risk until they clear it."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say what worries you."})
    return _add_said_signal(
        placement=placement,
        kind=SignalKind.MANUAL,
        reason=f"{by.get_full_name() or by.username}: {reason}",
        source=Signal.Source.MANUAL,
        source_id=by.pk,
        now=now,
    )


def record_reported(
    *, placement: Placement, kind: str, reason: str, now: dt.datetime | None = None
) -> Signal:
    """What the placed person (or their manager) reported on their personal page, counted
    in the placement's risk until the alert it opened is closed."""
    return _add_said_signal(
        placement=placement,
        kind=kind,
        reason=reason,
        source=Signal.Source.PERSONAL_PAGE,
        source_id=0,
        now=now,
    )


def _add_said_signal(
    *,
    placement: Placement,
    kind: str,
    reason: str,
    source: str,
    source_id: int,
    now: dt.datetime | None,
) -> Signal:
    """A signal someone said (one of KEPT_SOURCES), then the risk recomputed with it."""
    now = now or timezone.now()
    signal = Signal.objects.create(
        placement=placement,
        kind=kind,
        weight=current_weights().get(kind, 0.0),
        reason=reason[:300],
        source=source,
        source_id=source_id,
        observed_on=timezone.localdate(now),
    )
    recompute_risk(placement=placement, now=now)
    return signal
