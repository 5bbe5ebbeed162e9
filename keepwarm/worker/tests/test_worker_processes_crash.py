"""Workers killed with `kill -9` mid-send on PostgreSQL: no duplicate, nothing lost,
nothing to a suppressed address.

Three real `keepwarm worker` processes share the test's PostgreSQL database and send to a
real SMTP server on loopback that takes its time over each message, so a kill lands while
a worker holds claimed rows. Two are killed, two new ones take their place, and once the
lease has passed a tick settles what the dead left behind.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest
from django.utils import timezone

from keepwarm.conftest import SmtpSink
from keepwarm.mail.models import OutboxMessage, Suppression
from keepwarm.mail.services.sending import CLAIM_BATCH
from keepwarm.mail.suppressions import suppress
from keepwarm.worker.tests.processes import (
    keepwarm,
    queue_backlog,
    require_postgresql,
    wait_for,
    worker_env,
    workers,
)

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

State = OutboxMessage.State
MESSAGES = 240
# Every sixth address unsubscribed (a hard bounce) after its message was queued.
SUPPRESSED = range(0, MESSAGES, 6)


def claimed_mid_send() -> Counter[str]:
    """Rows a worker has claimed and not yet settled, by the worker holding them."""
    return Counter(
        OutboxMessage.objects.filter(state=State.SENDING).values_list("claimed_by", flat=True)
    )


def pid_of(worker_id: str) -> int:
    return int(worker_id.rpartition(":")[2])


def test_kill_9_of_worker_processes_mid_send_loses_and_duplicates_nothing(
    smtp_server: SmtpSink, tmp_path: Path
) -> None:
    require_postgresql()
    queue_backlog(MESSAGES)
    for n in SUPPRESSED:
        suppress(f"person{n}@example.net", reason=Suppression.Reason.HARD_BOUNCE)
    smtp_server.delay = 0.03  # a server that takes its time: kills land mid-batch
    env = worker_env(tmp_path, smtp_server)

    with workers(env, tmp_path) as running:
        for _ in range(3):
            running.start("--lane", "mail", "--interval", "0.2")
        wait_for(lambda: len(smtp_server.messages) >= 30, seconds=60, what="the first sends")
        # Kill -9 two workers that hold claimed rows at this moment: mid-send.
        victims = [
            worker_id
            for worker_id, _ in claimed_mid_send().most_common()
            if pid_of(worker_id) in running.running
        ][:2]
        assert victims, "no worker was mid-send"
        for worker_id in victims:
            running.kill_9(pid_of(worker_id))
        left_sending = claimed_mid_send()
        caught = sum(left_sending[worker_id] for worker_id in victims)
        assert caught > 0  # the dead really held rows when they died
        # Restart: two new workers take the dead ones' place.
        for _ in range(2):
            running.start("--lane", "mail", "--interval", "0.2")
        wait_for(
            lambda: (
                not OutboxMessage.objects.filter(state=State.PENDING).exists()
                and set(claimed_mid_send()) <= set(victims)
            ),
            seconds=90,
            what="the survivors to send everything else",
        )
        running.stop_all()
        output = running.output()
    assert "Traceback" not in output, output

    # Within their lease the dead workers' rows are left alone; after it, a tick marks them
    # "unknown" for a person to settle, and sends none of them again.
    later = (timezone.now() + dt.timedelta(minutes=11)).isoformat()
    result = keepwarm(env, "worker", "--once", "--lane", "mail", "--now", later)
    assert re.search(r"caught mid-send (\d+)", result.stdout)[1] == str(caught)  # type: ignore[index]

    received = Counter(smtp_server.message_ids())
    states = dict(OutboxMessage.objects.values_list("message_id", "state"))
    to_email = dict(OutboxMessage.objects.values_list("message_id", "to_email"))
    unknown = {mid for mid, state in states.items() if state == State.UNKNOWN}
    suppressed = {f"person{n}@example.net" for n in SUPPRESSED}
    # No duplicates: the server has each message at most once.
    assert max(received.values()) == 1
    # Nothing sent to a suppressed address.
    assert not {to_email[mid] for mid in received} & suppressed
    # Nothing lost: every message to a working address reached the server, or waits on
    # the Sent mail page as "unknown" (the dead workers' batches, at most one each).
    deliverable = {mid for mid, email in to_email.items() if email not in suppressed}
    assert deliverable <= set(received) | unknown
    assert len(unknown) == caught <= len(victims) * CLAIM_BATCH
    # And the outbox tells the truth: "sent" only for what the server has.
    sent = {mid for mid, state in states.items() if state == State.SENT}
    assert sent <= set(received)
    assert set(received) <= sent | unknown
    assert Counter(states.values()) == {
        State.SENT: len(sent),
        State.UNKNOWN: len(unknown),
        State.CANCELLED: MESSAGES - len(sent) - len(unknown),
    }
    print(  # the figures, with pytest -s
        f"\n{MESSAGES} queued, {len(SUPPRESSED)} suppressed, {len(victims)} workers killed "
        f"mid-send: {len(received)} received once each, {len(sent)} sent, {len(unknown)} "
        f"unknown ({len(unknown & set(received))} of them had reached the server), "
        "0 duplicates, 0 to suppressed addresses"
    )
