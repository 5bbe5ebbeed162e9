"""{% load risk %}: the open alerts block on Today, and a placement's risk panel."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.signals.models import Alert, Risk, RiskSettings
from keepwarm.signals.queries import (
    escalated_alerts_for,
    fees_at_risk,
    open_alerts_for,
    replacements_owed,
)
from keepwarm.signals.services.actions import CONCERN_REASONS
from keepwarm.signals.services.risk import alert_cutoff, latest_fitted_model

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


@register.simple_tag
def placement_risk(placement: Any) -> dict[str, Any]:
    """A placement's risk, its open alert and its latest closed one, for the panel.

    Reads the Risk row by query (a placement not scored yet has none, and the one-to-one
    accessor would raise) without its stored features, which the panel never shows and
    which were most of what the read decoded. Both alerts come from one read of the
    placement's alerts (a handful at most); the fitted model is read only when the panel
    names it, for a placement that has a fitted score.
    """
    if placement is None:
        return {"risk": None}
    open_alert, last_closed = _open_and_last_closed(placement)
    return {
        "risk": Risk.objects.filter(placement=placement)
        .defer("features", "outcome_features")
        .first(),
        "open_alert": open_alert,
        "last_closed": last_closed,
        "threshold": alert_cutoff(),
        "fitted": latest_fitted_model,  # the template engine calls it where it is shown
        "now": timezone.now(),
    }


def _open_and_last_closed(placement: Any) -> tuple[Alert | None, Alert | None]:
    """The placement's open alert (at most one) and the alert it closed last, newest
    `closed_at` first and then the highest id, as `order_by("-closed_at")` picked it."""
    alerts = list(Alert.objects.filter(placement=placement).select_related("owner", "closed_by"))
    open_alert = next((a for a in alerts if a.state == Alert.State.OPEN), None)
    closed = [a for a in alerts if a.state == Alert.State.CLOSED]
    return open_alert, max(closed, key=_closed_order, default=None)


def _closed_order(alert: Alert) -> tuple[dt.datetime, int]:
    # Closing an alert stamps it; one closed without a time sorts as the oldest.
    return alert.closed_at or _LONG_AGO, alert.pk


_LONG_AGO = dt.datetime.min.replace(tzinfo=dt.UTC)
