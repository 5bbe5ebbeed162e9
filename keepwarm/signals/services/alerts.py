"""Alerts: opened for the owner (or their cover) and emailed, due in a working day;
a closed alert comes back (the same alert, with its history) only on new evidence; escalated
to the managers when left open too long past their due time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.care.services import stand_in_id
from keepwarm.lib import events
from keepwarm.lib.dates import add_working_days
from keepwarm.mail.compose import compose
from keepwarm.mail.services.outbox import queue_email
from keepwarm.placements.models import Placement
from keepwarm.signals.models import Alert, RiskSettings


def alert_owner(placement: Placement, day: dt.date) -> User:
    """The placement's owner, or whoever does their work on `day` (along a cover chain)."""
    stand_in = stand_in_id(placement.owner_id, day=day)
    return placement.owner if stand_in == placement.owner_id else User.objects.get(pk=stand_in)


def due_after(now: dt.datetime) -> dt.datetime:
    """One working day later, same local time (Friday afternoon -> Monday afternoon)."""
    local = timezone.localtime(now)
    day = add_working_days(local.date(), 1)
    return timezone.make_aware(dt.datetime.combine(day, local.time().replace(tzinfo=None)))


def open_alert(
    *,
    placement: Placement,
    reason: str,
    risk_score: int | None = None,
    now: dt.datetime | None = None,
) -> Alert | None:
    """Open an alert for the owner (or their cover), due in one working day, and email them.

    A placement has at most one open alert: a new worry while one is open is added to it.
    Returns the new alert, or None when one was already open.
    """
    now = now or timezone.now()
    existing = Alert.objects.filter(placement=placement).filter(state=Alert.State.OPEN).first()
    if existing is not None:
        if reason not in existing.reason:
            existing.reason = f"{existing.reason}\n{reason}"
            existing.save(update_fields=["reason"])
        return None
    owner = alert_owner(placement, timezone.localdate(now))
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                placement=placement,
                owner=owner,
                reason=reason,
                risk_score=risk_score,
                opened_at=now,
                due_at=due_after(now),
            )
    except IntegrityError:
        return None  # another process opened one at the same moment
    _email_alert(alert, now=now)
    events.emit(
        events.ALERT_OPENED,
        {
            "alert_id": alert.pk,
            "placement_id": placement.pk,
            "person_id": placement.person_id,
            "owner": owner.username,
            "reason": reason[:300],
            "risk_score": risk_score,
        },
    )
    return alert


def raise_alert(
    *,
    placement: Placement,
    reason: str,
    risk_score: int | None,
    evidence_at: dt.datetime | None,
    now: dt.datetime | None = None,
) -> Alert | None:
    """The one way risk asks for attention: add to the open alert, or reopen the last
    closed one, only when something was heard since that alert last took evidence in;
    else open a new one. The same old answers never bring a closed alert back, nor pile
    up in an open one day after day. Returns the alert opened or reopened (None when one
    was only added to, or nothing was new)."""
    now = now or timezone.now()
    last = Alert.objects.filter(placement=placement).order_by("-opened_at", "-id").first()
    if last is not None:
        heard = last.heard_until or last.closed_at
        if evidence_at is None or (heard is not None and evidence_at <= heard):
            return None  # nothing new since the alert last took it in
    if last is None or last.is_open:
        alert = open_alert(placement=placement, reason=reason, risk_score=risk_score, now=now)
    else:
        alert = reopen_alert(alert=last, reason=reason, risk_score=risk_score, now=now)
    Alert.objects.filter(placement=placement, state=Alert.State.OPEN).update(
        heard_until=evidence_at
    )
    return alert


def reopen_alert(
    *, alert: Alert, reason: str, risk_score: int | None = None, now: dt.datetime | None = None
) -> Alert:
    """New evidence is still worrying: the alert comes back, due in a working day again,
    with what was said and done before kept in its reason."""
    now = now or timezone.now()
    if risk_score is not None:
        alert.risk_score = risk_score
    previous = alert.close_note
    alert.state = Alert.State.OPEN
    alert.reopened_count += 1
    alert.owner = alert_owner(alert.placement, timezone.localdate(now))
    alert.due_at = due_after(now)
    alert.reason = (
        f"{alert.reason}\nReopened {timezone.localdate(now):%d %b %Y}: {reason}"
        f" (closed before with: {previous})"
    )
    alert.closed_at = None
    alert.closed_by = None
    alert.close_note = ""
    alert.escalated_at = None
    alert.save()
    _email_alert(alert, now=now)
    return alert


def _email_alert(alert: Alert, *, now: dt.datetime) -> None:
    owner = alert.owner
    if not owner.email:
        return
    placement = alert.placement
    context = {
        "alert": alert,
        "placement": placement,
        "owner": owner,
        **_alert_links(alert),
    }
    subject, text, html = compose("alert", context)
    queue_email(
        key=f"alert:{alert.pk}:{alert.reopened_count}",
        to_email=owner.email,
        subject=subject,
        body_text=text,
        body_html=html,
        from_email=settings.DEFAULT_FROM_EMAIL,
        send_after=now,
    )


def escalation_hours() -> int:
    """Hours an alert may stay open past its due time: the manager's setting, else the
    KEEPWARM_ALERT_ESCALATE_HOURS default."""
    chosen = RiskSettings.current().escalate_after_hours
    return chosen or int(settings.KEEPWARM_ALERT_ESCALATE_HOURS)


def escalation_recipients() -> list[User]:
    """Who escalated alerts go to: the active managers, else (an agency without one) the
    active admins."""
    active = User.objects.filter(is_active=True).order_by("id")
    managers = list(active.filter(role=User.Role.MANAGER))
    return managers or list(active.filter(role=User.Role.ADMIN))


def escalate_overdue_alerts(*, now: dt.datetime | None = None) -> int:
    """Open alerts overdue by more than `escalation_hours()` go to the managers: marked
    escalated (their Today shows them) and emailed once each. Returns how many.

    Safe to run twice and on several workers: the conditional UPDATE on `escalated_at` is
    the claim, and the outbox key (alert, reopening, manager) is UNIQUE.
    """
    now = now or timezone.now()
    hours = escalation_hours()
    cutoff = now - dt.timedelta(hours=hours)
    overdue = Alert.objects.filter(
        state=Alert.State.OPEN, escalated_at__isnull=True, due_at__lt=cutoff
    ).values_list("id", flat=True)
    managers = escalation_recipients()
    escalated = 0
    for pk in list(overdue):
        with transaction.atomic():
            claimed = Alert.objects.filter(
                pk=pk, state=Alert.State.OPEN, escalated_at__isnull=True
            ).update(escalated_at=now)
            if claimed != 1:
                continue  # closed meanwhile, or another worker has it
            alert = Alert.objects.select_related(
                "owner", "placement__person", "placement__company", "placement__owner"
            ).get(pk=pk)
            for manager in managers:
                _email_escalation(alert, manager=manager, hours=hours, now=now)
            events.emit(
                events.ALERT_ESCALATED,
                {
                    "alert_id": alert.pk,
                    "placement_id": alert.placement_id,
                    "person_id": alert.placement.person_id,
                    "owner": alert.owner.username,
                    "to": [manager.username for manager in managers],
                },
            )
        escalated += 1
    return escalated


def _alert_links(alert: Alert) -> dict[str, Any]:
    """What every alert email shows: the alert's link (where it is acted on and closed;
    the placement is one click from there) and its reasons, a line each."""
    return {
        "url": settings.BASE_URL + reverse("alert", args=[alert.pk]),
        "reasons": [line for line in alert.reason.splitlines() if line.strip()],
    }


def _email_escalation(alert: Alert, *, manager: User, hours: int, now: dt.datetime) -> None:
    if not manager.email:
        return
    context = {
        "alert": alert,
        "placement": alert.placement,
        "manager": manager,
        "hours": hours,
        **_alert_links(alert),
    }
    subject, text, html = compose("alert-escalated", context)
    queue_email(
        key=f"alert-escalated:{alert.pk}:{alert.reopened_count}:{manager.pk}",
        to_email=manager.email,
        subject=subject,
        body_text=text,
        body_html=html,
        from_email=settings.DEFAULT_FROM_EMAIL,
        send_after=now,
    )
