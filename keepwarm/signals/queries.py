"""Reads reused by pages and the API: alerts someone must act on, placements at risk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.care.queries import visible_placements
from keepwarm.care.services import covering_for
from keepwarm.lib.bulk import fetch_all, ids_param
from keepwarm.placements.models import Placement, RebateTier
from keepwarm.signals.models import LIVE, Alert, Risk


def _alerts() -> QuerySet[Alert]:
    return Alert.objects.select_related(
        "placement", "placement__person", "placement__company", "placement__owner", "owner"
    )


# Which open alerts someone must act on: addressed to them or to a colleague they cover,
# or on a placement such a colleague owns; earliest due first. The owners are one parameter
# each (an array on PostgreSQL, JSON for json_each on SQLite).
_OPEN_ALERT_IDS = {
    "postgresql": "SELECT a.id FROM {alert} a INNER JOIN {placement} p ON a.placement_id = p.id"
    " WHERE a.state = %s AND (a.owner_id = ANY(%s::bigint[]) OR p.owner_id = ANY(%s::bigint[]))"
    " ORDER BY a.due_at, a.id",
    "sqlite": "SELECT a.id FROM {alert} a INNER JOIN {placement} p ON a.placement_id = p.id"
    " WHERE a.state = %s AND (a.owner_id IN (SELECT value FROM json_each(%s))"
    " OR p.owner_id IN (SELECT value FROM json_each(%s))) ORDER BY a.due_at, a.id",
}


def open_alerts_for(user: User, *, now: dt.datetime) -> list[Alert]:
    """Open alerts `user` must act on: their own and those of colleagues they cover today,
    overdue (earliest due) first."""
    covered = [u.pk for u in covering_for(user, day=timezone.localdate(now))]
    # Today asks on every request and most days finds none: the ids come from a statement
    # written once (prepared on PostgreSQL), and only alerts found are loaded as objects.
    sql = _OPEN_ALERT_IDS[connection.vendor].format(
        alert=connection.ops.quote_name(Alert._meta.db_table),
        placement=connection.ops.quote_name(Placement._meta.db_table),
    )
    params = [Alert.State.OPEN.value, ids_param([user.pk, *covered]), ids_param(covered)]
    ids = [pk for (pk,) in fetch_all(sql, params)]
    if not ids:
        return []
    found = _alerts().in_bulk(ids)
    return [found[pk] for pk in ids]


def escalated_alerts_for(user: User) -> list[Alert]:
    """Open alerts escalated for being left open too long: the managers' (everyone who
    sees the whole team) to see to, longest escalated first."""
    if not user.sees_whole_team:
        return []
    return list(
        _alerts()
        .filter(state=Alert.State.OPEN, escalated_at__isnull=False)
        .order_by("escalated_at", "id")
    )


def visible_alerts(user: User) -> QuerySet[Alert]:
    """Alerts on placements `user` may see (managers: the whole team), plus their own."""
    return _alerts().filter(Q(placement__in=visible_placements(user)) | Q(owner=user)).distinct()


def get_alert_for(user: User, pk: int) -> Alert:
    """An alert `user` may see, or 404 (pages and API alike)."""
    return get_object_or_404(visible_alerts(user).select_related("closed_by"), pk=pk)


def alert_people_shown(alert: Alert) -> tuple[int]:
    """The person an alert is about (through its placement): who the trail says a list of
    alerts was read about."""
    return (alert.placement.person_id,)


def filter_alerts(
    alerts: QuerySet[Alert],
    *,
    now: dt.datetime,
    state: str = "",
    owner_id: int | None = None,
    placement_id: int | None = None,
) -> QuerySet[Alert]:
    """`state` is open, overdue, closed or "" for all."""
    if state == "open":
        alerts = alerts.filter(state=Alert.State.OPEN)
    elif state == "overdue":
        alerts = alerts.filter(state=Alert.State.OPEN, due_at__lt=now)
    elif state == "closed":
        alerts = alerts.filter(state=Alert.State.CLOSED)
    if owner_id is not None:
        alerts = alerts.filter(owner_id=owner_id)
    if placement_id is not None:
        alerts = alerts.filter(placement_id=placement_id)
    return alerts


def at_risk(user: User) -> QuerySet[Risk]:
    """Live placements with a risk above zero, riskiest first, among those `user` may see."""
    return (
        Risk.objects.filter(
            score__gt=0,
            placement__status__in=LIVE,
            placement__in=visible_placements(user),
        )
        .select_related("placement", "placement__person", "placement__company", "placement__owner")
        .order_by("-score", "-fitted_score", "placement_id")
    )


def open_alert_by_person(person_ids: list[int]) -> dict[int, Alert]:
    """The open fall-off alert on each person's live placement, the earliest due when there
    are several: Ready to move says to keep them first while someone works one."""
    found: dict[int, Alert] = {}
    alerts = Alert.objects.filter(
        state=Alert.State.OPEN,
        placement__person_id__in=person_ids,
        placement__status__in=LIVE,
    ).order_by("due_at", "id")
    for alert in alerts.select_related("placement"):
        found.setdefault(alert.placement.person_id, alert)
    return found


def risk_for(user: User, placement_id: int) -> Risk | None:
    return (
        Risk.objects.filter(placement_id=placement_id, placement__in=visible_placements(user))
        .select_related("placement", "placement__person", "placement__company", "placement__owner")
        .first()
    )


@dataclass(frozen=True)
class FeeAtRisk:
    placement: Placement
    tier: RebateTier
    score: int
    drops_this_week: bool  # the rebate tier falls within the week: act before it does


def fees_at_risk(user: User, *, today: dt.date, threshold: int) -> list[FeeAtRisk]:
    """Placements `user` may see that are in their guarantee with a refund at stake and
    either an open alert or a risk at the alert threshold, most money first."""
    risky = (
        visible_placements(user)
        .filter(status__in=Placement.ACTIVE, guarantee_remedy="refund", fee__isnull=False)
        .filter(Q(risk__score__gte=threshold) | Q(alerts__state=Alert.State.OPEN))
        .select_related("person", "company", "owner", "risk")
        .distinct()
    )
    week_end = today + dt.timedelta(days=7)
    found = []
    for placement in risky:
        tier = placement.rebate_tier(today)
        if tier is None or not tier.amount:
            continue
        risk = getattr(placement, "risk", None)
        found.append(
            FeeAtRisk(
                placement=placement,
                tier=tier,
                score=risk.score if risk is not None else 0,
                drops_this_week=tier.until < week_end,
            )
        )
    return sorted(found, key=lambda f: (-f.tier.amount, f.placement.pk))


def replacements_owed(user: User) -> QuerySet[Placement]:
    """Failed free-replacement guarantees not yet made good, the earliest deadline first."""
    return (
        visible_placements(user)
        .filter(replacement_due_by__isnull=False, replaced_by__isnull=True)
        .select_related("person", "company", "owner")
        .order_by("replacement_due_by", "pk")
    )
