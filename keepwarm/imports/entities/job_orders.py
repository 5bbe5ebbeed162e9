"""Job orders from the other system, each a vacancy in Keepwarm; placements read their
refs for what a placement row leaves out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keepwarm.imports.entities.rows import Context, Outcome, Repeats, Row, company_named
from keepwarm.imports.models import Entity, ExternalRef, Source
from keepwarm.imports.vacancies import describe, vacancy_values
from keepwarm.lib.bulk import insert_objects, insert_rows, update_objects
from keepwarm.network.models import Vacancy

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
    repeats = Repeats(ctx, entity)
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
            company_id = company_named(ctx, row.get("company_name"))
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
