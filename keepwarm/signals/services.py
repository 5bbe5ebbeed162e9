"""Risk and alert workflows: recompute a placement's risk, open, close and reopen alerts."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.care.models import Cover, Kind, Touchpoint
from keepwarm.lib import events
from keepwarm.lib.dates import add_working_days
from keepwarm.mail.compose import compose
from keepwarm.mail.services import queue_email
from keepwarm.placements.models import Placement
from keepwarm.signals import scoring
from keepwarm.signals.models import (
    Alert,
    FittedModel,
    Risk,
    RiskSettings,
    RiskWeight,
    Signal,
    SignalKind,
)
from keepwarm.signals.scoring import AnswerInput, Found, Missed, ResponseInput

log = logging.getLogger(__name__)

FIRST_YEAR_DAYS = 365


# --- Weights ---------------------------------------------------------------------------


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


# --- Reading what happened -------------------------------------------------------------


def _surveys_model(name: str) -> Any:
    # Looked up by name so risk still works for agencies (and tests) without surveys data.
    try:
        return apps.get_model("surveys", name)
    except LookupError:
        return None


def in_first_year(placement: Placement, today: dt.date) -> bool:
    """Placements carry a score from the offer until a year after the start date."""
    return (today - placement.start_date).days < FIRST_YEAR_DAYS


def _response_inputs(placement: Placement, until: dt.datetime) -> list[ResponseInput]:
    """The placement's responses submitted up to `until`, oldest first."""
    Response = _surveys_model("Response")
    if Response is None:
        return []
    targets = {f"target:{t.pk}": t.name for t in placement.targets.all()}
    responses = (
        Response.objects.filter(placement=placement, submitted_at__lte=until)
        .select_related("invitation", "questionnaire", "invitation__touchpoint")
        .prefetch_related("answers", "answers__question")
        .order_by("submitted_at", "id")
    )
    found: list[ResponseInput] = []
    for response in responses:
        invitation = response.invitation
        touchpoint = invitation.touchpoint
        context = touchpoint.title if touchpoint is not None else response.questionnaire.name
        answers = tuple(
            AnswerInput(
                id=a.pk,
                code=a.question.code,
                kind=a.question.kind,
                label=targets.get(a.question.code) or _question_label(a.question),
                number=float(a.value_number) if a.value_number is not None else None,
                text=a.value_text or "",
                choices=tuple(str(c) for c in (a.value_choices or [])),
            )
            for a in response.answers.all()
        )
        found.append(
            ResponseInput(
                id=response.pk,
                audience=response.questionnaire.audience,
                submitted_on=timezone.localdate(response.submitted_at),
                context=context,
                answers=answers,
            )
        )
    return found


def _question_label(question: Any) -> str:
    for attr in ("short_label", "label", "text", "prompt"):
        value = getattr(question, attr, "")
        if value:
            return str(value)
    return str(question)


def _missed(placement: Placement, since: dt.datetime | None, now: dt.datetime) -> list[Missed]:
    """Check-ins that expired unanswered and calls missed or unanswered since `since`."""
    out: list[Missed] = []
    Invitation = _surveys_model("Invitation")
    if Invitation is not None:
        expired = Invitation.objects.filter(
            placement=placement,
            person_id=placement.person_id,
            answered_at__isnull=True,
            expires_at__lte=now,
        )
        if since is not None:
            expired = expired.filter(expires_at__gt=since)
        for inv in expired.select_related("touchpoint", "questionnaire").order_by("expires_at"):
            what = inv.touchpoint.title if inv.touchpoint_id else str(inv.questionnaire)
            out.append(
                Missed(
                    id=inv.pk,
                    source=Signal.Source.INVITATION,
                    what=f"Did not answer the {what.lower()} (expired)",
                    on=timezone.localdate(inv.expires_at),
                )
            )
    today = timezone.localdate(now)
    calls = placement.touchpoints.filter(
        person_id=placement.person_id, kind__in=(Kind.CALL, Kind.MEETING), due_on__lte=today
    ).filter(
        Q(state=Touchpoint.State.MISSED)
        | Q(
            state=Touchpoint.State.DONE,
            outcome__in=(Touchpoint.Outcome.NO_ANSWER, Touchpoint.Outcome.VOICEMAIL),
        )
    )
    if since is not None:
        calls = calls.filter(due_on__gt=timezone.localdate(since))
    for t in calls.order_by("due_on", "id"):
        said = "missed" if t.state == Touchpoint.State.MISSED else "not answered"
        out.append(
            Missed(
                id=t.pk,
                source=Signal.Source.TOUCHPOINT,
                what=f"{t.title} {said}",
                on=t.due_on,
            )
        )
    return out


def find_signals(placement: Placement, *, now: dt.datetime) -> list[Found]:
    """Every current warning sign on `placement`: the latest answers of each side, the
    drop since the answers before, and what went unanswered since the person last
    answered or was reached."""
    today = timezone.localdate(now)
    responses = _response_inputs(placement, now)
    found: list[Found] = []
    latest: dict[str, ResponseInput] = {}
    previous: dict[str, ResponseInput] = {}
    for r in responses:
        if r.audience in latest:
            previous[r.audience] = latest[r.audience]
        latest[r.audience] = r
    for audience, response in latest.items():
        found.extend(scoring.signals_from_response(response, previous.get(audience)))

    person = placement.person
    last_contact = person.last_contacted_at
    candidate_answered = latest.get("candidate")
    since_dates = [d for d in (last_contact,) if d is not None]
    if candidate_answered is not None:
        since_dates.append(
            timezone.make_aware(dt.datetime.combine(candidate_answered.submitted_on, dt.time.max))
        )
    since = max(since_dates) if since_dates else None
    contact_day = timezone.localdate(last_contact) if last_contact else None
    if candidate_answered is not None:
        # Answering a check-in is contact too.
        contact_day = max(d for d in (contact_day, candidate_answered.submitted_on) if d)
    found.extend(
        scoring.signals_from_record(
            missed=_missed(placement, since, now),
            last_contact=contact_day,
            start_date=placement.start_date,
            today=today,
            silence_days=RiskSettings.current().silence_days,
        )
    )
    found.extend(
        Found(s.kind, s.reason, s.source, s.source_id, s.observed_on)
        for s in Signal.objects.filter(placement=placement).filter(
            active=True, source__in=KEPT_SOURCES
        )
    )
    return found


# --- Risk ------------------------------------------------------------------------------

# Signals that are said, not derived: recomputing keeps them as they are. A consultant's
# flag counts while the placement is in its first year; what the person or their manager
# said on their personal page counts until the alert it opened is closed.
KEPT_SOURCES = (Signal.Source.MANUAL, Signal.Source.PERSONAL_PAGE)


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


def on_response(*, response_id: int) -> None:
    """A questionnaire was answered: recompute the placement's risk, and open (or reopen)
    an alert if the answers are worrying. Called by surveys in transaction.on_commit.

    A failure here is logged, never raised: the person's answers are already saved, and
    their thank-you page must not break; the daily `keepwarm risk` run catches up.
    """
    try:
        _on_response(response_id)
    except Exception:
        log.exception("Could not update the fall-off risk after response %s", response_id)


def _on_response(response_id: int) -> None:
    Response = _surveys_model("Response")
    if Response is None:
        return
    response = Response.objects.filter(pk=response_id).first()
    if response is None:
        return
    placement = Placement.objects.select_related("person", "owner").get(pk=response.placement_id)
    now = timezone.now()
    with transaction.atomic():
        reopened = _reopen_if_still_poor(placement=placement, response=response, now=now)
        risk = recompute_risk(placement=placement, now=now)
        if reopened or placement.status in Placement.ENDED or not risk.in_first_year:
            return
        worrying = [
            s.reason
            for s in Signal.objects.filter(placement=placement)
            .filter(active=True, kind__in=scoring.WORRYING, observed_on__gte=_day(response))
            .filter(
                Q(source=Signal.Source.RESPONSE, source_id=response.pk)
                | Q(source=Signal.Source.ANSWER, source_id__in=_answer_ids(response))
            )
        ]
        if worrying:
            open_alert(
                placement=placement,
                reason="; ".join(worrying),
                risk_score=risk.score,
                now=now,
            )


def _day(response: Any) -> dt.date:
    return timezone.localdate(response.submitted_at)


def _answer_ids(response: Any) -> list[int]:
    return list(response.answers.values_list("id", flat=True))


def _response_is_poor(placement: Placement, response: Any, now: dt.datetime) -> list[str]:
    """Reasons why this response still looks poor (empty when it does not)."""
    responses = _response_inputs(placement, now)
    mine = [r for r in responses if r.id == response.pk]
    if not mine:
        return []
    current = mine[0]
    earlier = [r for r in responses if r.audience == current.audience and r.id != current.id]
    found = scoring.signals_from_response(current, earlier[-1] if earlier else None)
    return [f.reason for f in found]


def _reopen_if_still_poor(*, placement: Placement, response: Any, now: dt.datetime) -> bool:
    """If the answers that follow a closed alert are still poor, reopen that alert."""
    if Alert.objects.filter(placement=placement).filter(state=Alert.State.OPEN).exists():
        return False
    alert = (
        Alert.objects.filter(placement=placement)
        .filter(state=Alert.State.CLOSED, closed_at__lte=response.submitted_at)
        .order_by("-closed_at", "-id")
        .first()
    )
    if alert is None or alert.closed_at is None:
        return False
    Response = _surveys_model("Response")
    answered_between = (
        Response.objects.filter(
            placement=placement,
            submitted_at__gt=alert.closed_at,
            submitted_at__lt=response.submitted_at,
        )
        .exclude(pk=response.pk)
        .exists()
    )
    if answered_between:
        return False  # these are not the next answers after the close
    poor = _response_is_poor(placement, response, now)
    if not poor:
        return False
    reopen_alert(alert=alert, reason="; ".join(poor), now=now)
    return True


# --- Alerts ----------------------------------------------------------------------------


def alert_owner(placement: Placement, day: dt.date) -> User:
    """The placement's owner, or the colleague covering them on `day`."""
    cover = (
        Cover.objects.filter(absent_id=placement.owner_id, starts_on__lte=day, ends_on__gte=day)
        .select_related("colleague")
        .order_by("-starts_on", "-id")
        .first()
    )
    return cover.colleague if cover is not None else placement.owner


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


def reopen_alert(*, alert: Alert, reason: str, now: dt.datetime | None = None) -> Alert:
    """The next answers are still poor: the alert comes back, due in a working day again."""
    now = now or timezone.now()
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
    alert.save()
    _email_alert(alert, now=now)
    return alert


def close_alert(*, alert: Alert, by: User, note: str, now: dt.datetime | None = None) -> Alert:
    """Close an alert with a note of what was done (a note is required)."""
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
    # The problem the person reported has been dealt with: it no longer counts.
    if Signal.objects.filter(
        placement_id=alert.placement_id, source=Signal.Source.PERSONAL_PAGE, active=True
    ).update(active=False):
        recompute_risk(placement=alert.placement, now=now)
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
        "url": settings.BASE_URL + placement.get_absolute_url(),
        "reasons": [line for line in alert.reason.splitlines() if line.strip()],
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


# --- Outcomes and the fitted model -----------------------------------------------------


def on_placement_ended(*, placement: Placement, by: User, now: dt.datetime | None = None) -> None:
    """The placement fell off or the person left: keep its signals as a labelled example
    ("left") and close its open alert, which can no longer be acted on."""
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
