"""The one thing reports write: that a rebate was paid back to the client."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from keepwarm.accounts.models import User
from keepwarm.lib.humane import money
from keepwarm.placements.models import Placement
from keepwarm.reports.models import RebatePayment


@transaction.atomic
def record_rebate_payment(
    *, placement: Placement, amount: Decimal, paid_on: dt.date, by: User
) -> RebatePayment:
    """Record (or correct) what was paid back for a placement that ended with a rebate owed."""
    if placement.status not in Placement.ENDED or not placement.rebate_owed:
        raise ValidationError("Only a placement that ended with a rebate owed has one to pay.")
    if amount <= 0:
        raise ValidationError({"amount": "Enter the amount paid, more than zero."})
    if amount > placement.rebate_owed:
        owed = money(placement.rebate_owed, placement.currency)
        raise ValidationError({"amount": f"That is more than the {owed} owed for this placement."})
    if placement.left_on and paid_on < placement.left_on:
        raise ValidationError({"paid_on": "The rebate cannot be paid before the person left."})
    payment, _ = RebatePayment.objects.update_or_create(
        placement=placement, defaults={"amount": amount, "paid_on": paid_on, "recorded_by": by}
    )
    return payment
