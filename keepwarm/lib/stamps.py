"""`updated_at` that every write keeps, so another system can sync a list by it.

Django's `auto_now` misses the writes this code base makes most: a conditional
`filter(...).update(...)` (the claims, closing an alert, answering an invitation) and
`save(update_fields=[...])` without the column. A stamped model's manager and `save` add
the column to both, and a raw INSERT that leaves it out gets the database's clock.
The stamp is the wall-clock moment of the write, not the `now` a service was given:
a sync asks what changed since it last looked, whatever moment the change was about.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

M = TypeVar("M", bound=models.Model)


class StampedQuerySet(models.QuerySet[M]):
    def update(self, **kwargs: Any) -> int:
        kwargs.setdefault("updated_at", timezone.now())
        return super().update(**kwargs)

    def bulk_update(
        self, objs: Iterable[M], fields: Iterable[str], batch_size: int | None = None
    ) -> int:
        objs = list(objs)
        now = timezone.now()
        for obj in objs:
            obj.updated_at = now  # type: ignore[attr-defined]
        return super().bulk_update(objs, {*fields, "updated_at"}, batch_size=batch_size)


class Stamped(models.Model):
    """Mix in first; a model with a manager of its own builds it from StampedQuerySet."""

    updated_at = models.DateTimeField(
        default=timezone.now, db_default=Now(), db_index=True, editable=False
    )

    objects = StampedQuerySet.as_manager()

    class Meta:
        abstract = True
        # Django's own bulk paths (and the audit's recorded updates) use the base manager.
        base_manager_name = "objects"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.updated_at = timezone.now()
        fields = kwargs.get("update_fields")
        if fields is not None:
            kwargs["update_fields"] = {*fields, "updated_at"}
        super().save(*args, **kwargs)
