"""Real `keepwarm worker` processes against the test's PostgreSQL database.

Several workers on several machines share one PostgreSQL: these tests run them as separate
processes, as in production, not as threads of the test. They see what the test wrote
because the test commits it (`django_db(transaction=True)`), and they find the test
database by its name (Django's `test_` prefix), which the test's own connection knows.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from keepwarm.conftest import SmtpSink
from keepwarm.mail.tests.factories import queue_plain


def require_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("several worker processes share a server database (PostgreSQL)")


def shared_database_url() -> str:
    """The test database as a KEEPWARM_DATABASE_URL, for a child process."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{quote(db['NAME'], safe='')}"


def child_env(
    data_dir: Path, *, database_url: str, smtp: SmtpSink, **settings: str
) -> dict[str, str]:
    """The test's environment less its Keepwarm settings, pointed at `database_url`, the
    loopback SMTP server and a data folder of its own."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("KEEPWARM_", "DJANGO_"))
    }
    env.update(
        KEEPWARM_DATA_DIR=str(data_dir),
        KEEPWARM_DATABASE_URL=database_url,
        KEEPWARM_EMAIL_URL=f"{smtp.url}?timeout=60",
        **settings,
    )
    return env


def worker_env(data_dir: Path, smtp: SmtpSink, **settings: str) -> dict[str, str]:
    """For workers sharing the test's own PostgreSQL database."""
    return child_env(data_dir, database_url=shared_database_url(), smtp=smtp, **settings)


def queue_backlog(count: int) -> None:
    """`count` plain messages (factories.queue_plain), due a minute ago by the real clock."""
    due = timezone.now() - dt.timedelta(minutes=1)
    for n in range(count):
        queue_plain(n, send_after=due)


def wait_for(condition: Callable[[], bool], *, seconds: float, what: str) -> float:
    """Seconds until `condition` held; fails the test after `seconds`."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, f"gave up waiting: {what}"
        time.sleep(0.02)
    return time.monotonic() - started


def keepwarm(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run one `keepwarm` command to its end; fails the test if it fails."""
    return subprocess.run(
        [sys.executable, "-m", "keepwarm.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


class Workers:
    """The worker processes a test started; each one's output goes to a file of its own."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.running: dict[int, subprocess.Popen[bytes]] = {}
        self.started = 0

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        self.started += 1
        with open(self.logs / f"worker-{self.started}.log", "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "keepwarm.cli", "worker", *args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.running[process.pid] = process
        return process

    def kill_9(self, pid: int) -> None:
        """As a power cut or the OOM killer would: no chance to finish or clean up."""
        process = self.running.pop(pid)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        """SIGTERM, as systemd and Docker stop a worker: it finishes its tick."""
        for process in self.running.values():
            process.send_signal(signal.SIGTERM)
        for pid, process in list(self.running.items()):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            del self.running[pid]

    def output(self) -> str:
        return "\n".join(path.read_text() for path in sorted(self.logs.glob("worker-*.log")))


@contextmanager
def workers(env: dict[str, str], logs: Path) -> Iterator[Workers]:
    """Workers that are all stopped at the end, whatever the test did, so none still holds
    a connection when the test database is emptied for the next test."""
    started = Workers(env, logs)
    try:
        yield started
    finally:
        for process in started.running.values():
            process.kill()
            process.wait()
