"""People: one record per human, with the roles they have held."""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from keepwarm.accounts.models import User
from keepwarm.api.auth import caller
from keepwarm.api.lookups import one_of, user_named, username_of
from keepwarm.api.schemas import (
    Email,
    ErrorOut,
    Id,
    LongText,
    Phone,
    RoleKind,
    Str100,
    Str200,
    SyncQuery,
)
from keepwarm.audit.recording import record_read
from keepwarm.care.queries import get_person_for, visible_people
from keepwarm.lib.phones import InvalidPhone, normalise_phone
from keepwarm.network import performance
from keepwarm.people import services as people_services
from keepwarm.people.models import Company, Person, Role

router = Router()


class RoleOut(Schema):
    kind: RoleKind
    company: int | None = Field(None, alias="company_id")
    title: str
    started_on: dt.date
    ended_on: dt.date | None


class PersonOut(Schema):
    id: int
    url: str
    first_name: str
    last_name: str
    full_name: str
    email: str
    phone: str
    location: str
    sector: str
    headline: str
    skills: str
    notes: str
    owner: str | None
    last_contacted_at: dt.datetime | None
    # Set when their address bounced hard or they marked us as spam; cleared by a new email.
    email_failed_at: dt.datetime | None
    email_failed_reason: str
    created_at: dt.datetime
    roles: list[RoleOut]

    @staticmethod
    def resolve_url(obj: Person) -> str:
        return reverse("api:person", args=[obj.pk])

    @staticmethod
    def resolve_owner(obj: Person) -> str | None:
        return username_of(obj.owner)

    @staticmethod
    def resolve_roles(obj: Person) -> list[Role]:
        return list(obj.roles.all())


class PersonPatch(Schema):
    """Send only the fields to change."""

    first_name: Str100 = Field("", min_length=1)
    last_name: Str100 = Field("", min_length=1)
    email: Email = ""
    phone: Phone = ""
    location: Str100 = ""
    sector: Str100 = ""
    headline: Str200 = ""
    skills: LongText = ""
    notes: LongText = ""
    owner: Str200 | None = Field(
        None, description="Username of the owning consultant; defaults to you on create."
    )


class PersonIn(PersonPatch):
    first_name: Str100 = Field(min_length=1)
    last_name: Str100 = Field(min_length=1)
    role: RoleKind = Field(
        Role.Kind.CANDIDATE,
        description="What they are to the agency now: candidate (matched to vacancies) or "
        "client_contact (give company). A placed role comes with a placement.",
    )
    company: Id | None = Field(None, description="The company a client contact works for.")
    title: Str200 = Field("", description="Their job title in that role.")


class PersonPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[PersonOut]


class PersonFilters(SyncQuery):
    q: Str100 = Field("", description="Part of the name, email or phone.")
    role: RoleKind | None = Field(None, description="Only people who currently hold this role.")


def _people(user: User) -> QuerySet[Person]:
    return (
        visible_people(user)
        .select_related("owner")
        .prefetch_related("roles")
        .order_by("last_name", "first_name", "id")
    )


def _search(people: QuerySet[Person], q: str) -> QuerySet[Person]:
    words = q.split()
    match = Q(email__icontains=q) | Q(phone__icontains=q)
    with suppress(InvalidPhone):
        # Numbers are stored as +44…: "07700 900123" finds "+447700900123" too.
        match |= Q(phone__startswith=normalise_phone(q))
    if len(words) == 1:
        match |= Q(first_name__icontains=q) | Q(last_name__icontains=q)
    else:
        # "Priya Patel" finds Priya Patel, not everyone called Priya.
        match |= Q(first_name__icontains=words[0], last_name__icontains=" ".join(words[1:]))
    return people.filter(match)


@router.get("", response=PersonPage, url_name="people")
def list_people(request: HttpRequest, filters: Query[PersonFilters]) -> dict[str, Any]:
    people = filters.changed(_people(caller(request)))
    if filters.q.strip():
        people = _search(people, filters.q.strip())
    if filters.role:
        current = Role.objects.filter(
            person=OuterRef("pk"), kind=filters.role, ended_on__isnull=True
        )
        people = people.filter(Exists(current))
    window = list(people[filters.offset : filters.offset + filters.limit])
    record_read(window)
    return {
        "count": people.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": window,
    }


@router.get("/{id}", response={200: PersonOut, 404: ErrorOut}, url_name="person")
def read_person(request: HttpRequest, id: Id) -> Person:
    return get_person_for(caller(request), id)


@router.post("", response={201: PersonOut, 422: ErrorOut})
def create_person(request: HttpRequest, payload: PersonIn) -> Status[Person]:
    data = payload.model_dump()
    owner_name = data.pop("owner")
    company_id = data.pop("company")
    person = people_services.create_person(
        by=caller(request),
        owner=user_named("owner", owner_name) if owner_name else None,
        company=one_of("company", Company.objects.all(), company_id, "company")
        if company_id is not None
        else None,
        **data,
    )
    return Status(201, person)


@router.patch("/{id}", response={200: PersonOut, 404: ErrorOut, 422: ErrorOut})
def update_person(request: HttpRequest, id: Id, payload: PersonPatch) -> Person:
    person = get_person_for(caller(request), id)
    data = payload.model_dump(exclude_unset=True)
    if "owner" in data:
        data["owner"] = user_named("owner", data["owner"]) if data["owner"] else None
    # No version is sent: the change applies over whatever is current, and moves the
    # version on, so an edit form opened before this call sees the change.
    return people_services.update_person(person=person, expected_version=None, **data)


class PlacementRecordOut(Schema):
    placement: int
    company: str
    role_title: str
    start_date: dt.date
    months: int = Field(description="Months in post, to when they left or today.")
    status: str
    outcome: str = Field(description="How it went, in words.")
    client_rating: int | None = Field(
        description="The client's latest rating of their performance overall, 1–5."
    )
    client_rating_month: int | None = Field(description="The month of the placement it was given.")
    targets_met: int = Field(description="Agreed targets the client last said met or on track.")
    targets: int = Field(description="Agreed targets the client has answered on.")
    candidate_rating: float | None = Field(description="Their own average rating of the job.")


@router.get(
    "/{id}/performance",
    response={200: list[PlacementRecordOut], 404: ErrorOut},
    url_name="person_performance",
)
def person_performance(request: HttpRequest, id: Id) -> list[dict[str, Any]]:
    """Their performance record: each placement, newest first, with the client's rating,
    the agreed targets, tenure and outcome (empty if never placed). Matching uses it."""
    person = get_person_for(caller(request), id)
    record = performance.records([person.pk]).get(person.pk)
    return [p.as_dict() for p in record.placements] if record is not None else []
