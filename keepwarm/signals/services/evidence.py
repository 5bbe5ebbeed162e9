"""What happened on a placement, read as warning signs: answers, silence, missed calls."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import timezone

from keepwarm.care.models import Kind, Touchpoint
from keepwarm.placements.models import Placement
from keepwarm.signals import scoring
from keepwarm.signals.models import RiskSettings, Signal, SignalKind
from keepwarm.signals.scoring import AnswerInput, Found, Missed, ResponseInput
from keepwarm.surveys.models import Invitation, Response

FIRST_YEAR_DAYS = 365
# A call note's leaving intent counts while it is the latest note and this recent.
NOTE_DAYS = 90

# Signals that are said, not derived: recomputing keeps them as they are. A consultant's
# flag counts while the placement is in its first year; what the person or their manager
# said on their personal page counts until the alert it opened is closed.
KEPT_SOURCES = (Signal.Source.MANUAL, Signal.Source.PERSONAL_PAGE)


def in_first_year(placement: Placement, today: dt.date) -> bool:
    """Placements carry a score from the offer until a year after the start date."""
    return (today - placement.start_date).days < FIRST_YEAR_DAYS


def response_inputs(placement: Placement, until: dt.datetime) -> list[ResponseInput]:
    """The placement's responses submitted up to `until`, oldest first."""
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
    expired = Invitation.objects.filter(
        placement=placement,
        person_id=placement.person_id,
        answered_at__isnull=True,
        expires_at__lte=now,
    )
    if since is not None:
        expired = expired.filter(expires_at__gt=since)
    for inv in expired.select_related("touchpoint", "questionnaire").order_by("expires_at"):
        what = inv.touchpoint.title if inv.touchpoint is not None else str(inv.questionnaire)
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
    responses = response_inputs(placement, now)
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
    found.extend(call_note_signals(placement, now=now))
    found.extend(
        Found(s.kind, s.reason, s.source, s.source_id, s.observed_on)
        for s in Signal.objects.filter(placement=placement).filter(
            active=True, source__in=KEPT_SOURCES
        )
    )
    return found


def call_note_signals(placement: Placement, *, now: dt.datetime) -> list[Found]:
    """Leaving intent in the latest note of a call or meeting with the placed person (about
    this placement, or about no placement), logged in the last NOTE_DAYS days. Like
    answers, only the latest word counts: a later note without it settles an earlier one."""
    latest = (
        Touchpoint.objects.filter(
            person_id=placement.person_id,
            state=Touchpoint.State.DONE,
            kind__in=(Kind.CALL, Kind.MEETING),
            done_at__lte=now,
            done_at__gt=now - dt.timedelta(days=NOTE_DAYS),
        )
        .filter(Q(placement=placement) | Q(placement__isnull=True))
        .exclude(notes="")
        .order_by("-done_at", "-id")
        .first()
    )
    if latest is None or latest.done_at is None:
        return []
    leaving = scoring.leaving_reason(latest.notes, reported=True)
    if not leaving:
        return []
    day = timezone.localdate(latest.done_at)
    tail = scoring.when(f"{latest.title} note", day)
    return [
        Found(SignalKind.MIGHT_LEAVE, f"{leaving} {tail}", Signal.Source.TOUCHPOINT, latest.pk, day)
    ]
