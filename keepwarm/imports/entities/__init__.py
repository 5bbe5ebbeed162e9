"""Turning batches of parsed rows into companies, people, job orders, placements and
notes, one module per kind of row, each a handler taking a batch.

Each handler looks up what it can in a few queries (known external ids, emails, phones),
then writes a batch at a time, so a 100k-row file costs a few queries per thousand rows.
What they share (the row, the run's context and report, repeats, lookups) is in rows.py.
"""

from collections.abc import Callable

from keepwarm.imports.entities.companies import import_companies
from keepwarm.imports.entities.job_orders import import_jobs
from keepwarm.imports.entities.notes import import_notes
from keepwarm.imports.entities.people import import_people
from keepwarm.imports.entities.placements import import_placements
from keepwarm.imports.entities.rows import Context, Row
from keepwarm.imports.models import Entity

HANDLERS: dict[str, Callable[[Context, str, list[Row]], None]] = {
    Entity.COMPANY: import_companies,
    Entity.CANDIDATE: import_people,
    Entity.CONTACT: import_people,
    Entity.JOB: import_jobs,
    Entity.PLACEMENT: import_placements,
    Entity.NOTE: import_notes,
}
