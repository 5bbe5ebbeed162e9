"""Outcomes and the fitted model: snapshots at check-in points become labelled examples
(did the placement end in the next six months?), and a calibrated logistic regression,
pulled towards the built-in priors, is fitted once there are enough of both."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.audit.recording import record_changed, record_created, tracked_values
from keepwarm.placements.models import Placement
from keepwarm.signals import features, learning
from keepwarm.signals.models import Alert, FittedModel, Risk, RiskSettings, RiskSnapshot
from keepwarm.signals.services.risk import alert_cutoff, recompute_risk, rescore_live


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
    risk = recompute_risk(placement=placement, now=_scored_on_leaving(placement, now))
    risk.outcome = "left"
    risk.outcome_on = placement.left_on
    risk.outcome_features = risk.features
    risk.save(update_fields=["outcome", "outcome_on", "outcome_features"])
    reason = placement.get_leave_reason_display() if placement.leave_reason else "ended"
    Alert.objects.filter(placement=placement, state=Alert.State.OPEN).update(
        state=Alert.State.CLOSED,
        closed_at=now,
        closed_by=by,
        close_note=f"Placement {placement.get_status_display().lower()}: {reason}.",
    )


def _scored_on_leaving(placement: Placement, now: dt.datetime) -> dt.datetime:
    """When an ended placement's last score is worked out: at the end of the day they left,
    if that was before `now`. An ending is often recorded days or weeks later ("she left
    last Friday"); scored then, its example (and the page) would say they had been in the
    job until the day it was written down, and count the check-ins skipped since."""
    if placement.left_on is None:
        return now
    last_moment = timezone.make_aware(dt.datetime.combine(placement.left_on, dt.time.max))
    return min(now, last_moment)


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


def record_stayed(*, placement: Placement, on: dt.date) -> Risk:
    """Record that the placed person is still there on `on` (an integration that knows,
    e.g. from payroll): their snapshots up to six months before become "stayed" examples."""
    if placement.status in Placement.ENDED:
        raise ValidationError("This placement has ended; record a stay only for a live one.")
    risk = Risk.objects.filter(placement=placement).first()
    if risk is None:
        risk = recompute_risk(placement=placement)
    before = tracked_values(risk)
    risk.outcome = "stayed"
    risk.outcome_on = max(on, risk.outcome_on) if risk.outcome_on else on
    risk.save(update_fields=["outcome", "outcome_on"])
    record_changed(risk, before)
    return risk


def examples(*, today: dt.date) -> list[learning.Example]:
    """Every snapshot whose next six months are known, labelled: did the placement end in
    them? Leavers and stayers are thus compared at the same check-in points."""
    horizon = dt.timedelta(days=features.HORIZON_DAYS)
    rows = RiskSnapshot.objects.values_list(
        "taken_on",
        "features",
        "placement__status",
        "placement__left_on",
        "placement__risk__outcome_on",
    ).order_by("placement_id", "checkpoint")
    out = []
    for taken_on, values, status, left_on, stayed_on in rows.iterator():
        ends = taken_on + horizon
        if status in Placement.ENDED and left_on is not None:
            if left_on < taken_on:
                continue
            out.append(learning.Example(values, left_on <= ends))
        elif max(today, stayed_on or today) >= ends:
            out.append(learning.Example(values, False))
    return out


def fit_risk_model(*, now: dt.datetime | None = None) -> FittedModel | None:
    """Fit, calibrate and measure the model on the agency's outcomes when there are enough
    of both (`min_outcomes` examples that ended and that stayed). Returns None, changing
    nothing, until then: the built-in priors score meanwhile."""
    now = now or timezone.now()
    label_stayers(today=timezone.localdate(now))
    found = examples(today=timezone.localdate(now))
    need = RiskSettings.current().min_outcomes
    n_left = sum(1 for e in found if e.left)
    if n_left < need or len(found) - n_left < need:
        return None
    fit = learning.fit(found)
    fitted = FittedModel.objects.create(
        coefficients={k: round(c, 4) for k, c in fit.coefficients.items()},
        intercept=round(fit.intercept, 4),
        fitted_at=now,
        n_outcomes=len(found),
        n_left=fit.n_left,
        n_stayed=fit.n_stayed,
        auc=round(fit.auc, 3),
        default_auc=round(fit.prior_auc, 3),
        deciles=fit.deciles,
        precision=fit.precision,
    )
    record_created(fitted)
    rescore_live(today=timezone.localdate(now), now=now)
    return fitted


def refit_when_new_outcomes(*, now: dt.datetime) -> FittedModel | None:
    """Refit when the outcomes known differ from those the latest model learnt from."""
    latest = FittedModel.objects.order_by("-fitted_at", "-id").first()
    known = len(examples(today=timezone.localdate(now)))
    if latest is not None and latest.n_outcomes == known:
        return None
    return fit_risk_model(now=now)


def quality(fitted: FittedModel | None) -> dict[str, object]:
    """What the Risk weights page and the API say about the alert level: the precision and
    catch to expect, from the agency's own history. With a fitted model, from its held-out
    predictions; before one, from the outcomes known so far scored by the built-in weights."""
    settings_row = RiskSettings.current()
    cutoff = alert_cutoff(settings_row)
    table: list[dict[str, float]] = list(fitted.precision) if fitted and fitted.precision else []
    base = fitted.n_left / fitted.n_outcomes if fitted and fitted.n_outcomes else None
    if not table:
        known = examples(today=timezone.localdate())
        labels = [1 if e.left else 0 for e in known]
        if 0 < sum(labels) < len(labels):
            scores = [features.score_values(e.values) for e in known]
            table = learning.precision_table(scores, labels)
            base = sum(labels) / len(labels)
    row = None
    if table:
        if settings_row.alert_by == RiskSettings.AlertBy.SHARE:
            row = learning.at_share(table, share=settings_row.alert_share / 100)
        else:
            row = learning.at_cutoff(table, score=cutoff)
    return {"cutoff": cutoff, "expected": row, "base_rate": base}
