"""A 5,000-recipient newsletter survives `kill -9` of its worker, several times.

Like keepwarm/worker/tests/test_worker_crash.py, the worker is a real `keepwarm worker
--once` process on its own SQLite file, killed at random moments while it queues and
sends. Afterwards: no Message-ID twice at the server, every recipient sent or "unknown"
(caught mid-send, for a person to check), and nothing to a suppressed address.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from keepwarm.conftest import SmtpSink
from keepwarm.mail.models import email_hash
from keepwarm.mail.services.sending import CLAIM_BATCH

RECIPIENTS = 5000
SUPPRESSED = 25
NOW = "2026-06-10T08:30:00+00:00"
LATER = "2026-06-10T08:45:00+00:00"  # past the outbox's 10-minute lease
SEED = f"""
import datetime as dt
from keepwarm.newsletters.models import Audience, Newsletter
from keepwarm.newsletters.services import add_block, create_issue, schedule_issue
from keepwarm.people.models import Consent, Person
now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
Person.objects.bulk_create(
    Person(first_name=f"P{{i}}", last_name="Test", email=f"p{{i}}@example.net")
    for i in range({RECIPIENTS})
)
Consent.objects.bulk_create(
    Consent(person=p, basis="consent", subscriber_type="individual", given_at=now,
            method="form", wording="Yes please")
    for p in Person.objects.all()
)
audience = Audience.objects.create(name="All")
newsletter = Newsletter.objects.create(name="Monthly", from_name="Agency", audience=audience,
                                       postal_address="1 High St")
issue = create_issue(newsletter=newsletter, subject="June", by=None)
add_block(issue=issue, kind="cv_tips", title="Tips", body="Keep it short. [Guide](https://a.example/g)")
schedule_issue(issue=issue, when=dt.datetime(2026, 6, 10, 8, 30, tzinfo=dt.UTC), now=now)
"""


def keepwarm(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "keepwarm.cli", *args],
        env=env, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip


@pytest.fixture
def worker_env(tmp_path: Path, smtp_server: SmtpSink) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEEPWARM_", "DJANGO_"))}
    env.update(
        KEEPWARM_DATA_DIR=str(tmp_path),
        KEEPWARM_DATABASE_URL=f"sqlite:///{tmp_path / 'keepwarm.sqlite3'}",
        KEEPWARM_EMAIL_URL=f"{smtp_server.url}?timeout=60",
    )
    keepwarm(env, "migrate", "--noinput")
    keepwarm(env, "shell", "-c", SEED)
    return env


def suppress(database: Path, emails: set[str]) -> None:
    """Unsubscribe at the provider while no worker runs (as a webhook would record it)."""
    with sqlite3.connect(database) as db:
        db.executemany(
            "INSERT INTO mail_suppression (email_hash, email, reason, detail, created_at) "
            "VALUES (?, ?, 'unsubscribe', '', '2026-06-10 08:30:00')",
            [(email_hash(email), email) for email in emails],
        )


def rows(database: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(database) as db:
        return db.execute(
            "SELECT state, message_id, to_email FROM mail_outboxmessage "
            "WHERE key LIKE 'newsletter:%'"
        ).fetchall()


def test_kill_9_during_a_5000_recipient_send(
    tmp_path: Path, smtp_server: SmtpSink, worker_env: dict[str, str]
) -> None:
    database = tmp_path / "keepwarm.sqlite3"
    rng = random.Random(4)
    kills = 0
    suppressed = {f"p{i}@example.net" for i in range(0, RECIPIENTS, RECIPIENTS // SUPPRESSED)}
    before_suppression: set[str] = set()
    arrived_before = 0
    for round_ in range(5):
        worker = subprocess.Popen(
            [sys.executable, "-m", "keepwarm.cli", "worker", "--once", "--now", NOW],
            env=worker_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(rng.uniform(1.5, 5.0))
        if worker.poll() is None:
            worker.send_signal(signal.SIGKILL)
            kills += 1
        worker.wait(timeout=60)
        if round_ == 0:
            arrived_before = len(smtp_server.messages)
            before_suppression = {str(m["To"]) for m in smtp_server.messages}
            suppress(database, suppressed)
    assert kills >= 3, "the send finished before the worker could be killed"
    # After the lease, rows caught mid-send become "unknown"; the rest goes out.
    keepwarm(worker_env, "worker", "--once", "--now", LATER)
    keepwarm(worker_env, "worker", "--once", "--now", LATER)

    outbox = rows(database)
    states = Counter(state for state, _, _ in outbox)
    received = smtp_server.message_ids()
    assert len(received) == len(set(received)), "a Message-ID arrived twice"
    by_address = Counter(to for _, _, to in outbox)
    assert max(by_address.values()) == 1  # one row per recipient, however often queued
    assert states["pending"] == 0 and states["sending"] == 0 and states["failed"] == 0
    # A killed worker leaves its claimed batch "sending"; after the lease those become
    # "unknown" for a person to settle, whether or not each one reached the server.
    assert states["unknown"] <= kills * CLAIM_BATCH
    # None lost: everyone not suppressed was sent, or caught mid-send for a person to check.
    done = {to for state, _, to in outbox if state in ("sent", "unknown")}
    expected = {f"p{i}@example.net" for i in range(RECIPIENTS)} - suppressed
    assert expected <= done
    # Nothing reached a suppressed address once it was suppressed.
    arrived_after = {str(m["To"]) for m in smtp_server.messages[arrived_before:]}
    assert not arrived_after & suppressed, "a copy reached a suppressed address"
    # Their rows: cancelled at send time, never queued, sent before it happened, or caught
    # mid-send by the first kill (claimed before the suppression; a person checks them).
    late = {
        to for state, _, to in outbox if to in suppressed and state not in ("cancelled", "unknown")
    }
    assert late <= before_suppression
    sent_ids = {mid for state, mid, _ in outbox if state == "sent"}
    unknown_ids = {mid for state, mid, _ in outbox if state == "unknown"}
    assert sent_ids <= set(received)
    assert set(received) <= sent_ids | unknown_ids
    to = {str(m["To"]) for m in smtp_server.messages}
    assert to & suppressed <= before_suppression
