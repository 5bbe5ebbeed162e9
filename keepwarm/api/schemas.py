"""Types shared by every resource: bounded text, ids, dates, money and pages.

Every input is bounded to what both databases store, so a hostile or careless
client gets a 422 naming the field instead of a 500 from PostgreSQL (NUL bytes,
over-long strings, integers past int4/int8, dates a care plan cannot add to).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator, validate_email
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator, WithJsonSchema

from keepwarm.audit.queries import changed_since
from keepwarm.care.models import Kind
from keepwarm.lib.phones import InvalidPhone, normalise_phone
from keepwarm.lib.stamps import Stamped
from keepwarm.people.models import Role
from keepwarm.placements.models import Placement

M = TypeVar("M", bound=models.Model)

MAX_ID = 2**63 - 1
MAX_LIMIT = 200


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _sensible_date(value: dt.date) -> dt.date:
    # Care plans add months and years to start dates; year 9999 would overflow.
    if not 1900 <= value.year <= 2999:
        raise ValueError("must be a date between the years 1900 and 2999")
    return value


def _sensible_moment(value: dt.datetime) -> dt.datetime:
    # Year 1 with a +23:35 offset is before the earliest UTC moment PostgreSQL and Python
    # can hold; a naive time is read on the agency's clock rather than warned about.
    if not 1900 <= value.year <= 2999:
        raise ValueError("must be a moment between the years 1900 and 2999")
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _email(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError("must be a valid email address") from None
    return value


def _url(value: str) -> str:
    if value:
        try:
            URLValidator(schemes=["http", "https"])(value)
        except DjangoValidationError:
            raise ValueError("must be an http(s) URL") from None
    return value


def _phone(value: str) -> str:
    """Stored as E.164, as the pages and the import store it."""
    try:
        return normalise_phone(value)
    except InvalidPhone as exc:
        raise ValueError(str(exc)) from None


NoNul = AfterValidator(_no_nul)
Str3 = Annotated[str, Field(max_length=3), NoNul]
Str40 = Annotated[str, Field(max_length=40), NoNul]
Str100 = Annotated[str, Field(max_length=100), NoNul]
Str200 = Annotated[str, Field(max_length=200), NoNul]
LongText = Annotated[str, Field(max_length=20_000), NoNul]
Email = Annotated[str, Field(max_length=254), NoNul, AfterValidator(_email)]
Url = Annotated[str, Field(max_length=200), NoNul, AfterValidator(_url)]
Phone = Annotated[str, Field(max_length=40), NoNul, AfterValidator(_phone)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Day = Annotated[dt.date, AfterValidator(_sensible_date)]
Moment = Annotated[dt.datetime, AfterValidator(_sensible_moment)]
Money = Annotated[Decimal, Field(max_digits=12, decimal_places=2, ge=0)]
Username = Annotated[str, Field(min_length=1, max_length=150), NoNul]


# Three models call their choices "Kind"; OpenAPI would merge them into one schema
# named Kind, so these are written out inline instead.
RoleKind = Annotated[Role.Kind, WithJsonSchema({"type": "string", "enum": Role.Kind.values})]
PlacementKind = Annotated[
    Placement.Kind, WithJsonSchema({"type": "string", "enum": Placement.Kind.values})
]
TouchpointKind = Annotated[Kind, WithJsonSchema({"type": "string", "enum": Kind.values})]


class PageQuery(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description=f"At most {MAX_LIMIT}.")
    offset: int = Field(0, ge=0, le=10**9)


class SyncQuery(PageQuery):
    """A page of a list another system keeps in step with Keepwarm.

    A sync reads in id order and resumes after the last id it got: a record changed while
    the client pages keeps its place (ordering by change time would move it behind the
    cursor and skip the one after it), and the change is seen again by the next sync.
    """

    updated_since: dt.datetime | None = Field(
        None,
        description="Only records created or changed at or after this moment (ISO 8601 "
        "with any offset; without one, the agency's time zone), in id order. Keep the "
        "time your sync started and pass it next time.",
    )
    after_id: int | None = Field(
        None,
        ge=0,
        le=MAX_ID,
        description="Resume a sync: only records with a larger id, in id order. Pass the "
        "last id of the page you got.",
    )

    def changed(self, items: QuerySet[M], *, stamp: str = "") -> QuerySet[M]:
        """`items`, cut to those changed since `updated_since` and past `after_id`, in id
        order when either is given (the list's own order otherwise).

        A stamped model (lib/stamps.py) says when by its `updated_at`; a cache that no one
        edits (a risk score) names the column its recompute `stamp`s; the audit trail says
        what changed of people, companies, placements and touchpoints (a person changes
        with their placements and consent).
        """
        if self.updated_since is None and self.after_id is None:
            return items
        if self.updated_since is not None:
            since = _in_utc(self.updated_since)
            if not stamp and issubclass(items.model, Stamped):
                stamp = "updated_at"
            if stamp:
                items = items.filter(**{f"{stamp}__gte": since})
            else:
                items = changed_since(items, since)
        if self.after_id is not None:
            items = items.filter(pk__gt=self.after_id)
        return items.order_by("pk")


def _in_utc(moment: dt.datetime) -> dt.datetime:
    """`moment` in UTC (naive: the agency's time zone). Databases refuse offsets beyond
    ±15:59 that ISO 8601 allows; a moment before year 1 in UTC means "since the start"."""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError:
        return dt.datetime.min.replace(tzinfo=dt.UTC)


class FieldProblem(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldProblem] = []
