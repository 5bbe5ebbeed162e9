"""What happened on a placement, read as warning signs: answers, silence, missed calls."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone

from keepwarm.care.models import NOT_REACHED, Kind, Touchpoint
from keepwarm.placements.models import Placement
from keepwarm.signals import features, scoring
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
        # A call tried without reaching anyone, logged as done or kept planned for a retry.
        | Q(
            state__in=(Touchpoint.State.DONE, Touchpoint.State.PLANNED),
            outcome__in=NOT_REACHED,
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
    found.extend(
        scoring.signals_from_record(
            missed=_missed(placement, since, now),
            # Answering a check-in is contact too: it is in the person's last contact.
            last_contact=person.last_contact_on,
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


# Calls and meetings whose note says what the person said: the note of a call that did
# not get through ("No answer; straight to voicemail") is the consultant's, and is counted
# as an unanswered call, not read for the person's tone or intent.
HEARD_FROM_THEM = (Touchpoint.Outcome.REACHED, Touchpoint.Outcome.MET)


def call_note_signals(placement: Placement, *, now: dt.datetime) -> list[Found]:
    """Leaving intent in the latest note of a call or meeting with the placed person (about
    this placement, or about no placement) that reached them, logged in the last NOTE_DAYS
    days. Like answers, only the latest word counts: a later note without it settles an
    earlier one."""
    latest = (
        Touchpoint.objects.filter(
            person_id=placement.person_id,
            state=Touchpoint.State.DONE,
            kind__in=(Kind.CALL, Kind.MEETING),
            outcome__in=HEARD_FROM_THEM,
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
    day = timezone.localdate(latest.done_at)
    before_start = day < placement.start_date
    leaving = scoring.leaving_reason(latest.notes, reported=True, before_start=before_start)
    if not leaving:
        return []
    tail = scoring.when(f"{latest.title} note", day)
    return [
        Found(SignalKind.MIGHT_LEAVE, f"{leaving} {tail}", Signal.Source.TOUCHPOINT, latest.pk, day)
    ]


# --- Graded factors for the score (signals/features.py) ---------------------------------


@dataclass(frozen=True)
class Heard:
    """Everything the score reads about one placement, and when the newest of it arrived."""

    factors: list[features.Factor]
    evidence_at: dt.datetime | None


@dataclass(frozen=True)
class PayTable:
    """Median salaries from the agency's own placements: per role, per client, overall."""

    by_role: dict[str, float]
    by_client: dict[int, float]
    agency: float | None

    def for_placement(self, placement: Placement) -> tuple[float | None, ...]:
        return (
            self.by_role.get(features.role_key(placement.role_title)),
            self.by_client.get(placement.company_id),
            self.agency,
        )


def pay_table() -> PayTable:
    """Every placement's salary read once (a daily run scores thousands of placements)."""
    rows = [
        (role, company, float(salary))
        for role, company, salary in Placement.objects.filter(
            salary__isnull=False, salary__gt=0
        ).values_list("role_title", "company_id", "salary")
        if salary is not None
    ]
    overall = features.medians(("all", s) for _, _, s in rows)
    return PayTable(
        by_role=features.medians((features.role_key(r), s) for r, _, s in rows),
        by_client={int(k): v for k, v in features.medians((str(c), s) for _, c, s in rows).items()},
        agency=overall.get("all"),
    )


def pay_medians(placement: Placement) -> tuple[float | None, ...]:
    """Median salary of the agency's placements in the same role, at the same client, and
    overall (None where fewer than three placements say), for one placement."""
    paid = Placement.objects.filter(salary__isnull=False, salary__gt=0)

    def median_of(rows: Any) -> float | None:
        values = [float(v) for v in rows.values_list("salary", flat=True)[:5000]]
        return features.medians(("x", v) for v in values).get("x")

    return (
        median_of(paid.filter(role_title__iexact=placement.role_title.strip())),
        median_of(paid.filter(company_id=placement.company_id)),
        median_of(paid.order_by("-start_date")),
    )


def placement_facts(placement: Placement, pay: PayTable | None = None) -> features.PlacementFacts:
    role, client, agency = pay.for_placement(placement) if pay else pay_medians(placement)
    return features.PlacementFacts(
        start_date=placement.start_date,
        salary=float(placement.salary) if placement.salary else None,
        role_median=role,
        client_median=client,
        agency_median=agency,
        hours_per_week=float(placement.hours_per_week) if placement.hours_per_week else None,
        # Unknown terms are not held against the placement: only benefits recorded as
        # "none" count as none.
        has_benefits=placement.benefits.strip().lower() not in ("none", "no", "n/a"),
    )


def _days_late(placement: Placement, response: ResponseInput | None) -> float:
    if response is None:
        return 0.0
    row = (
        Response.objects.filter(pk=response.id)
        .values_list("submitted_at", "invitation__sent_at")
        .first()
    )
    if row is None or row[1] is None:
        return 0.0
    return max(0.0, float((row[0] - row[1]).total_seconds()) / 86400)


def _said(placement: Placement, since: dt.date | None) -> features.Said:
    kept = Signal.objects.filter(placement=placement, active=True, source__in=KEPT_SOURCES)
    # Calls with the placed person about this placement, or about no placement in
    # particular (logged from their page), as call_note_signals reads them.
    calls = (
        Touchpoint.objects.filter(
            person_id=placement.person_id,
            kind__in=(Kind.CALL, Kind.MEETING),
            state=Touchpoint.State.DONE,
            outcome__in=HEARD_FROM_THEM,
        )
        .filter(Q(placement=placement) | Q(placement__isnull=True))
        .exclude(notes="")
    )
    if since is not None:
        calls = calls.filter(due_on__gte=since)
    latest = list(calls.order_by("-done_at", "-id").values_list("notes", "done_at")[:5])
    return features.Said(
        concerns=tuple(s.reason for s in kept.filter(source=Signal.Source.MANUAL).order_by("-id")),
        call_notes=tuple(notes for notes, _ in latest),
        latest_call_before_start=bool(latest)
        and latest[0][1] is not None
        and timezone.localdate(latest[0][1]) < placement.start_date,
        reported=tuple(
            s.reason for s in kept.filter(source=Signal.Source.PERSONAL_PAGE).order_by("-id")
        ),
    )


def evidence_at(placement: Placement, *, now: dt.datetime) -> dt.datetime | None:
    """When something new was last heard: an answer, a call logged, a check-in expiring
    unanswered, a concern raised or a problem reported."""
    moments: list[dt.datetime | None] = [
        Response.objects.filter(placement=placement, submitted_at__lte=now)
        .order_by("-submitted_at")
        .values_list("submitted_at", flat=True)
        .first(),
        Invitation.objects.filter(
            placement=placement, answered_at__isnull=True, expires_at__lte=now
        )
        .order_by("-expires_at")
        .values_list("expires_at", flat=True)
        .first(),
    ]
    moments.append(
        placement.touchpoints.filter(state__in=(Touchpoint.State.DONE, Touchpoint.State.MISSED))
        .filter(kind__in=(Kind.CALL, Kind.MEETING), done_at__isnull=False, done_at__lte=now)
        .order_by("-done_at")
        .values_list("done_at", flat=True)
        .first()
    )
    moments.append(
        Signal.objects.filter(placement=placement, source__in=KEPT_SOURCES, created_at__lte=now)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    found = [m for m in moments if m is not None]
    return max(found) if found else None


def hear(placement: Placement, *, now: dt.datetime, pay: PayTable | None = None) -> Heard:
    """The placement's graded factors as of `now` (see signals/features.py)."""
    today = timezone.localdate(now)
    responses = response_inputs(placement, now)
    latest: dict[str, ResponseInput] = {}
    previous: dict[str, ResponseInput] = {}
    for r in responses:
        if r.audience in latest:
            previous[r.audience] = latest[r.audience]
        latest[r.audience] = r
    factors: list[features.Factor] = []
    for audience in ("client", "candidate"):
        if audience in latest:
            factors += features.answer_factors(latest[audience], previous.get(audience))
    candidate = latest.get("candidate")
    last_answer = candidate.submitted_on if candidate is not None else None
    since = (
        None
        if candidate is None
        else timezone.make_aware(dt.datetime.combine(candidate.submitted_on, dt.time.max))
    )
    # The person's one last contact (an answer is in it); silence about this placement
    # counts from its start at the earliest.
    contact_day = placement.person.last_contact_on
    since_start = contact_day is None or contact_day < placement.start_date
    factors += features.behaviour_factors(
        features.Behaviour(
            unanswered=len(_missed(placement, since, now)),
            days_late=_days_late(placement, candidate),
            last_answer_on=last_answer,
            last_contact_on=(
                (placement.start_date if since_start else contact_day)
                if placement.start_date <= today
                else None
            ),
            silence_days=RiskSettings.current().silence_days,
            ever_contacted=contact_day is not None,
            since_start=since_start,
        ),
        today,
    )
    factors += features.tenure_factors(placement.start_date, today)
    factors += features.record_factors(placement_facts(placement, pay))
    factors += features.said_factors(_said(placement, last_answer))
    return Heard(factors, evidence_at(placement, now=now))
