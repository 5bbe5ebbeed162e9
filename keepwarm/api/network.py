"""Referrals, leads, intelligence notes and vacancies: the agency's network.

Referrals and leads go through the same services as the staff pages and the personal
page, so de-duplication, attribution and the referral.received event behave alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Annotated, Any

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import WithJsonSchema

from keepwarm.accounts.models import User
from keepwarm.api.auth import caller
from keepwarm.api.errors import Invalid, error_body
from keepwarm.api.lookups import one_of, user_named, username_of
from keepwarm.api.schemas import (
    Day,
    Email,
    ErrorOut,
    Id,
    LongText,
    PageQuery,
    Str40,
    Str100,
    Str200,
    SyncQuery,
)
from keepwarm.audit.recording import brief_label, record_read
from keepwarm.care.queries import visible_people, visible_placements
from keepwarm.network import queries, services
from keepwarm.network.models import IntelNote, Lead, Referral, RewardRule, Vacancy
from keepwarm.people.models import Company

referrals_router = Router()
leads_router = Router()
intel_router = Router()
vacancies_router = Router()


def _enum(values: list[str]) -> WithJsonSchema:
    # Several models call their choices Kind or Status; inline them so OpenAPI keeps each.
    return WithJsonSchema({"type": "string", "enum": values})


ReferralKind = Annotated[Referral.Kind, _enum(Referral.Kind.values)]
ReferralStatus = Annotated[Referral.Status, _enum(Referral.Status.values)]
LeadStatus = Annotated[Lead.Status, _enum(Lead.Status.values)]
IntelKind = Annotated[IntelNote.Kind, _enum(IntelNote.Kind.values)]
VacancyStatus = Annotated[Vacancy.Status, _enum(Vacancy.Status.values)]
Salary = Annotated[int, Field(ge=0, le=10_000_000)]


def _page(
    qs: QuerySet[Any],
    filters: PageQuery,
    *,
    read: Callable[[Any], Iterable[int | None]] | None = None,
) -> dict[str, Any]:
    """One page of `qs`; `read` names the people each row shows, for the audit trail (a
    page of vacancies names nobody and records nothing)."""
    window = list(qs[filters.offset : filters.offset + filters.limit])
    if read is not None:
        record_read(window, label=brief_label, people=read)
    return {
        "count": qs.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": window,
    }


# --- Referrals ------------------------------------------------------------------------------


HIDDEN = "null when it is someone (or something) of a colleague's you may not open."


class ReferralOut(Schema):
    id: int
    url: str
    referrer: int | None = Field(description=f"Who referred; {HIDDEN}")
    referred: int | None = Field(description=f"Who was referred, once known; {HIDDEN}")
    candidates: list[int] = Field(
        description="People it may be, when nobody is linked yet: those you may open."
    )
    kind: ReferralKind
    status: ReferralStatus
    name: str
    email: str
    phone: str
    company_name: str
    notes: str
    rule: int | None = Field(None, alias="rule_id")
    placement: int | None = Field(description=f"The referred person's placement; {HIDDEN}")
    reward_amount: Decimal | None
    reward_due_on: dt.date | None
    paid_on: dt.date | None
    owner: str | None
    received_at: dt.datetime

    @staticmethod
    def resolve_url(obj: Referral) -> str:
        return reverse("api:referral", args=[obj.pk])

    @staticmethod
    def resolve_owner(obj: Referral) -> str | None:
        return username_of(obj.owner)

    # Rows come from queries.visible_referrals, which marks what the caller may open; a row
    # without the mark shows nothing rather than everything.
    @staticmethod
    def resolve_referrer(obj: Referral) -> int | None:
        return obj.referrer_id if getattr(obj, "sees_referrer", False) else None

    @staticmethod
    def resolve_referred(obj: Referral) -> int | None:
        return obj.referred_id if getattr(obj, "sees_referred", False) else None

    @staticmethod
    def resolve_placement(obj: Referral) -> int | None:
        return obj.placement_id if getattr(obj, "sees_placement", False) else None

    @staticmethod
    def resolve_candidates(obj: Referral) -> list[int]:
        return [p.pk for p in obj.candidates.all()]


class ReferralPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ReferralOut]


class ReferralFilters(SyncQuery):
    status: ReferralStatus | None = None
    kind: ReferralKind | None = None
    person: Id | None = Field(None, description="Made by or about this person.")
    reward_due: bool = Field(False, description="Only rewards due to be paid today.")


class ReferralIn(Schema):
    referrer: Id = Field(description="Id of the person who referred.")
    kind: ReferralKind
    name: Str200 = Field(min_length=1)
    email: Email = ""
    phone: Str40 = ""
    company_name: Str200 = ""
    notes: LongText = ""


class ReferralPatch(Schema):
    """Move the status on one step, link the referred person, or change the notes."""

    status: ReferralStatus | None = None
    placement: Id | None = Field(None, description="With status placed: the placement.")
    rule: Id | None = Field(None, description="With status placed or won: the reward rule.")
    paid_on: Day | None = Field(None, description="With status paid; default today.")
    referred: Id | None = Field(None, description="Link the referral to this known person.")
    notes: LongText | None = None


def _referrals(user: User) -> QuerySet[Referral]:
    return (
        queries.visible_referrals(user)
        .select_related("owner")
        .prefetch_related(Prefetch("candidates", queryset=visible_people(user)))
        .order_by("-received_at", "-id")
    )


@referrals_router.get("", response=ReferralPage, url_name="referrals")
def list_referrals(request: HttpRequest, filters: Query[ReferralFilters]) -> dict[str, Any]:
    user = caller(request)
    referrals = _referrals(user)
    if filters.reward_due:
        due = queries.rewards_due(user, today=timezone.localdate()).values("pk")
        referrals = referrals.filter(pk__in=due)
    if filters.status:
        referrals = referrals.filter(status=filters.status)
    if filters.kind:
        referrals = referrals.filter(kind=filters.kind)
    if filters.person:
        # Only by people the caller may open: a filter must not confirm who referred whom.
        referrals = referrals.filter(
            Q(referrer_id=filters.person, sees_referrer=True)
            | Q(referred_id=filters.person, sees_referred=True)
        )
    return _page(filters.changed(referrals), filters, read=queries.referral_people_shown)


@referrals_router.get("/{id}", response={200: ReferralOut, 404: ErrorOut}, url_name="referral")
def read_referral(request: HttpRequest, id: Id) -> Referral:
    return get_object_or_404(_referrals(caller(request)), pk=id)


@referrals_router.post("", response={201: ReferralOut, 422: ErrorOut})
def create_referral(request: HttpRequest, payload: ReferralIn) -> Status[Referral]:
    """Record a referral; the person named is linked if already known (same email, or a
    close name with the same phone), else `candidates` lists who it may be."""
    user = caller(request)
    referrer = one_of("referrer", visible_people(user), payload.referrer, "person")
    referral = services.receive_referral(
        referrer=referrer,
        kind=payload.kind,
        name=payload.name,
        email=payload.email,
        phone=payload.phone,
        company_name=payload.company_name,
        notes=payload.notes,
        by=user,
    )
    return Status(201, get_object_or_404(_referrals(user), pk=referral.pk))


@referrals_router.patch("/{id}", response={200: ReferralOut, 404: ErrorOut, 422: ErrorOut})
def update_referral(request: HttpRequest, id: Id, payload: ReferralPatch) -> Referral:
    user = caller(request)
    with transaction.atomic():
        referral = get_object_or_404(_referrals(user), pk=id)
        if payload.referred is not None:
            person = one_of("referred", visible_people(user), payload.referred, "person")
            services.resolve_referral(referral=referral, person=person, by=user)
        if payload.notes is not None:
            referral.notes = payload.notes
            referral.save(update_fields=["notes", "updated_at"])
        if payload.status is not None and payload.status != referral.status:
            if payload.placement is not None:
                # Only a placement the caller may open; a colleague's is "not found".
                one_of("placement", visible_placements(user), payload.placement, "placement")
            rule = None
            if payload.rule is not None:
                rules = RewardRule.objects.filter(kind=referral.kind, active=True)
                rule = one_of("rule", rules, payload.rule, "active reward rule of this kind")
            services.advance_referral(
                referral=referral,
                to=payload.status,
                by=user,
                placement_id=payload.placement,
                rule=rule,
                paid_on=payload.paid_on,
            )
    return get_object_or_404(_referrals(user), pk=id)


# --- Leads ----------------------------------------------------------------------------------


class LeadOut(Schema):
    id: int
    url: str
    source: int | None = Field(description=f"Who passed it on; {HIDDEN}")
    company_name: str
    contact_name: str
    contact_email: str
    contact_phone: str
    role_hint: str
    notes: str
    status: LeadStatus
    company: int | None = Field(None, alias="company_id")
    contact: int | None = Field(description=f"The known person who is the contact; {HIDDEN}")
    contact_candidates: list[int] = Field(description="People it may be: those you may open.")
    vacancy: int | None = Field(None, alias="vacancy_id")
    owner: str | None
    received_at: dt.datetime

    @staticmethod
    def resolve_url(obj: Lead) -> str:
        return reverse("api:lead", args=[obj.pk])

    @staticmethod
    def resolve_owner(obj: Lead) -> str | None:
        return username_of(obj.owner)

    # Rows come from queries.visible_leads, which marks what the caller may open; a row
    # without the mark shows nothing rather than everything.
    @staticmethod
    def resolve_source(obj: Lead) -> int | None:
        return obj.source_id if getattr(obj, "sees_source", False) else None

    @staticmethod
    def resolve_contact(obj: Lead) -> int | None:
        return obj.contact_id if getattr(obj, "sees_contact", False) else None

    @staticmethod
    def resolve_contact_candidates(obj: Lead) -> list[int]:
        return [p.pk for p in obj.contact_candidates.all()]


class LeadPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[LeadOut]


class LeadFilters(SyncQuery):
    status: LeadStatus | None = None
    source: Id | None = Field(None, description="Passed on by this person.")


class LeadIn(Schema):
    source: Id = Field(description="Id of the person who passed the lead on.")
    company_name: Str200 = Field(min_length=1)
    contact_name: Str200 = ""
    contact_email: Email = ""
    contact_phone: Str40 = ""
    role_hint: Str200 = ""
    notes: LongText = ""


class LeadPatch(Schema):
    """Discard a new lead, settle its contact, or change its notes."""

    status: LeadStatus | None = Field(None, description="Only `discarded`; convert with POST.")
    contact: Id | None = Field(None, description="The known person who is the contact.")
    role_hint: Str200 | None = None
    notes: LongText | None = None


class ConvertIn(Schema):
    company_name: Str200 = Field(min_length=1, description="A known company of this name is used.")
    title: Str200 = Field(min_length=1, description="The vacancy's title.")
    sector: Str100 = ""
    location: Str100 = ""
    add_contact: bool = True


def _leads(user: User) -> QuerySet[Lead]:
    return (
        queries.visible_leads(user)
        .select_related("owner")
        .prefetch_related(Prefetch("contact_candidates", queryset=visible_people(user)))
        .order_by("-received_at", "-id")
    )


@leads_router.get("", response=LeadPage, url_name="leads")
def list_leads(request: HttpRequest, filters: Query[LeadFilters]) -> dict[str, Any]:
    leads = _leads(caller(request))
    if filters.status:
        leads = leads.filter(status=filters.status)
    if filters.source:
        leads = leads.filter(Q(source_id=filters.source, sees_source=True))
    return _page(filters.changed(leads), filters, read=queries.lead_people_shown)


@leads_router.get("/{id}", response={200: LeadOut, 404: ErrorOut}, url_name="lead")
def read_lead(request: HttpRequest, id: Id) -> Lead:
    return get_object_or_404(_leads(caller(request)), pk=id)


@leads_router.post("", response={201: LeadOut, 422: ErrorOut})
def create_lead(request: HttpRequest, payload: LeadIn) -> Status[Lead]:
    user = caller(request)
    source = one_of("source", visible_people(user), payload.source, "person")
    lead = services.receive_lead(
        source=source,
        company_name=payload.company_name,
        contact_name=payload.contact_name,
        contact_email=payload.contact_email,
        contact_phone=payload.contact_phone,
        role_hint=payload.role_hint,
        notes=payload.notes,
        by=user,
    )
    return Status(201, get_object_or_404(_leads(user), pk=lead.pk))


@leads_router.patch("/{id}", response={200: LeadOut, 404: ErrorOut, 422: ErrorOut})
def update_lead(request: HttpRequest, id: Id, payload: LeadPatch) -> Lead:
    user = caller(request)
    with transaction.atomic():
        lead = get_object_or_404(_leads(user), pk=id)
        if payload.contact is not None:
            person = one_of("contact", visible_people(user), payload.contact, "person")
            services.resolve_lead_contact(lead=lead, person=person)
        changed = []
        for name in ("role_hint", "notes"):
            value = getattr(payload, name)
            if value is not None:
                setattr(lead, name, value)
                changed.append(name)
        if changed:
            lead.save(update_fields=changed)
        if payload.status is not None and payload.status != lead.status:
            if payload.status != Lead.Status.DISCARDED:
                raise Invalid("status", "only `discarded`; convert a lead with POST …/convert")
            services.discard_lead(lead=lead)
    return get_object_or_404(_leads(user), pk=id)


@leads_router.post("/{id}/convert", response={200: LeadOut, 404: ErrorOut, 422: ErrorOut})
def convert_lead(request: HttpRequest, id: Id, payload: ConvertIn) -> Lead:
    """Turn the lead into a company, an open vacancy and (if named) a client contact."""
    user = caller(request)
    lead = get_object_or_404(_leads(user), pk=id)
    services.convert_lead(lead=lead, by=user, **payload.model_dump())
    return get_object_or_404(_leads(user), pk=id)


# --- Intelligence notes ---------------------------------------------------------------------


class IntelOut(Schema):
    id: int
    kind: IntelKind
    company: int | None = Field(None, alias="company_id")
    sector: str
    body: str
    source: str
    source_person: int | None = Field(description=f"Someone in Keepwarm; {HIDDEN}")
    noted_on: dt.date
    author: str | None
    created_at: dt.datetime

    @staticmethod
    def resolve_source_person(obj: IntelNote) -> int | None:
        # Rows come from queries.intel_notes; without the mark, nobody is named.
        return obj.source_person_id if getattr(obj, "sees_source_person", False) else None

    @staticmethod
    def resolve_author(obj: IntelNote) -> str | None:
        return username_of(obj.author)


class IntelPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[IntelOut]


class IntelFilters(SyncQuery):
    company: Id | None = Field(None, description="About this company, or its sector.")
    sector: Str100 = Field("", description="Exact sector, any case.")
    q: Str100 = Field("", description="Words in the note.")


class IntelPatch(Schema):
    kind: IntelKind = IntelNote.Kind.OTHER
    company: Id | None = None
    sector: Str100 = ""
    body: LongText = Field("", min_length=1)
    source: Str200 = ""
    source_person: Id | None = None
    noted_on: Day = Field(default_factory=timezone.localdate)


class IntelIn(IntelPatch):
    kind: IntelKind
    body: LongText = Field(min_length=1)


def _apply_intel(note: IntelNote, data: dict[str, Any], user: User) -> None:
    if "company" in data:
        company = data.pop("company")
        note.company = (
            one_of("company", Company.objects.all(), company, "company") if company else None
        )
    if "source_person" in data:
        person = data.pop("source_person")
        note.source_person = (
            one_of("source_person", visible_people(user), person, "person") if person else None
        )
    for name, value in data.items():
        setattr(note, name, value)
    if note.company is None and not note.sector.strip():
        raise Invalid("company", "tag the note with a company, a sector, or both")


@intel_router.get("", response=IntelPage, url_name="intel_notes")
def list_intel(request: HttpRequest, filters: Query[IntelFilters]) -> dict[str, Any]:
    user = caller(request)
    notes = queries.intel_notes(user).select_related("author").order_by("-noted_on", "-id")
    if filters.company:
        company = Company.objects.filter(pk=filters.company).first()
        about = queries.what_we_know(company, user=user) if company else IntelNote.objects.none()
        notes = about.select_related("author").order_by("-noted_on", "-id")
    if filters.sector:
        notes = notes.filter(sector__iexact=filters.sector)
    if filters.q.strip():
        notes = notes.filter(body__icontains=filters.q.strip())
    return _page(filters.changed(notes), filters, read=queries.intel_people_shown)


@intel_router.get("/{id}", response={200: IntelOut, 404: ErrorOut}, url_name="intel_note")
def read_intel(request: HttpRequest, id: Id) -> IntelNote:
    return get_object_or_404(queries.intel_notes(caller(request)).select_related("author"), pk=id)


@intel_router.post("", response={201: IntelOut, 422: ErrorOut})
def create_intel(request: HttpRequest, payload: IntelIn) -> Status[IntelNote]:
    user = caller(request)
    note = IntelNote(author=user)
    _apply_intel(note, payload.model_dump(), user)
    note.save()
    return Status(201, queries.intel_notes(user).select_related("author").get(pk=note.pk))


@intel_router.patch("/{id}", response={200: IntelOut, 404: ErrorOut, 422: ErrorOut})
def update_intel(request: HttpRequest, id: Id, payload: IntelPatch) -> IntelNote:
    user = caller(request)
    with transaction.atomic():
        note = get_object_or_404(IntelNote.objects.select_for_update(of=("self",)), pk=id)
        _apply_intel(note, payload.model_dump(exclude_unset=True), user)
        note.save()
    return queries.intel_notes(user).select_related("author").get(pk=note.pk)


# --- Vacancies ------------------------------------------------------------------------------


class VacancyOut(Schema):
    id: int
    url: str
    company: int = Field(alias="company_id")
    title: str
    skills: str
    sector: str
    location: str
    salary_min: int | None = Field(
        description="Only for its consultant, managers and admins (null for others)."
    )
    salary_max: int | None
    notes: str
    status: VacancyStatus
    owner: str | None
    lead: int | None = Field(None, description="The lead it came from, if any.")
    created_at: dt.datetime

    @staticmethod
    def resolve_url(obj: Vacancy) -> str:
        return reverse("api:vacancy", args=[obj.pk])

    @staticmethod
    def resolve_owner(obj: Vacancy) -> str | None:
        return username_of(obj.owner)

    @staticmethod
    def resolve_lead(obj: Vacancy) -> int | None:
        lead = getattr(obj, "lead", None)
        return lead.pk if lead is not None else None

    @staticmethod
    def resolve_salary_min(obj: Vacancy, context: dict[str, Any]) -> int | None:
        return obj.salary_min if obj.shows_money_to(caller(context["request"])) else None

    @staticmethod
    def resolve_salary_max(obj: Vacancy, context: dict[str, Any]) -> int | None:
        return obj.salary_max if obj.shows_money_to(caller(context["request"])) else None


class VacancyPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[VacancyOut]


class VacancyFilters(SyncQuery):
    status: VacancyStatus | None = Field(None, description="Default: every status.")
    company: Id | None = None
    q: Str100 = Field("", description="Part of the title, company or sector.")


class VacancyPatch(Schema):
    """Send only the fields to change."""

    company: Id = Field(1, description="Id of the company.")
    title: Str200 = Field("", min_length=1)
    skills: LongText = ""
    sector: Str100 = ""
    location: Str100 = ""
    salary_min: Salary | None = None
    salary_max: Salary | None = None
    notes: LongText = ""
    status: VacancyStatus = Vacancy.Status.OPEN
    owner: Str200 | None = Field(None, description="Username of the consultant.")


class VacancyIn(VacancyPatch):
    company: Id = Field(description="Id of the company.")
    title: Str200 = Field(min_length=1)


def _vacancies() -> QuerySet[Vacancy]:
    return Vacancy.objects.select_related("owner", "lead").order_by("-created_at", "-id")


def _apply_vacancy(vacancy: Vacancy, data: dict[str, Any]) -> None:
    if "company" in data:
        vacancy.company = one_of("company", Company.objects.all(), data.pop("company"), "company")
    if "owner" in data:
        owner = data.pop("owner")
        vacancy.owner = user_named("owner", owner) if owner else None
    for name, value in data.items():
        setattr(vacancy, name, value)
    low, high = vacancy.salary_min, vacancy.salary_max
    if low is not None and high is not None and high < low:
        raise Invalid("salary_max", "the top of the range is below its bottom")


@vacancies_router.get("", response=VacancyPage, url_name="vacancies")
def list_vacancies(request: HttpRequest, filters: Query[VacancyFilters]) -> dict[str, Any]:
    vacancies = _vacancies()
    if filters.status:
        vacancies = vacancies.filter(status=filters.status)
    if filters.company:
        vacancies = vacancies.filter(company_id=filters.company)
    if filters.q.strip():
        q = filters.q.strip()
        vacancies = vacancies.filter(
            Q(title__icontains=q) | Q(company__name__icontains=q) | Q(sector__icontains=q)
        )
    return _page(filters.changed(vacancies), filters)


@vacancies_router.get("/{id}", response={200: VacancyOut, 404: ErrorOut}, url_name="vacancy")
def read_vacancy(request: HttpRequest, id: Id) -> Vacancy:
    return get_object_or_404(_vacancies(), pk=id)


@vacancies_router.post("", response={201: VacancyOut, 422: ErrorOut})
def create_vacancy(request: HttpRequest, payload: VacancyIn) -> Status[Vacancy]:
    data = payload.model_dump()
    vacancy = Vacancy(owner=caller(request))
    if data["owner"] is None:
        del data["owner"]
    _apply_vacancy(vacancy, data)
    vacancy.save()
    return Status(201, vacancy)


def _refused_change(vacancy: Vacancy, data: dict[str, Any], user: User) -> dict[str, Any] | None:
    """Why `user` may not make this change (the API's error body), or None."""
    new_owner = "owner" in data and data["owner"] != username_of(vacancy.owner)
    if new_owner and not vacancy.may_change_owner(user):
        message = "only the vacancy's consultant or a manager can give it to someone else"
        return error_body([{"field": "owner", "message": message}])
    for name in ("salary_min", "salary_max"):
        if name in data and not vacancy.shows_money_to(user):
            message = "only the vacancy's consultant, managers and admins see or change it"
            return error_body([{"field": name, "message": message}])
    return None


@vacancies_router.patch(
    "/{id}", response={200: VacancyOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
)
def update_vacancy(request: HttpRequest, id: Id, payload: VacancyPatch) -> Status[Any] | Vacancy:
    user = caller(request)
    data = payload.model_dump(exclude_unset=True)
    with transaction.atomic():
        vacancy = get_object_or_404(
            Vacancy.objects.select_for_update(of=("self",)).select_related("owner"), pk=id
        )
        refused = _refused_change(vacancy, data, user)
        if refused is not None:
            return Status(403, refused)
        _apply_vacancy(vacancy, data)
        vacancy.save()
    return get_object_or_404(_vacancies(), pk=id)
