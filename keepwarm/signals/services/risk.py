"""A placement's risk: the signals found stored, the score worked out, an alert opened
when it reaches the agency's threshold; and the weights the score is computed with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.db import transaction
from django.utils import timezone

from keepwarm.lib import events
from keepwarm.placements.models import Placement
from keepwarm.signals import scoring
from keepwarm.signals.models import FittedModel, Risk, RiskSettings, RiskWeight, Signal, SignalKind
from keepwarm.signals.scoring import Found
from keepwarm.signals.services.alerts import open_alert
from keepwarm.signals.services.evidence import (
    FIRST_YEAR_DAYS,
    KEPT_SOURCES,
    find_signals,
    in_first_year,
)


def current_weights() -> dict[str, float]:
    """The admin-edited weights, falling back to the shipped default for a missing kind."""
    weights = dict(scoring.DEFAULT_WEIGHTS)
    weights.update(dict(RiskWeight.objects.values_list("kind", "weight")))
    return weights


def ensure_default_weights() -> int:
    """Create a weight row for every signal kind that lacks one; returns how many."""
    have = set(RiskWeight.objects.values_list("kind", flat=True))
    missing = [
        RiskWeight(
            kind=kind,
            label=str(SignalKind(kind).label),
            weight=weight,
            explanation=scoring.EXPLANATIONS.get(kind, ""),
        )
        for kind, weight in scoring.DEFAULT_WEIGHTS.items()
        if kind not in have
    ]
    RiskWeight.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


def latest_fitted_model() -> FittedModel | None:
    return FittedModel.objects.order_by("-fitted_at", "-id").first()


def _sync_signals(
    placement: Placement, found: Iterable[Found], weights: Mapping[str, float]
) -> None:
    """Store the found signals: new ones added, vanished ones made inactive."""
    current = {(f.kind, f.source, f.source_id): f for f in found}
    existing = {
        (s.kind, s.source, s.source_id): s
        for s in Signal.objects.filter(placement=placement)
        .filter(active=True)
        .exclude(source__in=KEPT_SOURCES)
    }
    gone = [s.pk for key, s in existing.items() if key not in current]
    if gone:
        Signal.objects.filter(pk__in=gone).update(active=False)
    for key, f in current.items():
        weight = weights.get(f.kind, 0.0)
        signal = existing.get(key)
        if f.source in KEPT_SOURCES:
            continue
        if signal is None:
            Signal.objects.create(
                placement=placement,
                kind=f.kind,
                weight=weight,
                reason=f.reason[:300],
                source=f.source,
                source_id=f.source_id,
                observed_on=f.on,
            )
        elif signal.weight != weight or signal.reason != f.reason[:300]:
            signal.weight = weight
            signal.reason = f.reason[:300]
            signal.save(update_fields=["weight", "reason"])


@transaction.atomic
def recompute_risk(*, placement: Placement, now: dt.datetime | None = None) -> Risk:
    """Work out `placement`'s warning signs and risk score from what has happened, store
    them, and open an alert if the score reaches the agency's threshold.

    Placements past their first year keep a row with score 0 and no reasons; ended
    placements keep the score they had when they ended.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    risk = Risk.objects.select_for_update().filter(placement=placement).first()
    if placement.status in Placement.ENDED and risk is not None and risk.outcome:
        return risk
    score_before = risk.score if risk is not None else 0
    weights = current_weights()
    first_year = in_first_year(placement, today)
    found = find_signals(placement, now=now) if first_year else []
    _sync_signals(placement, found, weights)
    combined = scoring.combine(found, weights)
    features = scoring.features_of(found)
    fitted = latest_fitted_model()
    fitted_score = (
        scoring.percent(scoring.fitted_probability(features, fitted.coefficients, fitted.intercept))
        if fitted is not None and first_year
        else None
    )
    if risk is None:
        risk = Risk(placement=placement)
    risk.score = combined.score
    risk.reasons = combined.reasons
    risk.features = features
    risk.fitted_score = fitted_score
    risk.in_first_year = first_year
    risk.computed_at = now
    risk.save()

    if first_year and placement.status not in Placement.ENDED:
        threshold = RiskSettings.current().alert_threshold
        if risk.score >= threshold:
            reason = f"Fall-off risk {risk.score} (alert at {threshold}): " + "; ".join(
                combined.reasons[:3]
            )
            if score_before < threshold:
                events.emit(
                    events.PLACEMENT_AT_RISK,
                    {
                        "placement_id": placement.pk,
                        "person_id": placement.person_id,
                        "company_id": placement.company_id,
                        "score": risk.score,
                        "threshold": threshold,
                        "reasons": combined.reasons[:3],
                    },
                )
            open_alert(placement=placement, reason=reason, risk_score=risk.score, now=now)
    return risk


def recompute_all(*, now: dt.datetime | None = None) -> int:
    """Recompute every active placement in its first year (silence and unanswered
    check-ins grow with time, not only with events); returns how many."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    ids = Placement.objects.filter(
        status__in=Placement.ACTIVE,
        start_date__gt=today - dt.timedelta(days=FIRST_YEAR_DAYS),
    ).values_list("id", flat=True)
    count = 0
    for pk in ids.iterator():
        placement = Placement.objects.select_related("person").get(pk=pk)
        recompute_risk(placement=placement, now=now)
        count += 1
    # Placements that just passed their first year drop off the At risk page.
    Risk.objects.filter(
        in_first_year=True,
        placement__start_date__lte=today - dt.timedelta(days=FIRST_YEAR_DAYS),
        outcome="",
    ).update(in_first_year=False, score=0, fitted_score=None, reasons=[])
    return count
