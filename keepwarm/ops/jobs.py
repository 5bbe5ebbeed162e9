"""Each step of the worker's tick runs on its own: a failure is recorded and retried later.

A step that raises is logged with its traceback, recorded as a JobFailure (error, traceback,
how many times in a row, when it is tried again) and skipped until its retry time, doubling
up to a cap; the other steps of the same tick still run. The first success removes the row.
The record is shared by every worker: a step that fails on one machine waits on all of them,
since the cause is nearly always in the data or a service they share.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import traceback
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import DatabaseError
from django.utils import timezone

from keepwarm.ops.models import JobFailure, WorkerTick, retry_delay

logger = logging.getLogger(__name__)

# A worker not heard of for this long was stopped or restarted (a new process, a new id).
FORGET_WORKERS_AFTER = dt.timedelta(days=7)

P = ParamSpec("P")
T = TypeVar("T")


class Steps:
    """Runs a tick's steps by name, each guarded; knows which failed and which waited."""

    def __init__(
        self, *, now: dt.datetime, worker_id: str, skip: frozenset[str] = frozenset()
    ) -> None:
        self.now = now
        self.worker_id = worker_id
        # Steps another lane's workers run (keepwarm.worker.tick.LANES).
        self.skip = skip
        self.started_at = timezone.now()
        self._clock = time.monotonic()
        # One read per tick: the failing steps are few, and a step that succeeds is only
        # written for when it had failed before.
        self.failing = {failure.name: failure for failure in JobFailure.objects.all()}
        self.ran: list[str] = []
        self.failed: list[str] = []
        self.waiting: list[str] = []

    def run(
        self, name: str, step: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T | None:
        """`step`'s result, or None when it failed, is waiting for its retry time or
        belongs to another lane."""
        if name in self.skip:
            return None
        if name in self.failed:
            return None  # failed earlier in this tick (sending runs twice)
        failure = self.failing.get(name)
        if failure is not None and failure.retry_at > self.now:
            if name not in self.waiting:
                self.waiting.append(name)
            return None
        self.ran.append(name)
        try:
            result = step(*args, **kwargs)
        except Exception as exc:
            self._failed(name, exc)
            return None
        if failure is not None:
            self._recovered(failure)
        return result

    def _recovered(self, failure: JobFailure) -> None:
        try:
            JobFailure.objects.filter(name=failure.name).delete()
        except DatabaseError:
            logger.exception("Worker step %s works again, but its record stays", failure.name)
            return
        del self.failing[failure.name]
        logger.info("Worker step %s works again after %d failures", failure.name, failure.failures)

    def _failed(self, name: str, exc: Exception) -> None:
        self.failed.append(name)
        before = self.failing.get(name)
        failures = (before.failures if before else 0) + 1
        retry_at = self.now + retry_delay(failures)
        logger.exception(
            "Worker step %s failed (%d in a row); the other steps go on, it is tried again at %s",
            name,
            failures,
            retry_at.isoformat(timespec="seconds"),
        )
        details = {
            "failures": failures,
            "last_failed_at": self.now,
            "retry_at": retry_at,
            "worker_id": self.worker_id,
            "error": f"{type(exc).__name__}: {exc}"[:500],
            "traceback": "".join(traceback.format_exception(exc)),
        }
        try:
            self.failing[name], _ = JobFailure.objects.update_or_create(
                name=name,
                defaults=details,
                create_defaults={**details, "first_failed_at": self.now},
            )
        except DatabaseError:
            # The database itself is what failed; the log line above is all there can be.
            logger.exception("Worker step %s's failure could not be recorded", name)

    def record_tick(self) -> WorkerTick:
        """This worker's row: when it last ticked, for how long, and what failed.

        A worker's id changes with its process, so rows of workers long stopped are let go.
        """
        finished_at = timezone.now()
        WorkerTick.objects.filter(finished_at__lt=finished_at - FORGET_WORKERS_AFTER).delete()
        tick, _ = WorkerTick.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={
                "started_at": self.started_at,
                "finished_at": finished_at,
                "duration_ms": round((time.monotonic() - self._clock) * 1000),
                "as_of": self.now,
                "failed": self.failed,
                "waiting": self.waiting,
            },
        )
        return tick


def retry_on_next_tick(*, failure: JobFailure, now: dt.datetime) -> None:
    """An admin fixed the cause: the next tick tries the step instead of waiting."""
    JobFailure.objects.filter(pk=failure.pk).update(retry_at=now)
    logger.info("Worker step %s will be tried again on the next tick", failure.name)
