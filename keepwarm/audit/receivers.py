"""Changes to people, companies and placements, with the old and new value of each field."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

from keepwarm.audit.models import AuditEntry
from keepwarm.audit.recording import jsonable, record_for

TRACKED = ("people.Person", "people.Company", "placements.Placement")
# Bookkeeping the app updates itself; logging it would bury the edits people make.
UNTRACKED_FIELDS = frozenset({"last_contacted_at", "created_at", "updated_at"})
_BEFORE = "_audit_before"


def _tracked_values(obj: models.Model) -> dict[str, Any]:
    return {
        f.attname: jsonable(getattr(obj, f.attname))
        for f in obj._meta.concrete_fields
        if f.attname not in UNTRACKED_FIELDS and not f.primary_key
    }


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
    after = _tracked_values(instance)
    if created:
        changes = {k: [None, v] for k, v in after.items() if v not in (None, "", [], {})}
        record_for(AuditEntry.Action.CREATED, instance, changes=changes)
        return
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
