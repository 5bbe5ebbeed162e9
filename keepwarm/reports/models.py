"""What reports need that no other record holds: rebates actually paid back to clients."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from keepwarm.placements.models import Placement


class RebatePayment(models.Model):
    """The rebate paid to the client for a placement that ended inside its guarantee.

    The amount owed is the placement's (`Placement.rebate_owed`, from its scale); this
    records what finance actually paid and when, so the fall-offs report can show both.
    """

    placement = models.OneToOneField(
        Placement, on_delete=models.CASCADE, related_name="rebate_payment"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    paid_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paid_on", "-id"]

    def __str__(self) -> str:
        return f"{self.amount} paid {self.paid_on:%d %b %Y} for {self.placement}"
