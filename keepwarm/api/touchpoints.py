"""Touchpoints: planned and logged calls, emails and meetings with a person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status
from pydantic import WithJsonSchema

from keepwarm.accounts.models import User
from keepwarm.api.auth import caller
from keepwarm.api.errors import Invalid
from keepwarm.api.lookups import one_of, user_named, username_of
from keepwarm.api.schemas import Day, ErrorOut, Id, LongText, Str200, SyncQuery, TouchpointKind
from keepwarm.audit.recording import brief_label, record_read
from keepwarm.care import services as care
from keepwarm.care.models import Audience, Kind, Touchpoint
from keepwarm.care.queries import (
    get_touchpoint_for,
    visible_people,
    visible_placements,
    visible_touchpoints,
)
from keepwarm.care.services import log_touchpoint, skip_touchpoint

# Written out inline: the schema would otherwise merge it with other enums named alike.
TouchpointOutcome = Annotated[
    Touchpoint.Outcome, WithJsonSchema({"type": "string", "enum": Touchpoint.Outcome.values})
]

# Written out inline: the schema would otherwise merge it with other enums named alike.
TouchpointState = Annotated[
    Touchpoint.State, WithJsonSchema({"type": "string", "enum": Touchpoint.State.values})
]

router = Router()


class PlannableKind(StrEnum):
    """What a consultant can plan by hand; questionnaires come from care plans."""

    CALL = Kind.CALL.value
    EMAIL = Kind.EMAIL.value
    MEETING = Kind.MEETING.value


class TouchpointOut(Schema):
    id: int
    url: str
    person: int = Field(alias="person_id")
    placement: int | None = Field(alias="placement_id")
    kind: TouchpointKind
    audience: Audience
    title: str
    due_on: dt.date
    owner: str
    state: TouchpointState
    outcome: str = Field(
        description="For a planned call tried without reaching anyone: the last try's."
    )
    attempts: int = Field(
        description="Tries that reached nobody; the call stays planned meanwhile."
    )
    first_due_on: dt.date | None = Field(description="When it was first due, if retries moved it.")
    notes: str
    skip_reason: str
    email_subject: str
    email_body: str
    from_care_plan: bool
    done_at: dt.datetime | None
    done_by: str | None
    created_at: dt.datetime

    @staticmethod
    def resolve_url(obj: Touchpoint) -> str:
        return reverse("api:touchpoint", args=[obj.pk])

    @staticmethod
    def resolve_owner(obj: Touchpoint) -> str | None:
        return username_of(obj.owner)

    @staticmethod
    def resolve_done_by(obj: Touchpoint) -> str | None:
        return username_of(obj.done_by)

    @staticmethod
    def resolve_from_care_plan(obj: Touchpoint) -> bool:
        return obj.step_id is not None


class Finish(StrEnum):
    DONE = Touchpoint.State.DONE.value
    SKIPPED = Touchpoint.State.SKIPPED.value


class TouchpointPatch(Schema):
    """Send only the fields to change; only planned touchpoints can change.

    To log one, send `state: "done"` with an `outcome` (and optionally `notes` and
    `next_action_on`, which plans a follow-up call); to skip one, `state: "skipped"`
    with a `skip_reason`. A call that reached nobody (`voicemail`, `no_answer`,
    `wrong_number`) stays planned: the try is logged on its own and the call is due again
    on the next working day (or `next_action_on`), until the retries run out.
    """

    state: Finish | None = None
    outcome: TouchpointOutcome | None = None
    skip_reason: Str200 = ""
    next_action_on: Day | None = Field(None, description="Plan a follow-up call on this day.")

    title: Str200 = Field("", min_length=1)
    due_on: Day = dt.date(2000, 1, 1)
    owner: Str200 = Field("", min_length=1, description="Username of who does it.")
    notes: LongText = ""
    email_subject: Str200 = ""
    email_body: LongText = ""


class TouchpointIn(Schema):
    person: Id
    placement: Id | None = Field(None, description="A placement of this person (or managed by).")
    kind: PlannableKind = PlannableKind.CALL
    title: Str200 = Field("", description="Default: 'Call Priya Patel' and so on.")
    due_on: Day
    owner: Str200 | None = Field(None, description="Username; defaults to you.")
    notes: LongText = ""
    email_subject: Str200 = Field("", description="Required for emails.")
    email_body: LongText = Field("", description="Required for emails.")


class TouchpointPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[TouchpointOut]


class TouchpointFilters(SyncQuery):
    state: TouchpointState | None = None
    kind: TouchpointKind | None = None
    due_after: Day | None = Field(None, description="Due on or after this day.")
    due_before: Day | None = Field(None, description="Due on or before this day.")
    person: Id | None = None
    placement: Id | None = None
    owner: Str200 | None = Field(None, description="Username of who does it.")


def _touchpoints(user: User) -> QuerySet[Touchpoint]:
    return visible_touchpoints(user).select_related("owner", "done_by").order_by("due_on", "id")


@router.get("", response=TouchpointPage, url_name="touchpoints")
def list_touchpoints(request: HttpRequest, filters: Query[TouchpointFilters]) -> dict[str, Any]:
    touchpoints = filters.changed(_touchpoints(caller(request)))
    if filters.state:
        touchpoints = touchpoints.filter(state=filters.state)
    if filters.kind:
        touchpoints = touchpoints.filter(kind=filters.kind)
    if filters.due_after:
        touchpoints = touchpoints.filter(due_on__gte=filters.due_after)
    if filters.due_before:
        touchpoints = touchpoints.filter(due_on__lte=filters.due_before)
    if filters.person:
        touchpoints = touchpoints.filter(person_id=filters.person)
    if filters.placement:
        touchpoints = touchpoints.filter(placement_id=filters.placement)
    if filters.owner:
        touchpoints = touchpoints.filter(owner__username=filters.owner)
    window = list(touchpoints[filters.offset : filters.offset + filters.limit])
    record_read(window, label=brief_label)
    return {
        "count": touchpoints.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": window,
    }


@router.get("/{id}", response={200: TouchpointOut, 404: ErrorOut}, url_name="touchpoint")
def read_touchpoint(request: HttpRequest, id: Id) -> Touchpoint:
    return get_touchpoint_for(caller(request), id)


@router.post("", response={201: TouchpointOut, 422: ErrorOut})
def plan_touchpoint(request: HttpRequest, payload: TouchpointIn) -> Status[Touchpoint]:
    """Plan a call, email or meeting with a person."""
    user = caller(request)
    person = one_of("person", visible_people(user), payload.person, "person")
    placement = None
    if payload.placement is not None:
        placement = one_of("placement", visible_placements(user), payload.placement, "placement")
        if person.pk not in (placement.person_id, placement.hiring_manager_id):
            raise Invalid("placement", "is not a placement of this person")
    kind = Kind(payload.kind.value)
    if kind == Kind.EMAIL:
        if not payload.email_subject.strip():
            raise Invalid("email_subject", "an email needs a subject")
        if not payload.email_body.strip():
            raise Invalid("email_body", "an email needs a body")
        if not person.email:
            raise Invalid("person", "this person has no email address")
    owner = user_named("owner", payload.owner) if payload.owner else user
    touchpoint = care.plan_touchpoint(
        person=person,
        placement=placement,
        kind=kind,
        title=payload.title.strip() or f"{kind.label} {person.full_name}"[:200],
        due_on=payload.due_on,
        owner_id=owner.pk,
        notes=payload.notes,
        email_subject=payload.email_subject,
        email_body=payload.email_body,
    )
    return Status(201, _touchpoints(user).filter(pk=touchpoint.pk).first() or touchpoint)


@router.patch("/{id}", response={200: TouchpointOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut})
def update_touchpoint(
    request: HttpRequest, id: Id, payload: TouchpointPatch
) -> Touchpoint | Status[dict[str, Any]]:
    user = caller(request)
    data = payload.model_dump(exclude_unset=True)
    finish = _finishing(data)
    with transaction.atomic():
        touchpoint = get_touchpoint_for(user, id)
        if touchpoint.state != Touchpoint.State.PLANNED:
            state = touchpoint.get_state_display().lower()
            return Status(409, {"detail": f"This touchpoint is {state}; only planned ones change."})
        if "owner" in data:
            data["owner"] = user_named("owner", data["owner"])
        care.change_planned_touchpoint(touchpoint=touchpoint, **data)
        if finish.state == Finish.DONE:
            assert finish.outcome is not None
            log_touchpoint(
                person=touchpoint.person,
                by=user,
                kind=touchpoint.kind,
                outcome=finish.outcome,
                notes=touchpoint.notes,
                touchpoint=touchpoint,
                next_action_on=finish.next_action_on,
            )
        elif finish.state == Finish.SKIPPED:
            skip_touchpoint(touchpoint=touchpoint, by=user, reason=finish.skip_reason)
    return _touchpoints(user).get(pk=touchpoint.pk)


@dataclass
class _Finish:
    state: Finish | None
    outcome: str | None
    skip_reason: str
    next_action_on: dt.date | None


def _finishing(data: dict[str, Any]) -> _Finish:
    """Take the log/skip fields out of `data`, checking they make sense together."""
    finish = _Finish(
        state=data.pop("state", None),
        outcome=data.pop("outcome", None),
        skip_reason=data.pop("skip_reason", ""),
        next_action_on=data.pop("next_action_on", None),
    )
    if finish.state == Finish.DONE and finish.outcome is None:
        raise Invalid("outcome", "say how it went to log it as done")
    if finish.state == Finish.SKIPPED and not finish.skip_reason.strip():
        raise Invalid("skip_reason", "say why it is being skipped")
    if finish.state != Finish.DONE and (finish.outcome or finish.next_action_on):
        raise Invalid("state", 'send state "done" with an outcome or next_action_on')
    if finish.state != Finish.SKIPPED and finish.skip_reason:
        raise Invalid("state", 'send state "skipped" with a skip_reason')
    return finish
