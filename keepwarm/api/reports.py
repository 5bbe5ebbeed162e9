"""Report figures, read-only: the same tables as the report pages and their CSV downloads.

A consultant's token reads their own figures only, as on the pages; managers and admins
read the team's, optionally narrowed to one consultant.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from keepwarm.accounts.models import User
from keepwarm.api.auth import caller
from keepwarm.api.errors import Invalid
from keepwarm.api.schemas import Day, ErrorOut, Id, Str100, Username
from keepwarm.audit.recording import brief_label, record_read
from keepwarm.people.models import Company
from keepwarm.reports.pages import REPORTS
from keepwarm.reports.queries import MAX_PERIOD_DAYS, Scope

router = Router()


Cell = str | int | float | bool | None


class ReportOut(Schema):
    slug: str
    title: str
    summary: str
    url: str
    default_days: int = Field(description="The period, in days up to `end`, when none is given.")


class TableOut(Schema):
    name: str
    title: str
    header: list[str]
    rows: list[list[Cell]] = Field(
        description="Money and other decimals are strings, dates ISO 8601, missing figures null."
    )


class FiguresOut(Schema):
    slug: str
    title: str
    start: dt.date
    end: dt.date
    consultant: str | None
    client: int | None
    sector: str
    tables: list[TableOut]


class BreakDown(StrEnum):
    CONSULTANT = "consultant"
    CLIENT = "client"
    SECTOR = "sector"


class FigureFilters(Schema):
    start: Day | None = Field(None, description="First day of the period.")
    end: Day | None = Field(None, description="Last day of the period (default today).")
    consultant: Username | None = Field(
        None, description="Username; managers and admins only (a consultant sees their own)."
    )
    client: Id | None = Field(None, description="Company id.")
    sector: Str100 = ""
    by: BreakDown = Field(BreakDown.CONSULTANT, description="Retention only: break down by.")


def _cell(value: Any) -> Cell:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


@router.get("", response=list[ReportOut], url_name="reports")
def list_reports(request: HttpRequest) -> list[dict[str, Any]]:
    """The reports there are; read one's figures at its `url`."""
    return [
        {
            "slug": r.slug,
            "title": r.title,
            "summary": r.summary,
            "url": reverse("api:report", args=[r.slug]),
            "default_days": r.default_days,
        }
        for r in REPORTS.values()
    ]


@router.get("/{slug}", response={200: FiguresOut, 404: ErrorOut, 422: ErrorOut}, url_name="report")
def read_report(request: HttpRequest, slug: str, filters: Query[FigureFilters]) -> dict[str, Any]:
    """One report's figures for a period, consultant, client and sector."""
    found = REPORTS.get(slug)
    if found is None:
        raise Http404
    user = caller(request)
    today = timezone.localdate()
    end = filters.end or today
    start = filters.start or end - dt.timedelta(days=found.default_days)
    if start > end:
        raise Invalid("end", "The end of the period is before its start.")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise Invalid("start", "A period can be at most 20 years long.")
    consultant_id = None
    if filters.consultant and user.sees_whole_team:
        consultant = User.objects.filter(username=filters.consultant).first()
        if consultant is None:
            raise Invalid("consultant", "No user has that username.")
        consultant_id = consultant.pk
    if filters.client and not Company.objects.filter(pk=filters.client).exists():
        raise Invalid("client", "No company has that id.")
    scope = Scope(
        user=user,
        start=start,
        end=end,
        today=today,
        consultant_id=consultant_id,
        company_id=filters.client,
        sector=filters.sector,
    )
    page = found.build(scope, filters.by.value) if slug == "retention" else found.build(scope)
    record_read(page.named, label=brief_label)
    owner = scope.owner_id
    return {
        "slug": found.slug,
        "title": found.title,
        "start": start,
        "end": end,
        "consultant": User.objects.get(pk=owner).username if owner else None,
        "client": filters.client,
        "sector": filters.sector,
        "tables": [
            {
                "name": name,
                "title": table.title,
                "header": table.header,
                "rows": [[_cell(v) for v in row] for row in table.rows],
            }
            for name, table in page.tables.items()
        ],
    }
