"""An uploaded import is checked within a second, not at the worker's next tick."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from keepwarm.conftest import Cast
from keepwarm.imports import services
from keepwarm.imports.models import Entity, ImportRun
from keepwarm.worker.management.commands.worker import IMPORT_POLL, _between_ticks

FIVE_ROWS = "First name,Last name,Email\n" + "".join(
    f"Ann{i},Lee,ann{i}@example.org\n" for i in range(5)
)


def _queued_check(cast: Cast) -> ImportRun:
    stored = services.store_upload("people.csv", iter([FIVE_ROWS.encode()]))
    spec = {"entity": Entity.CANDIDATE, "path": str(stored), "name": stored.name}
    mapping = {"First name": "first_name", "Last name": "last_name", "Email": "email"}
    return services.start_import(
        source="csv", files=[spec], by=cast.manager, dry_run=True, mapping=mapping
    )


def test_a_queued_check_runs_while_the_worker_waits_for_its_next_tick(
    cast: Cast, tmp_path: Path, settings: Any
) -> None:
    settings.DATA_DIR = tmp_path
    run = _queued_check(cast)
    stop = threading.Event()

    started = time.monotonic()
    # The worker's wait between two 30-second ticks, cut short once the check is done.
    threading.Timer(IMPORT_POLL * 3, stop.set).start()
    _between_ticks(stop, 30.0, imports=True)

    assert time.monotonic() - started < 10
    run.refresh_from_db()
    assert run.state == ImportRun.State.DONE
    assert run.created == 5


def test_a_mail_lane_worker_leaves_a_queued_import_to_the_jobs_lane(
    cast: Cast, tmp_path: Path, settings: Any
) -> None:
    settings.DATA_DIR = tmp_path
    run = _queued_check(cast)

    _between_ticks(threading.Event(), IMPORT_POLL * 3, imports=False)

    run.refresh_from_db()
    assert run.state == ImportRun.State.QUEUED
