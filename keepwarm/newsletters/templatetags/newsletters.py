"""{% load newsletters %}: the failed-issues notice on Today, for managers and admins."""

from __future__ import annotations

from typing import Any

from django import template

from keepwarm.accounts.models import User
from keepwarm.newsletters.models import Issue

register = template.Library()


@register.inclusion_tag("newsletters/_today_failed.html", takes_context=True)
def failed_newsletters(context: dict[str, Any]) -> dict[str, Any]:
    """Issues the worker stopped: managers and admins are who can schedule them again."""
    user = context.get("user")
    if not isinstance(user, User) or not user.sees_whole_team:
        return {"failed": []}
    failed = Issue.objects.filter(state=Issue.State.FAILED).select_related("newsletter")
    return {"failed": list(failed.order_by("-updated_at")[:5])}
