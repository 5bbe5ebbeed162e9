"""Demo: a few placed people who said they are open to a move, then readiness for all.

Called once from agency.py after the placements and answers exist, so the Ready to move
list has people with reasons (statements, anniversaries, worrying answers) and their
consultants have the matching "Ready to move" calls on Today; and someone in the first
days of a placement who says they are looking shows as off-limits, not as ready.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from keepwarm.network import readiness
from keepwarm.network.models import StatusStatement
from keepwarm.placements.models import Placement

SAYINGS = (
    (StatusStatement.Status.ACTIVELY_LOOKING, StatusStatement.Source.PERSONAL_PAGE),
    (StatusStatement.Status.OPEN, StatusStatement.Source.CHECK_IN),
    (StatusStatement.Status.OPEN, StatusStatement.Source.CONSULTANT),
    (StatusStatement.Status.HAPPY, StatusStatement.Source.CHECK_IN),
)


def load(*, today: dt.date, seed: int = 5, statements: int = 12) -> str:
    """Statements from people in post for most of a year or more; readiness for everyone."""
    rng = random.Random(seed)
    settled = list(
        Placement.objects.filter(
            status__in=readiness.IN_POST,
            start_date__lte=today - dt.timedelta(days=300),
            left_on__isnull=True,
        )
        .order_by("id")
        .values_list("person_id", "kind", "end_date")
    )
    now = timezone.make_aware(dt.datetime.combine(today, dt.time(10)))
    for person_id, kind, end_date in rng.sample(settled, min(statements, len(settled))):
        status, source = rng.choice(SAYINGS)
        end = end_date if kind == Placement.Kind.CONTRACT else None
        if end is None and rng.random() < 0.2:
            end = today + dt.timedelta(days=rng.randint(20, 50))
        said = StatusStatement.objects.create(
            person_id=person_id, status=status, contract_end_on=end, source=source
        )
        when = now - dt.timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 6))
        StatusStatement.objects.filter(pk=said.pk).update(created_at=when)
    _off_limits_example(today)
    return readiness.refresh_all(now=now)


def _off_limits_example(today: dt.date) -> None:
    """The newest placement still in its first fortnight says they are actively looking:
    Ready to move shows them as off-limits until their guarantee ends, never as ready."""
    newest = (
        Placement.objects.filter(
            status__in=(Placement.Status.STARTED, Placement.Status.IN_GUARANTEE),
            start_date__range=(today - dt.timedelta(days=14), today - dt.timedelta(days=3)),
            left_on__isnull=True,
        )
        .order_by("-start_date", "id")
        .first()
    )
    if newest is not None:
        StatusStatement.objects.create(
            person_id=newest.person_id,
            status=StatusStatement.Status.ACTIVELY_LOOKING,
            source=StatusStatement.Source.PERSONAL_PAGE,
        )
