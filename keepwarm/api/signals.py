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
from keepwarm.api.schemas import ErrorOut, Id, LongText, Str200, SyncQuery
from keepwarm.audit.recording import brief_label, record_read
from keepwarm.care.queries import visible_placements
from keepwarm.care.services.placements import record_placement_outcome
from keepwarm.placements.models import Placement
from keepwarm.signals import features, queries
from keepwarm.signals.models import Alert, Risk, RiskSettings, Signal
from keepwarm.signals.services import concerns
from keepwarm.signals.services.fitting import fit_risk_model, quality, record_stayed
from keepwarm.signals.services.risk import latest_fitted_model, model_in_use, recompute_risk

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
    score: int = Field(
        description="0–100: the chance in 100 that the placement ends within six months, "
        "from the model in use (fitted, or the built-in weights)."
    )
    fitted_score: int | None = Field(
        description="0–100 from the model fitted to the agency's outcomes, once there is one."
    )
    reasons: list[str] = Field(description="What moved the score most, in words, news first.")
    factors: dict[str, float] = Field(
        alias="features", description="The graded factors scored (name -> value)."
    )
    in_first_year: bool
    computed_at: dt.datetime
    id: int = Field(description="This score's own id, which `after_id` pages by.")

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


class RiskFilters(SyncQuery):
    min_score: int = Field(1, ge=0, le=100, description="Only scores at or above this.")
    owner: Str200 | None = Field(None, description="Username of the placement's owner.")


@risk_router.get("", response=RiskPage, url_name="risks")
def list_risk(request: HttpRequest, filters: Query[RiskFilters]) -> dict[str, Any]:
    """Live placements, riskiest first."""
    risks = queries.at_risk(caller(request))
    if filters.min_score > 1:
        risks = risks.filter(score__gte=filters.min_score)
    if filters.owner:
        risks = risks.filter(placement__owner__username=filters.owner)
    risks = filters.changed(risks, stamp="computed_at")
    window = list(risks[filters.offset : filters.offset + filters.limit])
    record_read(risk.placement for risk in window)
    return {
        "count": risks.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": window,
    }


class DecileOut(Schema):
    decile: int
    n: int
    predicted: float = Field(description="Mean predicted chance of ending (0–1).")
    observed: float = Field(description="Share that ended within six months (0–1).")


class AlertLevelOut(Schema):
    alert_by: str = Field(description="score (at or above `threshold`) or share (riskiest %).")
    threshold: int
    share: int = Field(description="The riskiest share (%) when alert_by is share.")
    cutoff: int = Field(description="The score at or above which alerts open now.")
    expected_precision: float | None = Field(
        description="Share of alerted placements that ended within six months, held out."
    )
    expected_recall: float | None = Field(description="Share of leavers an alert caught.")
    expected_share: float | None = Field(description="Share of placements that alert.")
    base_rate: float | None = Field(description="Share of all examples that ended.")


class ModelOut(Schema):
    in_use: str = Field(description="fitted, or priors (the built-in weights).")
    intercept: float
    coefficients: dict[str, float] = Field(description="Factor -> log-odds, as scored now.")
    priors: dict[str, float] = Field(description="The built-in weights.")
    fitted_at: dt.datetime | None
    n_outcomes: int = Field(description="Examples learnt from (0 before a fit).")
    n_left: int
    n_stayed: int
    auc: float | None = Field(description="Held-out (5-fold) ROC AUC of the fitted model.")
    prior_auc: float | None = Field(description="ROC AUC of the built-in weights, same data.")
    deciles: list[DecileOut] = Field(description="Calibration by decile, held out.")
    alert: AlertLevelOut


def _model_out() -> dict[str, Any]:
    fitted = latest_fitted_model()
    in_use = model_in_use()
    settings_row = RiskSettings.current()
    found = quality(in_use or fitted)
    expected = found["expected"] if isinstance(found["expected"], dict) else {}
    return {
        "in_use": "fitted" if in_use else "priors",
        "intercept": in_use.intercept if in_use else features.INTERCEPT,
        "coefficients": in_use.coefficients if in_use else dict(features.PRIORS),
        "priors": dict(features.PRIORS),
        "fitted_at": fitted.fitted_at if fitted else None,
        "n_outcomes": fitted.n_outcomes if fitted else 0,
        "n_left": fitted.n_left if fitted else 0,
        "n_stayed": fitted.n_stayed if fitted else 0,
        "auc": fitted.auc if fitted else None,
        "prior_auc": fitted.default_auc if fitted else None,
        "deciles": fitted.deciles if fitted else [],
        "alert": {
            "alert_by": settings_row.alert_by,
            "threshold": settings_row.alert_threshold,
            "share": settings_row.alert_share,
            "cutoff": found["cutoff"],
            "expected_precision": expected.get("precision"),
            "expected_recall": expected.get("recall"),
            "expected_share": expected.get("share"),
            "base_rate": found["base_rate"],
        },
    }


@risk_router.get("/model", response=ModelOut, url_name="risk_model")
def read_model(request: HttpRequest) -> dict[str, Any]:
    """The model scoring now (fitted or the built-in priors), its held-out quality and the
    alert level with the precision to expect from the agency's own history."""
    caller(request)
    return _model_out()


@risk_router.post(
    "/model/fit", response={200: ModelOut, 403: ErrorOut, 409: ErrorOut}, url_name="risk_fit"
)
def fit_model(request: HttpRequest) -> dict[str, Any] | Status[dict[str, Any]]:
    """Refit the model on the agency's outcomes now (managers and admins)."""
    if not caller(request).sees_whole_team:
        return Status(403, {"detail": "Only managers and admins refit the model.", "errors": []})
    if fit_risk_model() is None:
        need = RiskSettings.current().min_outcomes
        detail = f"Not enough outcomes yet: {need} that ended and {need} that stayed are needed."
        return Status(409, {"detail": detail, "errors": []})
    return _model_out()


class OutcomeKind(StrEnum):
    FELL_OFF = "fell_off"
    LEFT = "left"
    STAYED = "stayed"


class OutcomeIn(Schema):
    placement: Id
    outcome: OutcomeKind = Field(
        description="fell_off or left (the placement ends, as on its page), or stayed (still "
        "there on `on`, e.g. from payroll)."
    )
    on: dt.date = Field(description="The leaving date, or the day they were known to be there.")
    reason: Placement.LeaveReason | None = Field(
        None, description="Why they left (required for fell_off and left)."
    )
    notes: LongText = ""


@risk_router.post(
    "/outcomes",
    response={200: RiskOut, 404: ErrorOut, 422: ErrorOut},
    url_name="risk_outcomes",
)
def record_outcome(request: HttpRequest, payload: OutcomeIn) -> Risk | Status[dict[str, Any]]:
    """Record what became of a placement, so the model can learn from it."""
    user = caller(request)
    placement = visible_placements(user).filter(pk=payload.placement).first()
    if placement is None:
        raise Http404
    if payload.outcome == OutcomeKind.STAYED:
        record_stayed(placement=placement, on=payload.on)
    else:
        if payload.reason is None:
            problem = {"field": "reason", "message": "Say why they left."}
            return Status(422, {"detail": "Say why they left.", "errors": [problem]})
        record_placement_outcome(
            placement=placement,
            status=payload.outcome.value,
            left_on=payload.on,
            reason=payload.reason.value,
            notes=payload.notes,
            by=user,
        )
    risk = queries.risk_for(user, placement.pk)
    assert risk is not None
    return risk


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


class AlertFilters(SyncQuery):
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
    alerts = filters.changed(alerts.order_by(*order))
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
