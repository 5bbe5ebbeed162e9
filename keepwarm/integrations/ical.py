"""A consultant's due calls as an iCalendar (RFC 5545) feed.

Touchpoints have a due date, not a time, so the calls due on a day are laid out from the
consultant's chosen start time, one slot each, on the agency's wall clock. Times are
written in UTC (the "Z" form): every calendar reads it the same way, so a call at 09:00
London time stays at 09:00 either side of a clock change without shipping VTIMEZONE rules.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings

SLOT = dt.timedelta(minutes=15)
PRODID = "-//Keepwarm//Due calls//EN"


@dataclass(frozen=True)
class Event:
    uid: str
    day: dt.date
    summary: str
    description: str
    location: str = ""
    url: str = ""


def local_start(day: dt.date, at: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """`at` on `day` on the agency's clock, in UTC.

    A time the spring change skips (01:30 in London) is read with fold=0, i.e. in the old
    offset, which lands an hour later on the new clock, as the worker's send times do.
    """
    return dt.datetime.combine(day, at, tzinfo=zone).astimezone(dt.UTC)


def escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11)."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (3.1),
    never splitting a UTF-8 character."""
    out: list[str] = []
    current = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _lines(
    events: Iterable[Event], *, name: str, day_starts_at: dt.time, now: dt.datetime
) -> Iterator[str]:
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    yield "BEGIN:VCALENDAR"
    yield "VERSION:2.0"
    yield f"PRODID:{PRODID}"
    yield "CALSCALE:GREGORIAN"
    yield "METHOD:PUBLISH"
    yield f"X-WR-CALNAME:{escape(name)}"
    yield f"X-WR-TIMEZONE:{settings.TIME_ZONE}"
    # Asks calendar apps to look again every hour (Google decides for itself).
    yield "REFRESH-INTERVAL;VALUE=DURATION:PT1H"
    yield "X-PUBLISHED-TTL:PT1H"
    slots: dict[dt.date, int] = {}
    stamp = _utc(now)
    for event in events:
        slot = slots.get(event.day, 0)
        slots[event.day] = slot + 1
        start = local_start(event.day, day_starts_at, zone) + slot * SLOT
        yield "BEGIN:VEVENT"
        yield f"UID:{event.uid}"
        yield f"DTSTAMP:{stamp}"
        yield f"DTSTART:{_utc(start)}"
        yield f"DTEND:{_utc(start + SLOT)}"
        yield f"SUMMARY:{escape(event.summary)}"
        yield f"DESCRIPTION:{escape(event.description)}"
        if event.location:
            yield f"LOCATION:{escape(event.location)}"
        if event.url:
            yield f"URL:{event.url}"
        yield "TRANSP:TRANSPARENT"
        yield "END:VEVENT"
    yield "END:VCALENDAR"


def render(events: Iterable[Event], *, name: str, day_starts_at: dt.time, now: dt.datetime) -> str:
    """The whole calendar as text with CRLF line ends, events in the order given."""
    lines = _lines(events, name=name, day_starts_at=day_starts_at, now=now)
    return "".join(fold(line) + "\r\n" for line in lines)
