"""The right to erasure: anonymise a person everywhere, keep the agency's books.

Erasure walks the same relations as a subject access export (so a model added later is
covered without anyone listing it here) and blanks every free-text, email, phone and address
field of the person's records. It keeps what the agency must keep: placements with their fee,
dates and rebates, the roles' companies and titles, targets, and the audit trail's record of
what happened, all now under a pseudonymous id ("Erased #123"). The email's hash joins the
suppression list so a later import or sign-up cannot bring the person back unnoticed.

Each erasure is also appended to a journal file outside the database, because a restore of
an older backup would otherwise bring the person back: `keepwarm restore` re-applies it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.audit.models import AuditEntry
from keepwarm.audit.recording import record
from keepwarm.care.models import Touchpoint
from keepwarm.lib import events
from keepwarm.mail.models import OutboxMessage, Suppression
from keepwarm.mail.suppressions import suppress
from keepwarm.newsletters.models import Engagement
from keepwarm.people.models import Person
from keepwarm.privacy.export import PersonExport, gather

logger = logging.getLogger(__name__)

ERASED_FIRST_NAME = "Erased"
# Business records kept whole: what was placed where, and what was agreed.
KEPT_MODELS = frozenset({"people.role", "placements.target", "audit.auditentry"})
# Of a placement, only the free-text notes may say something about the person.
PLACEMENT_TEXT = ("terms_notes", "leave_notes")
# Text fields that hold the agency's own words or machinery, not anything about the person.
KEPT_TEXT = frozenset(
    {"key", "currency", "wording", "wording_version", "method", "claimed_by", "message_id"}
)
# Structured values that say nothing about who the person is.
KEPT_JSON = frozenset({"rebate_scale", "topics", "value_choices", "features", "outcome_features"})


class ErasureRefused(Exception):
    pass


@dataclass(frozen=True)
class ErasureResult:
    person_id: int
    records_scrubbed: int
    calls_cancelled: int
    emails_cancelled: int


def pseudonym(person_id: int) -> str:
    return f"#{person_id}"


def erase_person(
    person: Person, *, by: User | None, reason: str, journal: bool = True
) -> ErasureResult:
    if person.erased_at is not None:
        raise ErasureRefused(f"{person.full_name} was already erased.")
    email = person.email
    with transaction.atomic():
        export = gather(person)
        scrubbed = 0
        for obj in _records_to_scrub(export):
            scrubbed += _scrub(obj)
        calls = Touchpoint.objects.filter(person=person, state=Touchpoint.State.PLANNED).update(
            state=Touchpoint.State.SKIPPED, skip_reason="Person erased on request"
        )
        emails = OutboxMessage.objects.filter(
            person=person, state=OutboxMessage.State.PENDING
        ).update(state=OutboxMessage.State.CANCELLED)
        # Who opened or clicked what is no business record: it goes, rather than staying
        # under the pseudonym (the figures lose one person).
        Engagement.objects.filter(person=person).delete()
        _anonymise_person(person)
        if email:
            Suppression.objects.filter(email__iexact=email).update(email="")
            suppress(
                email, reason=Suppression.Reason.ERASURE, detail=f"Erased {pseudonym(person.pk)}"
            )
        AuditEntry.objects.redact_person(person.pk, f"Erased {pseudonym(person.pk)}")
        record(
            AuditEntry.Action.ERASED,
            object_type="people.person",
            object_id=person.pk,
            object_repr=f"Erased {pseudonym(person.pk)}",
            person_id=person.pk,
        )
    # After the commit: an integration drops its copy (a sync reads /deletions too).
    events.emit(events.PERSON_ERASED, {"person_id": person.pk})
    if journal:
        _journal(person.pk, reason)
    logger.info("Erased person %s", person.pk)
    return ErasureResult(person.pk, scrubbed, calls, emails)


def _records_to_scrub(export: PersonExport) -> list[models.Model]:
    return [
        obj
        for obj in export.objects
        if obj._meta.label_lower not in KEPT_MODELS and not isinstance(obj, Person)
    ]


def _blank_value(f: models.Field[Any, Any]) -> Any:
    if isinstance(f, models.JSONField):
        return [] if isinstance(f.default, list) or f.default is list else {}
    if isinstance(f, models.GenericIPAddressField):
        return None
    return ""


def _scrubbable(obj: models.Model, f: models.Field[Any, Any]) -> bool:
    if obj._meta.label_lower == "placements.placement":
        return f.name in PLACEMENT_TEXT
    if f.primary_key or f.is_relation or f.choices or f.unique or f.name in KEPT_TEXT:
        return False
    if isinstance(f, models.JSONField):
        return f.name not in KEPT_JSON
    return isinstance(f, models.CharField | models.TextField | models.GenericIPAddressField)


def _scrub(obj: models.Model) -> int:
    """Blank the record's personal text in one UPDATE (no signals: the trail says "erased")."""
    values = {
        f.attname: _blank_value(f)
        for f in obj._meta.concrete_fields
        if _scrubbable(obj, f) and getattr(obj, f.attname) not in (None, "", [], {})
    }
    if not values:
        return 0
    type(obj)._base_manager.filter(pk=obj.pk).update(**values)
    return 1


def _anonymise_person(person: Person) -> None:
    blank = {
        f.attname: _blank_value(f) for f in Person._meta.concrete_fields if _scrubbable(person, f)
    }
    blank.update(
        first_name=ERASED_FIRST_NAME,
        last_name=pseudonym(person.pk),
        erased_at=timezone.now(),
        version=models.F("version") + 1,
    )
    Person.objects.filter(pk=person.pk).update(**blank)
    person.refresh_from_db()


# --- the journal, for restores ------------------------------------------------------------


def journal_path() -> Path:
    return Path(settings.KEEPWARM_ERASURE_JOURNAL)


def _journal(person_id: int, reason: str) -> None:
    path = journal_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = {"person_id": person_id, "erased_at": timezone.now().isoformat(), "reason": reason}
    with path.open("a", encoding="utf-8") as journal:
        journal.write(json.dumps(line) + "\n")
        journal.flush()


def reapply_journal() -> int:
    """After a restore: erase again everyone erased since the backup was taken."""
    path = journal_path()
    if not path.exists():
        return 0
    again = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        person = Person.objects.filter(pk=entry["person_id"], erased_at__isnull=True).first()
        if person is None:
            continue
        erase_person(person, by=None, reason=entry["reason"], journal=False)
        again += 1
    return again
