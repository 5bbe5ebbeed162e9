"""Reads reused by pages and the API: alerts someone must act on, placements at risk."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.care.models import Touchpoint
from keepwarm.care.queries import read_staff, visible_placements
from keepwarm.care.services import covering_for
from keepwarm.lib.bulk import AMONG_IDS, Reading, fetch_all, ids_param, read_as, read_instance
from keepwarm.people.models import Person
from keepwarm.placements.models import Placement, RebateTier
from keepwarm.signals.models import (
    LIVE,
    Alert,
    FittedModel,
    Risk,
    RiskSettings,
    TextReading,
)
from keepwarm.signals.services.risk import alert_cutoff, latest_fitted_model
from keepwarm.surveys.models import Answer, Response


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


# --- Tone and leaving intent read from people's words ----------------------------------------

# What the readings show, in one statement written once (prepared on PostgreSQL): the
# timeline asks on every person page, and the ORM compiled its OR of two lists each time.
_READINGS = (
    "SELECT id, source, source_id, tone, intent, intent_phrase FROM {reading}"
    " WHERE (source = %s AND source_id {ids}) OR (source = %s AND source_id {ids})"
)
# The readings of a person's call notes and written answers, whatever of them a page shows:
# read with the person page's other parts, where the ids are not yet known.
_PERSON_READINGS = (
    "SELECT tr.id, tr.source, tr.source_id, tr.tone, tr.intent, tr.intent_phrase"
    " FROM {touchpoint} t INNER JOIN {reading} tr ON tr.source = %s AND tr.source_id = t.id"
    " WHERE t.person_id = %s AND t.notes <> ''"
    " UNION ALL"
    " SELECT tr.id, tr.source, tr.source_id, tr.tone, tr.intent, tr.intent_phrase"
    " FROM {response} r INNER JOIN {answer} a ON a.response_id = r.id"
    " INNER JOIN {reading} tr ON tr.source = %s AND tr.source_id = a.id"
    " WHERE r.person_id = %s"
)


def readings_of(touchpoints: list[int], answers: list[int]) -> dict[str, TextReading]:
    """The readings of these touchpoints' notes and these answers, keyed "source:id"."""
    sql = _READINGS.format(reading=_table(TextReading), ids=AMONG_IDS[connection.vendor])
    rows = fetch_all(
        sql,
        [
            TextReading.Source.TOUCHPOINT.value,
            ids_param(touchpoints),
            TextReading.Source.ANSWER.value,
            ids_param(answers),
        ],
    )
    return _readings(rows)


def readings_about(person: Person) -> Reading[dict[str, TextReading]]:
    """The readings of `person`'s call notes and written answers, keyed "source:id", for
    the timeline of their page."""
    sql = _PERSON_READINGS.format(
        touchpoint=_table(Touchpoint),
        reading=_table(TextReading),
        response=_table(Response),
        answer=_table(Answer),
    )
    params = [TextReading.Source.TOUCHPOINT.value, person.pk, TextReading.Source.ANSWER.value]
    return Reading([(sql, [*params, person.pk])], lambda rows: _readings(rows[0]))


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _readings(rows: list[tuple[Any, ...]]) -> dict[str, TextReading]:
    return {f"{row[1]}:{row[2]}": _reading(*row) for row in rows}


def _reading(
    pk: int, source: str, source_id: int, tone: float, intent: str, phrase: str
) -> TextReading:
    """A reading as the panel shows it; when it was read is left to be read on first use."""
    return read_instance(
        TextReading,
        id=pk,
        source=source,
        source_id=source_id,
        tone=tone,
        intent=intent,
        intent_phrase=phrase,
    )


# --- A placement's risk panel ------------------------------------------------------------------


class RiskPanel(NamedTuple):
    """What a placement's fall-off risk panel shows."""

    risk: Risk | None  # None until it is first scored
    open_alert: Alert | None  # at most one is open
    last_closed: Alert | None  # the alert it closed last
    threshold: int  # `alert_cutoff`
    now: dt.datetime
    # Read only where the panel names it: the template engine calls it there.
    fitted: Callable[[], FittedModel | None] = latest_fitted_model


class RiskPanels(NamedTuple):
    """The risk panels of the placements a page shows, by placement."""

    found: dict[int, RiskPanel]
    threshold: int
    now: dt.datetime

    def of(self, placement_id: int) -> RiskPanel:
        """The panel of that placement: not scored and no alerts if nothing was found."""
        return self.found.get(placement_id) or RiskPanel(None, None, None, self.threshold, self.now)


# What the panel shows of a risk (never the stored features, most of what a row holds) and of
# a placement's alerts, with who holds and who closed each, of the placements `{where}` picks
# (`p`); and the settings the alert threshold comes from.
_PANEL_RISKS = (
    "SELECT r.id, r.placement_id, r.score, r.fitted_score, r.reasons, r.in_first_year,"
    " r.outcome, r.computed_at FROM {risk} r INNER JOIN {placement} p ON r.placement_id = p.id"
    " WHERE {where}"
)
_PANEL_ALERTS = (
    "SELECT a.id, a.placement_id, a.state, a.reason, a.due_at, a.closed_at, a.close_note,"
    " a.owner_id, o.first_name, o.last_name, o.username,"
    " a.closed_by_id, c.first_name, c.last_name, c.username"
    " FROM {alert} a INNER JOIN {placement} p ON a.placement_id = p.id"
    " INNER JOIN {user} o ON a.owner_id = o.id LEFT OUTER JOIN {user} c ON a.closed_by_id = c.id"
    " WHERE {where}"
)
_PANEL_SETTINGS = "SELECT alert_by, alert_threshold FROM {settings} WHERE id = 1"


def risk_panel(placement: Placement) -> RiskPanel:
    """The risk panel of one placement (its own page)."""
    return _panels_where("p.id = %s", [placement.pk]).read().of(placement.pk)


def live_risk_panels(person: Person) -> Reading[RiskPanels]:
    """The risk panels of `person`'s own live placements, for their page (where the panel
    is shown for a placement offered, started or in guarantee): read with the page."""
    statuses = Placement.ACTIVE
    where = f"p.person_id = %s AND p.status IN ({', '.join(['%s'] * len(statuses))})"
    return _panels_where(where, [person.pk, *statuses])


def _panels_where(where: str, params: list[Any]) -> Reading[RiskPanels]:
    """The risk panels of the placements `where` picks: a condition on `p`, the placement,
    written here (never from what a user sent), its values in `params`."""
    tables = {
        "risk": _table(Risk),
        "alert": _table(Alert),
        "placement": _table(Placement),
        "user": _table(User),
        "settings": _table(RiskSettings),
    }
    statements = [
        (_PANEL_RISKS.format(where=where, **tables), params),
        (_PANEL_ALERTS.format(where=where, **tables), params),
        (_PANEL_SETTINGS.format(**tables), []),
    ]
    return Reading(statements, _risk_panels)


def _risk_panels(rows: list[list[tuple[Any, ...]]]) -> RiskPanels:
    risk_rows, alert_rows, settings_rows = rows
    now = timezone.now()
    threshold = _threshold(settings_rows)
    risks = _panel_risks(risk_rows)
    alerts: dict[int, list[Alert]] = {}
    for alert in _panel_alerts(alert_rows):
        alerts.setdefault(alert.placement_id, []).append(alert)
    found = {}
    for placement_id in {*risks, *alerts}:
        held = alerts.get(placement_id, [])
        open_alert = next((a for a in held if a.state == Alert.State.OPEN), None)
        closed = [a for a in held if a.state == Alert.State.CLOSED]
        last_closed = max(closed, key=_closed_order, default=None)
        found[placement_id] = RiskPanel(
            risks.get(placement_id), open_alert, last_closed, threshold, now
        )
    return RiskPanels(found, threshold, now)


def _threshold(settings_rows: list[tuple[Any, ...]]) -> int:
    """`alert_cutoff` from the settings read with the panel; by share (or before the
    settings are first saved) it reads what it needs."""
    if settings_rows and settings_rows[0][0] == RiskSettings.AlertBy.SCORE:
        return int(settings_rows[0][1])
    return alert_cutoff()


def _panel_risks(rows: list[tuple[Any, ...]]) -> dict[int, Risk]:
    reasons, computed_at = read_as(Risk, "reasons"), read_as(Risk, "computed_at")
    in_first_year = read_as(Risk, "in_first_year")
    return {
        placement_id: read_instance(
            Risk,
            id=pk,
            placement_id=placement_id,
            score=score,
            fitted_score=fitted,
            reasons=reasons(why),
            in_first_year=in_first_year(first_year),
            outcome=outcome,
            computed_at=computed_at(at),
        )
        for pk, placement_id, score, fitted, why, first_year, outcome, at in rows
    }


def _panel_alerts(rows: list[tuple[Any, ...]]) -> list[Alert]:
    due_at, closed_at = read_as(Alert, "due_at"), read_as(Alert, "closed_at")
    found = []
    for pk, placement_id, state, reason, due, closed, note, *names in rows:
        alert = read_instance(
            Alert,
            id=pk,
            placement_id=placement_id,
            state=state,
            reason=reason,
            due_at=due_at(due),
            closed_at=closed_at(closed),
            close_note=note,
            owner_id=names[0],
            closed_by_id=names[4],
        )
        owner = read_staff(*names[:4])
        assert owner is not None  # every alert has someone to act on it (an inner join)
        alert.owner = owner
        alert.closed_by = read_staff(*names[4:])
        found.append(alert)
    return found


def _closed_order(alert: Alert) -> tuple[dt.datetime, int]:
    # Closing an alert stamps it; one closed without a time sorts as the oldest.
    return alert.closed_at or _LONG_AGO, alert.pk


_LONG_AGO = dt.datetime.min.replace(tzinfo=dt.UTC)
