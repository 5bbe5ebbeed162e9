"""Turning batches of parsed rows into companies, people, placements and notes.

Each handler takes a batch of rows already mapped to field names, looks up what it can in
a few queries (known external ids, emails, phones), then writes a batch at a time, so a
100k-row file costs a few queries per thousand rows. Placements go one at a time through
placements.services.create_placement: a placement from a file gets its care plan exactly
as one entered by hand (steps already due are created skipped).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.audit.models import AuditEntry
from keepwarm.audit.recording import (
    Entry,
    changes_from,
    created_changes,
    entry_for,
    record_created,
    record_entries,
    tracked_values,
)
from keepwarm.imports.fields import (
    close_name,
    cut_to_limits,
    parse_date,
    parse_days,
    parse_decimal,
    phone_key,
    phone_variants,
)
from keepwarm.imports.models import Entity, ExternalRef, ImportRun, RowResult, Source
from keepwarm.imports.vacancies import describe, vacancy_values
from keepwarm.lib.bulk import insert_objects, insert_rows, update_objects
from keepwarm.lib.concurrency import EditConflict
from keepwarm.mail.models import Suppression, email_hash
from keepwarm.network.models import Vacancy
from keepwarm.people.models import Company, Note, Person, Role
from keepwarm.placements.models import Placement
from keepwarm.placements.services import (
    NewPlacement,
    create_placements,
    record_placement_outcome,
    update_placement,
)

logger = logging.getLogger(__name__)

Outcome = RowResult.Outcome


@dataclass
class Row:
    line: int
    values: dict[str, str]
    fingerprint: str

    def get(self, name: str) -> str:
        return self.values.get(name, "")


class RowSpool:
    """Row results written to a temporary file while the import runs, so a dry run's report
    survives its rollback and a big import holds no results in memory."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
        self.batch: list[dict[str, Any]] = []

    def add(self, **result: Any) -> None:
        self.batch.append(result)

    def end_batch(self) -> None:
        """Spool the batch's results in line order: a handler reports its repeats and
        rejections as it meets them and what it wrote afterwards, and the report reads
        best in the file's own order."""
        for result in sorted(self.batch, key=lambda r: r["line"]):
            self.file.write(json.dumps(result) + "\n")
        self.batch = []

    def save(self, run: ImportRun) -> None:
        self.end_batch()
        self.file.seek(0)
        insert_rows(RowResult, ({"run_id": run.pk, **json.loads(line)} for line in self.file))

    def close(self) -> None:
        self.file.close()


@dataclass
class Context:
    run: ImportRun
    by: User
    today: dt.date
    month_first: bool
    spool: RowSpool = field(default_factory=RowSpool)
    counts: Counter[str] = field(default_factory=Counter)
    file_name: str = ""
    _users: dict[str, int] | None = None
    _companies: dict[str, int] | None = None
    _user_objects: dict[int, User] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return self.run.source

    def record(
        self,
        entity: str,
        row: Row,
        outcome: str,
        *,
        label: str = "",
        reason: str = "",
        target: str = "",
    ) -> None:
        self.counts[outcome] += 1
        self.spool.add(
            entity=entity,
            file_name=self.file_name[:200],
            line=row.line,
            outcome=outcome,
            external_id=row.get("external_id")[:100],
            label=label[:200],
            reason=reason,
            target=target,
        )

    def owner_id(self, name: str) -> int | None:
        """A consultant by username, email or full name, any case."""
        if self._users is None:
            self._users = {}
            for pk, username, email, first, last in User.objects.values_list(
                "pk", "username", "email", "first_name", "last_name"
            ):
                for key in (username, email, f"{first} {last}"):
                    if key.strip():
                        self._users.setdefault(" ".join(key.lower().split()), pk)
        return self._users.get(" ".join(name.lower().split())) if name else None

    def user(self, pk: int) -> User:
        if pk not in self._user_objects:
            self._user_objects[pk] = User.objects.get(pk=pk)
        return self._user_objects[pk]

    def company_by_name(self, name: str) -> int | None:
        if self._companies is None:
            self._companies = {}
            for pk, company_name in Company.objects.values_list("pk", "name").order_by("pk"):
                self._companies.setdefault(company_name.strip().lower(), pk)
        return self._companies.get(name.strip().lower())

    def remember_company(self, name: str, pk: int) -> None:
        if self._companies is not None:
            self._companies.setdefault(name.strip().lower(), pk)

    def refs(self, entity: str, ids: list[str]) -> dict[str, ExternalRef]:
        wanted = [i for i in dict.fromkeys(ids) if i]
        if not wanted:
            return {}
        return {
            ref.external_id: ref
            for ref in ExternalRef.objects.filter(
                source=self.source, entity=entity, external_id__any_of=wanted
            )
        }

    def ref_ids(self, entity: str, ids: list[str]) -> dict[str, int]:
        """External id -> Keepwarm id, for rows that only refer to objects of `entity`
        (a placement's candidate, a contact's company): no ExternalRef instance each."""
        wanted = [i for i in dict.fromkeys(ids) if i]
        if not wanted:
            return {}
        return dict(
            ExternalRef.objects.filter(
                source=self.source, entity=entity, external_id__any_of=wanted
            ).values_list("external_id", "object_id")
        )

    def new_ref(
        self, entity: str, external_id: str, pk: int, row: Row, **data: Any
    ) -> dict[str, Any]:
        """The ExternalRef row that knows `row` as object `pk` on the next import, as
        insert_rows takes it (an import makes one per row; no instance is needed)."""
        return {
            "source": self.source,
            "entity": entity,
            "external_id": external_id,
            "object_id": pk,
            "fingerprint": row.fingerprint,
            "data": data,
            "first_run_id": self.run.pk,
        }


class _Repeats:
    """The ids a batch has met so far. An export may list a row twice; the first line is
    the one imported, and a second would write the same external id again."""

    def __init__(self, ctx: Context, entity: str) -> None:
        self.ctx, self.entity = ctx, entity
        self.lines: dict[str, int] = {}  # id -> the line that brought it

    def repeated(self, row: Row, key: str, *, label: str) -> bool:
        """Whether `key` came earlier in the batch; if so the row is reported as a repeat."""
        if key in self.lines:
            reason = f"repeats line {self.lines[key]}"
            self.ctx.record(self.entity, row, Outcome.UNCHANGED, label=label, reason=reason)
            return True
        if key:
            self.lines[key] = row.line
        return False


# --- people ---------------------------------------------------------------------------

PERSON_UPDATABLE = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "location",
    "sector",
    "headline",
    "skills",
)
LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "email": 254,
    "phone": 40,
    "location": 100,
    "sector": 100,
    "headline": 200,
}


def _person_values(row: Row) -> tuple[dict[str, str], list[str]]:
    """The person's fields from the row, and warnings about values left out."""
    warnings: list[str] = []
    first, last = row.get("first_name"), row.get("last_name")
    if not (first or last) and row.get("name"):
        parts = row.get("name").split()
        first, last = " ".join(parts[:-1]), parts[-1]
    values = {
        "first_name": first,
        "last_name": last,
        "email": row.get("email").lower(),
        "phone": row.get("mobile") or row.get("phone"),
        "location": row.get("location"),
        "sector": row.get("sector"),
        "headline": row.get("headline") or row.get("title"),
        "skills": row.get("skills"),
    }
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            warnings.append(f"email {values['email']!r} left out: not an address")
            values["email"] = ""
    warnings += cut_to_limits(values, LIMITS)
    return values, warnings


class _PersonIndex:
    """Known people this batch might be: by email and by phone, read in two queries."""

    def __init__(self, rows: list[tuple[Row, dict[str, str]]]) -> None:
        emails = {v["email"] for _, v in rows if v["email"]}
        phones: set[str] = set()
        for _, v in rows:
            if v["phone"]:
                phones |= phone_variants(v["phone"])
        self.by_email: dict[str, int] = {}
        self.by_phone: dict[str, list[tuple[int, str]]] = {}
        if emails:
            email_list = sorted(emails | {e.title() for e in emails})
            for pk, email in (
                Person.objects.filter(email__any_of=email_list)
                .values_list("pk", "email")
                .order_by("pk")
            ):
                self.by_email.setdefault(email.lower(), pk)
        if phones:
            for pk, phone, first, last in Person.objects.filter(
                phone__any_of=sorted(phones)
            ).values_list("pk", "phone", "first_name", "last_name"):
                self.by_phone.setdefault(phone_key(phone), []).append((pk, f"{first} {last}"))

    def add(self, pk: int, values: dict[str, str]) -> None:
        if values["email"]:
            self.by_email.setdefault(values["email"], pk)
        if values["phone"]:
            name = f"{values['first_name']} {values['last_name']}"
            self.by_phone.setdefault(phone_key(values["phone"]), []).append((pk, name))

    def match(self, values: dict[str, str]) -> tuple[int | None, str]:
        if values["email"] and values["email"] in self.by_email:
            return self.by_email[
                values["email"]
            ], f"same email as a known person ({values['email']})"
        if values["phone"]:
            name = f"{values['first_name']} {values['last_name']}"
            for pk, known in self.by_phone.get(phone_key(values["phone"]), []):
                if close_name(name, known):
                    return pk, f"same phone and a close name ({known})"
        return None, ""


def _erased_addresses(emails: list[str]) -> set[str]:
    hashes = {email_hash(e) for e in emails if e}
    if not hashes:
        return set()
    return set(
        Suppression.objects.filter(
            email_hash__any_of=hashes, reason=Suppression.Reason.ERASURE
        ).values_list("email_hash", flat=True)
    )


def import_people(ctx: Context, entity: str, rows: list[Row]) -> None:
    """Candidates or client contacts: known by external id, else matched by email or by
    phone and a close name (merged: blanks filled, nothing overwritten), else created."""
    parsed: list[tuple[Row, dict[str, str], list[str]]] = []
    for row in rows:
        values, warnings = _person_values(row)
        if not (values["first_name"] or values["last_name"]):
            ctx.record(
                entity, row, Outcome.REJECTED, reason="no name (first name, last name or full name)"
            )
            continue
        parsed.append((row, values, warnings))
    erased = _erased_addresses([values["email"] for _, values, _ in parsed])
    if erased:
        # Someone erased on request stays erased: the suppression list keeps their hash.
        kept = []
        for row, values, warnings in parsed:
            if values["email"] and email_hash(values["email"]) in erased:
                ctx.record(
                    entity,
                    row,
                    Outcome.REJECTED,
                    label=_name(values),
                    reason="this person asked to be erased; their details are not imported",
                )
            else:
                kept.append((row, values, warnings))
        parsed = kept
    refs = ctx.refs(entity, [row.get("external_id") for row, _, _ in parsed])
    index = _PersonIndex([(row, values) for row, values, _ in parsed])
    known_ids = {ref.object_id for ref in refs.values()}
    merge_targets = {index.match(values)[0] for _, values, _ in parsed} - {None}
    existing = Person.objects.in_bulk([*known_ids, *merge_targets])

    new_people: list[tuple[Row, Person, list[str], str]] = []  # row, person, warnings, ext id
    pending: dict[int, Person] = {}  # id(person) -> person, for rows merging into a new one
    changed: dict[int, Person] = {}
    ref_updates: list[ExternalRef] = []
    new_refs: list[tuple[Row, Person, str]] = []
    results: list[tuple[Row, str, Person, str, list[str]]] = []
    repeats = _Repeats(ctx, entity)
    companies = (
        _contact_companies(ctx, [row for row, _, _ in parsed]) if entity == Entity.CONTACT else {}
    )

    for row, values, warnings in parsed:
        ext = row.get("external_id")
        owner = ctx.owner_id(row.get("owner"))
        if row.get("owner") and owner is None:
            warnings.append(f"owner {row.get('owner')!r} is not a Keepwarm user")
        if repeats.repeated(row, ext, label=_name(values)):
            continue
        ref = refs.get(ext) if ext else None
        if ref is not None and ref.object_id in existing:
            person = existing[ref.object_id]
            if ref.fingerprint == row.fingerprint:
                results.append((row, Outcome.UNCHANGED, person, "imported before", []))
                continue
            for name in PERSON_UPDATABLE:
                if values[name] and getattr(person, name) != values[name]:
                    setattr(person, name, values[name])
            if owner:
                person.owner_id = owner
            changed[person.pk] = person
            ref.fingerprint = row.fingerprint
            ref_updates.append(ref)
            results.append(
                (row, Outcome.UPDATED, person, "changed since the last import", warnings)
            )
            continue
        pk, why = index.match(values)
        target = existing.get(pk) if pk is not None else None
        if target is None and pk is not None and pk < 0:
            target = pending.get(-pk)
        if target is not None:
            for name in PERSON_UPDATABLE:
                if values[name] and not getattr(target, name):
                    setattr(target, name, values[name])
            if target.pk:
                changed[target.pk] = target
            if ext:
                new_refs.append((row, target, ext))
            results.append((row, Outcome.MERGED, target, why, warnings))
            continue
        person = Person(owner_id=owner or None, notes=row.get("notes"), **values)
        pending[id(person)] = person
        index.add(-id(person), values)
        new_people.append((row, person, warnings, ext))
        if ext:
            new_refs.append((row, person, ext))
        results.append((row, Outcome.CREATED, person, "", warnings))

    insert_objects([p for _, p, _, _ in new_people])
    if changed:
        update_objects(list(changed.values()), [*PERSON_UPDATABLE, "owner"])
    roles = [_role(ctx, entity, row, person, companies) for row, person, _, _ in new_people]
    for row, outcome, person, _, _ in results:
        if entity == Entity.CONTACT and outcome == Outcome.MERGED:
            role = _role(ctx, entity, row, person, companies)
            if not Role.objects.filter(
                person=person, kind=role["kind"], company=role["company_id"], ended_on__isnull=True
            ).exists():
                roles.append(role)
    insert_rows(Role, roles)
    insert_rows(ExternalRef, [ctx.new_ref(entity, ext, p.pk, row) for row, p, ext in new_refs])
    update_objects(ref_updates, ["fingerprint"])
    _audit_people(ctx, results)
    for row, outcome, person, why, warnings in results:
        reason = "; ".join([why, *warnings]) if why else "; ".join(warnings)
        if (
            entity == Entity.CONTACT
            and row.get("company_external_id")
            and row.get("company_external_id") not in companies
        ):
            reason = "; ".join(
                filter(None, [reason, f"company {row.get('company_external_id')!r} not found"])
            )
        ctx.record(
            entity,
            row,
            outcome,
            label=person.full_name,
            reason=reason,
            target=f"person:{person.pk}",
        )


# Import outcomes as the audit trail names them; "unchanged" rows touched nothing.
AUDITED = {
    Outcome.CREATED: AuditEntry.Action.CREATED,
    Outcome.UPDATED: AuditEntry.Action.CHANGED,
    Outcome.MERGED: AuditEntry.Action.MERGED,
}


def _audit_people(ctx: Context, results: list[Any]) -> None:
    """The trail of who imported, changed or merged each person (bulk writes send no
    save signals, so the import writes its entries itself, in the same transaction; the
    import runs as whoever started it, see services.execute)."""
    for outcome, action in AUDITED.items():
        record_entries(
            action,
            (
                Entry(
                    "people.person",
                    person.pk,
                    person.full_name,
                    person.pk,
                    {"import": [None, f"{ctx.file_name}, line {row.line}"]},
                )
                for row, done, person, _why, _warnings in results
                if done == outcome and person.pk
            ),
        )


def _name(values: dict[str, str]) -> str:
    return f"{values['first_name']} {values['last_name']}".strip()


def _contact_companies(ctx: Context, rows: list[Row]) -> dict[str, int]:
    """External company id or name -> company id, for client contacts' roles."""
    found = ctx.ref_ids(Entity.COMPANY, [r.get("company_external_id") for r in rows])
    for row in rows:
        name = row.get("company_name")
        if name and not row.get("company_external_id"):
            found[name] = _company_named(ctx, name)
    return found


def _company_named(ctx: Context, name: str) -> int:
    """A company by name, created when no company has that name (other CSVs name them)."""
    pk = ctx.company_by_name(name)
    if pk is None:
        company = Company.objects.create(name=name[:200])
        record_created(company)
        pk = company.pk
        ctx.remember_company(name, pk)
    return pk


def _started(ctx: Context, row: Row) -> dt.date:
    try:
        return (
            parse_date(row.get("added_on"), month_first=ctx.month_first)
            if row.get("added_on")
            else ctx.today
        )
    except ValueError:
        return ctx.today


def _role(
    ctx: Context, entity: str, row: Row, person: Person, companies: dict[str, int]
) -> dict[str, Any]:
    """The role a new or merged person's row gives them (saved already), as insert_rows
    takes it: an import makes one per row and needs no model instance of it."""
    if entity == Entity.CONTACT:
        key = row.get("company_external_id") or row.get("company_name")
        return {
            "person_id": person.pk,
            "kind": Role.Kind.CLIENT_CONTACT,
            "company_id": companies.get(key),
            "title": row.get("title")[:200],
            "started_on": _started(ctx, row),
        }
    return {"person_id": person.pk, "kind": Role.Kind.CANDIDATE, "started_on": _started(ctx, row)}


# --- companies and job orders -----------------------------------------------------------

COMPANY_UPDATABLE = ("name", "sector", "location", "website", "phone", "email")


def import_companies(ctx: Context, entity: str, rows: list[Row]) -> None:
    refs = ctx.refs(entity, [r.get("external_id") for r in rows])
    known = Company.objects.in_bulk([r.object_id for r in refs.values()])
    repeats = _Repeats(ctx, entity)
    new_refs: list[dict[str, Any]] = []
    created: list[Entry] = []
    changed: list[Entry] = []
    for row in rows:
        name = row.get("name")[:200]
        if not name:
            ctx.record(entity, row, Outcome.REJECTED, reason="no company name")
            continue
        ext = row.get("external_id")
        if repeats.repeated(row, ext, label=name):
            continue
        values = {k: row.get(k)[:100] for k in ("sector", "location", "phone")}
        values["name"] = name
        website = row.get("website")
        if website and not re.match(r"^https?://", website):
            website = f"https://{website}"
        values["website"] = website[:200]
        values["email"] = row.get("email")[:254]
        warnings: list[str] = []
        terms: dict[str, Any] = {}
        if row.get("guarantee_length"):
            try:
                terms["guarantee_length"] = parse_days(row.get("guarantee_length"))
            except ValueError as exc:
                warnings.append(f"{exc}; the default guarantee applies")
        owner = ctx.owner_id(row.get("owner"))
        ref = refs.get(ext) if ext else None
        company = known.get(ref.object_id) if ref else None
        if ref is not None and company is not None:
            if ref.fingerprint == row.fingerprint:
                ctx.record(
                    entity,
                    row,
                    Outcome.UNCHANGED,
                    label=name,
                    reason="imported before",
                    target=f"company:{company.pk}",
                )
                continue
            before = tracked_values(company)
            for key, value in {**values, **terms}.items():
                if value:
                    setattr(company, key, value)
            company.save()
            if changes := changes_from(before, company):
                changed.append(entry_for(company, changes=changes))
            ref.fingerprint = row.fingerprint
            ref.save(update_fields=["fingerprint"])
            ctx.record(
                entity,
                row,
                Outcome.UPDATED,
                label=name,
                reason="; ".join(["changed since the last import", *warnings]),
                target=f"company:{company.pk}",
            )
            continue
        pk = ctx.company_by_name(name)
        if pk is not None:
            outcome, why = Outcome.MERGED, "a company with this name is already in Keepwarm"
        else:
            company = Company.objects.create(
                owner_id=owner, learnt=row.get("learnt"), **values, **terms
            )
            created.append(entry_for(company, changes=created_changes(company)))
            pk = company.pk
            ctx.remember_company(name, pk)
            outcome, why = Outcome.CREATED, ""
        if ext:
            new_refs.append(ctx.new_ref(entity, ext, pk, row))
        ctx.record(
            entity,
            row,
            outcome,
            label=name,
            reason="; ".join(filter(None, [why, *warnings])),
            target=f"company:{pk}",
        )
    insert_rows(ExternalRef, new_refs)
    # The companies' trail in one INSERT for each kind of entry, as the people's is.
    record_entries(AuditEntry.Action.CREATED, created)
    record_entries(AuditEntry.Action.CHANGED, changed)


# A job order's row may change anything of its vacancy (blanks aside: see _job_order).
VACANCY_UPDATABLE = [
    f.name for f in Vacancy._meta.concrete_fields if f.name not in ("id", "created_at")
]


def import_jobs(ctx: Context, entity: str, rows: list[Row]) -> None:
    """Job orders become vacancies at their clients, open, filled or closed as the job
    order says. Their refs also keep the title, client, hiring manager and owner that
    placements take from them."""
    keys = [_job_key(ctx, row) for row in rows]
    refs = ctx.refs(entity, keys)
    companies = ctx.ref_ids(Entity.COMPANY, [r.get("company_external_id") for r in rows])
    contacts = ctx.ref_ids(Entity.CONTACT, [r.get("contact_external_id") for r in rows])
    # A ref written before job orders became vacancies has no vacancy_id (its object_id
    # is the company): the next import makes its vacancy.
    known = Vacancy.objects.in_bulk(
        [ref.data["vacancy_id"] for ref in refs.values() if ref.data.get("vacancy_id")]
    )
    repeats = _Repeats(ctx, entity)
    written: list[_JobOrder] = []
    for row, ext in zip(rows, keys, strict=True):
        if not ext:
            reason = "no externalID: placements could not refer to it"
            ctx.record(entity, row, Outcome.REJECTED, reason=reason)
            continue
        if repeats.repeated(row, ext, label=row.get("title")):
            continue
        if not (row.get("title") or row.get("external_id")):
            # A Bullhorn job order is named by its id when untitled; a row with neither
            # would be a vacancy nobody can recognise.
            ctx.record(entity, row, Outcome.REJECTED, reason="no job title")
            continue
        if row.get("company_external_id") in companies:
            company_id = companies[row.get("company_external_id")]
        elif row.get("company_external_id"):
            reason = f"company {row.get('company_external_id')!r} not found"
            ctx.record(entity, row, Outcome.REJECTED, reason=reason)
            continue
        elif row.get("company_name"):
            company_id = _company_named(ctx, row.get("company_name"))
        else:
            reason = "no client company (give a company id or a company name)"
            ctx.record(entity, row, Outcome.REJECTED, label=row.get("title"), reason=reason)
            continue
        ref = refs.get(ext)
        vacancy = known.get(ref.data.get("vacancy_id")) if ref else None
        if ref is not None and vacancy is not None and ref.fingerprint == row.fingerprint:
            target = f"vacancy:{vacancy.pk}"
            reason = "imported before"
            ctx.record(
                entity, row, Outcome.UNCHANGED, label=vacancy.title, reason=reason, target=target
            )
            continue
        written.append(
            _job_order(
                ctx,
                row,
                ext,
                ref=ref,
                vacancy=vacancy,
                company_id=company_id,
                contact_id=contacts.get(row.get("contact_external_id")),
            )
        )
    _save_job_orders(ctx, entity, written)


@dataclass
class _JobOrder:
    row: Row
    outcome: str
    vacancy: Vacancy
    key: str
    ref: ExternalRef | None  # the one an earlier import wrote
    data: dict[str, Any]  # what the ref keeps of the row
    reason: str


def _job_key(ctx: Context, row: Row) -> str:
    """The id a job order is known by on the next import. A Bullhorn row without one is
    refused (placements refer to job orders by it); another system's export of vacancies
    may have none, and such a row is known by its content: the same file again changes
    nothing, and a changed row makes a new vacancy."""
    if row.get("external_id") or ctx.source == Source.BULLHORN:
        return row.get("external_id")
    return f"row:{row.fingerprint}"


def _job_order(
    ctx: Context,
    row: Row,
    ext: str,
    *,
    ref: ExternalRef | None,
    vacancy: Vacancy | None,
    company_id: int,
    contact_id: int | None,
) -> _JobOrder:
    """A new or changed job order's vacancy and ref, made or changed but not yet saved."""
    values, why, warnings = vacancy_values(row.values)
    owner_id = ctx.owner_id(row.get("owner"))
    if row.get("owner") and owner_id is None:
        warnings.append(f"owner {row.get('owner')!r} is not a Keepwarm user")
    status = describe(values["status"], why)
    if vacancy is None:
        values["title"] = values["title"] or f"Job order {ext}"
        # Like a placement, a vacancy whose owner is unknown goes to whoever imports it.
        vacancy = Vacancy(company_id=company_id, owner_id=owner_id or ctx.by.pk, **values)
        outcome = Outcome.CREATED if ref is None else Outcome.UPDATED
        reason = status if ref is None else f"{status}, made for a job order imported before"
    else:
        # The other system is the truth for what its row says; blanks leave ours alone.
        for name, value in values.items():
            if value or name == "status":
                setattr(vacancy, name, value)
        vacancy.company_id = company_id
        vacancy.owner_id = owner_id or vacancy.owner_id
        outcome, reason = Outcome.UPDATED, f"changed since the last import; {status}"
    data = {
        "title": row.get("title")[:200],
        "company_id": company_id,
        "contact_id": contact_id,
        "owner_id": owner_id,
        "kind": row.get("kind"),
    }
    return _JobOrder(row, outcome, vacancy, ext, ref, data, "; ".join([reason, *warnings]))


def _save_job_orders(ctx: Context, entity: str, written: list[_JobOrder]) -> None:
    """Vacancies and refs a batch at a time, then the rows' report."""
    new = [w.vacancy for w in written if w.vacancy.pk is None]
    update_objects([w.vacancy for w in written if w.vacancy.pk is not None], VACANCY_UPDATABLE)
    insert_objects(new)
    refs: list[ExternalRef] = []
    for item in written:
        item.data["vacancy_id"] = item.vacancy.pk
        if item.ref is not None:
            item.ref.object_id, item.ref.data = item.vacancy.pk, item.data
            item.ref.fingerprint = item.row.fingerprint
            refs.append(item.ref)
    insert_rows(
        ExternalRef,
        [
            ctx.new_ref(Entity.JOB, w.key, w.vacancy.pk, w.row, **w.data)
            for w in written
            if w.ref is None
        ],
    )
    update_objects(refs, ["object_id", "fingerprint", "data"])
    for item in written:
        ctx.record(
            entity,
            item.row,
            item.outcome,
            label=item.vacancy.title,
            reason=item.reason,
            target=f"vacancy:{item.vacancy.pk}",
        )


# --- placements ---------------------------------------------------------------------------

ENDED_WORDS = ("terminat", "fell", "cancel", "left", "withdr")
REASON_WORDS = {
    "counter": Placement.LeaveReason.COUNTER_OFFER,
    "not as described": Placement.LeaveReason.ROLE_NOT_AS_DESCRIBED,
    "manager": Placement.LeaveReason.MANAGER,
    "pay": Placement.LeaveReason.PAY,
    "salary": Placement.LeaveReason.PAY,
    "reloc": Placement.LeaveReason.RELOCATION,
    "perform": Placement.LeaveReason.PERFORMANCE,
    "personal": Placement.LeaveReason.PERSONAL,
}


class Rejected(Exception):
    pass


def _date(ctx: Context, row: Row, name: str, label: str) -> dt.date | None:
    if not row.get(name):
        return None
    try:
        return parse_date(row.get(name), month_first=ctx.month_first)
    except ValueError as exc:
        raise Rejected(f"{label}: {exc}") from None


def _amount(row: Row, name: str) -> Any:
    if not row.get(name):
        return None
    try:
        return parse_decimal(row.get(name))
    except ValueError as exc:
        raise Rejected(f"{name}: {exc}") from None


@dataclass
class _Lookups:
    """What a batch of placement rows refers to, read in a handful of queries."""

    refs: dict[str, ExternalRef]
    people: dict[str, int]  # external id -> Keepwarm id, as the three below
    jobs: dict[str, ExternalRef]
    companies: dict[str, int]
    contacts: dict[str, int]
    by_email: dict[str, int]
    persons: dict[int, Person]
    firms: dict[int, Company]
    placed: dict[int, Placement]
    twins: dict[tuple[int, int, dt.date], int]


def _people_by_email(rows: list[Row]) -> dict[str, int]:
    """The people the rows name by email (a placement's or a note's `person_email`)."""
    emails = [r.get("person_email").lower() for r in rows if r.get("person_email")]
    if not emails:
        return {}
    return dict(Person.objects.filter(email__any_of=emails).values_list("email", "pk"))


def _lookups(ctx: Context, rows: list[Row]) -> _Lookups:
    refs = ctx.refs(Entity.PLACEMENT, [r.get("external_id") for r in rows])
    people = ctx.ref_ids(Entity.CANDIDATE, [r.get("person_external_id") for r in rows])
    jobs = ctx.refs(Entity.JOB, [r.get("job_external_id") for r in rows])
    companies = ctx.ref_ids(Entity.COMPANY, [r.get("company_external_id") for r in rows])
    contacts = ctx.ref_ids(Entity.CONTACT, [r.get("contact_external_id") for r in rows])
    by_email = _people_by_email(rows)
    person_ids = {*people.values(), *by_email.values(), *contacts.values()}
    person_ids |= {j.data["contact_id"] for j in jobs.values() if j.data.get("contact_id")}
    company_ids = set(companies.values())
    company_ids |= {j.data["company_id"] for j in jobs.values() if j.data.get("company_id")}
    twins = {
        (person, company, start): pk
        for pk, person, company, start in Placement.objects.filter(
            person_id__any_of=person_ids
        ).values_list("pk", "person_id", "company_id", "start_date")
    }
    return _Lookups(
        refs=refs,
        people=people,
        jobs=jobs,
        companies=companies,
        contacts=contacts,
        by_email=by_email,
        persons=Person.objects.in_bulk(person_ids),
        firms=Company.objects.in_bulk(company_ids),
        # Person and company come along: each row's report line names them.
        placed=Placement.objects.select_related("person", "company").in_bulk(
            [r.object_id for r in refs.values()]
        ),
        twins=twins,
    )


def import_placements(ctx: Context, entity: str, rows: list[Row]) -> None:
    """Known placements are updated or left alone; new ones are made together through
    create_placements, then endings recorded. An imported placement's care plan starts
    from the import: the steps still ahead are laid out, the ones already past are not."""
    found = _lookups(ctx, rows)
    new: list[tuple[Row, NewPlacement]] = []
    repeats = _Repeats(ctx, entity)
    for row in rows:
        # A Bullhorn placement row has no title of its own: its job order's names it.
        job = found.jobs.get(row.get("job_external_id"))
        label = row.get("role_title") or (job.data.get("title", "") if job else "")
        if repeats.repeated(row, row.get("external_id"), label=label):
            continue
        try:
            item = _placement_row(ctx, entity, row, found)
        except (Rejected, ValidationError) as exc:
            reason = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            ctx.record(entity, row, Outcome.REJECTED, label=label, reason=reason)
            continue
        if item is not None:
            found.twins[(item.person.pk, item.company.pk, item.start_date)] = 0
            new.append((row, item))
    made = create_placements(
        by=ctx.by, items=[item for _, item in new], today=ctx.today, past_steps=False
    )
    refs: list[dict[str, Any]] = []
    for (row, _), placement in zip(new, made, strict=True):
        ended = _ended(ctx, placement, row, _left_on(ctx, row))
        if row.get("external_id"):
            # The version the import wrote: an edit in Keepwarm after it moves it on.
            ref = ctx.new_ref(
                entity, row.get("external_id"), placement.pk, row, version=placement.version
            )
            refs.append(ref)
        ctx.record(
            entity,
            row,
            Outcome.CREATED,
            label=str(placement),
            reason=ended,
            target=f"placement:{placement.pk}",
        )
    insert_rows(ExternalRef, refs)


def _left_on(ctx: Context, row: Row) -> dt.date | None:
    try:
        return _date(ctx, row, "left_on", "left on") or _date(ctx, row, "end_date", "end date")
    except Rejected:
        return None


def _placement_row(ctx: Context, entity: str, row: Row, found: _Lookups) -> NewPlacement | None:
    """The placement a new row makes, or None when the row was settled here (unchanged,
    updated, merged with a placement already in Keepwarm). Raises Rejected."""
    ext = row.get("external_id")
    ref = found.refs.get(ext) if ext else None
    known = found.placed.get(ref.object_id) if ref else None
    if ref is not None and known is not None:
        target = f"placement:{known.pk}"
        if ref.fingerprint == row.fingerprint:
            ctx.record(
                entity,
                row,
                Outcome.UNCHANGED,
                label=str(known),
                reason="imported before",
                target=target,
            )
            return None
        expected = ref.data.get("version", known.version)
        try:
            version = _update_placement(ctx, known, row, expected_version=expected)
        except EditConflict as newer:
            # Reported once: the same row again is "unchanged", a later change applies.
            version = newer.current_version
            reason = _kept(newer, _file_changes(ctx, known, row))
            # An ending overwrites nothing anyone edits: it is recorded all the same.
            ended = _record_ending(ctx, known, row)
            reason += f" Its ending was recorded: {ended.removeprefix('ended: ')}." if ended else ""
            outcome = Outcome.CONFLICT
        else:
            reason, outcome = "changed since the last import", Outcome.UPDATED
        ctx.record(entity, row, outcome, label=str(known), reason=reason, target=target)
        ref.fingerprint = row.fingerprint
        ref.data = {**ref.data, "version": version}
        ref.save(update_fields=["fingerprint", "data"])
        return None

    person_id = found.people.get(row.get("person_external_id")) or found.by_email.get(
        row.get("person_email").lower()
    )
    person = found.persons.get(person_id) if person_id else None
    if person is None:
        which = row.get("person_external_id") or row.get("person_email") or "(none given)"
        raise Rejected(f"candidate {which} not found in this import or an earlier one")
    job = found.jobs.get(row.get("job_external_id"))
    job_data = job.data if job else {}
    if row.get("job_external_id") and job is None:
        raise Rejected(f"job order {row.get('job_external_id')!r} not found")
    company_id = found.companies.get(row.get("company_external_id")) or job_data.get("company_id")
    if company_id is None and row.get("company_name"):
        company_id = _company_named(ctx, row.get("company_name"))
    company = found.firms.get(company_id) if company_id else None
    if company is None and company_id:
        company = found.firms.setdefault(company_id, Company.objects.get(pk=company_id))
    if company is None:
        raise Rejected("no client company (give a job order, a company id or a company name)")
    role_title = (row.get("role_title") or job_data.get("title") or "")[:200]
    if not role_title:
        raise Rejected("no job title")
    start = _date(ctx, row, "start_date", "start date")
    if start is None:
        raise Rejected("no start date")
    end = _date(ctx, row, "end_date", "end date")
    _date(ctx, row, "left_on", "left on")
    if end is not None and end < start:
        raise Rejected(f"ends ({end:%d %b %Y}) before it starts ({start:%d %b %Y})")
    fields: dict[str, Any] = {"salary": _amount(row, "salary"), "fee": _amount(row, "fee")}
    if row.get("guarantee_length"):
        try:
            fields["guarantee_length"] = parse_days(row.get("guarantee_length"))
        except ValueError as exc:
            raise Rejected(str(exc)) from None
    kind_text = (row.get("kind") or job_data.get("kind") or "").lower()
    contract = "contract" in kind_text or "temp" in kind_text
    fields["kind"] = Placement.Kind.CONTRACT if contract else Placement.Kind.PERMANENT
    fields["end_date"] = end
    manager_id = found.contacts.get(row.get("contact_external_id")) or job_data.get("contact_id")
    if manager_id and manager_id in found.persons:
        fields["hiring_manager"] = found.persons[manager_id]
    owner_id = (
        ctx.owner_id(row.get("owner")) or job_data.get("owner_id") or person.owner_id or ctx.by.pk
    )

    twin = found.twins.get((person.pk, company.pk, start))
    if twin is not None:
        reason = "this person already has a placement there starting that day"
        if not twin:
            ctx.record(entity, row, Outcome.UNCHANGED, reason=f"{reason} (an earlier row)")
            return None
        if ext:
            version = Placement.objects.values_list("version", flat=True).get(pk=twin)
            ExternalRef.objects.create(
                source=ctx.source, entity=entity, external_id=ext, object_id=twin,
                fingerprint=row.fingerprint, first_run=ctx.run, data={"version": version},
            )  # fmt: skip
        outcome = Outcome.MERGED if ext else Outcome.UNCHANGED
        ctx.record(
            entity, row, outcome, label=role_title, reason=reason, target=f"placement:{twin}"
        )
        return None
    return NewPlacement(
        person=person,
        company=company,
        owner=ctx.user(owner_id),
        role_title=role_title,
        start_date=start,
        fields=fields,
    )


def _ended(ctx: Context, placement: Placement, row: Row, left_on: dt.date | None) -> str:
    """Record a terminated placement's outcome the way a consultant would."""
    status = row.get("status").lower()
    if not any(word in status for word in ENDED_WORDS) and not row.get("left_on"):
        return ""
    left_on = left_on or ctx.today
    text = row.get("leave_reason").lower()
    reason = next(
        (r for word, r in REASON_WORDS.items() if word in text), Placement.LeaveReason.OTHER
    )
    ended_as = (
        Placement.Status.FELL_OFF
        if left_on <= placement.guarantee_ends_on
        else Placement.Status.LEFT
    )
    record_placement_outcome(
        placement=placement,
        status=ended_as,
        left_on=left_on,
        reason=reason,
        notes=row.get("leave_reason")[:500],
        by=ctx.by,
    )
    return f"ended: {placement.get_status_display().lower()} on {left_on:%d %b %Y}"


def _file_changes(ctx: Context, placement: Placement, row: Row) -> dict[str, Any]:
    """What the row would change: money, end date and title follow the other system."""
    changes: dict[str, Any] = {}
    for name in ("salary", "fee"):
        value = _amount(row, name)
        if value is not None and getattr(placement, name) != value:
            changes[name] = value
    end = _date(ctx, row, "end_date", "end date")
    if end is not None and placement.end_date != end:
        changes["end_date"] = end
    title = row.get("role_title")[:200]
    if title and placement.role_title != title:
        changes["role_title"] = title
    start = _date(ctx, row, "start_date", "start date")
    if start is not None and start != placement.start_date:
        changes["start_date"] = start
    return changes


def _update_placement(
    ctx: Context, placement: Placement, row: Row, *, expected_version: int
) -> int:
    """Apply a changed row through update_placement, as an edit by hand would be, then
    record an ending. Raises EditConflict when the placement was edited in Keepwarm
    after `expected_version` (what the import last wrote): nothing is overwritten.
    Returns the version the placement is left at."""
    changes = _file_changes(ctx, placement, row)
    start = changes.pop("start_date", None)
    if changes or start is not None:
        placement = update_placement(
            placement=placement,
            by=ctx.by,
            expected_version=expected_version,
            changes=changes,
            start_date=start,
            today=ctx.today,
        ).placement
    _record_ending(ctx, placement, row)
    return placement.version


def _record_ending(ctx: Context, placement: Placement, row: Row) -> str:
    """The row's ending, if it says the placement ended and Keepwarm does not know yet."""
    if placement.status in Placement.ENDED:
        return ""
    end = _date(ctx, row, "end_date", "end date")
    return _ended(ctx, placement, row, _date(ctx, row, "left_on", "left on") or end)


def _field_label(name: str) -> str:
    """ "end_date" or "owner_id" as the placement's form names it: "end date", "owner"."""
    try:
        return str(getattr(Placement._meta.get_field(name), "verbose_name", name))
    except FieldDoesNotExist:
        return name.replace("_", " ")


def _shown(value: Any) -> str:
    if isinstance(value, dt.date):
        return f"{value:%-d %b %Y}"
    return f"{value:,}" if isinstance(value, Decimal) else str(value)


def _kept(conflict: EditConflict, wanted: dict[str, Any]) -> str:
    """The conflict row's reason: whose edit was kept, and what the file asked for."""
    edits = [
        f"{other.who} on {timezone.localtime(other.at):%-d %b %Y}"
        f" ({', '.join(_field_label(n) for n in other.changes)})"
        for other in conflict.others
    ]
    kept = "; ".join(edits) or "someone"
    asked = ", ".join(f"{_field_label(n)} {_shown(v)}" for n, v in wanted.items())
    return (
        "Edited in Keepwarm since the last import, so the row's changes were not applied: "
        f"kept the edit by {kept}. The file has {asked}; change the placement by hand if "
        "the file is right."
    )


# --- notes --------------------------------------------------------------------------------


def import_notes(ctx: Context, entity: str, rows: list[Row]) -> None:
    ids = [r.get("external_id") or f"row:{r.fingerprint}" for r in rows]
    # Notes already imported (this run included) -> the person they are about.
    about = {ext: ref.data.get("person_id") for ext, ref in ctx.refs(entity, ids).items()}
    candidates = ctx.ref_ids(Entity.CANDIDATE, [r.get("person_external_id") for r in rows])
    contacts = ctx.ref_ids(Entity.CONTACT, [r.get("contact_external_id") for r in rows])
    by_email = _people_by_email(rows)
    new: list[tuple[Row, Note, str]] = []
    for row, ext in zip(rows, ids, strict=True):
        if ext in about:
            target = f"person:{about[ext]}"
            ctx.record(entity, row, Outcome.UNCHANGED, reason="imported before", target=target)
            continue
        person_id = (
            candidates.get(row.get("person_external_id"))
            or contacts.get(row.get("contact_external_id"))
            or by_email.get(row.get("person_email").lower())
        )
        if person_id is None:
            ctx.record(entity, row, Outcome.REJECTED, reason="the person it is about was not found")
            continue
        text = row.get("text")
        if not text:
            ctx.record(entity, row, Outcome.REJECTED, reason="no note text")
            continue
        heading = " · ".join(filter(None, [row.get("action"), row.get("added_on")]))
        note = Note(person_id=person_id, text=f"{heading}: {text}" if heading else text)
        about[ext] = person_id
        new.append((row, note, ext))
    Note.objects.bulk_create([n for _, n, _ in new], batch_size=500)
    for row, note, _ in new:
        ctx.record(
            entity, row, Outcome.CREATED, label=note.text[:60], target=f"person:{note.person_id}"
        )
    insert_rows(
        ExternalRef,
        [ctx.new_ref(entity, ext, n.pk, row, person_id=n.person_id) for row, n, ext in new],
    )


HANDLERS: dict[str, Callable[[Context, str, list[Row]], None]] = {
    Entity.COMPANY: import_companies,
    Entity.CANDIDATE: import_people,
    Entity.CONTACT: import_people,
    Entity.JOB: import_jobs,
    Entity.PLACEMENT: import_placements,
    Entity.NOTE: import_notes,
}
