"""Companies: known by external id (changed ones updated), else by name (merged), else
created with the owner, learnt notes and guarantee terms the row gives."""

from __future__ import annotations

import re
from typing import Any

from keepwarm.audit.models import AuditEntry
from keepwarm.audit.recording import (
    Entry,
    changes_from,
    created_changes,
    entry_for,
    record_entries,
    tracked_values,
)
from keepwarm.imports.entities.rows import Context, Outcome, Repeats, Row
from keepwarm.imports.fields import checked_phone, parse_days
from keepwarm.imports.models import ExternalRef
from keepwarm.lib.bulk import insert_rows
from keepwarm.people.models import Company


def import_companies(ctx: Context, entity: str, rows: list[Row]) -> None:
    refs = ctx.refs(entity, [r.get("external_id") for r in rows])
    known = Company.objects.in_bulk([r.object_id for r in refs.values()])
    repeats = Repeats(ctx, entity)
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
        values, warnings = _company_values(row, name)
        owner = ctx.owner_id(row.get("owner"))
        ref = refs.get(ext) if ext else None
        company = known.get(ref.object_id) if ref else None
        if ref is not None and company is not None:
            if changes := _update_company(ctx, entity, row, ref, company, values, warnings):
                changed.append(entry_for(company, changes=changes))
            continue
        pk = ctx.company_by_name(name)
        if pk is not None:
            outcome, why = Outcome.MERGED, "a company with this name is already in Keepwarm"
        else:
            company = Company.objects.create(owner_id=owner, learnt=row.get("learnt"), **values)
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


def _company_values(row: Row, name: str) -> tuple[dict[str, Any], list[str]]:
    """The company's fields and terms from the row, and warnings about values left out."""
    warnings: list[str] = []
    values: dict[str, Any] = {k: row.get(k)[:100] for k in ("sector", "location")}
    values["phone"] = checked_phone(row.get("phone"), warnings)
    values["name"] = name
    website = row.get("website")
    if website and not re.match(r"^https?://", website):
        website = f"https://{website}"
    values["website"] = website[:200]
    values["email"] = row.get("email")[:254]
    if row.get("guarantee_length"):
        try:
            values["guarantee_length"] = parse_days(row.get("guarantee_length"))
        except ValueError as exc:
            warnings.append(f"{exc}; the default guarantee applies")
    return values, warnings


def _update_company(
    ctx: Context,
    entity: str,
    row: Row,
    ref: ExternalRef,
    company: Company,
    values: dict[str, Any],
    warnings: list[str],
) -> dict[str, Any]:
    """A row imported before: unchanged, or what it gives written over the company.
    Returns what changed, for the audit trail."""
    name, target = values["name"], f"company:{company.pk}"
    if ref.fingerprint == row.fingerprint:
        reason = "imported before"
        ctx.record(entity, row, Outcome.UNCHANGED, label=name, reason=reason, target=target)
        return {}
    before = tracked_values(company)
    for key, value in values.items():
        if value:
            setattr(company, key, value)
    company.save()
    changes = changes_from(before, company)
    ref.fingerprint = row.fingerprint
    ref.save(update_fields=["fingerprint"])
    reason = "; ".join(["changed since the last import", *warnings])
    ctx.record(entity, row, Outcome.UPDATED, label=name, reason=reason, target=target)
    return changes
