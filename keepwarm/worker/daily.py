"""Once-a-day jobs of the worker, run exactly once per local day across all workers."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone

from keepwarm.care.models import DailyJob
from keepwarm.signals.services.fitting import label_stayers, refit_when_new_outcomes
from keepwarm.signals.services.risk import recompute_all

logger = logging.getLogger(__name__)

RISK = "risk"


def claim_day(*, name: str, day: dt.date, now: dt.datetime, worker_id: str = "") -> bool:
    """True for the one worker whose ledger row for (`name`, `day`) went in first."""
    try:
        with transaction.atomic():
            DailyJob.objects.create(name=name, day=day, started_at=now, worker_id=worker_id)
    except IntegrityError:
        return False  # another worker has it (or had it) today
    return True


def run_once_a_day(
    *, name: str, day: dt.date, now: dt.datetime, worker_id: str, job: Callable[[], str]
) -> str | None:
    """Run `job` if no worker has run it on `day`; returns its summary, or None if skipped.

    The claim is committed before the job runs, so a long job never holds a write lock
    (SQLite has one). A job that fails gives its claim back and a later tick retries.
    """
    if not claim_day(name=name, day=day, now=now, worker_id=worker_id):
        return None
    try:
        summary = job()
    except Exception:
        DailyJob.objects.filter(name=name, day=day).delete()
        raise
    DailyJob.objects.filter(name=name, day=day).update(summary=summary[:200])
    return summary


def refresh_risk(*, now: dt.datetime) -> str:
    """Silence, unanswered check-ins and tenure move with time, not only with events:
    recompute every live placement, label placements that stayed past their guarantee, and
    refit the model when there are new outcomes to learn from."""
    recomputed = recompute_all(now=now)
    labelled = label_stayers(today=timezone.localdate(now))
    fitted = refit_when_new_outcomes(now=now)  # None until enough of both outcomes
    summary = f"risk recomputed for {recomputed}, stayers labelled {labelled}"
    if fitted is not None:
        summary += f", model fitted on {fitted.n_outcomes} outcomes"
    logger.info("Daily risk run: %s", summary)
    return summary
