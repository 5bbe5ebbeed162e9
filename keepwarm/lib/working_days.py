"""Which days the agency works: not weekends, not bank holidays, not its own closures.

Bank holidays come from the `holidays` package for the agency's country and region
(England by default), and check-ins go out from its send hour: both are agency settings
an admin edits in the app, so the agency app hands them in with `use_agency_calendar` (the
KEEPWARM_HOLIDAYS_* and KEEPWARM_SEND_HOUR variables until it does). The agency's own
closures (a Christmas shutdown) are records in the database; `lib` knows no models, so the
app that keeps them registers a loader with `use_closures` in its `ready()`, and its service
calls `forget_closures` when they change. Each process keeps what it loaded for a minute, so
a worker on another machine picks an edit up within that minute without a query per date.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import NamedTuple

import holidays
from django.conf import settings

Closures = Iterable[tuple[dt.date, dt.date]]

# How long one process trusts the closures it loaded (seconds).
_CLOSURES_TTL = 60.0

_lock = threading.Lock()
_loader: Callable[[], Closures] | None = None
_closed: frozenset[dt.date] = frozenset()
_loaded_at: float | None = None


class AgencyCalendar(NamedTuple):
    """Whose bank holidays the agency keeps, and the local hour check-ins go out."""

    country: str
    subdivision: str
    send_hour: int


def _calendar_from_environment() -> AgencyCalendar:
    return AgencyCalendar(
        settings.KEEPWARM_HOLIDAYS_COUNTRY,
        settings.KEEPWARM_HOLIDAYS_SUBDIVISION,
        settings.KEEPWARM_SEND_HOUR,
    )


_calendar: Callable[[], AgencyCalendar] = _calendar_from_environment


def use_agency_calendar(loader: Callable[[], AgencyCalendar]) -> None:
    """Register where the agency's calendar comes from (its settings, cached by their app:
    this is asked for every date)."""
    global _calendar
    _calendar = loader


def agency_calendar() -> AgencyCalendar:
    return _calendar()


def use_closures(loader: Callable[[], Closures]) -> None:
    """Register where the agency's closures (first day, last day) come from."""
    global _loader
    with _lock:
        _loader = loader
    forget_closures()


def forget_closures() -> None:
    """Make the next question reload the closures (after one was added or removed)."""
    global _loaded_at
    with _lock:
        _loaded_at = None


def _closed_days() -> frozenset[dt.date]:
    global _closed, _loaded_at
    # Read without the lock first: laying out an import's care plans asks for every date.
    loaded_at = _loaded_at
    if loaded_at is not None and time.monotonic() - loaded_at < _CLOSURES_TTL:
        return _closed
    with _lock:
        fresh = _loaded_at is not None and time.monotonic() - _loaded_at < _CLOSURES_TTL
        if fresh or _loader is None:
            return _closed
        loader = _loader
    days: set[dt.date] = set()
    for first, last in loader():
        day = first
        while day <= last:
            days.add(day)
            day += dt.timedelta(days=1)
    with _lock:
        _closed = frozenset(days)
        _loaded_at = time.monotonic()
        return _closed


@lru_cache(maxsize=64)
def _bank_holidays(country: str, subdivision: str, year: int) -> dict[dt.date, str]:
    if not country:
        return {}
    found = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    return dict(found.items())


def bank_holiday(day: dt.date) -> str:
    """The bank holiday's name on `day`, or "" when it is none."""
    country, subdivision, _ = _calendar()
    return _bank_holidays(country, subdivision, day.year).get(day, "")


def why_not_working(day: dt.date) -> str:
    """Why `day` is not a working day ("Saturday", "Christmas Day", "agency closed"), or ""."""
    if day.weekday() >= 5:
        return f"{day:%A}"
    name = bank_holiday(day)
    if name:
        return name
    if day in _closed_days():
        return "agency closed"
    return ""


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday, not a bank holiday and not a day the agency is closed."""
    # why_not_working's answer, without naming the reason: this runs for every due date.
    if day.weekday() >= 5:
        return False
    country, subdivision, _ = _calendar()
    found = _bank_holidays(country, subdivision, day.year)
    return day not in found and day not in _closed_days()


def next_working_day(day: dt.date) -> dt.date:
    """The first working day after `day`."""
    current = day + dt.timedelta(days=1)
    while not is_working_day(current):
        current += dt.timedelta(days=1)
    return current


def on_or_after_working_day(day: dt.date) -> dt.date:
    """`day` itself when it is a working day, else the next one: where a due date lands."""
    return day if is_working_day(day) else next_working_day(day)


def previous_working_day(day: dt.date) -> dt.date:
    """The last working day before `day`."""
    current = day - dt.timedelta(days=1)
    while not is_working_day(current):
        current -= dt.timedelta(days=1)
    return current


def on_or_before_working_day(day: dt.date) -> dt.date:
    """`day` itself when it is a working day, else the working day before it: for what must
    happen before a date (the call before someone starts)."""
    return day if is_working_day(day) else previous_working_day(day)


def weekend_comes_next(day: dt.date) -> bool:
    """A weekend falls between `day` and the next working day: "have a good weekend" fits."""
    following = next_working_day(day)
    return any(
        (day + dt.timedelta(days=n)).weekday() == 5 for n in range(1, (following - day).days)
    )
