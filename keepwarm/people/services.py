"""People and companies: creating and changing the records, and a person's roles."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from keepwarm.audit.concurrency import claim_version
from keepwarm.audit.recording import (
    record_changed,
    record_created,
    stored_values,
)
from keepwarm.lib import events
from keepwarm.people.models import Company, Note, Person, Role

if TYPE_CHECKING:
    from keepwarm.accounts.models import User


def make_client_contact(
    *, person: Person, company: Company, by: User, title: str = "", on: dt.date | None = None
) -> Role:
    """A person the agency placed becomes a client contact at `company`: a new role on
    the same record, so their history as a candidate and as a client stay together."""
    person.refuse_if_erased()
    on = on or timezone.localdate()
    if Role.objects.filter(
        person=person, kind=Role.Kind.CLIENT_CONTACT, company=company, ended_on__isnull=True
    ).exists():
        raise ValidationError(f"{person.full_name} is already a client contact at {company}.")
    with transaction.atomic():
        role = Role.objects.create(
            person=person,
            kind=Role.Kind.CLIENT_CONTACT,
            company=company,
            title=" ".join(title.split())[:200],
            started_on=on,
        )
        Note.objects.create(
            person=person,
            author=by,
            text=f"Became a client contact at {company}"
            + (f" ({role.title})" if role.title else "")
            + f" on {on:%d %b %Y}.",
        )
    return role


def record_contact(*, person: Person, at: dt.datetime) -> None:
    """`person` and the agency got through to each other at `at`: their last contact.

    What counts, and nothing else: a call that reached them, a meeting, an email a
    consultant sent them or a reply logged from them (care's `log_touchpoint`), a
    questionnaire they answered (surveys), and anything they sent from their personal page
    (portal). Check-ins, reminders and newsletters the worker sent count only once
    answered; a voicemail, an unanswered call or a bounce is no contact.

    Only ever moves forward, in one conditional UPDATE, so a late-arriving older event
    cannot make someone look colder. Not an edit of the record: no audit entry.
    """
    Person.objects.filter(pk=person.pk).filter(
        Q(last_contacted_at__isnull=True) | Q(last_contacted_at__lt=at)
    ).update(last_contacted_at=at)
    if person.last_contacted_at is None or person.last_contacted_at < at:
        person.last_contacted_at = at


# What a new person can be to the agency from the start; a placed role comes with a placement.
FIRST_ROLES = (Role.Kind.CANDIDATE, Role.Kind.CLIENT_CONTACT)


@transaction.atomic
def create_person(
    *,
    by: User,
    first_name: str,
    last_name: str,
    owner: User | None = None,
    role: str = Role.Kind.CANDIDATE,
    company: Company | None = None,
    title: str = "",
    today: dt.date | None = None,
    **fields: Any,
) -> Person:
    """Record a new person with what they are to the agency now, as the person form and
    the API both do: a candidate (whom matching then considers for vacancies) or a
    client contact at `company`. `owner` defaults to `by`; `fields` are other Person
    fields (email, phone, skills, source...). The new person is on the audit trail.
    """
    if role not in FIRST_ROLES:
        raise ValidationError({"role": "A new person starts as a candidate or a client contact."})
    if role == Role.Kind.CLIENT_CONTACT and company is None:
        raise ValidationError({"company": "Choose the company this contact works for."})
    person = Person(first_name=first_name, last_name=last_name, owner=owner or by, **fields)
    person.save()
    record_created(person)
    Role.objects.create(
        person=person,
        kind=role,
        company=company,
        title=" ".join(title.split())[:200],
        started_on=today or timezone.localdate(),
    )
    events.emit(events.PERSON_CREATED, {"person_id": person.pk, "role": role})
    return person


@transaction.atomic
def update_person(*, person: Person, expected_version: int | None, **changes: Any) -> Person:
    """Change a person's fields, as the person form and the API both do.

    `expected_version` is the version the change was based on (the form's); None accepts
    whatever is current (the API sends none). A newer save raises EditConflict and
    nothing is written; otherwise the version moves on, so a form open meanwhile is
    told. The change is on the audit trail, old and new value of each field.
    """
    # The stored values, not the instance's: a bound form has set its values on it.
    before = stored_values(person)
    if before["erased_at"] is not None:
        # Erased meanwhile: the stored row says so, and says when.
        Person.objects.get(pk=person.pk).refuse_if_erased()
    for name, value in changes.items():
        setattr(person, name, value)
    if "email" in changes and person.email.strip().lower() != before["email"].strip().lower():
        # A new address has not failed: their check-ins go by email again.
        person.email_failed_at = None
        person.email_failed_reason = ""
    claim_version(person, expected_version, stored=before["version"])
    person.save()
    entry = record_changed(person, before)
    if entry is not None:
        events.emit(
            events.PERSON_UPDATED,
            {"person_id": person.pk, "changed": sorted(entry.changes.keys() - {"version"})},
        )
    return person


@transaction.atomic
def create_company(*, name: str, **fields: Any) -> Company:
    """Record a new client or employer, as the company form and the API both do;
    `fields` are other Company fields (sector, owner, terms of business...). The new
    company is on the audit trail."""
    company = Company.objects.create(name=name, **fields)
    record_created(company)
    return company


@transaction.atomic
def update_company(*, company: Company, **changes: Any) -> Company:
    """Change a company's fields, as the company form and the API both do; the change is
    on the audit trail, old and new value of each field. The row stays locked until the
    change is saved, so two edits at once do not lose one."""
    # The stored values, not the instance's: a bound form has set its values on it.
    before = stored_values(company)
    for name, value in changes.items():
        setattr(company, name, value)
    company.save()
    record_changed(company, before)
    return company
