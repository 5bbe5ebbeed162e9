"""Placements with their agreed targets; creating one lays out its care plan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import WithJsonSchema

from keepwarm.accounts.models import User
from keepwarm.api.auth import caller
from keepwarm.api.companies import RebateStep
from keepwarm.api.errors import Invalid, error_body
from keepwarm.api.lookups import hiring_manager_at, one_of, user_named, username_of
from keepwarm.api.schemas import (
    Day,
    ErrorOut,
    Id,
    LongText,
    Money,
    PlacementKind,
    Str40,
    Str200,
    SyncQuery,
)
from keepwarm.audit.recording import record_read
from keepwarm.care.models import CarePlan
from keepwarm.care.queries import get_placement_for, visible_people, visible_placements
from keepwarm.care.services import placements as placing
from keepwarm.care.services.placements import NotAllowed, create_placement
from keepwarm.people.models import Company, GuaranteeUnit, Remedy
from keepwarm.placements.models import Placement, Target

# Written out inline: the schema would otherwise merge it with other enums named alike.
TargetPeriod = Annotated[
    Target.Period, WithJsonSchema({"type": "string", "enum": Target.Period.values})
]

# Written out inline: the schema would otherwise merge it with other enums named alike.
PlacementStatus = Annotated[
    Placement.Status, WithJsonSchema({"type": "string", "enum": Placement.Status.values})
]

router = Router()

Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. GBP.")]
Hours = Annotated[Decimal, Field(max_digits=4, decimal_places=1, ge=0, le=168)]


class TargetIn(Schema):
    name: Str200 = Field(min_length=1)
    target_value: Annotated[Decimal, Field(max_digits=14, decimal_places=2, ge=0)]
    unit: Str40 = Field(min_length=1, description="GBP, tickets, calls, deals…")
    period: TargetPeriod = Target.Period.MONTH


class TargetOut(Schema):
    id: int
    name: str
    target_value: Decimal
    unit: str
    period: TargetPeriod


def _shows_money(obj: Placement, context: dict[str, Any]) -> bool:
    request = context.get("request")
    user = getattr(request, "auth", None) or getattr(request, "user", None)
    return user is not None and obj.shows_money_to(user)


class PlacementOut(Schema):
    id: int
    url: str
    person: int = Field(alias="person_id")
    person_name: str
    company: int = Field(alias="company_id")
    company_name: str
    hiring_manager: int | None = Field(alias="hiring_manager_id")
    owner: str
    kind: PlacementKind
    role_title: str
    start_date: dt.date
    end_date: dt.date | None
    salary: Decimal | None
    fee: Decimal | None
    currency: str
    responsibilities: str
    hours_per_week: Decimal | None
    probation_weeks: int | None
    benefits: str
    terms_notes: str
    guarantee_length: int
    guarantee_unit: GuaranteeUnit
    guarantee_remedy: Remedy
    guarantee_ends_on: dt.date
    rebate_scale: list[RebateStep]
    care_plan: int | None = Field(alias="care_plan_id")
    status: PlacementStatus
    left_on: dt.date | None
    leave_reason: str
    leave_notes: str
    rebate_owed: Decimal | None
    # A failed free-replacement guarantee: the replacement is owed by this date, until
    # `replaced_by` names the placement that made it good.
    replacement_due_by: dt.date | None
    replaced_by: int | None = Field(alias="replaced_by_id")
    created_at: dt.datetime
    targets: list[TargetOut]

    @staticmethod
    def resolve_url(obj: Placement) -> str:
        return reverse("api:placement", args=[obj.pk])

    # Money is for the owner, managers and admins; a covering colleague gets null.
    @staticmethod
    def resolve_salary(obj: Placement, context: dict[str, Any]) -> Decimal | None:
        return obj.salary if _shows_money(obj, context) else None

    @staticmethod
    def resolve_fee(obj: Placement, context: dict[str, Any]) -> Decimal | None:
        return obj.fee if _shows_money(obj, context) else None

    @staticmethod
    def resolve_rebate_owed(obj: Placement, context: dict[str, Any]) -> Decimal | None:
        return obj.rebate_owed if _shows_money(obj, context) else None

    @staticmethod
    def resolve_person_name(obj: Placement) -> str:
        return obj.person.full_name

    @staticmethod
    def resolve_company_name(obj: Placement) -> str:
        return obj.company.name

    @staticmethod
    def resolve_owner(obj: Placement) -> str | None:
        return username_of(obj.owner)

    @staticmethod
    def resolve_targets(obj: Placement) -> list[Target]:
        return list(obj.targets.all())


class PlacementPatch(Schema):
    """Send only the fields to change. A new start_date moves the future care plan."""

    hiring_manager: Id | None = None
    owner: Str200 = Field("", min_length=1, description="Username; hands the placement over.")
    role_title: Str200 = Field("", min_length=1)
    start_date: Day = dt.date(2000, 1, 1)
    end_date: Day | None = None
    salary: Money | None = None
    fee: Money | None = None
    currency: Currency = "GBP"
    responsibilities: LongText = ""
    hours_per_week: Hours | None = None
    probation_weeks: int | None = Field(None, ge=0, le=520)
    benefits: LongText = ""
    terms_notes: LongText = ""
    guarantee_length: int = Field(90, ge=0, le=3650)
    guarantee_unit: GuaranteeUnit = GuaranteeUnit.CALENDAR
    guarantee_remedy: Remedy = Remedy.REFUND
    rebate_scale: list[RebateStep] = Field(default_factory=list, max_length=50)
    targets: list[TargetIn] = Field(
        default_factory=list,
        max_length=Target.MAX_PER_PLACEMENT,
        description="Replaces all targets when sent.",
    )


class PlacementIn(Schema):
    person: Id = Field(description="The placed candidate (a person id).")
    company: Id
    hiring_manager: Id | None = Field(None, description="The client contact (a person id).")
    owner: Str200 | None = Field(None, description="Username; defaults to you.")
    kind: PlacementKind = Placement.Kind.PERMANENT
    role_title: Str200 = Field(min_length=1)
    start_date: Day
    end_date: Day | None = None
    salary: Money | None = None
    fee: Money | None = None
    currency: Currency = "GBP"
    responsibilities: LongText = ""
    hours_per_week: Hours | None = None
    probation_weeks: int | None = Field(None, ge=0, le=520)
    benefits: LongText = ""
    terms_notes: LongText = ""
    guarantee_length: int | None = Field(None, ge=0, le=3650, description="Default: company's.")
    guarantee_unit: GuaranteeUnit | None = None
    guarantee_remedy: Remedy | None = None
    rebate_scale: list[RebateStep] | None = Field(None, max_length=50)
    care_plan: Id | None = Field(None, description="Default: the default plan for the kind.")
    targets: list[TargetIn] = Field(default_factory=list, max_length=Target.MAX_PER_PLACEMENT)


class PlacementPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[PlacementOut]


class PlacementFilters(SyncQuery):
    status: PlacementStatus | None = None
    owner: Str200 | None = Field(None, description="Username of the owning consultant.")
    company: Id | None = None
    person: Id | None = Field(None, description="The placed candidate's id.")
    started_after: Day | None = Field(None, description="Start date on or after this day.")
    started_before: Day | None = Field(None, description="Start date on or before this day.")


def _placements(user: User) -> QuerySet[Placement]:
    return (
        visible_placements(user)
        .select_related("person", "company", "owner")
        .prefetch_related("targets")
        .order_by("-start_date", "-id")
    )


def _reload(user: User, placement: Placement) -> Placement:
    return _placements(user).get(pk=placement.pk)


def _scale(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda row: row["up_to_day"])


@router.get("", response=PlacementPage, url_name="placements")
def list_placements(request: HttpRequest, filters: Query[PlacementFilters]) -> dict[str, Any]:
    placements = filters.changed(_placements(caller(request)))
    if filters.status:
        placements = placements.filter(status=filters.status)
    if filters.owner:
        placements = placements.filter(owner__username=filters.owner)
    if filters.company:
        placements = placements.filter(company_id=filters.company)
    if filters.person:
        placements = placements.filter(person_id=filters.person)
    if filters.started_after:
        placements = placements.filter(start_date__gte=filters.started_after)
    if filters.started_before:
        placements = placements.filter(start_date__lte=filters.started_before)
    window = list(placements[filters.offset : filters.offset + filters.limit])
    record_read(window)
    return {
        "count": placements.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": window,
    }


@router.get("/{id}", response={200: PlacementOut, 404: ErrorOut}, url_name="placement")
def read_placement(request: HttpRequest, id: Id) -> Placement:
    return get_placement_for(caller(request), id)


@router.post("", response={201: PlacementOut, 422: ErrorOut})
def create_placement_endpoint(request: HttpRequest, payload: PlacementIn) -> Status[Placement]:
    user = caller(request)
    data = payload.model_dump()
    if data["end_date"] and data["end_date"] < data["start_date"]:
        raise Invalid("end_date", "must be on or after start_date")
    people = visible_people(user)
    person = one_of("person", people, data.pop("person"), "person")
    company = one_of("company", Company.objects.all(), data.pop("company"), "company")
    manager_id = data.pop("hiring_manager")
    if manager_id is not None:
        data["hiring_manager"] = hiring_manager_at(people, manager_id, company)
    owner_name = data.pop("owner")
    owner = user_named("owner", owner_name) if owner_name else user
    plan_id = data.pop("care_plan")
    plan = one_of("care_plan", CarePlan.objects.all(), plan_id, "care plan") if plan_id else None
    targets = data.pop("targets")
    for name in ("guarantee_length", "guarantee_unit", "guarantee_remedy", "rebate_scale"):
        if data[name] is None:
            del data[name]  # copied from the company's terms of business
    if "rebate_scale" in data:
        data["rebate_scale"] = _scale(data["rebate_scale"])
    with transaction.atomic():
        placement = create_placement(
            by=user,
            person=person,
            company=company,
            owner=owner,
            role_title=data.pop("role_title"),
            start_date=data.pop("start_date"),
            plan=plan,
            targets=targets,
            today=timezone.localdate(),
            **data,
        )
    return Status(201, _reload(user, placement))


@router.patch("/{id}", response={200: PlacementOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def update_placement(
    request: HttpRequest, id: Id, payload: PlacementPatch
) -> Status[Any] | Placement:
    user = caller(request)
    data = payload.model_dump(exclude_unset=True)
    placement = get_placement_for(user, id)
    start_date = data.pop("start_date", None)
    owner_name = data.pop("owner", None)
    # Each target whole, its defaults too (exclude_unset would drop an unsent period).
    targets = [t.model_dump() for t in payload.targets] if "targets" in data else None
    data.pop("targets", None)
    end_date = data.get("end_date", placement.end_date)
    if end_date and end_date < (start_date or placement.start_date):
        raise Invalid("end_date", "must be on or after start_date")
    if "hiring_manager" in data and data["hiring_manager"] is not None:
        data["hiring_manager"] = hiring_manager_at(
            visible_people(user), data["hiring_manager"], placement.company
        )
    if "rebate_scale" in data:
        data["rebate_scale"] = _scale(data["rebate_scale"])
    try:
        # No version is sent: the API's change applies over whatever is current, and
        # moves the version on, so an edit form opened before this call sees it.
        placing.update_placement(
            placement=placement,
            by=user,
            expected_version=None,
            changes=data,
            start_date=start_date,
            owner=user_named("owner", owner_name) if owner_name else None,
            targets=targets,
        )
    except NotAllowed as refused:
        return Status(403, error_body([{"field": refused.field, "message": refused.message}]))
    # A consultant who hands a placement to someone else may no longer see it.
    return _placements(user).filter(pk=placement.pk).first() or _unscoped(placement)


def _unscoped(placement: Placement) -> Placement:
    return (
        Placement.objects.select_related("person", "company", "owner")
        .prefetch_related("targets")
        .get(pk=placement.pk)
    )
