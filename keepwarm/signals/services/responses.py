"""A questionnaire answered: the risk recomputed, and an alert opened, or the last one
reopened, when the new answers warrant it."""

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
from keepwarm.signals.services.alerts import open_alert, raise_alert
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
        risk = recompute_risk(placement=placement, now=now)
        if placement.status in Placement.ENDED:
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
        if worrying and Alert.objects.filter(placement=placement, state="open").exists():
            # This response's own words join the alert it has just opened or added to.
            open_alert(placement=placement, reason="; ".join(worrying), now=now)
        elif worrying:
            # An answer like "I might leave" asks for a call whatever the score.
            raise_alert(
                placement=placement,
                reason="; ".join(worrying),
                risk_score=risk.score,
                evidence_at=response.submitted_at,
                now=now,
            )


def _day(response: Any) -> dt.date:
    return timezone.localdate(response.submitted_at)


def _answer_ids(response: Any) -> list[int]:
    return list(response.answers.values_list("id", flat=True))
