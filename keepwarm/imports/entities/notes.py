"""Notes about people: each note once (known by its external id, or by its content when
it has none), attached to the candidate or contact it names."""

from __future__ import annotations

from keepwarm.imports.entities.rows import Context, Outcome, Row, people_by_email
from keepwarm.imports.models import Entity, ExternalRef
from keepwarm.lib.bulk import insert_rows
from keepwarm.people.models import Note


def import_notes(ctx: Context, entity: str, rows: list[Row]) -> None:
    ids = [r.get("external_id") or f"row:{r.fingerprint}" for r in rows]
    # Notes already imported (this run included) -> the person they are about.
    about = {ext: ref.data.get("person_id") for ext, ref in ctx.refs(entity, ids).items()}
    candidates = ctx.ref_ids(Entity.CANDIDATE, [r.get("person_external_id") for r in rows])
    contacts = ctx.ref_ids(Entity.CONTACT, [r.get("contact_external_id") for r in rows])
    by_email = people_by_email(rows)
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
