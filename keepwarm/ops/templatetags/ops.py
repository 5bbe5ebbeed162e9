"""{% load ops %}: Today's notice to admins and managers when the worker needs them."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.ops.queries import worker_health

register = template.Library()


@register.inclusion_tag("ops/_system_notice.html", takes_context=True)
def system_notice(context: dict[str, Any]) -> dict[str, Any]:
    user = context.get("user")
    if not isinstance(user, User) or not user.sees_whole_team:
        return {"health": None}
    return {"health": worker_health(now=timezone.now())}
