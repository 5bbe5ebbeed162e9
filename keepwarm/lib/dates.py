"""Calendar helpers used by guarantees and care plans, and the agency's wall clock."""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo

from django.conf import settings

from keepwarm.lib.working_days import (
    agency_calendar,
    is_working_day,
    next_working_day,
    on_or_after_working_day,
)

# Check-ins found overdue after this local hour wait for the next morning: a personal
# email from a consultant should not land at 3 a.m.
SEND_UNTIL_HOUR = 20


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


def agency_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_time(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """`hour`:`minute` on `day` on the agency's wall clock, as an aware UTC datetime.

    fold=0 settles the DST edge cases the sensible way: a time the spring change skips
    comes out as the same moment in the old offset, i.e. later on the new clock (02:30 ->
    03:30), and a time the autumn change repeats is its first occurrence.
    """
    local = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=agency_zone())
    return local.astimezone(dt.UTC)


def send_time(due_on: dt.date, *, now: dt.datetime) -> dt.datetime:
    """When a check-in due on `due_on` goes out: the send hour on that day (or the next
    working day when it is a weekend, bank holiday or closure), never before now, and an
    overdue one only inside sending hours on a working day (otherwise the next morning)."""
    hour = agency_calendar().send_hour
    planned = local_time(on_or_after_working_day(due_on), hour)
    if planned > now:
        return planned
    local_now = now.astimezone(agency_zone())
    today = local_now.date()
    in_hours = hour <= local_now.hour < max(SEND_UNTIL_HOUR, hour + 1)
    if in_hours and is_working_day(today):
        return now
    if local_now.hour < hour and is_working_day(today):
        return local_time(today, hour)
    return local_time(next_working_day(today), hour)
