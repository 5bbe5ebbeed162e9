"""Writing the audit trail: who is acting now, and one function that records an entry.

The middleware says who is acting for the length of a request (a staff member in the
browser or through the API); outside a request (the worker, a command) the actor is
"system".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.audit.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    user: User | None
    path: str = ""
    ip: str | None = None

    @property
    def name(self) -> str:
        return self.user.username if self.user is not None else "system"


SYSTEM = Actor(user=None)
_current: ContextVar[Actor] = ContextVar("keepwarm_audit_actor", default=SYSTEM)
# Set once anything is recorded during a request, so the middleware does not log it twice.
_recorded: ContextVar[bool] = ContextVar("keepwarm_audit_recorded", default=False)


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    token = _current.set(actor)
    recorded = _recorded.set(False)
    try:
        yield
    finally:
        _recorded.reset(recorded)
        _current.reset(token)


def current_actor() -> Actor:
    return _current.get()


def recorded_in_this_request() -> bool:
    return _recorded.get()


def person_id_of(obj: models.Model) -> int | None:
    """The person a record is about, so "who accessed this person's data" finds it."""
    if obj._meta.label_lower == "people.person":
        return int(obj.pk)
    person_id = getattr(obj, "person_id", None)
    return int(person_id) if person_id is not None else None


def jsonable(value: Any) -> Any:
    """A value as the trail stores it; equal values compare equal whichever side read them."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, models.fields.files.FieldFile):
        return value.name
    return value


def record(
    action: str,
    *,
    object_type: str,
    object_id: Any = "",
    object_repr: str = "",
    person_id: int | None = None,
    changes: dict[str, list[Any]] | None = None,
) -> AuditEntry:
    actor = current_actor()
    _recorded.set(True)
    return AuditEntry.objects.create(
        at=timezone.now(),
        actor=actor.user,
        actor_name=actor.name,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr[:200],
        person_id=person_id,
        changes=changes or {},
        path=actor.path[:300],
        ip=actor.ip,
    )


def record_for(action: str, obj: models.Model, **extra: Any) -> AuditEntry:
    return record(
        action,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        object_repr=str(obj),
        person_id=person_id_of(obj),
        **extra,
    )
