"""Free text read where it is written: an answer's words and a logged call's note get a
stored tone and any leaving-intent phrase; a note that shows leaving intent counts in the
placement's risk and opens (or adds to) its alert, as a worrying answer does."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from keepwarm.care.models import Touchpoint
from keepwarm.placements.models import Placement
from keepwarm.signals import scoring, text
from keepwarm.signals.models import Signal, TextReading
from keepwarm.signals.services.alerts import open_alert
from keepwarm.signals.services.risk import recompute_risk
from keepwarm.surveys.models import Answer

log = logging.getLogger(__name__)


def read_text(
    *,
    source: str,
    source_id: int,
    words: str,
    reported: bool = False,
    before_start: bool = False,
    now: dt.datetime,
) -> TextReading | None:
    """Store how `words` read (tone, leaving intent), replacing an earlier reading of the
    same answer or note; None (and no reading) when there are no words to read.
    `before_start`: said before the placement it is about began, when notice given is
    notice to the job being left for it (scoring.BEFORE_START_SAYS_NOTHING)."""
    if not words.strip():
        TextReading.objects.filter(source=source, source_id=source_id).delete()
        return None
    ignore = scoring.BEFORE_START_SAYS_NOTHING if before_start else frozenset()
    intent = text.leaving_intent(words, reported=reported, ignore=ignore)
    reading, _ = TextReading.objects.update_or_create(
        source=source,
        source_id=source_id,
        defaults={
            "tone": text.tone(words),
            "intent": intent.category if intent else "",
            "intent_phrase": intent.phrase[:200] if intent else "",
            "read_at": now,
        },
    )
    return reading


def read_response_texts(*, response_id: int, now: dt.datetime | None = None) -> int:
    """Read every free-text answer of a response; returns how many were read."""
    now = now or timezone.now()
    answers = (
        Answer.objects.filter(response_id=response_id, question__kind="text")
        .exclude(Q(value_text="") | Q(value_text__isnull=True))
        .select_related("response__questionnaire")
    )
    read = 0
    for answer in answers:
        # A client writes about the placed person: "she has handed in her notice".
        client = answer.response.questionnaire.audience == "client"
        reading = read_text(
            source=TextReading.Source.ANSWER,
            source_id=answer.pk,
            words=answer.value_text,
            reported=client,
            now=now,
        )
        read += reading is not None
    return read


def on_call_note_logged(sender: Any, *, touchpoint_id: int, **kwargs: Any) -> None:
    """The receiver of care's `call_note_logged`: care sits below signals, so it tells
    rather than calls."""
    on_call_logged(touchpoint_id=touchpoint_id)


def on_call_logged(*, touchpoint_id: int) -> None:
    """A call or meeting was logged with a note: read the note, recompute the risk of the
    placements it is about, and open (or add to) an alert when it shows leaving intent.
    Runs once the call has committed.

    A failure is logged, never raised: the call is already saved, and the nightly
    `keepwarm risk` run catches the risk up.
    """
    try:
        _on_call_logged(touchpoint_id)
    except Exception:
        log.exception("Could not read the note of touchpoint %s", touchpoint_id)


def _on_call_logged(touchpoint_id: int) -> None:
    touchpoint = Touchpoint.objects.filter(pk=touchpoint_id).first()
    if touchpoint is None or touchpoint.state != Touchpoint.State.DONE:
        return
    now = timezone.now()
    with transaction.atomic():
        placements = _placements_of(touchpoint)
        day = timezone.localdate(touchpoint.done_at or now)
        read_text(
            source=TextReading.Source.TOUCHPOINT,
            source_id=touchpoint.pk,
            words=touchpoint.notes,
            reported=True,
            before_start=bool(placements) and all(day < p.start_date for p in placements),
            now=now,
        )
        for placement in placements:
            _rescore(placement, touchpoint, now)


def _placements_of(touchpoint: Touchpoint) -> list[Placement]:
    """The placement the call was about; for a call about no placement, the placed
    person's live ones."""
    found = Placement.objects.select_related("person", "owner")
    if touchpoint.placement_id is not None:
        return list(found.filter(pk=touchpoint.placement_id))
    return list(found.filter(person_id=touchpoint.person_id, status__in=Placement.ACTIVE))


def _rescore(placement: Placement, touchpoint: Touchpoint, now: dt.datetime) -> None:
    risk = recompute_risk(placement=placement, now=now)
    if placement.status in Placement.ENDED or not risk.in_first_year:
        return
    worrying = [
        s.reason
        for s in Signal.objects.filter(placement=placement).filter(
            active=True,
            kind__in=scoring.WORRYING,
            source=Signal.Source.TOUCHPOINT,
            source_id=touchpoint.pk,
        )
    ]
    if worrying:
        open_alert(placement=placement, reason="; ".join(worrying), risk_score=risk.score, now=now)
