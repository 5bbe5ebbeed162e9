"""{% load risk %}{% today_alerts %}: the open alerts block on Today, in one include."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.signals.queries import open_alerts_for

register = template.Library()


@register.inclusion_tag("signals/_today_alerts.html", takes_context=True)
def today_alerts(context: dict[str, Any]) -> dict[str, Any]:
    user = context["user"]
    now = timezone.now()
    alerts = open_alerts_for(user, now=now) if isinstance(user, User) else []
    return {"alerts": alerts, "now": now, "user": user}
