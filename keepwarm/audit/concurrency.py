"""No lost edits: a second save of a record changed meanwhile is shown the change, not applied.

Each versioned record carries a ``version`` number. An edit form sends back the version it
was loaded at; the save locks the row, compares, and either bumps the version or raises
``EditConflict``. The view then shows the form again with the user's own values and what the
other person changed (read from the audit trail), and the next save is a deliberate choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django import forms
from django.db import models, transaction
from django.http import QueryDict

from keepwarm.audit.models import AuditEntry

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class OtherChange:
    who: str
    at: Any
    changes: dict[str, list[Any]]


class EditConflict(Exception):
    def __init__(self, current_version: int, others: list[OtherChange]) -> None:
        super().__init__("the record changed while it was being edited")
        self.current_version = current_version
        self.others = others


class VersionField(forms.IntegerField):
    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 0)
        super().__init__(**kwargs)


def claim_version(
    instance: models.Model, loaded_version: int | None, *, stored: int | None = None
) -> None:
    """Within a transaction: lock the row, check nobody saved since, and bump the version.

    ``loaded_version`` None means the form predates versioning (an old tab): treat as current.
    ``stored`` is the version the caller has just read with the row locked (a service reads
    the row's old values for the audit trail anyway); without it, it is read here.
    """
    assert transaction.get_connection().in_atomic_block, "claim_version needs a transaction"
    model = type(instance)
    current: int = (
        stored
        if stored is not None
        else model._base_manager.select_for_update()
        .values_list("version", flat=True)
        .get(pk=instance.pk)
    )
    if loaded_version is not None and loaded_version != current:
        raise EditConflict(current, changes_since(instance, loaded_version))
    instance.version = current + 1  # type: ignore[attr-defined]


def changes_since(instance: models.Model, version: int) -> list[OtherChange]:
    """What others saved after ``version``, from the audit trail (oldest first)."""
    entries = AuditEntry.objects.filter(
        object_type=instance._meta.label_lower, object_id=str(instance.pk), action="changed"
    ).order_by("-at")[:20]
    found = []
    for entry in entries:
        bumped = entry.changes.get("version")
        if bumped and bumped[1] is not None and int(bumped[1]) > version:
            shown = {k: v for k, v in entry.changes.items() if k != "version"}
            found.append(OtherChange(who=entry.actor_name, at=entry.at, changes=shown))
    return list(reversed(found))


def with_current_version(data: QueryDict, conflict: EditConflict) -> QueryDict:
    """The user's submitted values with the version moved on, so saving again is deliberate."""
    updated = data.copy()
    updated["version"] = str(conflict.current_version)
    return updated


def conflict_message(conflict: EditConflict) -> str:
    who = ", ".join(sorted({o.who for o in conflict.others})) or "someone else"
    return (
        f"{who} saved this record while you were editing it, so your changes have not been "
        "saved. Their changes are shown above the form; yours are still in it. Check both, "
        "then save again to keep yours."
    )
