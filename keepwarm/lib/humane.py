"""Money, hours and days as people write them: "£49,000", "35 hours a week", "yesterday".

The template filters in `{% load keepwarm %}` and the risk model's reasons both read
these, so a figure reads the same on a page, in a report and in an email.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

CURRENCY_SIGNS = {"GBP": "£", "EUR": "€", "USD": "$"}


def _grouped(amount: Decimal, places: int) -> str:
    return f"{amount:,.{places}f}"


def money(value: Decimal | int | float | None, currency: str = "GBP") -> str:
    """ "£49,000" for a whole amount, "£1,234.50" when there are pence, "—" for none;
    a currency without a sign of its own follows the amount ("49,000 CHF")."""
    if value is None or value == "":
        return "—"
    amount = Decimal(value).quantize(Decimal("0.01"))
    places = 0 if amount == amount.to_integral_value() else 2
    text = _grouped(amount, places)
    sign = CURRENCY_SIGNS.get(currency, "")
    if not sign:
        return f"{text} {currency}"
    return f"-{sign}{text[1:]}" if text.startswith("-") else f"{sign}{text}"


def hours_a_week(value: Decimal | int | float | None) -> str:
    """ "35 hours a week", "37.5 hours a week", "1 hour a week"; "" when not agreed."""
    if value is None or value == "":
        return ""
    hours = Decimal(value).normalize()
    text = f"{hours:f}"
    return f"{text} hour{'' if hours == 1 else 's'} a week"


def days_ago(day: dt.date | None, today: dt.date) -> str:
    """ "today", "yesterday", "12 days ago" (or "in 3 days" ahead); "" for no day."""
    if day is None:
        return ""
    days = (today - day).days
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days == -1:
        return "tomorrow"
    if days < 0:
        return f"in {-days} days"
    return f"{days} days ago"


# The month as the `date` filter's "M" writes it in English, without a translation lookup
# for each row of a list.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def short_day(day: dt.date) -> str:
    """ "8 Dec 2026": the `date:"j M Y"` of a list's rows."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def short_moment(moment: dt.datetime) -> str:
    """ "8 Dec 2026, 09:05", as `date:"j M Y, H:i"` writes a moment already in local time."""
    return f"{short_day(moment)}, {moment.hour:02d}:{moment.minute:02d}"
