"""Outcomes and the fitted model: placements that left or stayed become labelled
examples, and a logistic regression is fitted once there are enough of both."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.placements.models import Placement
from keepwarm.signals import scoring
from keepwarm.signals.models import Alert, FittedModel, Risk, RiskSettings, SignalKind
from keepwarm.signals.services.risk import current_weights, recompute_risk


def on_placement_ended(
    sender: object = None,
    *,
    placement: Placement,
    by: User,
    now: dt.datetime | None = None,
    **_: object,
) -> None:
    """The placement fell off or the person left: keep its signals as a labelled example
    ("left") and close its open alert, which can no longer be acted on.

    Connected to care's `placement_ended`, sent inside the transaction that records it."""
    now = now or timezone.now()
    risk = recompute_risk(placement=placement, now=now)
    risk.outcome = "left"
    risk.outcome_features = risk.features
    risk.save(update_fields=["outcome", "outcome_features"])
    reason = placement.get_leave_reason_display() if placement.leave_reason else "ended"
    Alert.objects.filter(placement=placement, state=Alert.State.OPEN).update(
        state=Alert.State.CLOSED,
        closed_at=now,
        closed_by=by,
        close_note=f"Placement {placement.get_status_display().lower()}: {reason}.",
    )


def label_stayers(*, today: dt.date) -> int:
    """Placements whose guarantee is over and still going become "stayed" examples, with
    the signals they had then. Returns how many were labelled."""
    labelled = 0
    candidates = Risk.objects.filter(
        outcome="",
        placement__status__in=(*Placement.ACTIVE, Placement.Status.SETTLED),
        placement__start_date__lt=today,
    ).select_related("placement")
    for risk in candidates.iterator():
        if risk.placement.guarantee_ends_on < today:
            risk.outcome = "stayed"
            risk.outcome_features = risk.features
            risk.save(update_fields=["outcome", "outcome_features"])
            labelled += 1
    return labelled


def fit_risk_model(*, now: dt.datetime | None = None) -> FittedModel | None:
    """Fit a logistic regression to the agency's outcomes when there are enough of both.

    Each example is a placement that left (fell off or left early) or stayed past its
    guarantee, described by the signal kinds it showed. Returns None (and changes
    nothing) until `min_outcomes` of each have been recorded.
    """
    now = now or timezone.now()
    label_stayers(today=timezone.localdate(now))
    settings_row = RiskSettings.current()
    examples = list(
        Risk.objects.exclude(outcome="")
        .order_by("placement_id")
        .values_list("outcome", "outcome_features")
    )
    n_left = sum(1 for outcome, _ in examples if outcome == "left")
    n_stayed = len(examples) - n_left
    if n_left < settings_row.min_outcomes or n_stayed < settings_row.min_outcomes:
        return None
    kinds = [k for k in SignalKind.values]
    rows = [[float(features.get(k, 0)) for k in kinds] for _, features in examples]
    labels = [1 if outcome == "left" else 0 for outcome, _ in examples]
    intercept, coefs = scoring.fit_logistic(rows, labels)
    weights = current_weights()
    default_scores = [
        1.0 - _prod((1.0 - weights.get(k, 0.0)) ** v for k, v in zip(kinds, row, strict=True))
        for row in rows
    ]
    return FittedModel.objects.create(
        coefficients={k: round(c, 4) for k, c in zip(kinds, coefs, strict=True)},
        intercept=round(intercept, 4),
        fitted_at=now,
        n_outcomes=len(examples),
        n_left=n_left,
        n_stayed=n_stayed,
        auc=round(scoring.cross_validated_auc(rows, labels), 3),
        default_auc=round(scoring.roc_auc(default_scores, labels), 3),
    )


def _prod(values: Iterable[float]) -> float:
    out = 1.0
    for v in values:
        out *= v
    return out
