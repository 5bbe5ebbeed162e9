"""How a report's table cells read on the page (the downloads keep the raw values)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import template
from django.utils import formats, timezone

from keepwarm.care.templatetags.keepwarm import money

register = template.Library()


@register.filter
def cell(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, dt.datetime):
        return formats.date_format(timezone.localtime(value), "j M Y H:i")
    if isinstance(value, dt.date):
        return formats.date_format(value, "j M Y")
    return str(value)


@register.filter
def numeric(value: Any) -> bool:
    """Right-align numbers and money."""
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)
