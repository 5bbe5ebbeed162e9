"""The audit trail: who viewed, exported, changed or erased personal data, and when."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models


class AppendOnlyError(Exception):
    """The application never rewrites its own audit trail."""


class AuditQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit entries cannot be changed")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("audit entries cannot be deleted")

    def redact_person(self, person_id: int, label: str) -> int:
        """Erasure is the one rewrite: the trail keeps what happened, not who it was about."""
        redacted = 0
        for entry in self.filter(person_id=person_id).only("id", "changes"):
            changes = {name: ["[erased]", "[erased]"] for name in entry.changes}
            base: models.QuerySet[AuditEntry] = models.QuerySet(model=AuditEntry)
            base = base.filter(pk=entry.pk)
            redacted += base.update(object_repr=label, changes=changes)
        return redacted


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        VIEWED = "viewed", "Viewed"
        EXPORTED = "exported", "Exported"
        CREATED = "created", "Created"
        CHANGED = "changed", "Changed"
        DELETED = "deleted", "Deleted"
        MERGED = "merged", "Merged"
        ERASED = "erased", "Erased"

    at = models.DateTimeField(db_index=True)
    # The name is kept as it was, so the trail still reads right after a user is renamed.
    # No index of its own: (actor, -at) below serves lookups by actor.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    # A plain number, not a foreign key: the trail must outlive the person's record.
    person_id = models.BigIntegerField(null=True, blank=True)
    # {"field": [old, new]} for changes; empty for views and exports.
    changes = models.JSONField(default=dict, blank=True)
    path = models.CharField(max_length=300, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["person_id", "-at"]),
            models.Index(fields=["actor", "-at"]),
        ]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} {self.object_type} {self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit entries cannot be deleted")
