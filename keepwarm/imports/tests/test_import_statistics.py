"""A long import keeps PostgreSQL planning its lookups with the rows it has written.

Autovacuum cannot see an import's uncommitted rows, so without the import's own ANALYZE a
table it filled still looks empty (or unknown) to the planner, and every email, phone and
external-id lookup against it turns into a full scan: an import slowing down as it goes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from keepwarm.conftest import Cast
from keepwarm.imports import services
from keepwarm.imports.models import ImportRun, Source
from keepwarm.imports.tests.conftest import NOW
from keepwarm.people.models import Person

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner"),
]


def _planner_row_estimate(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return float(cursor.fetchone()[0])


def test_the_planner_counts_the_people_an_import_is_still_writing(
    cast: Cast, bullhorn_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Batches of two and a first refresh after two rows stand in for a 100k-row file.
    monkeypatch.setattr(services, "BATCH", 2)
    monkeypatch.setattr(services, "ANALYZE_FROM", 2)
    table = Person._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")  # statistics as of before the import
    before = _planner_row_estimate(table)
    files, _ = services.bullhorn_files(sorted(bullhorn_dir.iterdir()))
    run = services.start_import(source=Source.BULLHORN, files=files, by=None, dry_run=False)
    run = services.run_now(run, now=NOW)
    assert run.state == ImportRun.State.DONE, run.error
    # The rows exist only inside this test's transaction, yet the planner knows of them.
    assert _planner_row_estimate(table) > before
