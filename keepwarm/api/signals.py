"""Fall-off risk (ranked list, one placement) and alerts (list, read, close with a note)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import WithJsonSchema

from keepwarm.api.auth import caller
from keepwarm.api.lookups import username_of
from keepwarm.api.schemas import ErrorOut, Id, LongText, PageQuery, Str200
from keepwarm.audit.recording import brief_label, record_read
from keepwarm.care.queries import visible_placements
from keepwarm.signals import queries
from keepwarm.signals.models import Alert, Risk, Signal
from keepwarm.signals.services import concerns
from keepwarm.signals.services.risk import recompute_risk

# Written out inline: the schema would otherwise merge it with other enums named alike.
AlertStateValue = Annotated[
    Alert.State, WithJsonSchema({"type": "string", "enum": Alert.State.values})
]

risk_router = Router()
alerts_router = Router()


class SignalOut(Schema):
    kind: str
    reason: str
    weight: float
    source: str
    observed_on: dt.date


class RiskOut(Schema):
    placement: int = Field(alias="placement_id")
    placement_url: str
    person: str
    company: str
    owner: str | None
    score: int = Field(description="0–100 from the default (admin-editable) weights.")
    fitted_score: int | None = Field(
        description="0–100 from the model fitted to the agency's outcomes, once there is one."
    )
    reasons: list[str]
    in_first_year: bool
    computed_at: dt.datetime

    @staticmethod
    def resolve_placement_url(obj: Risk) -> str:
        return reverse("api:placement", args=[obj.placement_id])

    @staticmethod
    def resolve_person(obj: Risk) -> str:
        return obj.placement.person.full_name

    @staticmethod
    def resolve_company(obj: Risk) -> str:
        return obj.placement.company.name

    @staticmethod
    def resolve_owner(obj: Risk) -> str | None:
        return username_of(obj.placement.owner)


class RiskDetailOut(RiskOut):
    signals: list[SignalOut]

    @staticmethod
    def resolve_signals(obj: Risk) -> list[Signal]:
        return list(
            Signal.objects.filter(placement_id=obj.placement_id, active=True).order_by(
                "-weight", "-observed_on", "-id"
            )
        )


class RiskPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[RiskOut]


class RiskFilters(PageQuery):
    min_score: int = Field(1, ge=0, le=100, description="Only scores at or above this.")
    owner: Str200 | None = Field(None, description="Username of the placement's owner.")


@risk_router.get("", response=RiskPage, url_name="risks")
def list_risk(request: HttpRequest, filters: Query[RiskFilters]) -> dict[str, Any]:
    """Active placements in their first year, riskiest first."""
    risks = queries.at_risk(caller(request))
    if filters.min_score > 1:
        risks = risks.filter(score__gte=filters.min_score)
    if filters.owner:
        risks = risks.filter(placement__owner__username=filters.owner)
    window = list(risks[filters.offset : filters.offset + filters.limit])
    record_read(risk.placement for risk in window)
    return {
        "count": risks.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": window,
    }


@risk_router.get("/{placement_id}", response={200: RiskDetailOut, 404: ErrorOut}, url_name="risk")
def read_risk(request: HttpRequest, placement_id: Id) -> Risk:
    """One placement's risk, with its current warning signs (computed now if never before)."""
    user = caller(request)
    risk = queries.risk_for(user, placement_id)
    if risk is None:
        placement = visible_placements(user).filter(pk=placement_id).first()
        if placement is None:
            raise Http404
        recompute_risk(placement=placement)
        risk = queries.risk_for(user, placement_id)
        assert risk is not None
    return risk


class AlertState(StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"
    CLOSED = "closed"


class AlertOut(Schema):
    id: int
    url: str
    placement: int = Field(alias="placement_id")
    person: str
    owner: str | None = Field(description="Who must act: the placement's owner or their cover.")
    reason: str
    risk_score: int | None
    state: AlertStateValue
    overdue: bool
    opened_at: dt.datetime
    due_at: dt.datetime
    closed_at: dt.datetime | None
    closed_by: str | None
    close_note: str
    reopened_count: int
    escalated_at: dt.datetime | None = Field(
        description="When it went to the managers for being left open too long past its due time."
    )

    @staticmethod
    def resolve_url(obj: Alert) -> str:
        return reverse("api:alert", args=[obj.pk])

    @staticmethod
    def resolve_person(obj: Alert) -> str:
        return obj.placement.person.full_name

    @staticmethod
    def resolve_owner(obj: Alert) -> str | None:
        return username_of(obj.owner)

    @staticmethod
    def resolve_closed_by(obj: Alert) -> str | None:
        return username_of(obj.closed_by)

    @staticmethod
    def resolve_overdue(obj: Alert) -> bool:
        return obj.is_overdue(timezone.now())


class AlertPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AlertOut]


class AlertFilters(PageQuery):
    state: AlertState | None = Field(None, description="open, overdue or closed; default all.")
    owner: Str200 | None = Field(None, description="Username of who must act.")
    placement: Id | None = None


class CloseIn(Schema):
    note: LongText = Field(..., min_length=1, description="What was done (required).")


def _alerts(request: HttpRequest) -> QuerySet[Alert]:
    return queries.visible_alerts(caller(request)).select_related("closed_by")


@alerts_router.get("", response=AlertPage, url_name="alerts")
def list_alerts(request: HttpRequest, filters: Query[AlertFilters]) -> dict[str, Any]:
    """Alerts on placements you may see; open ones by due time, closed ones newest first."""
    alerts = queries.filter_alerts(
        _alerts(request),
        now=timezone.now(),
        state=filters.state.value if filters.state else "",
        placement_id=filters.placement,
    )
    if filters.owner:
        alerts = alerts.filter(owner__username=filters.owner)
    order = ("-closed_at", "-id") if filters.state == AlertState.CLOSED else ("due_at", "id")
    alerts = alerts.order_by(*order)
    window = list(alerts[filters.offset : filters.offset + filters.limit])
    record_read(window, label=brief_label, people=queries.alert_people_shown)
    return {
        "count": alerts.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": window,
    }


@alerts_router.get("/{id}", response={200: AlertOut, 404: ErrorOut}, url_name="alert")
def read_alert(request: HttpRequest, id: Id) -> Alert:
    return queries.get_alert_for(caller(request), id)


@alerts_router.post(
    "/{id}/close", response={200: AlertOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
)
def close_alert(request: HttpRequest, id: Id, payload: CloseIn) -> Alert | Status[dict[str, Any]]:
    """Close an open alert with a note of what was done."""
    user = caller(request)
    with transaction.atomic():
        alert = queries.get_alert_for(caller(request), id)
        if not alert.is_open:
            return Status(409, {"detail": "This alert is already closed.", "errors": []})
        concerns.close_alert(alert=alert, by=user, note=payload.note)
    return queries.get_alert_for(caller(request), id)
