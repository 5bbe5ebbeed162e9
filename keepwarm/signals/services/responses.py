"""A questionnaire answered: the risk recomputed, and an alert opened, or the last one
reopened when the answers after it are still poor."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from keepwarm.lib import events
from keepwarm.placements.models import Placement
from keepwarm.signals import scoring
from keepwarm.signals.models import Alert, Signal
from keepwarm.signals.services.alerts import open_alert, reopen_alert
from keepwarm.signals.services.evidence import response_inputs
from keepwarm.signals.services.risk import recompute_risk
from keepwarm.signals.services.texts import read_response_texts
from keepwarm.surveys.models import Response

log = logging.getLogger(__name__)


def on_response(*, response_id: int) -> None:
    """A questionnaire was answered: recompute the placement's risk, and open (or reopen)
    an alert if the answers are worrying. Called once the answer has committed.

    A failure here is logged, never raised: the person's answers are already saved, and
    their thank-you page must not break; the daily `keepwarm risk` run catches up.
    """
    try:
        _on_response(response_id)
    except Exception:
        log.exception("Could not update the fall-off risk after response %s", response_id)


def on_questionnaire_answered(
    sender: Any, *, event: str, payload: dict[str, Any], **kwargs: Any
) -> None:
    """The domain_event receiver: surveys announce an answer, signals weigh it. Surveys
    sit below signals, so they tell rather than call."""
    if event == events.QUESTIONNAIRE_ANSWERED:
        on_response(response_id=payload["response_id"])


def _on_response(response_id: int) -> None:
    response = Response.objects.filter(pk=response_id).first()
    if response is None:
        return
    placement = Placement.objects.select_related("person", "owner").get(pk=response.placement_id)
    now = timezone.now()
    with transaction.atomic():
        read_response_texts(response_id=response.pk, now=now)
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
    responses = response_inputs(placement, now)
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
