"""Everything the agency holds about one person, for a subject access request.

The walk is generic: it follows every relation that points at the person, and from those
records every relation that points at them, a few levels deep. A model added next year is
included without anyone remembering to list it here.

Records that are mainly about someone else (a placement where the person was only the hiring
manager, a check-in call with the client about the candidate) are listed by name only, in a
separate part, so whoever answers the request can decide what to disclose about third parties.

What the person receives is their data, not the database: the app's bookkeeping (ids,
versions, send leases, message ids) and the client's commercial terms (the fee, the
guarantee and rebate scale agreed with the client) are left out of both the document and
the JSON. The document groups the rest by what it is (details, placements, calls, answers,
emails, consents) and writes times on the agency's clock.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from keepwarm.audit.models import AuditEntry
from keepwarm.mail.models import OutboxMessage
from keepwarm.people.models import Person

# Deep enough for person -> placement -> invitation -> response -> answers.
MAX_DEPTH = 4
# Credentials and link secrets are not "personal data about them" and must never leave.
SECRET_MARKERS = ("password", "digest", "secret", "token")
# The app's own bookkeeping: meaningless to the person, and no part of their data.
INTERNAL_FIELDS = frozenset(
    {
        "version",
        "key",
        "headers",
        "body_html",
        "template",
        "fills",
        "attempts",
        "last_error",
        "claimed_at",
        "claimed_by",
        "message_id",
        "send_after",
        "first_due_on",
        "step",
        "audience",
        "care_plan",
        "object_type",
        "object_id",
        "person_id",
        "changes",
        "path",
        "ip",
        "erased_at",
    }
)
# The agency's terms with its client: a third party's commercial data, not the person's.
COMMERCIAL_FIELDS = frozenset(
    {
        "fee",
        "guarantee_length",
        "guarantee_unit",
        "guarantee_remedy",
        "rebate_scale",
        "rebate_owed",
        "replacement_due_by",
    }
)
# The document's parts, in order; records of any other kind go under "Other records".
GROUPS: list[tuple[str, tuple[str, ...]]] = [
    ("Your details", ("people.person", "people.role", "people.note", "network.readiness")),
    ("Placements", ("placements.placement", "placements.target")),
    ("Contacts and calls", ("care.touchpoint",)),
    ("Your answers", ("surveys.invitation", "surveys.response", "surveys.answer")),
    ("Emails", ("mail.outboxmessage", "newsletters.engagement")),
    ("Consents", ("people.consent",)),
    ("Who has seen or changed your data", ("audit.auditentry",)),
]
TITLES = {
    "people.person": "Your record",
    "care.touchpoint": "Calls, meetings and check-ins",
    "mail.outboxmessage": "Emails we sent you",
    "newsletters.engagement": "Newsletters you opened or clicked",
    "surveys.invitation": "Questionnaires we sent you",
    "surveys.response": "Questionnaires you answered",
    "surveys.answer": "Your answers",
    "audit.auditentry": "Access and changes",
}


@dataclass
class Section:
    label: str
    title: str
    records: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class PersonExport:
    subject: Person
    generated_at: dt.datetime
    sections: dict[str, Section] = field(default_factory=dict)
    # Records that concern the person but are mainly about someone else: named, not copied.
    third_party: list[dict[str, str]] = field(default_factory=list)
    # The records themselves, for erasure, which scrubs exactly what an export would show.
    objects: list[models.Model] = field(default_factory=list)

    @property
    def record_count(self) -> int:
        return sum(len(section.records) for section in self.sections.values())

    def add(self, obj: models.Model) -> None:
        meta = obj._meta
        title = TITLES.get(meta.label_lower) or str(meta.verbose_name_plural).capitalize()
        section = self.sections.setdefault(meta.label_lower, Section(meta.label_lower, title))
        section.records.append(record_of(obj))
        self.objects.append(obj)

    def document(self) -> list[tuple[str, list[tuple[str, list[list[tuple[str, str]]]]]]]:
        """The sections grouped for the readable document, each value written for a reader."""
        placed = {label for _, labels in GROUPS for label in labels}
        groups = [*GROUPS, ("Other records", tuple(k for k in self.sections if k not in placed))]
        parts = []
        for heading, labels in groups:
            sections = [
                (
                    self.sections[label].title,
                    [
                        [(name[:1].upper() + name[1:], readable(v)) for name, v in r.items()]
                        for r in self.sections[label].records
                    ],
                )
                for label in labels
                if label in self.sections
            ]
            if sections:
                parts.append((heading, sections))
        return parts

    def as_json(self) -> str:
        return json.dumps(
            {
                "subject": {"id": self.subject.pk, "name": self.subject.full_name},
                "generated_at": self.generated_at,
                "sections": [
                    {"model": s.label, "title": s.title, "records": s.records}
                    for s in self.sections.values()
                ],
                "records_about_other_people": self.third_party,
            },
            cls=DjangoJSONEncoder,
            indent=2,
            ensure_ascii=False,
        )


def gather(subject: Person) -> PersonExport:
    export = PersonExport(subject=subject, generated_at=timezone.now())
    export.add(subject)
    seen = {(subject._meta.label_lower, subject.pk)}
    queue: deque[tuple[models.Model, int]] = deque([(subject, 0)])
    while queue:
        obj, depth = queue.popleft()
        if depth >= MAX_DEPTH:
            continue
        for child in _related_records(obj):
            key = (child._meta.label_lower, child.pk)
            if key in seen:
                continue
            seen.add(key)
            if _mainly_about_someone_else(child, subject):
                export.third_party.append(
                    {"kind": str(child._meta.verbose_name).capitalize(), "record": str(child)}
                )
                continue
            export.add(child)
            queue.append((child, depth + 1))
    # The trail keeps a plain person id (it must outlive the record), so no relation finds it.
    for entry in AuditEntry.objects.filter(person_id=subject.pk).order_by("at"):
        export.add(entry)
    return export


def _related_records(obj: models.Model) -> list[models.Model]:
    user_model = get_user_model()
    found: list[models.Model] = []
    for relation in obj._meta.related_objects:
        model = relation.related_model
        if (
            not isinstance(model, type)
            or model is user_model
            or not model._meta.app_config.name.startswith("keepwarm.")
        ):
            continue
        manager = model._default_manager
        if relation.many_to_many:
            queryset = manager.filter(**{relation.field.name: obj})
        else:
            queryset = manager.filter(**{relation.field.name: obj.pk})
        found.extend(queryset.order_by("pk"))
    return found


def _person_links(obj: models.Model) -> dict[str, int | None]:
    return {
        f.name: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and f.related_model is Person
    }


def _mainly_about_someone_else(obj: models.Model, subject: Person) -> bool:
    """A record whose principal person (its `person` field) is not the subject."""
    links = _person_links(obj)
    if "person" in links:
        return links["person"] != subject.pk
    return bool(links) and subject.pk not in links.values()


def _is_secret(name: str) -> bool:
    return any(marker in name for marker in SECRET_MARKERS)


def _left_out(obj: models.Model, f: models.Field[Any, Any]) -> bool:
    """Secrets, bookkeeping, the client's terms, and the subject named in their own records."""
    return (
        f.primary_key
        or _is_secret(f.name)
        or f.name in INTERNAL_FIELDS
        or f.name in COMMERCIAL_FIELDS
        or (
            (f.is_relation and f.related_model is Person and obj._meta.model is not Person)
            and f.name == "person"
        )
    )


def record_of(obj: models.Model) -> dict[str, Any]:
    """The record's fields under their labels, with related records named, not numbered."""
    return {
        str(f.verbose_name): _value(obj, f)
        for f in obj._meta.concrete_fields
        if not _left_out(obj, f)
    }


def readable(value: Any) -> str:
    """A value as the document writes it: local times, whole dates, yes and no, lists."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{local.day} {local:%B %Y, %H:%M}"
    if isinstance(value, dt.date):
        return f"{value.day} {value:%B %Y}"
    if isinstance(value, Decimal):
        return f"{value:,.2f}".removesuffix(".00")
    if isinstance(value, dict):
        return "; ".join(f"{k}: {readable(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "; ".join(readable(v) for v in value)
    return str(value)


def _value(obj: models.Model, f: models.Field[Any, Any]) -> Any:
    if f.is_relation:
        related = getattr(obj, f.name)
        if related is None:
            return None
        # Staff appear by the name the person knows them by, not their login.
        return getattr(related, "display_name", None) or str(related)
    if isinstance(obj, OutboxMessage) and f.name == "body_text":
        return obj.text  # a newsletter copy's is its shared body, filled with its values
    value = getattr(obj, f.attname)
    if f.choices and value not in (None, ""):
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or None
    return value
