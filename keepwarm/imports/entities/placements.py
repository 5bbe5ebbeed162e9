"""Placements: a row imported before is applied to its placement as an edit by hand
would be (an edit made in Keepwarm since the last import is kept, and the row reported as
a conflict); the others are made together through placements.services.create_placements,
so a placement from a file gets its care plan as one entered by hand does, then their
endings are recorded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils import timezone

from keepwarm.audit.concurrency import EditConflict
from keepwarm.care.services.placements import (
    NewPlacement,
    create_placements,
    record_placement_outcome,
    update_placement,
)
from keepwarm.imports.entities.rows import (
    Context,
    Outcome,
    Repeats,
    Row,
    company_named,
    people_by_email,
)
from keepwarm.imports.fields import parse_date, parse_days, parse_decimal
from keepwarm.imports.models import Entity, ExternalRef
from keepwarm.lib.bulk import by_ids, insert_rows
from keepwarm.people.models import Company, Person
from keepwarm.placements.models import Placement

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
    """A row that cannot be imported; the message is the reason its report line gives."""


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
    jobs: dict[str, dict[str, Any]]  # external id -> what the import kept of it
    companies: dict[str, int]
    contacts: dict[str, int]
    by_email: dict[str, int]
    persons: dict[int, Person]
    firms: dict[int, Company]
    placed: dict[int, Placement]
    twins: dict[tuple[int, int, dt.date], int]


# The external ids a placement row names, by the entity each is an id of.
NAMED = {
    Entity.PLACEMENT: "external_id",
    Entity.CANDIDATE: "person_external_id",
    Entity.JOB: "job_external_id",
    Entity.COMPANY: "company_external_id",
    Entity.CONTACT: "contact_external_id",
}


def _lookups(ctx: Context, rows: list[Row]) -> _Lookups:
    known = ctx.known_refs({entity: [r.get(name) for r in rows] for entity, name in NAMED.items()})
    refs = known[Entity.PLACEMENT]
    people, companies, contacts = (
        {ext: ref.object_id for ext, ref in known[entity].items()}
        for entity in (Entity.CANDIDATE, Entity.COMPANY, Entity.CONTACT)
    )
    jobs = {ext: ref.data for ext, ref in known[Entity.JOB].items()}
    by_email = people_by_email(rows)
    person_ids = {*people.values(), *by_email.values(), *contacts.values()}
    person_ids |= {j["contact_id"] for j in jobs.values() if j.get("contact_id")}
    company_ids = set(companies.values())
    company_ids |= {j["company_id"] for j in jobs.values() if j.get("company_id")}
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
        persons=by_ids(Person.objects.all(), person_ids),
        firms=by_ids(Company.objects.all(), company_ids),
        # Person and company come along: each row's report line names them.
        placed=by_ids(
            Placement.objects.select_related("person", "company"),
            [r.object_id for r in refs.values()],
        ),
        twins=twins,
    )


def import_placements(ctx: Context, entity: str, rows: list[Row]) -> None:
    """Known placements are updated or left alone; new ones are made together through
    create_placements, then endings recorded. An imported placement's care plan starts
    from the import: the steps still ahead are laid out, the ones already past are not."""
    found = _lookups(ctx, rows)
    new: list[tuple[Row, NewPlacement]] = []
    repeats = Repeats(ctx, entity)
    for row in rows:
        # A Bullhorn placement row has no title of its own: its job order's names it.
        job = found.jobs.get(row.get("job_external_id"))
        label = row.get("role_title") or (job.get("title", "") if job else "")
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
    updated, merged with a placement already in Keepwarm). Raises Rejected.

    A row imported before goes to its placement; any other is read into a draft, matched
    against the placements its person already has, and a draft with no twin is returned
    for import_placements to write with the rest of the batch."""
    ref = found.refs.get(row.get("external_id")) if row.get("external_id") else None
    known = found.placed.get(ref.object_id) if ref else None
    if ref is not None and known is not None:
        _apply_to_known(ctx, entity, row, ref, known)
        return None
    draft = _read_placement(ctx, row, found)
    if _settled_by_twin(ctx, entity, row, draft, found):
        return None
    return NewPlacement(
        person=draft.person,
        company=draft.company,
        owner=ctx.user(draft.owner_id),
        role_title=draft.role_title,
        start_date=draft.start,
        fields=draft.fields,
    )


def _apply_to_known(
    ctx: Context, entity: str, row: Row, ref: ExternalRef, known: Placement
) -> None:
    """A row imported before: unchanged, applied to its placement, or reported as a
    conflict when the placement was edited in Keepwarm since (nothing is overwritten)."""
    target = f"placement:{known.pk}"
    if ref.fingerprint == row.fingerprint:
        ctx.record(
            entity, row, Outcome.UNCHANGED, label=str(known), reason="imported before",
            target=target,
        )  # fmt: skip
        return
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


@dataclass
class _Draft:
    """A new placement row, read and checked, not yet matched or written."""

    person: Person
    company: Company
    role_title: str
    start: dt.date
    fields: dict[str, Any]
    owner_id: int


def _read_placement(ctx: Context, row: Row, found: _Lookups) -> _Draft:
    """The row's placement as a draft. Raises Rejected with the first fault met, in the
    order the report has always named them: candidate, job order, client, title, dates,
    money, guarantee."""
    person = _candidate(row, found)
    job_data = _job_data(row, found)
    company = _client(ctx, row, found, job_data)
    role_title = (row.get("role_title") or job_data.get("title") or "")[:200]
    if not role_title:
        raise Rejected("no job title")
    start, end = _period(ctx, row)
    fields = _terms(row, job_data, found, end=end)
    owner_id = (
        ctx.owner_id(row.get("owner")) or job_data.get("owner_id") or person.owner_id or ctx.by.pk
    )
    return _Draft(person, company, role_title, start, fields, owner_id)


def _candidate(row: Row, found: _Lookups) -> Person:
    person_id = found.people.get(row.get("person_external_id")) or found.by_email.get(
        row.get("person_email").lower()
    )
    person = found.persons.get(person_id) if person_id else None
    if person is None:
        which = row.get("person_external_id") or row.get("person_email") or "(none given)"
        raise Rejected(f"candidate {which} not found in this import or an earlier one")
    return person


def _job_data(row: Row, found: _Lookups) -> dict[str, Any]:
    """What the row's job order told us (title, client, contact, owner, kind); {} when
    the row names none."""
    job = found.jobs.get(row.get("job_external_id"))
    if row.get("job_external_id") and job is None:
        raise Rejected(f"job order {row.get('job_external_id')!r} not found")
    return job or {}


def _client(ctx: Context, row: Row, found: _Lookups, job_data: dict[str, Any]) -> Company:
    company_id = found.companies.get(row.get("company_external_id")) or job_data.get("company_id")
    if company_id is None and row.get("company_name"):
        company_id = company_named(ctx, row.get("company_name"))
    company = found.firms.get(company_id) if company_id else None
    if company is None and company_id:
        company = found.firms.setdefault(company_id, Company.objects.get(pk=company_id))
    if company is None:
        raise Rejected("no client company (give a job order, a company id or a company name)")
    return company


def _period(ctx: Context, row: Row) -> tuple[dt.date, dt.date | None]:
    """Start and end dates. The leaving date is checked here too, though recorded only
    once the placement exists, so a row that cannot be ended as it says is not made."""
    start = _date(ctx, row, "start_date", "start date")
    if start is None:
        raise Rejected("no start date")
    end = _date(ctx, row, "end_date", "end date")
    _date(ctx, row, "left_on", "left on")
    if end is not None and end < start:
        raise Rejected(f"ends ({end:%d %b %Y}) before it starts ({start:%d %b %Y})")
    return start, end


def _terms(
    row: Row, job_data: dict[str, Any], found: _Lookups, *, end: dt.date | None
) -> dict[str, Any]:
    """The placement's other fields: money, guarantee, kind, end date, hiring manager."""
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
    return fields


def _settled_by_twin(ctx: Context, entity: str, row: Row, draft: _Draft, found: _Lookups) -> bool:
    """Whether the row's person already has a placement at that client starting that day,
    in Keepwarm or from an earlier row: then the row makes none, and one with an external
    id is tied to the placement already there."""
    twin = found.twins.get((draft.person.pk, draft.company.pk, draft.start))
    if twin is None:
        return False
    reason = "this person already has a placement there starting that day"
    if not twin:
        ctx.record(entity, row, Outcome.UNCHANGED, reason=f"{reason} (an earlier row)")
        return True
    ext = row.get("external_id")
    if ext:
        version = Placement.objects.values_list("version", flat=True).get(pk=twin)
        ExternalRef.objects.create(
            source=ctx.source, entity=entity, external_id=ext, object_id=twin,
            fingerprint=row.fingerprint, first_run=ctx.run, data={"version": version},
        )  # fmt: skip
    outcome = Outcome.MERGED if ext else Outcome.UNCHANGED
    ctx.record(
        entity, row, outcome, label=draft.role_title, reason=reason, target=f"placement:{twin}"
    )
    return True


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
