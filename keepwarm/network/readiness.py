"""Readiness to move: when someone the agency placed may be open to their next role.

A person's readiness is a noisy-OR of the signs below (the same combination as fall-off
risk), 0 to 1, stored in `Readiness` with each reason in words:

- what they said themselves (personal page, a check-in, a consultant's note of a call);
- an anniversary in post (KEEPWARM_READINESS_ANNIVERSARY_MONTHS, default 12, 18, 24);
- falling satisfaction: their own worrying answers on the current placement, or a high
  fall-off risk;
- a contract end date approaching;
- a year or more in the same post with no promotion or pay rise mentioned.

Nobody is ready to move while they are off-limits: through a live placement's guarantee
and their first KEEPWARM_OFF_LIMITS_MONTHS in post (the score is 0 and the one reason says
until when). Their worrying answers are retention work for their consultant (alerts), not
a reason to offer them another role. After that, readiness resumes as below.

Saying "happy where I am" recently halves the score: a person's own word outweighs
the calendar. Crossing the threshold (from below) emits `person.ready_to_move` and plans
one call for the person's consultant on Today, with the reasons; staying above it does
not plan another, falling below and crossing again does.

The worker recomputes everyone once a day (time moves anniversaries and contract ends);
a new statement recomputes that person at once (a receiver below, so whoever records
statements need not know about readiness).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from keepwarm.audit.recording import recorded_update
from keepwarm.care.models import Kind, Touchpoint
from keepwarm.care.queries import looks_after
from keepwarm.care.services import plan_touchpoint
from keepwarm.lib import events
from keepwarm.lib.dates import add_months
from keepwarm.lib.working_days import on_or_after_working_day
from keepwarm.network.models import Readiness, StatusStatement
from keepwarm.people.models import Note, Person
from keepwarm.placements.models import Placement
from keepwarm.placements.queries import off_limits
from keepwarm.signals.models import Risk, Signal, SignalKind
from keepwarm.surveys.models import Answer

logger = logging.getLogger(__name__)

THRESHOLD = 0.5
# The one reason of someone off-limits; it keeps the score they would have as `held_score`.
OFF_LIMITS = "off_limits"
DAILY_JOB = "readiness"

WEIGHTS: dict[str, float] = {
    "actively_looking": 0.8,
    "open": 0.5,
    "contract_end": 0.5,
    "dissatisfied": 0.35,
    "anniversary": 0.3,
    "high_risk": 0.25,
    "no_progression": 0.2,
}
# A recent "happy where I am" multiplies the score by this.
HAPPY_DAMPING = 0.5
# A statement counts in full for this long, half as much up to a year, then not at all.
STATEMENT_FRESH_DAYS = 180
STATEMENT_STALE_DAYS = 365
# An anniversary counts from a month before it to two months after.
ANNIVERSARY_BEFORE_DAYS = 30
ANNIVERSARY_AFTER_DAYS = 60
CONTRACT_END_DAYS = 60
HIGH_RISK = 50
PROGRESSION_AFTER_MONTHS = 12
# Words that mean progression was talked about, in notes or free-text answers.
PROGRESSION_WORDS = ("promot", "progression", "pay rise", "payrise", "raise", "new role", "step up")
# The candidate's own worrying answers; client-side signals say nothing about their mood.
DISSATISFACTION = (
    SignalKind.MIGHT_LEAVE,
    SignalKind.NOT_IN_A_YEAR,
    SignalKind.EXPECTATIONS_NOT_MET,
    SignalKind.TERMS_NOT_AS_AGREED,
    SignalKind.DETRACTOR_NPS,
    SignalKind.SCORE_DROP,
    SignalKind.NEGATIVE_TEXT,
    SignalKind.LOW_RATING,
)
IN_POST = (Placement.Status.STARTED, Placement.Status.IN_GUARANTEE, Placement.Status.SETTLED)
CHUNK = 500


def anniversary_months() -> list[int]:
    return list(settings.KEEPWARM_READINESS_ANNIVERSARY_MONTHS)


@dataclass
class Statement:
    status: str
    contract_end_on: dt.date | None
    said_on: dt.date
    source_label: str


@dataclass
class Post:
    """The placement a person is in now."""

    id: int
    start_date: dt.date
    end_date: dt.date | None
    role_title: str
    company: str
    owner_id: int


@dataclass
class Inputs:
    """Everything readiness needs about one person, read in bulk by `gather`."""

    person_id: int
    post: Post | None = None
    statement: Statement | None = None
    worries: list[str] = field(default_factory=list)
    risk: int | None = None
    progression_mentioned: bool = False
    # The last day they are off-limits (a live placement's guarantee or first months).
    off_limits_until: dt.date | None = None


@dataclass
class Assessment:
    score: float
    reasons: list[dict[str, Any]]

    @property
    def ready(self) -> bool:
        return self.score >= THRESHOLD


def _day(d: dt.date) -> str:
    return f"{d.day} {d:%b %Y}"


def _months_between(start: dt.date, end: dt.date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


# A sign found: (code, weight, text in words).
Found = tuple[str, float, str]


def _statement_sign(said: Statement | None, today: dt.date) -> Found | None:
    """What they said themselves, in full for half a year and half as much up to a year."""
    if said is None:
        return None
    age = (today - said.said_on).days
    if age > STATEMENT_STALE_DAYS:
        return None
    factor = 1.0 if age <= STATEMENT_FRESH_DAYS else 0.5
    when = f"{said.source_label.lower()}, {_day(said.said_on)}"
    if said.status == StatusStatement.Status.ACTIVELY_LOOKING:
        return ("statement", WEIGHTS["actively_looking"] * factor, f"Actively looking ({when})")
    if said.status == StatusStatement.Status.OPEN:
        return ("statement", WEIGHTS["open"] * factor, f"Open to hearing about roles ({when})")
    return None


def _said_happy(said: Statement | None, today: dt.date) -> bool:
    return (
        said is not None
        and said.status == StatusStatement.Status.HAPPY
        and (today - said.said_on).days <= STATEMENT_FRESH_DAYS
    )


def _contract_end_sign(inputs: Inputs, today: dt.date) -> Found | None:
    """A contract ending within CONTRACT_END_DAYS (or up to a month ago): what they said
    about it first, else the placement's own end date."""
    said, post = inputs.statement, inputs.post
    contract_end = said.contract_end_on if said is not None else None
    if post is not None and post.end_date is not None:
        contract_end = contract_end or post.end_date
    if contract_end is None:
        return None
    days = (contract_end - today).days
    if not -30 <= days <= CONTRACT_END_DAYS:
        return None
    when = f"in {days} days" if days > 0 else ("today" if days == 0 else "ended")
    return ("contract_end", WEIGHTS["contract_end"], f"Contract ends {_day(contract_end)} ({when})")


def _anniversary_sign(post: Post, today: dt.date) -> Found | None:
    for months in anniversary_months():
        on = add_months(post.start_date, months)
        if -ANNIVERSARY_BEFORE_DAYS <= (today - on).days <= ANNIVERSARY_AFTER_DAYS:
            years = f"{months // 12} year{'s' if months >= 24 else ''}" if months % 12 == 0 else ""
            length = years or f"{months} months"
            text = f"{length} in post as {post.role_title} at {post.company} on {_day(on)}"
            return ("anniversary", WEIGHTS["anniversary"], text)
    return None


def _progression_sign(inputs: Inputs, today: dt.date) -> Found | None:
    post = inputs.post
    if post is None or inputs.progression_mentioned:
        return None
    in_post = _months_between(post.start_date, today)
    if in_post < PROGRESSION_AFTER_MONTHS:
        return None
    text = f"{in_post} months in the same post with no promotion or pay rise mentioned"
    return ("no_progression", WEIGHTS["no_progression"], text)


def _mood_signs(inputs: Inputs) -> list[Found]:
    found: list[Found] = []
    if inputs.worries:
        shown = "; ".join(inputs.worries[:2])
        found.append(("dissatisfied", WEIGHTS["dissatisfied"], f"Less happy lately: {shown}"))
    if inputs.risk is not None and inputs.risk >= HIGH_RISK:
        text = f"Fall-off risk {inputs.risk} of 100 on this post"
        found.append(("high_risk", WEIGHTS["high_risk"], text))
    return found


def _signs(inputs: Inputs, today: dt.date) -> list[Found]:
    candidates = [
        _statement_sign(inputs.statement, today),
        _contract_end_sign(inputs, today),
        _anniversary_sign(inputs.post, today) if inputs.post is not None else None,
        _progression_sign(inputs, today),
    ]
    return [sign for sign in candidates if sign is not None] + _mood_signs(inputs)


def _off_limits(until: dt.date, held: Assessment) -> Assessment:
    # Offering someone in their guarantee (or first months) another role costs the agency
    # its fee and the client; their worries are retention work for their consultant. The
    # score they would have (`held_score`) only lets Ready to move say who is held back.
    text = (
        f"Off-limits until {_day(until)}: in their guarantee or first months with us. "
        "Worries go to their consultant as retention work."
    )
    reason = {"code": OFF_LIMITS, "text": text, "weight": 0, "held_score": held.score}
    return Assessment(score=0.0, reasons=[reason])


def assess(inputs: Inputs, *, today: dt.date) -> Assessment:
    """The readiness score and its reasons, strongest first; pure, so tests read easily.
    Nought while they are off-limits, whatever the signs."""
    assessment = _weigh(inputs, today)
    if inputs.off_limits_until is not None and _is_off_limits(inputs, today):
        return _off_limits(inputs.off_limits_until, assessment)
    return assessment


def _weigh(inputs: Inputs, today: dt.date) -> Assessment:
    found = _signs(inputs, today)
    keep = 1.0
    for _code, weight, _text in found:
        keep *= 1.0 - weight
    score = 1.0 - keep
    found.sort(key=lambda f: -f[1])
    reasons = [{"code": c, "text": t, "weight": round(w, 2)} for c, w, t in found]
    said = inputs.statement
    if said is not None and _said_happy(said, today):
        score *= HAPPY_DAMPING
        reasons.append(
            {
                "code": "happy",
                "text": f"Said they are happy where they are ({_day(said.said_on)})",
                "weight": -HAPPY_DAMPING,
            }
        )
    return Assessment(score=round(score, 3), reasons=reasons)


# --- Reading the inputs in bulk ---------------------------------------------------------


def gather(person_ids: Sequence[int], *, today: dt.date) -> dict[int, Inputs]:
    """Inputs for `person_ids`, in a fixed handful of queries whatever their number."""
    inputs = {pk: Inputs(person_id=pk) for pk in person_ids}
    posts = (
        Placement.objects.filter(
            person_id__in=person_ids,
            status__in=IN_POST,
            start_date__lte=today,
            left_on__isnull=True,
        )
        .order_by("person_id", "-start_date", "-id")
        .values_list(
            "person_id", "id", "start_date", "end_date", "role_title", "company__name", "owner_id"
        )
    )
    for person_id, pk, start, end, title, company, owner_id in posts:
        if inputs[person_id].post is None:  # the latest post wins
            inputs[person_id].post = Post(pk, start, end, title, company, owner_id)
    sources = dict(StatusStatement.Source.choices)
    statements = (
        StatusStatement.objects.filter(person_id__in=person_ids)
        .order_by("person_id", "-created_at", "-id")
        .values_list("person_id", "status", "contract_end_on", "created_at", "source")
    )
    for person_id, status, end_on, created_at, source in statements:
        if inputs[person_id].statement is None:
            inputs[person_id].statement = Statement(
                status, end_on, timezone.localdate(created_at), str(sources.get(source, source))
            )
    post_ids = {i.post.id: i.person_id for i in inputs.values() if i.post is not None}
    worries = (
        Signal.objects.filter(placement_id__in=post_ids, active=True, kind__in=DISSATISFACTION)
        .exclude(reason__startswith="Client")
        .order_by("placement_id", "-observed_on", "-id")
        .values_list("placement_id", "reason")
    )
    for placement_id, reason in worries:
        inputs[post_ids[placement_id]].worries.append(reason)
    for placement_id, score in Risk.objects.filter(placement_id__in=post_ids).values_list(
        "placement_id", "score"
    ):
        inputs[post_ids[placement_id]].risk = score
    _find_progression(inputs, post_ids)
    for person_id, until in off_limits(person_ids, today=today).items():
        inputs[person_id].off_limits_until = until
    return inputs


def _find_progression(inputs: dict[int, Inputs], post_ids: dict[int, int]) -> None:
    """Mark people whose notes or written answers since their start mention progression."""
    words = Q()
    for word in PROGRESSION_WORDS:
        words |= Q(text__icontains=word)
    people = list(post_ids.values())
    starts = {i.person_id: i.post.start_date for i in inputs.values() if i.post is not None}
    for person_id, created_at in Note.objects.filter(words, person_id__in=people).values_list(
        "person_id", "created_at"
    ):
        if timezone.localdate(created_at) >= starts[person_id]:
            inputs[person_id].progression_mentioned = True
    answer_words = Q()
    for word in PROGRESSION_WORDS:
        answer_words |= Q(value_text__icontains=word)
    answered = Answer.objects.filter(
        answer_words, response__placement_id__in=list(post_ids)
    ).values_list("response__placement_id", flat=True)
    for placement_id in answered:
        inputs[post_ids[placement_id]].progression_mentioned = True


# --- Storing, crossing the threshold ---------------------------------------------------


def _store(person_id: int, assessment: Assessment, *, now: dt.datetime) -> bool:
    """Save the assessment; True when it crossed the threshold from below (or from nothing).

    The conditional UPDATE (score below the threshold) is what makes a crossing happen
    once, however many workers or statements race to record it.
    """
    values = {"score": assessment.score, "reasons": assessment.reasons, "computed_at": now}
    if assessment.ready:
        crossed = Readiness.objects.filter(person_id=person_id, score__lt=THRESHOLD).update(
            **values
        )
        if crossed:
            return True
        if Readiness.objects.filter(person_id=person_id).update(**values):
            return False
    elif Readiness.objects.filter(person_id=person_id).update(**values):
        return False
    try:
        with transaction.atomic():
            Readiness.objects.create(person_id=person_id, **values)
    except IntegrityError:  # created meanwhile by another worker: that one told everyone
        Readiness.objects.filter(person_id=person_id).update(**values)
        return False
    return assessment.ready


def _on_crossing(inputs: Inputs, assessment: Assessment, *, now: dt.datetime) -> None:
    person = Person.objects.select_related("owner").get(pk=inputs.person_id)
    # The call goes to whoever looks after them (a live placement's owner first), the
    # same consultant their alerts and referrals go to.
    owner = looks_after(person).owner
    owner_id = owner.pk if owner is not None else None
    texts = [r["text"] for r in assessment.reasons if r["weight"] > 0]
    top = texts[0] if texts else "several signs"
    if owner_id is not None:
        plan_touchpoint(
            person=person,
            kind=Kind.CALL,
            title=ready_call_title(top),
            # The daily job runs at weekends too; the call waits for a working day.
            due_on=on_or_after_working_day(timezone.localdate(now)),
            owner_id=owner_id,
            notes="Why now:\n" + "\n".join(f"- {t}" for t in texts),
        )
    events.emit(
        events.PERSON_READY_TO_MOVE,
        {
            "person_id": person.pk,
            "score": assessment.score,
            "reasons": texts,
            "summary": f"{person.full_name} may be ready to move: {top}",
        },
    )


READY_CALL = "Ready to move: "
TITLE_LENGTH = 200  # Touchpoint.title's max_length


def ready_call_title(reason: str) -> str:
    """The call's title: the strongest reason, shortened at a word with "…" when it would
    not fit (Today showed "… (Six-mo" where the column cut it)."""
    title = f"{READY_CALL}{reason}"
    if len(title) <= TITLE_LENGTH:
        return title
    cut = title[: TITLE_LENGTH - 1].rsplit(" ", 1)[0].rstrip(" ;,:(")
    return f"{cut}…"


OFF_LIMITS_SKIP = "Off-limits: in their guarantee or first months with us"


def _is_off_limits(inputs: Inputs, today: dt.date) -> bool:
    return inputs.off_limits_until is not None and today <= inputs.off_limits_until


def _drop_ready_calls(person_ids: list[int]) -> None:
    """A "Ready to move" call still planned for someone now off-limits (placed since it was
    planned) is skipped: one query for the chunk, nothing when there is none."""
    if person_ids:
        planned = Touchpoint.objects.filter(
            person_id__in=person_ids,
            state=Touchpoint.State.PLANNED,
            kind=Kind.CALL,
            title__startswith=READY_CALL,
        )
        recorded_update(planned, state=Touchpoint.State.SKIPPED, skip_reason=OFF_LIMITS_SKIP)


def recompute(person_ids: Iterable[int], *, now: dt.datetime | None = None) -> tuple[int, int]:
    """Recompute readiness for `person_ids`; returns (recomputed, newly ready)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    ids = list(dict.fromkeys(person_ids))
    done = crossed = 0
    for start in range(0, len(ids), CHUNK):
        # Someone erased on request is nobody's prospect: no score, no call.
        chunk = list(
            Person.objects.filter(pk__in=ids[start : start + CHUNK], erased_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        found = gather(chunk, today=today)
        before = {
            pk: (score, reasons)
            for pk, score, reasons in Readiness.objects.filter(person_id__in=chunk).values_list(
                "person_id", "score", "reasons"
            )
        }
        unchanged: list[int] = []
        # A transaction per chunk: the daily run over 100k people commits 200 times, not
        # 100k, and most people's readiness is the same as yesterday's (one UPDATE for all).
        with transaction.atomic():
            for person_id, inputs in found.items():
                assessment = assess(inputs, today=today)
                if before.get(person_id) == (assessment.score, assessment.reasons):
                    unchanged.append(person_id)
                elif _store(person_id, assessment, now=now):
                    _on_crossing(inputs, assessment, now=now)
                    crossed += 1
            Readiness.objects.filter(person_id__in=unchanged).update(computed_at=now)
            _drop_ready_calls([pk for pk, i in found.items() if _is_off_limits(i, today)])
        done += len(found)
    return done, crossed


def recompute_person(*, person: Person, now: dt.datetime | None = None) -> Readiness:
    recompute([person.pk], now=now)
    return Readiness.objects.get(person=person)


def people_to_assess(*, now: dt.datetime) -> list[int]:
    """Everyone in post through the agency, anyone who said how things are in the last
    year, and anyone already scored (so a score can fall as well as rise)."""
    in_post = Placement.objects.filter(
        status__in=IN_POST, start_date__lte=timezone.localdate(now), left_on__isnull=True
    ).values_list("person_id", flat=True)
    said = StatusStatement.objects.filter(
        created_at__gte=now - dt.timedelta(days=STATEMENT_STALE_DAYS + 1)
    ).values_list("person_id", flat=True)
    scored = Readiness.objects.values_list("person_id", flat=True)
    return sorted({*in_post, *said, *scored})


def refresh_all(*, now: dt.datetime | None = None) -> str:
    """The worker's daily job: anniversaries and contract ends move with the calendar."""
    now = now or timezone.now()
    done, crossed = recompute(people_to_assess(now=now), now=now)
    summary = f"readiness recomputed for {done}, newly ready {crossed}"
    logger.info("Daily readiness run: %s", summary)
    return summary


@receiver(post_save, sender=StatusStatement, dispatch_uid="readiness_on_statement")
def _on_statement(sender: Any, instance: StatusStatement, created: bool, **kwargs: Any) -> None:
    # After commit: the statement's own transaction decides; a rollback recomputes nothing.
    if created and not kwargs.get("raw"):
        transaction.on_commit(lambda: _recompute_quietly(instance.person_id))


def _recompute_quietly(person_id: int) -> None:
    # The statement is already saved; a fault here must not turn the person's page into
    # an error. The daily run catches up.
    try:
        recompute([person_id])
    except Exception:
        logger.exception("Readiness for person %s could not be recomputed", person_id)
