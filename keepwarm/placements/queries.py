"""Reads about placements that several apps share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet

from keepwarm.lib.bulk import AMONG_IDS, fetch_all, ids_param
from keepwarm.lib.dates import add_months
from keepwarm.placements.models import Placement


class _Live:
    """A placement's dates and terms with Placement's own off-limits rule, without building
    a model instance (all of its fields' defaults) for each of thousands of rows."""

    __slots__ = ("guarantee_length", "guarantee_unit", "left_on", "start_date", "status")
    ENDED = Placement.ENDED
    guarantee_ends_on: Any = Placement.guarantee_ends_on
    off_limits_until: Any = Placement.off_limits_until

    def __init__(self, start_date: dt.date, length: int, unit: str, status: str) -> None:
        self.start_date = start_date
        self.guarantee_length = length
        self.guarantee_unit = unit
        self.status = status
        self.left_on = None


def off_limits(person_ids: Iterable[int] | QuerySet[Any], *, today: dt.date) -> dict[int, dt.date]:
    """The people of `person_ids` who are off-limits on `today` (in a live placement's
    guarantee or first months), with the last day they are: never offered as ready to move,
    never matched to a vacancy. One query, whatever their number."""
    if isinstance(person_ids, QuerySet):
        # A settled placement's guarantee is over: only its first months can still hold,
        # so the database leaves out the settled placements older than that (most).
        settled_after = add_months(today, -settings.KEEPWARM_OFF_LIMITS_MONTHS)
        live = Placement.objects.filter(person_id__in=person_ids, left_on__isnull=True).filter(
            Q(status__in=Placement.ACTIVE)
            | Q(status=Placement.Status.SETTLED, start_date__gt=settled_after)
        )
        rows: Iterable[Sequence[Any]] = live.values_list(
            "person_id", "start_date", "guarantee_length", "guarantee_unit", "status"
        )
    else:
        # A list (one person's page asks on every visit): a statement written once,
        # prepared on PostgreSQL, where the ORM compiled the same filter each time.
        rows = fetch_all(*off_limits_statement(person_ids, today=today))
    return off_limits_from(rows, today=today)


def off_limits_statement(person_ids: Iterable[int], *, today: dt.date) -> tuple[str, list[Any]]:
    """`off_limits`'s statement for a list of people, for a page that sends it with others."""
    months = settings.KEEPWARM_OFF_LIMITS_MONTHS
    sql = _LIVE_SQL.format(
        table=connection.ops.quote_name(Placement._meta.db_table),
        ids=AMONG_IDS[connection.vendor],
        active=", ".join(["%s"] * len(Placement.ACTIVE)),
        plain="+" if connection.vendor == "sqlite" else "",
    )
    return sql, [
        ids_param(person_ids),
        *(status.value for status in Placement.ACTIVE),
        Placement.Status.SETTLED.value,
        connection.ops.adapt_datefield_value(add_months(today, -months)),
    ]


def off_limits_from(rows: Iterable[Sequence[Any]], *, today: dt.date) -> dict[int, dt.date]:
    """The rows of `off_limits_statement` (or its QuerySet form) as `off_limits` answers."""
    months = settings.KEEPWARM_OFF_LIMITS_MONTHS
    found: dict[int, dt.date] = {}
    for person_id, start, length, unit, status in rows:
        until = _Live(start, length, unit, status).off_limits_until(months)
        if until is not None and until >= today:
            found[person_id] = max(until, found.get(person_id, until))
    return found


# SQLite without statistics read the status index (every live placement of the agency,
# ~40 ms) rather than the person's: `+column` keeps it from using an index for those terms.
_LIVE_SQL = (
    "SELECT person_id, start_date, guarantee_length, guarantee_unit, status FROM {table}"
    " WHERE person_id {ids} AND left_on IS NULL"
    " AND ({plain}status IN ({active}) OR ({plain}status = %s AND {plain}start_date > %s))"
)
