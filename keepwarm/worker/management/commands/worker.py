"""`keepwarm worker`: send due check-ins and move placements along, every 30 seconds."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from keepwarm.imports.services import import_waiting, run_next_import
from keepwarm.lib.dates import agency_zone
from keepwarm.mail.services.outbox import default_worker_id
from keepwarm.worker.tick import ALL, LANES, steps_outside, tick

logger = logging.getLogger("keepwarm.worker")

# How often the worker looks for a newly uploaded import between its ticks. Left to the
# next tick, checking a 5-row file took 16-26 s of waiting for well under a second of work.
IMPORT_POLL = 1.0


def parse_now(value: str) -> dt.datetime:
    """ISO 8601 with or without an offset; a naive time is on the agency's clock."""
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(
            f"--now must be an ISO 8601 date and time such as 2026-03-02T09:05 or "
            f"2026-03-02T09:05:00+00:00; got {value!r}"
        ) from None
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=agency_zone())
    return parsed.astimezone(dt.UTC)


class Command(BaseCommand):
    help = (
        "Run the background worker: send due check-in emails and move placements along. "
        "Runs until stopped (SIGTERM or Ctrl-C) unless --once is given."
    )
    # A worker restarted after a crash is back in a second, not after importing every
    # page and the API for the system checks; `keepwarm migrate` runs them each release.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run one tick and exit.")
        parser.add_argument(
            "--now",
            metavar="ISO-8601",
            help=(
                "Run one tick as of this moment, e.g. 2026-03-02T09:05 (the agency's time "
                "zone) or 2026-03-02T09:05+00:00. Implies --once."
            ),
        )
        parser.add_argument(
            "--lane",
            choices=LANES,
            default=ALL,
            help=(
                "Which work this worker does: mail (send and queue email), jobs (imports, "
                "webhooks, the once-a-day jobs) or all (default, for one small install). "
                "On PostgreSQL, run mail and jobs workers apart so sending never waits."
            ),
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=30.0,
            help="Seconds between ticks (default 30).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = parse_now(options["now"]) if options["now"] else None
        interval = options["interval"]
        if interval <= 0:
            raise CommandError("--interval must be a positive number of seconds")
        worker_id = default_worker_id()
        lane = options["lane"]
        if options["once"] or now is not None:
            self._tick(now=now, worker_id=worker_id, lane=lane)
            return

        stop = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            self.stdout.write(f"Stopping after this tick ({signal.Signals(signum).name}).")
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        self.stdout.write(f"Worker {worker_id} started ({lane} lane); a tick every {interval:g} s.")
        while not stop.is_set():
            close_old_connections()
            try:
                self._tick(now=None, worker_id=worker_id, lane=lane)
            except Exception:
                # One bad tick (database restarting, a bug in one row) must not stop
                # the emails of everyone else; the next tick tries again.
                logger.exception("Tick failed; trying again in %g s", interval)
            _between_ticks(stop, interval, imports="imports" not in steps_outside(lane))
        self.stdout.write("Worker stopped.")

    def _tick(self, *, now: dt.datetime | None, worker_id: str, lane: str) -> None:
        report = tick(now=now, worker_id=worker_id, lane=lane)
        self.stdout.write(report.summary())
        self.stdout.flush()


def _between_ticks(stop: threading.Event, interval: float, *, imports: bool) -> None:
    """Wait for the next tick, starting any import someone queues meanwhile at once, if
    imports are this worker's lane's (a mail worker must never be held up by one)."""
    if not imports:
        stop.wait(interval)
        return
    deadline = time.monotonic() + interval
    while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
        if stop.wait(min(IMPORT_POLL, left)):
            return
        try:
            if import_waiting():
                run_next_import()
        except Exception:
            # The database may be restarting; the tick retries and reports it.
            logger.exception("Starting a queued import failed; the next tick tries again")
            close_old_connections()
