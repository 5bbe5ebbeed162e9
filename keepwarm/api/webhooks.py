"""Webhook subscriptions (admins), so a Zapier- or Make-style tool can connect itself, and
the list of deletions a sync must apply.

A subscription's secret is shown when it is made and when it is rotated; the deliveries
follow Standard Webhooks (docs/webhooks.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from pydantic import WithJsonSchema

from keepwarm.api.auth import caller
from keepwarm.api.schemas import ErrorOut, Id, Str200, SyncQuery
from keepwarm.audit.models import AuditEntry
from keepwarm.integrations import services
from keepwarm.integrations.models import Webhook
from keepwarm.lib.events import EVENTS

router = Router()
deletions_router = Router()

ADMINS_ONLY = {"detail": "Only admins manage webhooks.", "errors": []}
WHOLE_TEAM_ONLY = {"detail": "Only managers and admins read deletions.", "errors": []}
EventName = Annotated[str, WithJsonSchema({"type": "string", "enum": list(EVENTS)})]
Secret = Annotated[str, Field(max_length=200, description="whsec_ and base64 of 24–64 bytes.")]
WebhookUrl = Annotated[str, Field(min_length=1, max_length=500)]


class WebhookOut(Schema):
    id: int
    url: str
    description: str
    events: list[EventName]
    is_active: bool
    created_at: dt.datetime
    previous_secret_until: dt.datetime | None = Field(
        description="Until then requests are signed with the replaced secret as well."
    )


class WebhookWithSecret(WebhookOut):
    secret: str = Field(description="Keep it: the receiver checks signatures with it.")


class WebhookIn(Schema):
    url: WebhookUrl = Field(description="https://, or http:// to this machine when allowed.")
    events: list[EventName] = Field(min_length=1, max_length=len(EVENTS))
    description: Str200 = ""
    is_active: bool = True
    secret: Secret = Field("", description="Empty: Keepwarm makes one.")


class WebhookPatch(Schema):
    url: WebhookUrl | None = None
    events: list[EventName] | None = Field(None, min_length=1, max_length=len(EVENTS))
    description: Str200 | None = None
    is_active: bool | None = None


class PingOut(Schema):
    delivery: int = Field(description="The queued test delivery; the worker sends it.")


@router.get("", response={200: list[WebhookOut], 403: ErrorOut}, url_name="webhooks")
def list_webhooks(request: HttpRequest) -> Any:
    if not caller(request).is_admin:
        return Status(403, ADMINS_ONLY)
    return list(Webhook.objects.all())


@router.post("", response={201: WebhookWithSecret, 403: ErrorOut, 422: ErrorOut})
def create_webhook(request: HttpRequest, payload: WebhookIn) -> Any:
    if not caller(request).is_admin:
        return Status(403, ADMINS_ONLY)
    hook = services.save_webhook(by=caller(request), **payload.dict())
    return Status(201, hook)


@router.get("/{id}", response={200: WebhookOut, 403: ErrorOut, 404: ErrorOut}, url_name="webhook")
def read_webhook(request: HttpRequest, id: Id) -> Any:
    if not caller(request).is_admin:
        return Status(403, ADMINS_ONLY)
    return get_object_or_404(Webhook, pk=id)


@router.patch("/{id}", response={200: WebhookOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def update_webhook(request: HttpRequest, id: Id, payload: WebhookPatch) -> Any:
    if not caller(request).is_admin:
        return Status(403, ADMINS_ONLY)
    hook = get_object_or_404(Webhook, pk=id)
    current = {
        "url": hook.url,
        "events": hook.events,
        "description": hook.description,
        "is_active": hook.is_active,
    }
    changes = payload.dict(exclude_unset=True, exclude_none=True)
    return services.save_webhook(webhook=hook, secret="", by=caller(request), **current | changes)


@router.delete("/{id}", response={204: None, 403: ErrorOut, 404: ErrorOut})
def delete_webhook(request: HttpRequest, id: Id) -> Any:
    if not caller(request).is_admin:
        return Status(403, ADMINS_ONLY)
    services.delete_webhook(webhook=get_object_or_404(Webhook, pk=id), by=caller(request))
    return Status(204, None)


@router.post("/{id}/ping", response={202: PingOut, 403: ErrorOut, 404: ErrorOut})
def ping_webhook(request: HttpRequest, id: Id) -> Any:
    """Queue a `ping` event to this subscription alone, paused or not."""
    if not caller(request).is_admin:
        return Status(403, ADMINS_ONLY)
    hook = get_object_or_404(Webhook, pk=id)
    delivery = services.send_test_event(webhook=hook, by=caller(request))
    return Status(202, {"delivery": delivery.pk})


@router.post("/{id}/rotate-secret", response={200: WebhookWithSecret, 403: ErrorOut, 404: ErrorOut})
def rotate_secret(request: HttpRequest, id: Id) -> Any:
    """A new secret; the old one signs too until `previous_secret_until` (a day)."""
    if not caller(request).is_admin:
        return Status(403, ADMINS_ONLY)
    hook = get_object_or_404(Webhook, pk=id)
    return services.rotate_secret(webhook=hook, by=caller(request))


# --- Deletions: what a sync must remove ---------------------------------------------------


class DeletionOut(Schema):
    id: int = Field(description="Resume with `after_id` set to the last one you got.")
    at: dt.datetime
    action: str = Field(description="deleted, or erased (a person erased on request).")
    type: str = Field(description='The record\'s kind, e.g. "people.person".')
    object_id: str

    @staticmethod
    def resolve_type(obj: AuditEntry) -> str:
        return obj.object_type


class DeletionPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[DeletionOut]


@deletions_router.get("", response={200: DeletionPage, 403: ErrorOut}, url_name="deletions")
def list_deletions(request: HttpRequest, filters: Query[SyncQuery]) -> Any:
    """Records deleted or erased, oldest first: an erased person stays as "#id" with no
    details, and leaves the people list; a sync removes its copy of each."""
    if not caller(request).sees_whole_team:
        return Status(403, WHOLE_TEAM_ONLY)
    gone = filters.changed(
        AuditEntry.objects.filter(
            action__in=(AuditEntry.Action.DELETED, AuditEntry.Action.ERASED)
        ).order_by("id"),
        stamp="at",
    )
    return {
        "count": gone.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": list(gone[filters.offset : filters.offset + filters.limit]),
    }
