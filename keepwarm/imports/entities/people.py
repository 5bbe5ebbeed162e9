"""Candidates and client contacts. A batch is read (rows without a name, and people
erased on request, are turned away), matched (by external id, else by email, else by
phone and a close name) and then written together: new people, filled-in blanks, roles,
external ids and the audit trail, a few statements per batch.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection

from keepwarm.audit.models import AuditEntry
from keepwarm.audit.recording import Entry, record_entries, record_selected
from keepwarm.imports.entities.rows import (
    Context,
    Outcome,
    Repeats,
    Row,
    company_named,
    match_keys,
    refs_sql,
)
from keepwarm.imports.fields import (
    checked_phone,
    close_name,
    cut_to_limits,
    parse_date,
    phone_key,
    phone_variants,
)
from keepwarm.imports.models import Entity, ExternalRef
from keepwarm.lib.bulk import (
    by_ids,
    insert_objects,
    insert_rows,
    insert_select,
    staged,
    update_objects,
)
from keepwarm.mail.models import Suppression, email_hash
from keepwarm.people.models import Person, Role

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
    if values["phone"]:
        values["phone"] = checked_phone(values["phone"], warnings)
    warnings += cut_to_limits(values, LIMITS)
    return values, warnings


class _PersonIndex:
    """Known people this batch might be: by email and by phone (see _Known for how they
    are read)."""

    def __init__(self) -> None:
        self.by_email: dict[str, int] = {}
        self.by_phone: dict[str, list[tuple[int, str]]] = {}

    @staticmethod
    def keys(people: list[dict[str, str]]) -> set[tuple[str, str]]:
        """The spellings a known person's email or phone may have, as match keys."""
        keys: set[tuple[str, str]] = set()
        for v in people:
            if v["email"]:
                keys |= {("email", v["email"]), ("email", v["email"].title())}
            if v["phone"]:
                keys |= {("phone", spelling) for spelling in phone_variants(v["phone"])}
        return keys

    def known(self, kind: str, pk: int, key: str, name: str) -> None:
        """A person the batch's keys found (read in id order: an email's first holder wins)."""
        if kind == "email":
            self.by_email.setdefault(key.lower(), pk)
        else:
            self.by_phone.setdefault(phone_key(key), []).append((pk, name))

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


@dataclass
class _PersonRow:
    """A row read: the person's fields, and warnings about values left out."""

    row: Row
    values: dict[str, str]
    warnings: list[str]


@dataclass
class _Result:
    """How a row was settled, and the person it was settled on (saved once written)."""

    row: Row
    outcome: str
    person: Person
    why: str
    warnings: list[str]


@dataclass
class _Writes:
    """What a batch of person rows will write, worked out before anything is written."""

    new: list[tuple[Row, Person]] = field(default_factory=list)
    changed: dict[int, Person] = field(default_factory=dict)  # people in Keepwarm, by id
    ref_updates: list[ExternalRef] = field(default_factory=list)
    new_refs: list[tuple[Row, Person, str]] = field(default_factory=list)
    results: list[_Result] = field(default_factory=list)


class _Known:
    """Who a batch's rows may be: people imported before (by external id) and people to
    merge with (see _PersonIndex), read in a few queries. People the batch makes join as
    they are made, so a later row of the same person merges with the new one."""

    def __init__(self, ctx: Context, entity: str, parsed: list[_PersonRow]) -> None:
        self.refs: dict[str, ExternalRef] = {}
        self.index = _PersonIndex()
        values = [item.values for item in parsed]
        keys = {(entity, item.row.get("external_id")) for item in parsed}
        keys = {key for key in keys if key[1]} | _PersonIndex.keys(values)
        sql = partial(_matching_sql, source=ctx.source)
        # People first, then refs, each in id order (refs_sql's columns; see match_keys).
        for row in sorted(match_keys(keys, sql), key=lambda r: (r[0] == entity, r[1])):
            if row[0] == entity:
                ref = ctx.ref_from(row)
                self.refs[ref.external_id] = ref
            else:
                self.index.known(row[0], row[1], row[2], row[5])
        known_ids = {ref.object_id for ref in self.refs.values()}
        merge_targets = {self.index.match(item.values)[0] for item in parsed} - {None}
        self.existing = by_ids(Person.objects.all(), [*known_ids, *merge_targets])
        self.pending: dict[int, Person] = {}  # id(person) -> a person this batch makes

    def imported(self, ext: str) -> tuple[ExternalRef, Person] | None:
        """The ref and person of a row imported before, if that person is still here."""
        ref = self.refs.get(ext) if ext else None
        if ref is None or ref.object_id not in self.existing:
            return None
        return ref, self.existing[ref.object_id]

    def merge_target(self, values: dict[str, str]) -> tuple[Person | None, str]:
        """The person these values match, in Keepwarm or new in this batch, and why."""
        pk, why = self.index.match(values)
        target = self.existing.get(pk) if pk is not None else None
        if target is None and pk is not None and pk < 0:
            target = self.pending.get(-pk)
        return target, why

    def add_new(self, person: Person, values: dict[str, str]) -> None:
        # Not saved yet, so known by a negative stand-in id until the batch is written.
        self.pending[id(person)] = person
        self.index.add(-id(person), values)


def _matching_sql(table: str, *, source: str) -> tuple[str, list[Any]]:
    """One statement matching a batch's staged keys: the refs of its external ids, the
    people holding one of its emails, those holding one of its phone spellings (with
    their names, for close_name). Rows as refs_sql gives them."""
    people = connection.ops.quote_name(Person._meta.db_table)
    # Table names come from code and the model; every value is a staged key.
    sql = f"""{refs_sql(table)}
        UNION ALL
        SELECT k.kind, p.id, p.email, NULL, '', '', NULL FROM {table} k
        JOIN {people} p ON k.kind = 'email' AND p.email = k.key
        UNION ALL
        SELECT k.kind, p.id, p.phone, NULL, '', p.first_name || ' ' || p.last_name, NULL
        FROM {table} k JOIN {people} p ON k.kind = 'phone' AND p.phone = k.key"""  # noqa: S608
    return sql, [source]


def import_people(ctx: Context, entity: str, rows: list[Row]) -> None:
    """Candidates or client contacts: known by external id, else matched by email or by
    phone and a close name (merged: blanks filled, nothing overwritten), else created.

    Read, match, write: the rows are read and checked, each is settled in memory against
    the people Keepwarm knows and those the batch makes, then the batch is written."""
    parsed = _read_people(ctx, entity, rows)
    known = _Known(ctx, entity, parsed)
    companies = (
        _contact_companies(ctx, [item.row for item in parsed]) if entity == Entity.CONTACT else {}
    )
    writes = _Writes()
    repeats = Repeats(ctx, entity)
    for item in parsed:
        _match_person(ctx, item, known, writes, repeats)
    _write_people(ctx, entity, writes, companies)
    _report_people(ctx, entity, writes.results, companies)


def _read_people(ctx: Context, entity: str, rows: list[Row]) -> list[_PersonRow]:
    """The rows worth matching: those with a name, less people erased on request."""
    parsed: list[_PersonRow] = []
    for row in rows:
        values, warnings = _person_values(row)
        if not (values["first_name"] or values["last_name"]):
            ctx.record(
                entity, row, Outcome.REJECTED, reason="no name (first name, last name or full name)"
            )
            continue
        parsed.append(_PersonRow(row, values, warnings))
    erased = _erased_addresses([item.values["email"] for item in parsed])
    if not erased:
        return parsed
    # Someone erased on request stays erased: the suppression list keeps their hash.
    kept = []
    for item in parsed:
        if item.values["email"] and email_hash(item.values["email"]) in erased:
            ctx.record(
                entity,
                item.row,
                Outcome.REJECTED,
                label=_name(item.values),
                reason="this person asked to be erased; their details are not imported",
            )
        else:
            kept.append(item)
    return kept


def _match_person(
    ctx: Context, item: _PersonRow, known: _Known, writes: _Writes, repeats: Repeats
) -> None:
    """Settle one row: the person imported before, a person it matches, or a new one."""
    row, values = item.row, item.values
    ext = row.get("external_id")
    owner = ctx.owner_id(row.get("owner"))
    if row.get("owner") and owner is None:
        item.warnings.append(f"owner {row.get('owner')!r} is not a Keepwarm user")
    if repeats.repeated(row, ext, label=_name(values)):
        return
    imported = known.imported(ext)
    if imported is not None:
        _update_imported(item, *imported, owner=owner, writes=writes)
        return
    target, why = known.merge_target(values)
    if target is not None:
        _merge_into(item, target, why, writes)
        return
    person = Person(owner_id=owner or None, notes=row.get("notes"), **values)
    known.add_new(person, values)
    writes.new.append((row, person))
    writes.results.append(_Result(row, Outcome.CREATED, person, "", item.warnings))


def _update_imported(
    item: _PersonRow, ref: ExternalRef, person: Person, *, owner: int | None, writes: _Writes
) -> None:
    """A row imported before: unchanged, or the other system's changes applied."""
    if ref.fingerprint == item.row.fingerprint:
        writes.results.append(_Result(item.row, Outcome.UNCHANGED, person, "imported before", []))
        return
    for name in PERSON_UPDATABLE:
        if item.values[name] and getattr(person, name) != item.values[name]:
            setattr(person, name, item.values[name])
    if owner:
        person.owner_id = owner
    writes.changed[person.pk] = person
    ref.fingerprint = item.row.fingerprint
    writes.ref_updates.append(ref)
    reason = "changed since the last import"
    writes.results.append(_Result(item.row, Outcome.UPDATED, person, reason, item.warnings))


def _merge_into(item: _PersonRow, target: Person, why: str, writes: _Writes) -> None:
    """A row of someone already known: it fills their blanks and overwrites nothing."""
    for name in PERSON_UPDATABLE:
        if item.values[name] and not getattr(target, name):
            setattr(target, name, item.values[name])
    if target.pk:
        writes.changed[target.pk] = target
    if item.row.get("external_id"):
        writes.new_refs.append((item.row, target, item.row.get("external_id")))
    writes.results.append(_Result(item.row, Outcome.MERGED, target, why, item.warnings))


def _write_people(ctx: Context, entity: str, writes: _Writes, companies: dict[str, int]) -> None:
    """The batch's writes, a statement or a few per kind of row, then its audit trail."""
    insert_objects([person for _, person in writes.new])
    # Read before the new people's roles are written, as it always has been.
    merged_roles = _merged_roles(ctx, entity, writes, companies)
    _write_new_people(ctx, entity, writes.new, companies)
    if writes.changed:
        update_objects(list(writes.changed.values()), [*PERSON_UPDATABLE, "owner"])
    insert_rows(Role, merged_roles)
    insert_rows(
        ExternalRef, [ctx.new_ref(entity, ext, p.pk, row) for row, p, ext in writes.new_refs]
    )
    update_objects(writes.ref_updates, ["fingerprint"])
    _audit_people(ctx, writes.results)


# One staged row per new person: what their role, external id and "created" entry need.
NEW_PEOPLE = (
    ("person_id", "bigint"),
    ("started_on", "date"),
    ("company_id", "bigint"),
    ("title", "varchar(200)"),
    ("external_id", "varchar(100)"),
    ("fingerprint", "varchar(40)"),
    ("label", "varchar(200)"),
    ("changes", "text"),
)


def _write_new_people(
    ctx: Context, entity: str, new: list[tuple[Row, Person]], companies: dict[str, int]
) -> None:
    """What each new person (saved) brings with them, set-based: a role, an external id
    (the next import's key) and the "created" entry of the audit trail, from one staged
    row per person by three INSERT ... SELECTs."""
    if not new:
        return
    staged_rows = []
    for row, person in new:
        role = _role(ctx, entity, row, person, companies)
        trail = {"import": [None, f"{ctx.file_name}, line {row.line}"]}
        staged_rows.append(
            (
                person.pk,
                role["started_on"],
                role.get("company_id"),
                role.get("title", ""),
                row.get("external_id"),
                row.fingerprint,
                person.full_name[:200],
                json.dumps(trail),
            )
        )
    with staged("import_new_people", NEW_PEOPLE, staged_rows) as people:
        kind = Role.Kind.CLIENT_CONTACT if entity == Entity.CONTACT else Role.Kind.CANDIDATE
        insert_select(
            Role,
            {"person_id": "n.person_id", "company_id": "n.company_id", "title": "n.title",
             "started_on": "n.started_on"},
            f"FROM {people} n ORDER BY n.person_id",
            same={"kind": kind},
        )  # fmt: skip
        insert_select(
            ExternalRef,
            {"external_id": "n.external_id", "object_id": "n.person_id",
             "fingerprint": "n.fingerprint"},
            f"FROM {people} n WHERE n.external_id <> '' ORDER BY n.person_id",
            same={"source": ctx.source, "entity": entity, "first_run_id": ctx.run.pk},
        )  # fmt: skip
        record_selected(
            AuditEntry.Action.CREATED,
            object_type=Person._meta.label_lower,
            columns={"object_id": "CAST(n.person_id AS varchar(64))", "object_repr": "n.label",
                     "person_id": "n.person_id", "changes": "n.changes"},
            source=f"FROM {people} n ORDER BY n.person_id",
        )  # fmt: skip


def _merged_roles(
    ctx: Context, entity: str, writes: _Writes, companies: dict[str, int]
) -> list[dict[str, Any]]:
    """A merged contact's role, unless they hold it already (a new person's role comes
    with them, see _write_new_people)."""
    roles: list[dict[str, Any]] = []
    if entity != Entity.CONTACT:
        return roles
    for result in writes.results:
        if result.outcome != Outcome.MERGED:
            continue
        role = _role(ctx, entity, result.row, result.person, companies)
        if not Role.objects.filter(
            person=result.person,
            kind=role["kind"],
            company=role["company_id"],
            ended_on__isnull=True,
        ).exists():
            roles.append(role)
    return roles


def _report_people(
    ctx: Context, entity: str, results: list[_Result], companies: dict[str, int]
) -> None:
    for result in results:
        row = result.row
        reasons = [result.why, *result.warnings] if result.why else result.warnings
        reason = "; ".join(reasons)
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
            result.outcome,
            label=result.person.full_name,
            reason=reason,
            target=f"person:{result.person.pk}",
        )


AUDITED = {
    Outcome.UPDATED: AuditEntry.Action.CHANGED,
    Outcome.MERGED: AuditEntry.Action.MERGED,
}


def _audit_people(ctx: Context, results: list[_Result]) -> None:
    """The trail of who changed or merged each person (bulk writes send no save signals,
    so the import writes its entries itself, in the same transaction; the import runs as
    whoever started it, see services.execute). Who was imported new is recorded with
    them (_write_new_people)."""
    for outcome, action in AUDITED.items():
        record_entries(
            action,
            (
                Entry(
                    "people.person",
                    result.person.pk,
                    result.person.full_name,
                    result.person.pk,
                    {"import": [None, f"{ctx.file_name}, line {result.row.line}"]},
                )
                for result in results
                if result.outcome == outcome and result.person.pk
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
            found[name] = company_named(ctx, name)
    return found


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
