"""Newsletter audiences (read), issues (create a draft, read, schedule, send a test) and
suppressions (read). Scheduling, like on the pages, is for managers and admins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import WithJsonSchema

from keepwarm.api.auth import caller
from keepwarm.api.errors import Invalid
from keepwarm.api.schemas import Email, ErrorOut, Id, Moment, PageQuery, Str200, SyncQuery
from keepwarm.audit.recording import brief_label, record_read
from keepwarm.mail.models import Suppression
from keepwarm.newsletters import services
from keepwarm.newsletters.models import Audience, Block, Issue, Kind, Newsletter
from keepwarm.newsletters.queries import issue_engagement, issue_progress
from keepwarm.people.models import Person

# Written out inline: the schema would otherwise merge it with other enums named alike.
IssueState = Annotated[Issue.State, WithJsonSchema({"type": "string", "enum": Issue.State.values})]

router = Router()
audiences_router = Router()
issues_router = Router()
suppressions_router = Router()


def _page(items: QuerySet[Any], filters: PageQuery) -> dict[str, Any]:
    return {
        "count": items.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": list(items[filters.offset : filters.offset + filters.limit]),
    }


def _today() -> dt.date:
    return timezone.localdate()


# --- Audiences -------------------------------------------------------------------------------


class AudienceOut(Schema):
    id: int
    name: str
    roles: list[str]
    sectors: list[str]
    locations: list[str]
    placed_min_months: int | None
    placed_max_months: int | None
    consultant: int | None = Field(alias="consultant_id")
    topics: list[str]
    members: int = Field(description="People who would receive a newsletter today.")

    @staticmethod
    def resolve_members(obj: Audience) -> int:
        return obj.members(_today()).count()


class AudiencePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AudienceOut]


@audiences_router.get("", response=AudiencePage, url_name="audiences")
def list_audiences(request: HttpRequest, filters: Query[SyncQuery]) -> dict[str, Any]:
    caller(request)
    return _page(filters.changed(Audience.objects.order_by("name", "id")), filters)


@audiences_router.get("/{id}", response={200: AudienceOut, 404: ErrorOut}, url_name="audience")
def read_audience(request: HttpRequest, id: Id) -> Audience:
    caller(request)
    return get_object_or_404(Audience, pk=id)


# --- Issues ----------------------------------------------------------------------------------


class BlockIn(Schema):
    kind: Kind
    title: Str200 = ""
    body: str = Field("", max_length=20000)
    generate: bool = Field(False, description="Write it from the agency's data (3 kinds).")


class BlockOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    order: int
    data: dict[str, Any]


class IssueIn(Schema):
    newsletter: Id
    subject: Str200 = Field(min_length=1)
    preheader: Str200 = ""
    blocks: list[BlockIn] = Field(default_factory=list, max_length=30)


class EngagementOut(Schema):
    opened: int = Field(description="People who opened it (or clicked, which means they did).")
    clicked: int = Field(description="People who clicked at least one link.")
    open_percent: float | None = Field(description="Of the copies sent; null before any.")
    click_percent: float | None = Field(description="Of the copies sent; null before any.")


class IssueOut(Schema):
    id: int
    newsletter: int = Field(alias="newsletter_id")
    subject: str
    preheader: str
    state: IssueState
    failure: str = Field(
        description="Failed issues: why Keepwarm stopped it, in words. Correct the issue and "
        "schedule it again."
    )
    scheduled_for: dt.datetime | None
    recipients: int
    blocks: list[BlockOut]
    progress: dict[str, int]
    engagement: EngagementOut | None = Field(
        description="Unique opens and clicks, indicative; null unless the newsletter tracks "
        "them (off by default) and tracked this issue."
    )
    created_at: dt.datetime

    @staticmethod
    def resolve_blocks(obj: Issue) -> list[Block]:
        return list(obj.blocks.all())

    @staticmethod
    def resolve_progress(obj: Issue) -> dict[str, int]:
        return issue_progress(obj)

    @staticmethod
    def resolve_engagement(obj: Issue) -> dict[str, Any] | None:
        if obj.untracked_because:
            return None  # without counting its copies again
        progress = issue_progress(obj)
        return issue_engagement(obj, sent=progress["sent"] + progress["captured"])


class IssuePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[IssueOut]


class IssueFilters(SyncQuery):
    newsletter: Id | None = None
    state: IssueState | None = None


class ScheduleIn(Schema):
    when: Moment | None = Field(None, description="Empty: the newsletter's next slot.")


class TestIn(Schema):
    to_email: Email = ""


class TestOut(Schema):
    message: int
    to_email: str
    state: str


def _issues() -> QuerySet[Issue]:
    return Issue.objects.select_related("newsletter").prefetch_related("blocks")


@issues_router.get("", response=IssuePage, url_name="newsletter_issues")
def list_issues(request: HttpRequest, filters: Query[IssueFilters]) -> dict[str, Any]:
    caller(request)
    items = _issues().order_by("-created_at", "-id")
    if filters.newsletter:
        items = items.filter(newsletter_id=filters.newsletter)
    if filters.state:
        items = items.filter(state=filters.state)
    return _page(filters.changed(items), filters)


@issues_router.get("/{id}", response={200: IssueOut, 404: ErrorOut}, url_name="newsletter_issue")
def read_issue(request: HttpRequest, id: Id) -> Issue:
    caller(request)
    return get_object_or_404(_issues(), pk=id)


@issues_router.post("", response={201: IssueOut, 422: ErrorOut}, url_name="newsletter_issue_new")
def create_issue(request: HttpRequest, body: IssueIn) -> Status[Issue]:
    user = caller(request)
    newsletter = Newsletter.objects.filter(pk=body.newsletter).first()
    if newsletter is None:
        raise Invalid("newsletter", "No such newsletter.")
    # All or nothing: a refused block leaves no half-made draft behind.
    with transaction.atomic():
        issue = services.create_issue(
            newsletter=newsletter, subject=body.subject, preheader=body.preheader, by=user
        )
        for number, block in enumerate(body.blocks):
            if block.generate:
                if block.kind not in ("employment_trends", "job_forecasts", "success_stories"):
                    raise Invalid("blocks", f"{block.kind} cannot be generated.")
                services.add_generated_block(issue=issue, kind=block.kind, today=_today())
                continue
            try:
                services.add_block(
                    issue=issue, kind=block.kind, title=block.title or block.kind, body=block.body
                )
            except ValidationError as exc:
                field, messages = next(iter(exc.message_dict.items()))
                raise Invalid(f"blocks.{number}.{field}", " ".join(messages)) from None
    return Status(201, get_object_or_404(_issues(), pk=issue.pk))


@issues_router.post(
    "/{id}/schedule", response={200: IssueOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
)
def schedule(
    request: HttpRequest, id: Id, body: ScheduleIn
) -> Status[Issue] | Status[dict[str, Any]]:
    user = caller(request)
    if not user.sees_whole_team:
        return Status(
            403, {"detail": "Only managers and admins schedule newsletters.", "errors": []}
        )
    issue = get_object_or_404(Issue, pk=id)
    services.schedule_issue(issue=issue, when=body.when)
    return Status(200, get_object_or_404(_issues(), pk=id))


@issues_router.post(
    "/{id}/test", response={200: TestOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}
)
def send_test(request: HttpRequest, id: Id, body: TestIn) -> Status[dict[str, Any]]:
    """To the caller, or to another staff account's address; never to a suppressed one."""
    user = caller(request)
    issue = get_object_or_404(Issue, pk=id)
    try:
        message = services.send_test(issue=issue, by=user, to_email=body.to_email)
    except services.TooManyTests as exc:
        return Status(429, {"detail": " ".join(exc.messages), "errors": []})
    return Status(
        200, {"message": message.pk, "to_email": message.to_email, "state": message.state}
    )


# --- Suppressions ----------------------------------------------------------------------------


class SuppressionOut(Schema):
    id: int
    email: str = Field(description="Blank after an erasure: only the hash is kept.")
    email_hash: str
    reason: str
    detail: str
    created_at: dt.datetime


class SuppressionPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[SuppressionOut]


class SuppressionFilters(SyncQuery):
    reason: str | None = Field(None, max_length=20)


@suppressions_router.get("", response=SuppressionPage, url_name="suppressions")
def list_suppressions(request: HttpRequest, filters: Query[SuppressionFilters]) -> dict[str, Any]:
    caller(request)
    items = Suppression.objects.order_by("-created_at", "-id")
    if filters.reason:
        items = items.filter(reason=filters.reason)
    page = _page(filters.changed(items), filters)
    owners = _people_with_addresses(row.email for row in page["items"])
    record_read(page["items"], label=brief_label, people=lambda row: owners.get(row.email, ()))
    return page


def _people_with_addresses(addresses: Iterable[str]) -> dict[str, list[int]]:
    """The people each address belongs to, in one query, so a page of suppressed
    addresses is on their owners' trails (suppressions are stored lowercase)."""
    found: dict[str, list[int]] = {}
    rows = (
        Person.objects.annotate(address=Lower("email"))
        .filter(address__in={a for a in addresses if a})
        .values_list("pk", "address")
    )
    for pk, address in rows:
        found.setdefault(address, []).append(pk)
    return found


router.add_router("/audiences", audiences_router)
router.add_router("/issues", issues_router)
router.add_router("/suppressions", suppressions_router)
