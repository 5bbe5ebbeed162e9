"""A placed person's performance record: what the agency has watched of them in each placement.

Built from the answers the agency already collects, never typed in twice: the client's
rating of their performance overall and of each agreed target (met, on track, behind),
the person's own check-in ratings, how long they stayed and how it ended. The person page
shows it, the API returns it, and matching turns it into reasons ("Client rated 5/5 at
month 3"). Reads are in bulk: two statements for any number of people, the second only
when someone answered about a placement of theirs. Both are written once (prepared on
PostgreSQL): the person page reads a record on every view.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Avg
from django.utils import timezone

from keepwarm.lib.bulk import AMONG_IDS, Reading, fetch_all, ids_param, read_as
from keepwarm.people.models import Company
from keepwarm.placements.models import Placement
from keepwarm.surveys.models import Answer, Question, Questionnaire, Response

PERFORMANCE_CODE = "performance"
TARGET_PREFIX = "target:"
# The candidate's own view of the job, from their check-ins.
MOOD_CODES = ("satisfaction_job", "satisfaction_manager")
DAYS_A_MONTH = 30.44


def month_of(start: dt.date, day: dt.date) -> int:
    """The month of the placement `day` falls in, counted as recruiters do ("month 3")."""
    return max(1, round((day - start).days / DAYS_A_MONTH))


@dataclass
class Rating:
    value: int
    month: int


@dataclass
class PlacementRecord:
    """One placement as the agency watched it."""

    placement_id: int
    company_id: int
    company: str
    role_title: str
    start_date: dt.date
    salary: Decimal | None
    status: str
    leave_reason: str
    months: int
    ratings: list[Rating] = field(default_factory=list)
    # The client's latest answer per agreed target: met, on_track or behind.
    targets: dict[str, str] = field(default_factory=dict)
    targets_month: int | None = None
    mood: list[float] = field(default_factory=list)

    @property
    def rating(self) -> Rating | None:
        """The client's latest rating of their performance overall."""
        return self.ratings[-1] if self.ratings else None

    @property
    def ended_badly(self) -> bool:
        return self.status in Placement.ENDED

    @property
    def stayed(self) -> bool:
        return self.status == Placement.Status.SETTLED

    @property
    def targets_met(self) -> int:
        return sum(1 for v in self.targets.values() if v in ("met", "on_track"))

    @property
    def outcome(self) -> str:
        if self.ended_badly:
            what = "Fell off" if self.status == Placement.Status.FELL_OFF else "Left early"
            why = dict(Placement.LeaveReason.choices).get(self.leave_reason, "")
            return f"{what} at month {self.months}" + (f": {why}" if why else "")
        if self.stayed:
            return f"Stayed past the guarantee ({self.months} months so far)"
        return f"In place, month {self.months}"

    @property
    def rating_text(self) -> str:
        rating = self.rating
        return f"{rating.value}/5 at month {rating.month}" if rating is not None else ""

    @property
    def targets_text(self) -> str:
        if not self.targets:
            return ""
        return (
            f"{self.targets_met} of {len(self.targets)} agreed targets met or on track "
            f"at month {self.targets_month}"
        )

    @property
    def mood_text(self) -> str:
        if not self.mood:
            return ""
        return f"rated the job {sum(self.mood) / len(self.mood):.1f}/5 themselves"

    def as_dict(self) -> dict[str, Any]:
        rating = self.rating
        return {
            "placement": self.placement_id,
            "company": self.company,
            "role_title": self.role_title,
            "start_date": self.start_date,
            "months": self.months,
            "status": self.status,
            "outcome": self.outcome,
            "client_rating": rating.value if rating is not None else None,
            "client_rating_month": rating.month if rating is not None else None,
            "targets_met": self.targets_met,
            "targets": len(self.targets),
            "candidate_rating": round(sum(self.mood) / len(self.mood), 1) if self.mood else None,
        }


@dataclass
class Record:
    person_id: int
    placements: list[PlacementRecord] = field(default_factory=list)

    def best_rated(self, company_id: int | None = None) -> PlacementRecord | None:
        """The placement the client rated highest (latest rating), at one client or any."""
        rated = [
            p
            for p in self.placements
            if p.rating is not None and (company_id is None or p.company_id == company_id)
        ]
        return max(rated, key=lambda p: (p.rating.value, p.start_date)) if rated else None  # type: ignore[union-attr]


# Each placement of the people of `{ids}`, newest first, and whether anyone has answered
# about it (most have no answers: their second read is not made).
_PLACEMENTS = (
    "SELECT p.id, p.person_id, p.company_id, co.name, p.role_title, p.start_date, p.salary,"
    " p.status, p.leave_reason, p.left_on,"
    " EXISTS(SELECT 1 FROM {response} r WHERE r.placement_id = p.id AND r.submitted_at IS NOT NULL)"
    " FROM {placement} p INNER JOIN {company} co ON p.company_id = co.id"
    " WHERE p.person_id {ids} ORDER BY p.person_id, p.start_date DESC, p.id DESC"
)
# The answers the record is made of, for the placements of `{ids}`, oldest first.
_ANSWERS = (
    "SELECT r.placement_id, qn.audience, r.submitted_at, q.code, a.value_number, a.value_text"
    " FROM {answer} a INNER JOIN {question} q ON a.question_id = q.id"
    " INNER JOIN {response} r ON a.response_id = r.id"
    " INNER JOIN {questionnaire} qn ON r.questionnaire_id = qn.id"
    " WHERE (q.code IN ({codes}) OR q.code LIKE %s)"
    " AND r.placement_id {ids} AND r.submitted_at IS NOT NULL"
    " ORDER BY r.submitted_at, a.id"
)


def _sql(statement: str) -> str:
    quote = connection.ops.quote_name
    tables = {
        name: quote(model._meta.db_table)
        for name, model in (
            ("placement", Placement),
            ("company", Company),
            ("answer", Answer),
            ("question", Question),
            ("response", Response),
            ("questionnaire", Questionnaire),
        )
    }
    codes = ", ".join(["%s"] * (1 + len(MOOD_CODES)))
    return statement.format(**tables, ids=AMONG_IDS[connection.vendor], codes=codes)


def records(person_ids: Iterable[int], *, today: dt.date | None = None) -> dict[int, Record]:
    """`records_reading` read on its own."""
    return records_reading(person_ids, today=today).read()


def records_reading(
    person_ids: Iterable[int], *, today: dt.date | None = None
) -> Reading[dict[int, Record]]:
    """Each person's record (those never placed have none), newest placement first; the
    answers it is made of are read after, for the placements someone answered about."""
    day = today or timezone.localdate()
    statement = (_sql(_PLACEMENTS), [ids_param(person_ids)])
    return Reading([statement], lambda rows: _records(rows[0], today=day))


def _records(rows: list[tuple[Any, ...]], *, today: dt.date) -> dict[int, Record]:
    by_placement: dict[int, PlacementRecord] = {}
    answered: list[int] = []
    out: dict[int, Record] = {}
    salary_of = read_as(Placement, "salary")
    day_of = read_as(Placement, "start_date")
    for pk, person_id, company_id, company, title, start, salary, status, reason, *rest in rows:
        left, has_answers = rest
        start = day_of(start)
        until = day_of(left) or today
        placement = PlacementRecord(
            placement_id=pk,
            company_id=company_id,
            company=company,
            role_title=title,
            start_date=start,
            salary=salary_of(salary),
            status=status,
            leave_reason=reason,
            months=max(0, round((until - start).days / DAYS_A_MONTH)),
        )
        by_placement[pk] = placement
        if has_answers:
            answered.append(pk)
        out.setdefault(person_id, Record(person_id)).placements.append(placement)
    if answered:
        _add_answers(by_placement, answered)
    return out


def _add_answers(by_placement: dict[int, PlacementRecord], answered: list[int]) -> None:
    codes = [PERFORMANCE_CODE, *MOOD_CODES, f"{TARGET_PREFIX}%"]
    submitted_at = read_as(Response, "submitted_at")
    moods: dict[int, list[float]] = defaultdict(list)
    rows = fetch_all(_sql(_ANSWERS), [*codes, ids_param(answered)])
    for placement_id, audience, submitted, code, number, text in rows:
        placement = by_placement[placement_id]
        month = month_of(placement.start_date, timezone.localdate(submitted_at(submitted)))
        if audience == "client" and code == PERFORMANCE_CODE and number is not None:
            placement.ratings.append(Rating(int(number), month))
        elif audience == "client" and code.startswith(TARGET_PREFIX) and text:
            placement.targets[code] = text
            placement.targets_month = month
        elif audience == "candidate" and code in MOOD_CODES and number is not None:
            moods[placement_id].append(float(number))
    for placement_id, values in moods.items():
        by_placement[placement_id].mood = values


# --- What a client's successful hires had in common ----------------------------------------


@dataclass
class ClientKnowledge:
    """What the agency has learnt from one client's placements: who did well there."""

    company_id: int
    placements: int = 0
    successes: list[PlacementRecord] = field(default_factory=list)
    # The client's average rating per question code over all its answers.
    rated: dict[str, float] = field(default_factory=dict)

    @property
    def roles(self) -> list[str]:
        return roles_of(self.successes)

    @property
    def pay_band(self) -> tuple[Decimal, Decimal] | None:
        return pay_band_of(self.successes)

    @property
    def typical_months(self) -> int | None:
        months = sorted(p.months for p in self.successes)
        return months[len(months) // 2] if months else None

    @property
    def rated_highly(self) -> list[str]:
        """What this client rates highest in its hires, in words (4 of 5 and over)."""
        words = {"performance": "performance overall", "fit_team": "fitting in with the team"}
        high = sorted((avg, code) for code, avg in self.rated.items() if code in words and avg >= 4)
        return [f"{words[code]} ({avg:.1f}/5)" for avg, code in reversed(high)]


def roles_of(placements: Iterable[PlacementRecord]) -> list[str]:
    """Their role titles, the three most common first."""
    counts = Counter(p.role_title for p in placements if p.role_title)
    return [title for title, _ in counts.most_common(3)]


def pay_band_of(placements: Iterable[PlacementRecord]) -> tuple[Decimal, Decimal] | None:
    """The lowest and highest salary among them."""
    pay = [p.salary for p in placements if p.salary is not None]
    return (min(pay), max(pay)) if pay else None


def succeeded(placement: PlacementRecord) -> bool:
    """Stayed past the guarantee, or still there and rated well by the client."""
    if placement.ended_badly:
        return False
    rating = placement.rating
    return placement.stayed or (rating is not None and rating.value >= 4)


def client_knowledge(company_id: int, *, today: dt.date | None = None) -> ClientKnowledge:
    """What `company_id`'s placements have in common when they went well. Four queries."""
    knowledge = ClientKnowledge(company_id)
    people = Placement.objects.filter(company_id=company_id).values_list("person_id", flat=True)
    for record in records(set(people), today=today).values():
        for placement in record.placements:
            if placement.company_id != company_id:
                continue
            knowledge.placements += 1
            if succeeded(placement):
                knowledge.successes.append(placement)
    rows = (
        Answer.objects.filter(
            response__placement__company_id=company_id,
            response__questionnaire__audience="client",
            question__code__in=("performance", "fit_team"),
            value_number__isnull=False,
        )
        .values("question__code")
        .annotate(avg=Avg("value_number"))
    )
    knowledge.rated = {r["question__code"]: float(r["avg"]) for r in rows}
    return knowledge
