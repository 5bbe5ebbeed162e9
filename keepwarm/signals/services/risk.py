"""A placement's risk: the signals found stored, the graded factors scored, an alert
opened (or reopened on new evidence) when it reaches the agency's alert level."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping

from django import forms
from django.db import connection, transaction
from django.utils import timezone

from keepwarm.audit.recording import record_changed, tracked_values
from keepwarm.lib import events
from keepwarm.placements.models import Placement
from keepwarm.signals import features, scoring
from keepwarm.signals.models import (
    LIVE,
    FittedModel,
    Risk,
    RiskSettings,
    RiskSnapshot,
    RiskWeight,
    Signal,
    SignalKind,
)
from keepwarm.signals.scoring import Found
from keepwarm.signals.services.alerts import raise_alert
from keepwarm.signals.services.evidence import (
    FIRST_YEAR_DAYS,
    KEPT_SOURCES,
    PayTable,
    find_signals,
    hear,
    in_first_year,
    pay_table,
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


# Check-in points (days since the start) at which a placement's factors are kept as an
# example for the model; a snapshot is taken within SNAPSHOT_WINDOW days after the point.
CHECKPOINTS = (7, 30, 91, 182, 273, 365, 547, 730, 1095, 1460, 1825)
SNAPSHOT_WINDOW = 45


def model_in_use() -> FittedModel | None:
    """The fitted model, when there is one that ranks the agency's outcomes at least as
    well as the built-in priors; None means the priors."""
    fitted = latest_fitted_model()
    if fitted is None or (fitted.default_auc is not None and fitted.auc < fitted.default_auc):
        return None
    return fitted


def save_risk_settings(*, form: forms.ModelForm[RiskSettings]) -> RiskSettings:
    """Save the alert level and risk settings a manager set, with an audit entry."""
    before = tracked_values(RiskSettings.current())
    saved = form.save()
    record_changed(saved, before)
    return saved


def score_factors(factors: list[features.Factor], fitted: FittedModel | None) -> features.Scored:
    if fitted is None:
        return features.score(factors)
    return features.score(factors, intercept=fitted.intercept, coefficients=fitted.coefficients)


def alert_cutoff(settings_row: RiskSettings | None = None) -> int:
    """The score at or above which an alert opens: set directly, or the score of the
    riskiest N% of live placements."""
    settings_row = settings_row or RiskSettings.current()
    if settings_row.alert_by != RiskSettings.AlertBy.SHARE:
        return int(settings_row.alert_threshold)
    live = Risk.objects.filter(placement__status__in=LIVE)
    count = live.count()
    rank = max(1, round(count * settings_row.alert_share / 100))
    scores = list(live.order_by("-score").values_list("score", flat=True)[rank - 1 : rank])
    return max(1, scores[0]) if scores else int(settings_row.alert_threshold)


def checkpoint_for(days: int) -> int | None:
    passed = [c for c in CHECKPOINTS if c <= days < c + SNAPSHOT_WINDOW]
    return passed[-1] if passed else None


def _snapshot(placement: Placement, risk: Risk, today: dt.date) -> None:
    point = checkpoint_for((today - placement.start_date).days)
    if point is None:
        return
    RiskSnapshot.objects.get_or_create(
        placement=placement,
        checkpoint=point,
        defaults={"taken_on": today, "features": risk.features, "score": risk.score},
    )


@transaction.atomic
def recompute_risk(
    *, placement: Placement, now: dt.datetime | None = None, pay: PayTable | None = None
) -> Risk:
    """Work out `placement`'s warning signs, graded factors and risk score from what has
    happened, store them, and open (or, on new evidence, reopen) an alert when the score
    reaches the agency's alert level.

    Every live placement is scored, whatever its tenure; ended placements keep the score
    they had when they ended.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    risk = Risk.objects.select_for_update().filter(placement=placement).first()
    if placement.status in Placement.ENDED and risk is not None and risk.outcome:
        return risk
    score_before = risk.score if risk is not None else 0
    found = find_signals(placement, now=now)
    _sync_signals(placement, found, current_weights())
    heard = hear(placement, now=now, pay=pay)
    fitted = latest_fitted_model()
    in_use = model_in_use()
    scored = score_factors(heard.factors, in_use)
    if risk is None:
        risk = Risk(placement=placement)
    risk.score = scored.score
    risk.reasons = scored.reasons
    risk.features = scored.values
    risk.fitted_score = score_factors(heard.factors, fitted).score if fitted else None
    risk.in_first_year = in_first_year(placement, today)
    risk.evidence_at = heard.evidence_at
    risk.computed_at = now
    risk.save()
    if risk.score != score_before:
        events.emit(
            events.RISK_CHANGED,
            {
                "placement_id": placement.pk,
                "person_id": placement.person_id,
                "score": risk.score,
                "previous_score": score_before,
                "reasons": risk.reasons[:3],
            },
        )
    if placement.status not in Placement.ENDED:
        _snapshot(placement, risk, today)
        _alert_if_warranted(placement, risk, scored, score_before=score_before, now=now)
    return risk


def _news(scored: features.Scored) -> list[str]:
    """The reasons among the top ones that are news (answers, calls, concerns), not context."""
    return [f.words for f in scored.top if not features.is_context(f.name)]


def _alert_if_warranted(
    placement: Placement,
    risk: Risk,
    scored: features.Scored,
    *,
    score_before: int,
    now: dt.datetime,
) -> None:
    cutoff = alert_cutoff()
    if risk.score < cutoff or not _news(scored):
        return
    if score_before < cutoff:
        events.emit(
            events.PLACEMENT_AT_RISK,
            {
                "placement_id": placement.pk,
                "person_id": placement.person_id,
                "company_id": placement.company_id,
                "score": risk.score,
                "threshold": cutoff,
                "reasons": risk.reasons[:3],
            },
        )
    reason = f"Fall-off risk {risk.score} (alert at {cutoff}): " + "; ".join(risk.reasons[:3])
    raise_alert(
        placement=placement,
        reason=reason,
        risk_score=risk.score,
        evidence_at=risk.evidence_at,
        now=now,
    )


def recompute_all(*, now: dt.datetime | None = None) -> int:
    """Recompute every live placement in its first year in full (silence and unanswered
    check-ins grow with time, not only with events), then rescore every live placement
    from its stored factors (tenure moves on); returns how many were recomputed in full."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    ids = Placement.objects.filter(
        status__in=LIVE,
        start_date__gt=today - dt.timedelta(days=FIRST_YEAR_DAYS),
    ).values_list("id", flat=True)
    count = 0
    pay = pay_table()
    for pk in ids.iterator():
        placement = Placement.objects.select_related("person").get(pk=pk)
        recompute_risk(placement=placement, now=now, pay=pay)
        count += 1
    Risk.objects.filter(
        in_first_year=True,
        placement__start_date__lte=today - dt.timedelta(days=FIRST_YEAR_DAYS),
    ).update(in_first_year=False)
    rescore_live(today=today, now=now)
    return count


def rescore_live(*, today: dt.date, now: dt.datetime | None = None, batch: int = 2000) -> int:
    """Rescore every live placement from its stored factors with tenure brought up to
    `today` and the model in use: one read, and a write only where the score changed.
    Returns how many scores changed; a changed score is stamped `now` (`computed_at`), so a
    sync of the risk list sees it.

    The daily fast path for 100k placements, held to a bare read of the same rows by
    bench/bench_risk_rescore.py: the ORM's own query run on the cursor (its per-row
    converters cost as much as the scoring), coefficients looked up once per factor name,
    the changed rows written with one executemany.
    """
    stamp = now or timezone.now()
    fitted = model_in_use()
    intercept = fitted.intercept if fitted else features.INTERCEPT
    weights: dict[str, float] = dict(fitted.coefficients) if fitted else dict(features.PRIORS)
    query = (
        Risk.objects.filter(placement__status__in=LIVE)
        .order_by()
        .values_list("pk", "score", "features", "placement__start_date")
    )
    sql, params = query.query.sql_with_params()
    changed: list[tuple[int, str, dt.datetime, int]] = []
    tenure: dict[object, tuple[float, float]] = {}  # placements share start dates
    total = 0
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(batch):
            for pk, old, stored, start in rows:
                values = json.loads(stored) if isinstance(stored, str) else stored
                if start not in tenure:
                    tenure[start] = _tenure(_as_date(start), today)
                new = _rescored(values, tenure[start], intercept, weights, fitted)
                if new != old:
                    changed.append((new, json.dumps(values), stamp, pk))
            if len(changed) >= batch:
                total += _write_scores(changed)
    return total + _write_scores(changed)


def _as_date(value: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _rescored(
    values: dict[str, float],
    tenure: tuple[float, float],
    intercept: float,
    weights: dict[str, float],
    fitted: FittedModel | None,
) -> int:
    """`values` with tenure brought up to date (in place), scored."""
    values["tenure:early"], values["tenure:years"] = tenure
    try:
        z = intercept + sum([weights[k] * v for k, v in values.items()])
    except KeyError:  # a factor the weights do not name yet: its prior, or 0 once fitted
        for name in values.keys() - weights.keys():
            weights[name] = features.prior_for(name) if fitted is None else 0.0
        z = intercept + sum([weights[k] * v for k, v in values.items()])
    return features.percent(features._sigmoid(z))


def _tenure(start: dt.date, today: dt.date) -> tuple[float, float]:
    years = max(0, (today - start).days) / 365.0
    return round(math.exp(-years), 4), round(math.log1p(years), 4)


def _write_scores(changed: list[tuple[int, str, dt.datetime, int]]) -> int:
    """One UPDATE statement, many rows: Django's bulk_update builds a CASE per row, which
    cost more than the whole read here."""
    count = len(changed)
    if changed:
        table = connection.ops.quote_name(Risk._meta.db_table)
        with connection.cursor() as cursor:
            sql = f"UPDATE {table} SET score = %s, features = %s, computed_at = %s WHERE id = %s"  # noqa: S608
            cursor.executemany(sql, changed)
        changed.clear()
    return count
