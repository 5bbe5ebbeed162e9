"""Reads about the worker's health, shared by the System page, Today's notice and /healthz."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Max

from keepwarm.ops.models import PARK_AFTER, JobFailure, WorkerTick


@dataclass(frozen=True)
class WorkerHealth:
    """Whether some worker has ticked lately, and the jobs that are parked."""

    last_tick_at: dt.datetime | None
    seconds_since_tick: int | None
    max_tick_age: int
    parked: list[str] = field(default_factory=list)

    @property
    def worker_ticking(self) -> bool:
        return self.seconds_since_tick is not None and self.seconds_since_tick <= self.max_tick_age

    @property
    def problem(self) -> str:
        """Why a monitor should be told, in words; empty when the worker is ticking."""
        if self.seconds_since_tick is None:
            return "no worker has ticked yet"
        if not self.worker_ticking:
            return (
                f"no worker has ticked for {self.seconds_since_tick} seconds "
                f"(the limit is {self.max_tick_age})"
            )
        return ""


def worker_health(*, now: dt.datetime) -> WorkerHealth:
    """Two small reads: the latest tick of any worker, and the parked jobs' names."""
    last = WorkerTick.objects.aggregate(last=Max("finished_at"))["last"]
    parked = JobFailure.objects.filter(failures__gte=PARK_AFTER).order_by("name")
    return WorkerHealth(
        last_tick_at=last,
        seconds_since_tick=None if last is None else max(int((now - last).total_seconds()), 0),
        max_tick_age=settings.KEEPWARM_HEALTH_MAX_TICK_AGE,
        parked=list(parked.values_list("name", flat=True)),
    )
