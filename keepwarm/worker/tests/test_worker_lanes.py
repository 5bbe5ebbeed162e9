"""Lanes: a mail worker sends while a jobs worker runs an import, and neither waits for
the other (`keepwarm worker --lane mail|jobs|all`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from keepwarm.conftest import Cast, SmtpSink
from keepwarm.imports import services as imports
from keepwarm.imports.fields import guess_mapping
from keepwarm.imports.models import Entity, ImportRun
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.tests.factories import at, queue_plain
from keepwarm.ops.models import WorkerTick
from keepwarm.worker.tests.processes import require_postgresql, wait_for, worker_env, workers
from keepwarm.worker.tick import JOB_STEPS, STEPS, tick

NOW = at("2026-03-09T09:05+00:00")
HEADERS = ["Forename", "Surname", "E-mail address"]
# Long enough to be still running after the sends, on a busy machine too.
ROWS = 12_000


def queue_candidates_import(cast: Cast, folder: Path, *, rows: int) -> ImportRun:
    """An import of `rows` new candidates, uploaded and waiting for a worker."""
    lines = [",".join(HEADERS)] + [f"Cara,Number{n},cara{n}@example.org" for n in range(rows)]
    stored = imports.store_upload("candidates.csv", iter(["\r\n".join(lines).encode()]))
    spec = {"entity": Entity.CANDIDATE, "path": str(stored), "name": stored.name}
    return imports.start_import(
        source="csv",
        files=[spec],
        by=cast.manager,
        dry_run=False,
        mapping=guess_mapping(Entity.CANDIDATE, HEADERS),
    )


@pytest.mark.django_db
def test_each_step_belongs_to_exactly_one_lane_besides_all() -> None:
    assert set(STEPS) > JOB_STEPS
    assert {"imports", "webhooks", "daily:risk"} <= JOB_STEPS
    assert "send" not in JOB_STEPS and "check-ins" not in JOB_STEPS


@pytest.mark.django_db
def test_a_mail_worker_sends_and_leaves_the_import_to_a_jobs_worker(
    cast: Cast, smtp_server: SmtpSink, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    run = queue_candidates_import(cast, tmp_path, rows=3)
    queue_plain(1, send_after=NOW)

    mail = tick(now=NOW, worker_id="mail-1", lane="mail")
    assert mail.mail.sent == 1
    assert "imports" not in mail.ran and "send" in mail.ran
    run.refresh_from_db()
    assert run.state == ImportRun.State.QUEUED  # left to the jobs lane

    queue_plain(2, send_after=NOW)
    jobs = tick(now=NOW, worker_id="jobs-1", lane="jobs")
    assert "imports" in jobs.ran and "send" not in jobs.ran
    run.refresh_from_db()
    assert run.state == ImportRun.State.DONE
    assert len(smtp_server.messages) == 1  # the jobs worker sent nothing
    assert OutboxMessage.objects.get(key="test:2").state == OutboxMessage.State.PENDING
    assert "(jobs lane)" in jobs.summary()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_mail_queued_during_a_long_import_goes_out_at_once(
    cast: Cast, smtp_server: SmtpSink, settings: Any, tmp_path: Path
) -> None:
    require_postgresql()
    settings.DATA_DIR = tmp_path
    run = queue_candidates_import(cast, tmp_path, rows=ROWS)
    env = worker_env(tmp_path, smtp_server)

    def import_state() -> str:
        return str(ImportRun.objects.get(pk=run.pk).state)

    with workers(env, tmp_path) as running:
        running.start("--lane", "mail", "--interval", "0.2")
        wait_for(WorkerTick.objects.exists, seconds=60, what="the mail worker's first tick")
        jobs = running.start("--once", "--lane", "jobs")
        wait_for(lambda: import_state() != ImportRun.State.QUEUED, seconds=60, what="the import")
        # While the import runs, mail queued now goes out on the mail worker's next tick.
        now = timezone.now() - dt.timedelta(seconds=1)
        for n in range(5):
            queue_plain(n, send_after=now)
        took = wait_for(lambda: len(smtp_server.messages) == 5, seconds=30, what="the sends")
        assert import_state() == ImportRun.State.RUNNING, "the import ended first: make it longer"
        assert jobs.wait(timeout=300) == 0, running.output()
        running.stop_all()
    run.refresh_from_db()
    assert run.state == ImportRun.State.DONE and run.created == ROWS
    print(f"\n5 messages queued during a {ROWS:,}-row import were all sent within {took:.2f} s")
