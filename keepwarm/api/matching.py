"""Matches: the people who fit a vacancy, the open vacancies that fit a person, and
who is ready to move; each with its score and reasons in words."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from keepwarm.api.auth import caller
from keepwarm.api.schemas import ErrorOut, Id
from keepwarm.audit.recording import record_people_read, record_read
from keepwarm.care.queries import get_person_for
from keepwarm.network import matching, readiness
from keepwarm.network.models import Readiness, Vacancy
from keepwarm.network.queries import ready_to_move as ready_to_move_for
from keepwarm.people.models import Person

router = Router()

MAX_MATCHES = 100


class ReasonOut(Schema):
    code: str = Field(
        description="From the profile: title, skills, sector, location, salary, readiness. "
        "From what the agency watched: performance (the client's best rating), targets, "
        "tenure, client_rated (this vacancy's client rated them), client_hires and "
        "client_pay (like that client's successful hires), history (placed there before)."
    )
    text: str
    points: float = Field(description="What this reason added to (or took from) the score.")


class MatchOut(Schema):
    score: float = Field(description="0–100; higher fits better.")
    person: int = Field(alias="person_id")
    person_name: str
    placed: bool = Field(description="Placed by the agency before.")
    vacancy: int = Field(alias="vacancy_id")
    vacancy_title: str
    company: str = Field(alias="company_name")
    reasons: list[ReasonOut]

    @staticmethod
    def resolve_score(obj: matching.Match) -> float:
        return round(obj.score, 1)

    @staticmethod
    def resolve_reasons(obj: matching.Match) -> list[dict[str, Any]]:
        return [r.as_dict() for r in obj.reasons]


class MatchQuery(Schema):
    limit: int = Field(25, ge=1, le=MAX_MATCHES, description=f"At most {MAX_MATCHES}.")


class ReadinessReasonOut(Schema):
    code: str
    text: str
    weight: float


class ReadinessOut(Schema):
    person: int = Field(alias="person_id")
    person_name: str
    owner: str | None
    score: float = Field(description="0–1; people from the threshold up are ready to move.")
    reasons: list[ReadinessReasonOut]
    computed_at: dt.datetime

    @staticmethod
    def resolve_person_name(obj: Readiness) -> str:
        return obj.person.full_name

    @staticmethod
    def resolve_owner(obj: Readiness) -> str | None:
        owner = obj.person.owner
        return owner.username if owner is not None else None


class OffLimitsOut(Schema):
    person: int
    person_name: str
    until: dt.date = Field(description="The last day they are off-limits.")


class ReadyPage(Schema):
    count: int
    threshold: float
    results: list[ReadinessOut]
    off_limits: list[OffLimitsOut] = Field(
        description="Who would be ready but is in a current placement's guarantee or first "
        "months: never offered for other roles until then."
    )


@router.get(
    "/vacancies/{id}", response={200: list[MatchOut], 404: ErrorOut}, url_name="vacancy_matches"
)
def vacancy_matches(request: HttpRequest, id: Id, query: Query[MatchQuery]) -> list[matching.Match]:
    """People who fit the vacancy, best first (among the people the caller may see)."""
    vacancy = get_object_or_404(Vacancy.objects.select_related("company"), pk=id)
    matches = matching.match_people(vacancy, user=caller(request), limit=query.limit)
    record_people_read((m.person_id, m.person_name) for m in matches)
    return matches


@router.get(
    "/people/{id}", response={200: list[MatchOut], 404: ErrorOut}, url_name="person_matches"
)
def person_matches(request: HttpRequest, id: Id, query: Query[MatchQuery]) -> list[matching.Match]:
    """Open vacancies that fit the person, best first."""
    person = get_person_for(caller(request), id)
    return matching.match_vacancies(person, limit=query.limit)


@router.get("/ready-to-move", response=ReadyPage, url_name="ready_to_move")
def ready_to_move(request: HttpRequest, query: Query[MatchQuery]) -> dict[str, Any]:
    """People past the readiness threshold, most ready first."""
    ready, barred = ready_to_move_for(caller(request))
    ready = ready.select_related("person", "person__owner").order_by("-score", "person_id")
    results = list(ready[: query.limit])
    record_read(r.person for r in results)
    return {
        "count": ready.count(),
        "threshold": readiness.THRESHOLD,
        "results": results,
        "off_limits": [
            {"person": pk, "person_name": name, "until": barred[pk]} for pk, name in _names(barred)
        ],
    }


def _names(barred: dict[int, dt.date]) -> list[tuple[int, str]]:
    people = Person.objects.filter(pk__in=list(barred)).order_by("last_name", "first_name")
    named = [(p.pk, p.full_name) for p in people]
    record_people_read(named)
    return named
