"""{% load risk %}: the open alerts block on Today, and a placement's risk panel among a
page's."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.signals.models import RiskSettings
from keepwarm.signals.queries import (
    RiskPanel,
    RiskPanels,
    escalated_alerts_for,
    fees_at_risk,
    open_alerts_for,
    replacements_owed,
)
from keepwarm.signals.services.actions import CONCERN_REASONS

register = template.Library()

# Rows of the fees-at-risk card; the total counts them all.
FEES_SHOWN = 5


@register.inclusion_tag("signals/_today_alerts.html", takes_context=True)
def today_alerts(context: dict[str, Any]) -> dict[str, Any]:
    user = context["user"]
    now = timezone.now()
    alerts = open_alerts_for(user, now=now) if isinstance(user, User) else []
    escalated = escalated_alerts_for(user) if isinstance(user, User) else []
    return {
        "alerts": alerts,
        "escalated": escalated,
        "now": now,
        "user": user,
        "back": context["request"].get_full_path() if "request" in context else "/",
    }


@register.simple_tag
def concern_reasons() -> tuple[str, ...]:
    """The reasons a concern can be raised with, one button each."""
    return CONCERN_REASONS


@register.inclusion_tag("signals/_fees_at_risk.html", takes_context=True)
def fees_at_risk_card(context: dict[str, Any]) -> dict[str, Any]:
    """Managers' card on Today: the refunds at stake among placements at risk this week."""
    user = context["user"]
    if not isinstance(user, User) or not user.sees_whole_team:
        return {"show": False}
    today = timezone.localdate()
    fees = fees_at_risk(user, today=today, threshold=RiskSettings.current().alert_threshold)
    return {
        "show": True,
        "fees": fees[:FEES_SHOWN],
        "more": max(0, len(fees) - FEES_SHOWN),
        "total": sum((f.tier.amount for f in fees), Decimal("0.00")),
        "replacements": list(replacements_owed(user)[:FEES_SHOWN]),
        "today": today,
    }


@register.filter
def panel_of(panels: RiskPanels, placement: Any) -> RiskPanel:
    """The risk panel of `placement` among a page's (`{{ risk_panels|panel_of:p }}`)."""
    return panels.of(placement.pk)
