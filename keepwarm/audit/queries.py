"""Reads over the audit trail that other apps reuse."""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from django.db import models
from django.db.models.functions import Cast

from keepwarm.audit.models import AuditEntry

M = TypeVar("M", bound=models.Model)

# What changes a record; reading or exporting it does not.
WRITES = (
    AuditEntry.Action.CREATED,
    AuditEntry.Action.CHANGED,
    AuditEntry.Action.MERGED,
    AuditEntry.Action.ERASED,
)


def changed_since(items: models.QuerySet[M], since: dt.datetime) -> models.QuerySet[M]:
    """The rows of `items` created or changed at or after `since`.

    The audit trail is the record of change: every service that writes records its entries,
    bulk UPDATEs included (which an `updated_at` column with auto_now would miss). A person
    counts as changed when anything about them is (their roles, consent, placements), since
    entries about a person carry their id.
    """
    writes = AuditEntry.objects.filter(at__gte=since, action__in=WRITES)
    if items.model._meta.label_lower == "people.person":
        return items.filter(pk__in=writes.filter(person_id__isnull=False).values("person_id"))
    ids = (
        writes.filter(object_type=items.model._meta.label_lower)
        .exclude(object_id="")
        .values_list(Cast("object_id", models.BigIntegerField()), flat=True)
    )
    return items.filter(pk__in=ids)
