"""Rate limits for what outsiders can submit: questionnaires, sign-in links, sign-ups."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from keepwarm.lib.models import SubmitCount

RATE_WINDOW = dt.timedelta(minutes=10)


def over_limit(*, key: str, limit: int, now: dt.datetime | None = None) -> bool:
    """Count one submission under `key`; True when this one is past `limit` in the window.

    A row per (key, window): the first writer inserts, the rest add with F(), so
    concurrent submissions from several web processes are all counted.
    """
    now = now or timezone.now()
    epoch = int(now.timestamp())
    seconds = int(RATE_WINDOW.total_seconds())
    window = dt.datetime.fromtimestamp(epoch - epoch % seconds, tz=dt.UTC)
    key = key[:100]
    updated = SubmitCount.objects.filter(key=key, window_start=window).update(count=F("count") + 1)
    if not updated:
        try:
            with transaction.atomic():
                SubmitCount.objects.create(key=key, window_start=window, count=1)
        except IntegrityError:
            SubmitCount.objects.filter(key=key, window_start=window).update(count=F("count") + 1)
    count = SubmitCount.objects.filter(key=key, window_start=window).values_list("count", flat=True)
    return (count.first() or 0) > limit


def forget_old_counts(*, now: dt.datetime) -> None:
    """Delete the windows older than a day: nothing counts them any more."""
    SubmitCount.objects.filter(window_start__lt=now - dt.timedelta(days=1)).delete()
