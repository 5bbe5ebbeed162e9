"""Sending at the provider's rate, shared by every worker through one database row.

KEEPWARM_EMAIL_RATE is the provider's limit for the whole agency, so it cannot be kept in
each worker's memory: two workers pacing themselves would send at twice the rate. The
pace is a row (`SendingPace`) holding the moment the next message may go. A worker books
the next slot with one UPDATE that moves it on by 1/rate and returns how long to wait:

    next_at = max(next_at, now) + 1/rate    RETURNING next_at - 1/rate - now

One statement is atomic on both engines: PostgreSQL holds the row's lock while it updates
it, so two workers booking at once queue on the row and get consecutive slots; SQLite runs
the statement under its only write lock. Slots are 1/rate apart whoever books them, so
the workers together never go faster than the rate. `now` is the database's clock, not
each machine's, so workers whose clocks disagree still share one timeline. A worker killed
after booking wastes one slot, nothing more.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connection

from keepwarm.mail.models import SendingPace

EMAIL = "email"

# Seconds since the epoch on the database's clock. clock_timestamp(), not now(): now() is
# the transaction's start. SQLite's 'now' has millisecond precision and holds for a statement.
_NOW = {
    "postgresql": "EXTRACT(EPOCH FROM clock_timestamp())::float8",
    "sqlite": "((julianday('now') - 2440587.5) * 86400.0)",
}
_BOOK_POSTGRESQL = (
    "UPDATE {table} AS pace SET next_at = GREATEST(pace.next_at, clock.now) + %s"
    " FROM (SELECT {now} AS now) AS clock WHERE pace.name = %s"
    " RETURNING pace.next_at - %s - clock.now"
)
_BOOK_SQLITE = (
    "UPDATE {table} SET next_at = MAX(next_at, {now}) + %s WHERE name = %s"
    " RETURNING next_at - %s - {now}"
)


def book_slot(*, rate: float, name: str = EMAIL) -> float:
    """Book the next free slot for one message at `rate` a second; the seconds to wait
    before sending it (0 or less: send now)."""
    interval = 1.0 / rate
    table = connection.ops.quote_name(SendingPace._meta.db_table)
    if connection.vendor == "postgresql":
        sql = _BOOK_POSTGRESQL.format(table=table, now=_NOW["postgresql"])
    else:
        sql = _BOOK_SQLITE.format(table=table, now=_NOW["sqlite"])
    for _ in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, [interval, name, interval])
            row = cursor.fetchone()
        if row is not None:
            return float(row[0])
        # The first booking ever: the row appears (once, whoever else races to add it).
        SendingPace.objects.bulk_create([SendingPace(name=name)], ignore_conflicts=True)
    raise RuntimeError(f"The sending pace {name!r} could not be booked")


class Pace:
    """Waits before each message so that every worker together keeps to `rate` messages
    a second; `rate` 0 means no limit (and no database round trip)."""

    def __init__(self, rate: float, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate = rate
        self.sleep = sleep

    def wait(self) -> None:
        if self.rate <= 0:
            return
        delay = book_slot(rate=self.rate)
        if delay > 0:
            self.sleep(delay)
