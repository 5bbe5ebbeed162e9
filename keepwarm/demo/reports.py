"""Demo data for the reports: finance has paid back some of the rebates owed."""

from __future__ import annotations

import datetime as dt

from keepwarm.accounts.models import User
from keepwarm.placements.models import Placement
from keepwarm.reports.models import RebatePayment


def load(*, today: dt.date) -> int:
    """Rebates owed for fall-offs over a month ago are paid, every other one of them, so the
    fall-offs report shows some paid and some outstanding."""
    payer = User.objects.filter(role=User.Role.MANAGER).order_by("pk").first()
    owed = Placement.objects.filter(
        status__in=Placement.ENDED,
        rebate_owed__gt=0,
        left_on__lte=today - dt.timedelta(days=30),
    ).order_by("left_on", "pk")
    payments = [
        RebatePayment(
            placement=p,
            amount=p.rebate_owed,
            paid_on=min(today, p.left_on + dt.timedelta(days=21)),
            recorded_by=payer,
        )
        for i, p in enumerate(owed)
        if i % 2 == 0 and p.left_on is not None and p.rebate_owed is not None
    ]
    RebatePayment.objects.bulk_create(payments)
    return len(payments)
