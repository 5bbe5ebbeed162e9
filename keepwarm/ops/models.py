"""What the worker tells operators: each worker's last tick, and the jobs that are failing."""

from __future__ import annotations

import datetime as dt

from django.db import models

# Consecutive failures after which a job is parked: with the backoff below that is about a
# quarter of an hour of failing (1 + 2 + 4 + 8 minutes), long enough for a database restart
# or a mail server's bad minute to pass, short enough that an admin hears of it the same hour.
PARK_AFTER = 5
FIRST_RETRY = dt.timedelta(minutes=1)
# A parked job is still tried this often, so it recovers by itself once the cause is fixed.
LONGEST_RETRY = dt.timedelta(minutes=30)


def retry_delay(failures: int) -> dt.timedelta:
    """How long a job that has failed `failures` times in a row waits: doubling, capped."""
    # Doubling stops once past the cap: an uncapped power overflows timedelta (about 40
    # failures in a row, under a day of a parked job), and the worker's tick with it.
    doublings = min(max(failures - 1, 0), LONGEST_RETRY // FIRST_RETRY)
    return min(FIRST_RETRY * (1 << doublings), LONGEST_RETRY)


class WorkerTick(models.Model):
    """The last tick of one worker (host:pid), rewritten by every tick it runs."""

    worker_id = models.CharField(max_length=100, unique=True)
    # Wall-clock times: a tick run "as of" another moment (--now) still proves the worker lives.
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    # The moment the tick worked as of (its `now`), usually the same as started_at.
    as_of = models.DateTimeField()
    # Names of the steps that failed in this tick, and of those waiting for their retry time.
    failed = models.JSONField(default=list, blank=True)
    waiting = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-finished_at"]

    def __str__(self) -> str:
        return f"{self.worker_id} at {self.finished_at:%Y-%m-%d %H:%M:%S}"


class JobFailure(models.Model):
    """A step of the worker that is failing: one row per step, gone once it succeeds."""

    name = models.CharField(max_length=100, unique=True)
    failures = models.PositiveIntegerField(default=1)
    first_failed_at = models.DateTimeField()
    last_failed_at = models.DateTimeField()
    retry_at = models.DateTimeField()
    worker_id = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=500)
    traceback = models.TextField(blank=True)

    class Meta:
        ordering = ["-failures", "name"]

    def __str__(self) -> str:
        return f"{self.name}: {self.error}"

    @property
    def is_parked(self) -> bool:
        return self.failures >= PARK_AFTER
