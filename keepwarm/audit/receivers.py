"""Changes to people, companies and placements, with the old and new value of each field."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

from keepwarm.audit.models import AuditEntry
from keepwarm.audit.recording import (
    UNTRACKED_FIELDS,
    created_changes,
    jsonable,
    record_for,
    tracked_values,
)

# Saves of these models record themselves; bulk writes (UPDATE of many rows, insert_rows)
# send no signal, and the services making them record their own entries.
TRACKED = ("people.Person", "people.Company", "placements.Placement")
_BEFORE = "_audit_before"


def _remember_before(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if instance.pk is None or kwargs.get("raw"):
        return
    attnames = [
        f.attname
        for f in sender._meta.concrete_fields
        if f.attname not in UNTRACKED_FIELDS and not f.primary_key
    ]
    before = sender._base_manager.filter(pk=instance.pk).values(*attnames).first()
    setattr(instance, _BEFORE, {k: jsonable(v) for k, v in (before or {}).items()})


def _record_save(
    sender: type[models.Model], instance: models.Model, created: bool, **kwargs: Any
) -> None:
    if kwargs.get("raw"):
        return
    if created:
        record_for(AuditEntry.Action.CREATED, instance, changes=created_changes(instance))
        return
    after = tracked_values(instance)
    before: dict[str, Any] = getattr(instance, _BEFORE, {})
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    if changes:
        record_for(AuditEntry.Action.CHANGED, instance, changes=changes)


def _record_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    record_for(AuditEntry.Action.DELETED, instance)


def connect() -> None:
    for label in TRACKED:
        uid = f"audit-{label}"
        pre_save.connect(_remember_before, sender=label, dispatch_uid=uid + "-pre")
        post_save.connect(_record_save, sender=label, dispatch_uid=uid + "-post")
        post_delete.connect(_record_delete, sender=label, dispatch_uid=uid + "-delete")
