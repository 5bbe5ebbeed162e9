"""Calendar helpers used by guarantees and care plans."""

from __future__ import annotations

import calendar
import datetime as dt


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days (Mon–Fri) after `start`.

    Bank holidays are not counted out: agencies' terms differ on them and a day's
    difference is settled by the consultant, not by the software.
    """
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end`."""
    if end <= start:
        return 0
    total = (end - start).days
    weeks, extra = divmod(total, 7)
    count = weeks * 5
    for offset in range(1, extra + 1):
        if (start + dt.timedelta(days=weeks * 7 + offset)).weekday() < 5:
            count += 1
    return count


def add_months(start: dt.date, months: int) -> dt.date:
    """Same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)
