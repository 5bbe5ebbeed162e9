"""Matching: the people the agency knows for a vacancy, and open vacancies for a person.

Everything runs in this process, from the database's rows: no network, no model. Each
pair is scored by match_scoring.py from text compared in similarity.py. People are
scored in two passes so 10k of them take well under a second: a cheap pass over
everyone (text, sector, location, salary, readiness) from profiles each process keeps
until they change (pool.py), then what the agency has watched for the best few only.
Nobody off-limits (in a live placement's guarantee or first months) is matched.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.care.queries import visible_people
from keepwarm.network.match_scoring import (
    Profile,
    Reason,
    Scored,
    Scorer,
    client_reasons,
    history_reason,
    record_reasons,
)
from keepwarm.network.models import Vacancy
from keepwarm.network.performance import ClientKnowledge, Record, client_knowledge, records
from keepwarm.network.pool import idf_for, pool, profiles
from keepwarm.network.similarity import Idf
from keepwarm.people.models import Person
from keepwarm.placements.models import Placement
from keepwarm.placements.queries import off_limits

# How many of the cheap pass's best get the full treatment, per match asked for.
SHORTLIST_FACTOR = 4


@dataclass
class Match:
    score: float
    reasons: list[Reason]
    person_id: int
    person_name: str
    vacancy_id: int
    vacancy_title: str
    company_name: str
    placed: bool = False
    parts: dict[str, float] = field(default_factory=dict)
    # The evidence that breaks a tie between scores shown alike (whole points): who was
    # in touch with us more lately, then who is readier to move. Never the name: among
    # equals, the alphabet would always pick the same people.
    last_contact: dt.datetime | None = None
    readiness: float = 0.0

    @property
    def score_display(self) -> int:
        return round(self.score)

    def tie_break(self) -> tuple[int, float, float, float, int, int]:
        contact = self.last_contact.timestamp() if self.last_contact is not None else 0.0
        return (
            -self.score_display,
            -contact,
            -self.readiness,
            -self.score,
            self.person_id,
            self.vacancy_id,
        )


@dataclass
class HeldBack:
    """Someone who would have ranked among the matches but is off-limits, and why."""

    person_id: int
    person_name: str
    until: dt.date
    score: float

    @property
    def reason(self) -> str:
        return (
            f"Off-limits until {self.until:%-d %b %Y}: in a current placement's guarantee "
            "or first months, so not offered for other roles"
        )


@dataclass
class Ranking:
    matches: list[Match]
    held_back: list[HeldBack]


# --- Histories for the shortlist ---------------------------------------------------------


def _history_with(company_id: int, person_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    rows = (
        Placement.objects.filter(company_id=company_id, person_id__in=person_ids)
        .order_by("person_id", "-start_date")
        .values("person_id", "role_title", "start_date", "status", "leave_reason")
    )
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        out[row["person_id"]].append(dict(row))
    return out


def _finish(
    scored: Sequence[tuple[Scored, Profile, Vacancy]],
    *,
    idf: Idf,
    watched: Mapping[int, Record],
    clients: Mapping[int, ClientKnowledge],
    histories: Mapping[tuple[int, int], list[dict[str, Any]]],
) -> list[Match]:
    """The shortlist's matches: the profile's score plus what the agency has watched
    (their performance record, how this client's placements went), best first."""
    matches = []
    for s, profile, vacancy in scored:
        company = vacancy.company.name
        reasons = list(s.reasons)
        reasons += record_reasons(
            watched.get(profile.id), company_id=vacancy.company_id, company=company
        )
        reasons += client_reasons(clients.get(vacancy.company_id), profile, idf, vacancy)
        history = histories.get((vacancy.company_id, profile.id))
        if history:
            reasons.append(history_reason(history, company))
        score = s.score + sum(r.points for r in reasons[len(s.reasons) :])
        reasons.sort(key=lambda r: -abs(r.points))
        matches.append(
            Match(
                score=max(0.0, min(100.0, score)),
                reasons=reasons,
                person_id=profile.id,
                person_name=profile.name,
                vacancy_id=vacancy.pk,
                vacancy_title=vacancy.title,
                company_name=vacancy.company.name,
                placed=profile.placed,
                parts=s.parts,
                last_contact=profile.last_contact,
                readiness=profile.readiness or 0.0,
            )
        )
    matches.sort(key=Match.tie_break)
    return matches


# --- The two directions -----------------------------------------------------------------


def _rough_order(score: float, profile: Profile) -> tuple[float, float, float, int]:
    """The cheap pass's order: score, then the same evidence as the final tie-break."""
    contact = profile.last_contact.timestamp() if profile.last_contact is not None else 0.0
    return (-score, -contact, -(profile.readiness or 0.0), profile.id)


def rank_people(vacancy: Vacancy, *, user: User | None = None, limit: int = 25) -> Ranking:
    """The people best fitted to `vacancy`, best first, with reasons; and those who would
    have ranked among them but are off-limits, with the day that ends.

    `user` limits the pool to the people they may see (consultants: their own and those
    they cover). The pool's profiles, and everyone's cheap-pass score for what the vacancy
    asks, are kept between requests until a row they come from changes (pool.py); what
    the agency has watched is read afresh for the shortlist every time.
    """
    found = pool()
    scorer, scores = found.scored(vacancy)
    pairs: Iterable[tuple[float, Profile]] = zip(scores, found.profiles, strict=True)
    if user is not None and not user.sees_whole_team:
        visible = set(visible_people(user).values_list("id", flat=True))
        pairs = [pair for pair in pairs if pair[1].id in visible]
    # Someone in a live placement's guarantee or first months is off-limits: never offered.
    barred = found.barred(timezone.localdate())
    free: list[tuple[float, Profile]] = []
    held: list[tuple[float, Profile]] = []
    for pair in pairs:
        (held if pair[1].id in barred else free).append(pair)
    if not free and not held:
        return Ranking([], [])
    shortlist = _best(free, max(limit * SHORTLIST_FACTOR, limit))
    ids = [p.id for _, p in shortlist]
    histories = {
        (vacancy.company_id, pid): rows
        for pid, rows in _history_with(vacancy.company_id, ids).items()
    }
    scored = [(scorer.score(vacancy, p, explain=True), p, vacancy) for _, p in shortlist]
    matches = _finish(
        scored,
        idf=scorer.idf,
        watched=records(ids),
        clients={vacancy.company_id: client_knowledge(vacancy.company_id)},
        histories=histories,
    )[:limit]
    cut = matches[-1].score if len(matches) >= limit else 0.0
    # The off-limits people whose profile alone would have put them among the matches.
    held_back = [
        HeldBack(p.id, p.name, barred[p.id], score)
        for score, p in _best(held, limit)
        if score > 0 and score >= cut
    ]
    return Ranking(matches, held_back)


def _best(scored: list[tuple[float, Profile]], n: int) -> list[tuple[float, Profile]]:
    """The `n` best, in the cheap pass's order. Only those scoring at least the n-th best
    score are sorted, not the whole pool."""
    if len(scored) > n:
        floor = heapq.nlargest(n, [score for score, _ in scored])[-1]
        scored = [pair for pair in scored if pair[0] >= floor]
    scored.sort(key=lambda t: _rough_order(*t))
    return scored[:n]


def match_people(vacancy: Vacancy, *, user: User | None = None, limit: int = 25) -> list[Match]:
    """The people best fitted to `vacancy`, best first, with reasons (see `rank_people`)."""
    return rank_people(vacancy, user=user, limit=limit).matches


def open_vacancies() -> QuerySet[Vacancy]:
    return Vacancy.objects.filter(status=Vacancy.Status.OPEN).select_related("company")


def match_vacancies(person: Person, *, limit: int = 25) -> list[Match]:
    """Open vacancies that best fit `person`, best first, with reasons; none while they are
    off-limits (see `off_limits`)."""
    if off_limits([person.pk], today=timezone.localdate()):
        return []
    found = profiles(Person.objects.filter(pk=person.pk))
    vacancies = list(open_vacancies())
    if not found or not vacancies:
        return []
    profile = found[0]
    scorer = Scorer(idf_for([profile], vacancies))
    scored = [(scorer.score(v, profile, explain=True), profile, v) for v in vacancies]
    # What the agency knows of each client is read for the best few vacancies only.
    scored.sort(key=lambda t: -t[0].score)
    scored = scored[: max(limit * SHORTLIST_FACTOR, limit)]
    companies = {v.company_id for _, _, v in scored}
    rows = (
        Placement.objects.filter(person=person, company_id__in=companies)
        .order_by("-start_date")
        .values("company_id", "person_id", "role_title", "start_date", "status", "leave_reason")
    )
    histories: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        histories[(row["company_id"], person.pk)].append(dict(row))
    matches = _finish(
        scored,
        idf=scorer.idf,
        watched=records([person.pk]),
        clients={c: client_knowledge(c) for c in companies},
        histories=histories,
    )
    return matches[:limit]


def client_record(vacancy: Vacancy, *, today: dt.date | None = None) -> str:
    """How the agency's placements with this client have gone, in one line."""
    today = today or timezone.localdate()
    rows = Placement.objects.filter(company_id=vacancy.company_id, start_date__lte=today)
    total = rows.count()
    if not total:
        return f"No placements with {vacancy.company.name} yet."
    ended = rows.filter(status__in=Placement.ENDED).count()
    settled = rows.filter(status=Placement.Status.SETTLED).count()
    return (
        f"{total} placement{'s' if total != 1 else ''} with {vacancy.company.name}: "
        f"{settled} stayed past the guarantee, {ended} fell off or left early."
    )
