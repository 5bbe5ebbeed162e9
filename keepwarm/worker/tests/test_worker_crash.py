"""`kill -9` of a worker mid-send leaves no duplicate and no lost message.

The worker runs as a real `keepwarm worker --once` process against its own SQLite file
(the in-memory test database cannot be shared with a child process), so this test runs
the same way in the SQLite and the PostgreSQL CI runs.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from keepwarm.conftest import SmtpSink
from keepwarm.worker.tests.processes import child_env, keepwarm

NOW = "2026-03-09T09:05:00+00:00"
SEED = """
import datetime as dt
from keepwarm.accounts.models import User
from keepwarm.care.models import Touchpoint
from keepwarm.people.models import Person
owner = User.objects.create_user("olivia", email="olivia@agency.example", first_name="Olivia")
person = Person.objects.create(first_name="Priya", last_name="Patel", email="priya@example.net")
Touchpoint.objects.create(
    person=person, owner=owner, kind="email", title="Week one check-in",
    due_on=dt.date(2026, 3, 9), email_subject="How is week one going?",
)
"""


def outbox(database: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT state, message_id FROM mail_outboxmessage").fetchall()


@pytest.fixture
def worker_env(tmp_path: Path, smtp_server: SmtpSink) -> dict[str, str]:
    env = child_env(
        tmp_path,
        database_url=f"sqlite:///{tmp_path / 'keepwarm.sqlite3'}",
        smtp=smtp_server,
    )
    keepwarm(env, "migrate", "--noinput")
    keepwarm(env, "shell", "-c", SEED)
    return env


def test_kill_9_mid_send_is_reconciled_as_unknown_not_resent(
    tmp_path: Path, smtp_server: SmtpSink, worker_env: dict[str, str]
) -> None:
    database = tmp_path / "keepwarm.sqlite3"
    smtp_server.stall = True  # the server has the message but never says 250
    worker = subprocess.Popen(
        [sys.executable, "-m", "keepwarm.cli", "worker", "--once", "--now", NOW],
        env=worker_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert smtp_server.data_received.wait(timeout=60), "the worker never sent DATA"
        time.sleep(0.2)
        assert worker.poll() is None
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    smtp_server.stall = False
    [(state, message_id)] = outbox(database)
    assert state == "sending"

    # Within the lease nothing touches it; after the lease it is "unknown", never resent.
    keepwarm(worker_env, "worker", "--once", "--now", "2026-03-09T09:10:00+00:00")
    assert outbox(database) == [("sending", message_id)]
    result = keepwarm(worker_env, "worker", "--once", "--now", "2026-03-09T09:20:00+00:00")
    assert "caught mid-send 1" in result.stdout  # and that same tick sent nothing again

    assert outbox(database) == [("unknown", message_id)]
    assert smtp_server.message_ids() == [message_id]  # the one copy the server got, no more


def test_sigterm_stops_the_looping_worker_cleanly(worker_env: dict[str, str]) -> None:
    worker = subprocess.Popen(
        [sys.executable, "-m", "keepwarm.cli", "worker", "--interval", "0.2"],
        env=worker_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        lines = [worker.stdout.readline() for _ in range(3)]  # started, two ticks
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, err
    assert lines[0].startswith("Worker ")
    assert lines[1].startswith("tick ") and lines[2].startswith("tick ")
    assert "Worker stopped." in out
    assert "Traceback" not in err
