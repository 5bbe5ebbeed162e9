"""Companies: clients and employers with their default terms of business."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from keepwarm.api.lookups import user_named, username_of
from keepwarm.api.schemas import (
    Email,
    ErrorOut,
    Id,
    LongText,
    Phone,
    Str100,
    Str200,
    SyncQuery,
    Url,
)
from keepwarm.audit.recording import record_read
from keepwarm.people import services as people_services
from keepwarm.people.models import Company, GuaranteeUnit, Remedy

router = Router()


class RebateStep(Schema):
    up_to_day: int = Field(ge=1, le=10_000, description="Leaving on or before this day…")
    percent: int = Field(ge=0, le=100, description="…refunds this percentage of the fee.")


class CompanyOut(Schema):
    id: int
    url: str
    name: str
    sector: str
    location: str
    website: str
    phone: str
    email: str
    guarantee_length: int
    guarantee_unit: GuaranteeUnit
    guarantee_remedy: Remedy
    rebate_scale: list[RebateStep]
    learnt: str
    owner: str | None
    created_at: dt.datetime

    @staticmethod
    def resolve_url(obj: Company) -> str:
        return reverse("api:company", args=[obj.pk])

    @staticmethod
    def resolve_owner(obj: Company) -> str | None:
        return username_of(obj.owner)


class CompanyPatch(Schema):
    """Send only the fields to change."""

    name: Str200 = Field("", min_length=1)
    sector: Str100 = ""
    location: Str100 = ""
    website: Url = ""
    phone: Phone = ""
    email: Email = ""
    guarantee_length: int = Field(90, ge=0, le=3650)
    guarantee_unit: GuaranteeUnit = GuaranteeUnit.CALENDAR
    guarantee_remedy: Remedy = Remedy.REFUND
    rebate_scale: list[RebateStep] = Field(default_factory=list, max_length=50)
    learnt: LongText = ""
    owner: Str200 | None = Field(None, description="Username of the consultant who owns it.")


class CompanyIn(CompanyPatch):
    name: Str200 = Field(min_length=1)


class CompanyPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CompanyOut]


class CompanyFilters(SyncQuery):
    q: Str100 = Field("", description="Part of the name, email or phone.")
    sector: Str100 = Field("", description="Exact sector, any case.")


def _companies() -> QuerySet[Company]:
    return Company.objects.select_related("owner").order_by("name", "id")


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    """The payload as Company fields: the owner's username as the user, the rebate scale
    in order."""
    if "owner" in data:
        owner = data["owner"]
        data["owner"] = user_named("owner", owner) if owner else None
    if "rebate_scale" in data:
        data["rebate_scale"] = sorted(data["rebate_scale"], key=lambda row: row["up_to_day"])
    return data


@router.get("", response=CompanyPage, url_name="companies")
def list_companies(request: HttpRequest, filters: Query[CompanyFilters]) -> dict[str, Any]:
    companies = filters.changed(_companies())
    if filters.q:
        companies = companies.filter(
            Q(name__icontains=filters.q)
            | Q(email__icontains=filters.q)
            | Q(phone__icontains=filters.q)
        )
    if filters.sector:
        companies = companies.filter(sector__iexact=filters.sector)
    # A company's address and phone may be a sole trader's own: read like a person's.
    window = list(companies[filters.offset : filters.offset + filters.limit])
    record_read(window)
    return {
        "count": companies.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": window,
    }


@router.get("/{id}", response={200: CompanyOut, 404: ErrorOut}, url_name="company")
def read_company(request: HttpRequest, id: Id) -> Company:
    return get_object_or_404(_companies(), pk=id)


@router.post("", response={201: CompanyOut, 422: ErrorOut})
def create_company(request: HttpRequest, payload: CompanyIn) -> Status[Company]:
    return Status(201, people_services.create_company(**_fields(payload.model_dump())))


@router.patch("/{id}", response={200: CompanyOut, 404: ErrorOut, 422: ErrorOut})
def update_company(request: HttpRequest, id: Id, payload: CompanyPatch) -> Company:
    changes = _fields(payload.model_dump(exclude_unset=True))
    with transaction.atomic():
        # Locked from this read, so the fields the patch leaves alone are saved as stored.
        company = get_object_or_404(_companies().select_for_update(of=("self",)), pk=id)
        return people_services.update_company(company=company, **changes)
