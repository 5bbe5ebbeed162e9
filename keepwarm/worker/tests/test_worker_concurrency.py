"""Several workers sharing one PostgreSQL database never send a check-in twice."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection

from keepwarm.care.models import Kind, Touchpoint
from keepwarm.conftest import Cast, SmtpSink
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.services.sending import send_pending
from keepwarm.mail.tests.factories import at, queue_plain
from keepwarm.worker.tick import tick

NOW = at("2026-03-09T09:05+00:00")


@pytest.fixture
def postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("several workers need a shared server database (PostgreSQL)")


def run_at_once(workers: int, work: Callable[[str], object]) -> None:
    """Run `work` in threads, each with its own database connection, released together."""
    start = threading.Barrier(workers)
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            start.wait()
            work(name)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("workers", [2, 4])
def test_concurrent_ticks_send_each_check_in_once(
    postgres_only: None, cast: Cast, smtp_server: SmtpSink, workers: int
) -> None:
    Touchpoint.objects.bulk_create(
        Touchpoint(
            person=cast.candidate,
            placement=cast.placement,
            kind=Kind.EMAIL,
            title=f"Check-in {n}",
            due_on=dt.date(2026, 3, 9) - dt.timedelta(days=n % 5),
            owner=cast.owner,
            email_subject=f"Check-in {n}",
        )
        for n in range(120)
    )

    run_at_once(workers, lambda name: tick(now=NOW, worker_id=name))

    subjects = Counter(str(m["Subject"]) for m in smtp_server.messages)
    assert len(subjects) == 120
    assert max(subjects.values()) == 1
    assert OutboxMessage.objects.filter(state="sent").count() == 120
    assert not Touchpoint.objects.filter(state="planned").exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_share_out_the_outbox_without_duplicates(
    postgres_only: None, cast: Cast, smtp_server: SmtpSink
) -> None:
    for n in range(300):
        queue_plain(n, send_after=NOW)

    for _ in range(3):
        run_at_once(4, lambda name: send_pending(now=NOW, worker_id=name, limit=1000))

    ids = Counter(smtp_server.message_ids())
    assert len(ids) == 300
    assert max(ids.values()) == 1
    claimed_by = Counter(OutboxMessage.objects.values_list("claimed_by", flat=True))
    assert sum(claimed_by.values()) == 300
    assert len(claimed_by) > 1  # the work really was shared
