"""Reads reused by pages and the API: Today, who may see what, a person's timeline."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache, partial
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import F, Model, Q, QuerySet, prefetch_related_objects
from django.db.models.expressions import RawSQL
from django.db.models.lookups import In
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.care.models import SENT_BY_WORKER, Kind, Touchpoint
from keepwarm.care.services import covering_for, stand_in_id
from keepwarm.lib.bulk import (
    AMONG_IDS,
    Ids,
    Reading,
    fetch_all,
    fetch_each,
    ids_param,
    read_as,
    read_instance,
)
from keepwarm.lib.memo import remembered
from keepwarm.people.models import (
    Company,
    Consent,
    GuaranteeUnit,
    Note,
    Person,
    Role,
    rag_after,
)
from keepwarm.placements.models import Placement
from keepwarm.placements.queries import off_limits_from, off_limits_statement

if TYPE_CHECKING:
    # The timeline reads messages and answers through the person's reverse relations;
    # mail and surveys sit above care, so they are named here for the types alone.
    from keepwarm.mail.models import OutboxMessage
    from keepwarm.surveys.models import Response

M = TypeVar("M", bound=Model)

GUARANTEE_WARNING_DAYS = 14
# Calls shown per group on Today, most overdue first; the rest are on the Due page.
DUE_SHOWN = 50


class Named(NamedTuple):
    """Someone a list names and links to."""

    pk: int
    full_name: str


@dataclass(frozen=True, slots=True)
class ColdContact:
    """Someone on the consultant's active placements who has not heard from them lately,
    with what Going cold shows of them (read as values, as Today's calls are)."""

    person: Named
    placement_id: int
    placed_name: str  # the placed candidate's, for a hiring manager's line
    role_title: str
    company_name: str
    rag: str  # "red" or "amber"
    days_since_contact: int | None  # None: never contacted
    is_client: bool  # the hiring manager rather than the placed person


class Callee(NamedTuple):
    """Whom a due call is with, as Today shows them (and its call button dials)."""

    pk: int
    full_name: str
    phone: str


_KIND_LABELS = dict(Kind.choices)
_OUTCOME_LABELS = dict(Touchpoint.Outcome.choices)


@dataclass(frozen=True, slots=True)
class DueCall:
    """A planned call, meeting or note due on Today, with what its row shows: read as
    values (Today reads up to a hundred on every request), not as five model instances."""

    pk: int
    kind: str
    audience: str
    title: str
    due_on: dt.date
    attempts: int
    outcome: str
    person: Callee
    placement_id: int | None
    role_title: str  # the placement's, "" without one
    company_name: str
    owner_id: int
    owner_name: str  # first name, else username

    @property
    def kind_label(self) -> str:
        """Touchpoint.get_kind_display."""
        return _KIND_LABELS.get(self.kind, self.kind)

    @property
    def outcome_label(self) -> str:
        """Touchpoint.get_outcome_display."""
        return _OUTCOME_LABELS.get(self.outcome, self.outcome)


@dataclass
class Today:
    today: dt.date
    due: list[DueCall] = field(default_factory=list)
    guarantee_ending: list[GuaranteeEnding] = field(default_factory=list)
    going_cold: list[ColdContact] = field(default_factory=list)
    going_cold_count: int = 0
    covering: list[User] = field(default_factory=list)
    # All of it, where `due` holds at most DUE_SHOWN of each group.
    overdue_count: int = 0
    due_today_count: int = 0
    # Check-in emails and questionnaires due: the worker sends them, nobody needs to act.
    emails_due: int = 0

    @property
    def overdue(self) -> list[DueCall]:
        return [t for t in self.due if t.due_on < self.today]

    @property
    def next_call(self) -> DueCall | None:
        """The call (or meeting) to make first: the oldest due, as `due` is ordered."""
        return self.due[0] if self.due else None

    @property
    def due_today(self) -> list[DueCall]:
        return [t for t in self.due if t.due_on >= self.today]

    @property
    def not_shown(self) -> int:
        return self.overdue_count + self.due_today_count - len(self.due)


def due_work(
    owner_ids: list[int], *, today: dt.date, sent_by_worker: bool = False
) -> QuerySet[Touchpoint]:
    """Planned touchpoints of `owner_ids` due by `today`, oldest first: the consultants' own
    calls and meetings, or (`sent_by_worker`) the check-in emails the worker sends."""
    due = Touchpoint.objects.filter(
        state=Touchpoint.State.PLANNED, owner_id__in=owner_ids, due_on__lte=today
    )
    if sent_by_worker:
        due = due.filter(kind__in=SENT_BY_WORKER)
    else:
        due = due.exclude(kind__in=SENT_BY_WORKER)
    return due.order_by("due_on", "id")


# Today's calls in one round trip: which calls are due (from the small partial index
# touchpoint_calls_due: the owner's due check-in emails, thousands when the worker is
# behind, are not in it), how many in each group, the first DUE_SHOWN of each group as
# their rows show them (the columns of _DUE_ROWS), and how many touchpoints are due in all
# (from the (owner, state, due_on) index alone, so the emails are never read row by row).
# Its one row without calls (the LEFT JOIN) still carries the counts. Written once:
# prepared on PostgreSQL, where each round trip waits for a core on a busy machine.
_DUE_NOW = (
    "WITH calls AS (SELECT id, due_on < %s AS overdue,"
    " row_number() OVER (PARTITION BY due_on < %s ORDER BY due_on, id) AS place"
    " FROM {touchpoint} {calls_index} WHERE owner_id {owners} AND due_on <= %s"
    " AND state = 'planned' AND NOT (kind IN ('email', 'questionnaire')))"
    " SELECT (SELECT COUNT(*) FROM calls WHERE overdue),"
    " (SELECT COUNT(*) FROM calls WHERE NOT overdue),"
    " (SELECT COUNT(*) FROM {touchpoint} WHERE state = %s AND owner_id {owners} AND due_on <= %s),"
    " {row_columns}"
    " FROM (SELECT 1) one LEFT OUTER JOIN (calls k INNER JOIN {touchpoint} t ON t.id = k.id"
    " {row_joins}) ON k.place <= %s ORDER BY t.due_on, t.id"
)
# The owners: an array parameter on PostgreSQL; on SQLite a list of literal parameters,
# which INDEXED BY (below) serves as a list of index ranges.
_OWNERS = {"postgresql": "= ANY(%s::bigint[])", "sqlite": "IN ({})"}


@dataclass(frozen=True, slots=True)
class _DueNow:
    overdue_count: int
    due_today_count: int
    all_due: int  # calls and check-in emails alike
    shown: list[DueCall]  # at most DUE_SHOWN overdue and DUE_SHOWN due today, oldest first


# A statement written by hand and its parameters, for fetch_each.
_Statement = tuple[str, list[Any]]


def _due_now_statement(owner_ids: list[int], today: dt.date) -> _Statement:
    """_DUE_NOW for the calls of `owner_ids` and the counts of what is due by `today`."""
    # The index's own condition is written as literals (see below).
    assert Touchpoint.State.PLANNED.value == "planned"
    assert SENT_BY_WORKER == ("email", "questionnaire")
    if connection.vendor == "postgresql":
        owners, owners_param, calls_index = _OWNERS["postgresql"], [ids_param(owner_ids)], ""
    else:
        owners = _OWNERS["sqlite"].format(", ".join(["%s"] * len(owner_ids)))
        owners_param = list(owner_ids)
        # Without statistics (no ANALYZE) SQLite prefers touchpoint_owner_due, which has one
        # more equality column, and reads every due email to drop it: ~30 ms instead of 0.1.
        # INDEXED BY fails loudly, rather than going slow, if the index no longer applies.
        # The index's condition is written as literals: SQLite only sees that a query
        # implies a partial index's WHERE when the terms are the same, and a parameter is
        # not 'planned'.
        calls_index = "INDEXED BY touchpoint_calls_due"
    sql = _written(_DUE_NOW, calls_index=calls_index, owners=owners)
    day = connection.ops.adapt_datefield_value(today)
    params = [day, day, *owners_param, day, Touchpoint.State.PLANNED.value, *owners_param, day]
    return sql, [*params, DUE_SHOWN]


def _due_now(rows: list[tuple[Any, ...]]) -> _DueNow:
    """Today's calls and the counts of what is due, from _DUE_NOW's rows."""
    overdue_count, due_today_count, all_due = rows[0][:3]
    shown = [_due_call(*_as_date(row[3:], 4)) for row in rows if row[3] is not None]
    return _DueNow(int(overdue_count), int(due_today_count), int(all_due), shown)


def _as_date(row: tuple[Any, ...], at: int) -> tuple[Any, ...]:
    """`row` with its column `at` a date: SQLite gives a date column read through a
    subquery back as its ISO text (Django's converter goes by the declared type)."""
    value = row[at]
    if isinstance(value, str):
        return (*row[:at], dt.date.fromisoformat(value), *row[at + 1 :])
    return row


# What a row on Today shows (care/rows.py), for the calls of `ids`, oldest due first. Written
# once (prepared on PostgreSQL): compiling it through the ORM and building five model
# instances a row cost more than the query takes. The ids are one parameter (an array on
# PostgreSQL, JSON for json_each on SQLite).
_DUE_ROW_COLUMNS = (
    "t.id, t.kind, t.audience, t.title, t.due_on, t.attempts, t.outcome,"
    " t.person_id, c.first_name, c.last_name, c.phone, t.placement_id, p.role_title, co.name,"
    " t.owner_id, u.first_name, u.username"
)
_DUE_ROW_JOINS = (
    "INNER JOIN {person} c ON t.person_id = c.id"
    " LEFT OUTER JOIN {placement} p ON t.placement_id = p.id"
    " LEFT OUTER JOIN {company} co ON p.company_id = co.id"
    " INNER JOIN {user} u ON t.owner_id = u.id"
)
_DUE_ROWS = (
    "SELECT {row_columns} FROM {touchpoint} t {row_joins} WHERE t.id {ids} ORDER BY t.due_on, t.id"
)

# The tables the statements written by hand here name, as {touchpoint}, {person} ….
_TABLES: dict[str, type[Model]] = {
    "touchpoint": Touchpoint,
    "person": Person,
    "placement": Placement,
    "company": Company,
    "user": User,
    "note": Note,
    "role": Role,
    "consent": Consent,
}


def _with_tables(statement: str, **parts: str) -> str:
    """One of the statements written by hand here with its tables named, and its `parts`."""
    return statement.format(**_table_names(connection.vendor), **parts)


@cache
def _table_names(vendor: str) -> dict[str, str]:
    """{touchpoint}, {person} … as the database names them, quoted (a person page writes
    a dozen statements; quoting every table for each went through the connection's proxy
    two hundred times a page)."""
    quote = connection.ops.quote_name
    tables = {name: quote(model._meta.db_table) for name, model in _TABLES.items()}
    tables.update({name: quote(model._meta.db_table) for name, model in _tables_above().items()})
    return tables


def _above(name: str) -> type[Model]:
    return _tables_above()[name]


def _tables_above() -> dict[str, type[Model]]:
    """The tables of mail and surveys that the timeline reads ({message}, {outbox_template},
    {response}, {questionnaire}): those apps sit above care, so their models are reached
    through their relations to people rather than imported."""
    message, response = _related(Person, "messages"), _related(Person, "responses")
    return {
        "message": message,
        "outbox_template": _related(message, "template"),
        "response": response,
        "questionnaire": _related(response, "questionnaire"),
    }


def _related(model: type[Model], name: str) -> type[Model]:
    related = model._meta.get_field(name).related_model
    assert isinstance(related, type)
    return related


def due_calls(ids: list[int]) -> list[DueCall]:
    """The calls of `ids` as Today's rows show them, oldest due first."""
    return [_due_call(*row) for row in _fetch_for_ids(_DUE_ROWS, ids)]


def _fetch_for_ids(statement: str, ids: Iterable[int]) -> list[tuple[Any, ...]]:
    """The rows of one of Today's statements for the rows of `ids`, its tables named."""
    return fetch_all(
        _written(statement, ids=AMONG_IDS[connection.vendor]), [ids_param(sorted(ids))]
    )


def _written(statement: str, **parts: str) -> str:
    """One of Today's statements with its `parts` and the columns and joins of a call's row
    put in, then its tables named."""
    tables = {name: "{" + name + "}" for name in _TABLES}
    return _with_tables(
        statement.format(row_columns=_DUE_ROW_COLUMNS, row_joins=_DUE_ROW_JOINS, **parts, **tables)
    )


def _due_call(
    pk: int,
    kind: str,
    audience: str,
    title: str,
    due_on: dt.date,
    attempts: int,
    outcome: str,
    person_id: int,
    first_name: str,
    last_name: str,
    phone: str,
    placement_id: int | None,
    role_title: str | None,
    company_name: str | None,
    owner_id: int,
    owner_first_name: str,
    owner_username: str,
) -> DueCall:
    """One row of _DUE_ROWS, in its columns' order."""
    return DueCall(
        pk=pk,
        kind=kind,
        audience=audience,
        title=title,
        due_on=due_on,
        attempts=attempts,
        outcome=outcome,
        # Person.full_name's rule.
        person=Callee(person_id, f"{first_name} {last_name}".strip(), phone),
        placement_id=placement_id,
        role_title=role_title or "",
        company_name=company_name or "",
        owner_id=owner_id,
        owner_name=owner_first_name or owner_username,
    )


def due_call_of(t: Touchpoint) -> DueCall:
    """A planned touchpoint as `person_page_reads` reads it, as Today's rows show it."""
    placement = t.placement
    return DueCall(
        pk=t.pk,
        kind=t.kind,
        audience=t.audience,
        title=t.title,
        due_on=t.due_on,
        attempts=t.attempts,
        outcome=t.outcome,
        person=Callee(t.person.pk, t.person.full_name, t.person.phone),
        placement_id=t.placement_id,
        role_title=placement.role_title if placement else "",
        company_name=placement.company.name if placement else "",
        owner_id=t.owner_id,
        owner_name=t.owner.first_name or t.owner.username,
    )


def today_for(user: User, *, today: dt.date, cold_shown: int | None = None) -> Today:
    """A consultant's start page: a handful of queries whatever the agency's size.

    `due` holds the calls and meetings due on or before `today` for `user` and those they
    cover (each carries its owner, so the page can say whose call it is), overdue first, at
    most DUE_SHOWN overdue and DUE_SHOWN due today (the counts say how many in all). Check-in
    emails are only counted: the worker sends them, and a backlog of thousands (the worker
    stopped, a first import) must not bury the calls or make the page take seconds.
    `going_cold` holds the coldest `cold_shown` (all when None) of `going_cold_count`.
    """
    covering = covering_for(user, day=today)
    owner_ids = [user.pk, *(u.pk for u in covering)]
    tz = timezone.get_current_timezone()  # timezone.localdate's, looked up once
    # The lists' statements go to the database together (one round trip on PostgreSQL).
    # The calls are few; the check-in emails may be thousands: they are only counted.
    # Going cold's rows are the user's own guarantees' too; the colleagues they cover
    # have theirs read apart.
    statements = [_due_now_statement(owner_ids, today), _cold_statement(user, today, tz)]
    if covered := owner_ids[1:]:
        statements.append(_guarantee_statement(covered, today))
    due_rows, cold_rows, *covered_guarantees = fetch_each(statements)
    guarantees = _guarantees_among(cold_rows, today)
    for rows in covered_guarantees:
        guarantees += rows
    due = _due_now(due_rows)
    going_cold, going_cold_count = _going_cold(cold_rows, today, tz, shown=cold_shown)
    return Today(
        today=today,
        due=due.shown,
        guarantee_ending=_guarantee_ending(guarantees, today),
        going_cold=going_cold,
        going_cold_count=going_cold_count,
        covering=covering,
        overdue_count=due.overdue_count,
        due_today_count=due.due_today_count,
        emails_due=due.all_due - due.overdue_count - due.due_today_count,
    )


class _Terms:
    """A placement's guarantee terms with Placement's own rule for the end date, without
    building a model instance (all of its fields' defaults) for each candidate row."""

    __slots__ = ("guarantee_length", "guarantee_unit", "start_date")
    guarantee_ends_on: Any = Placement.guarantee_ends_on

    def __init__(self, start_date: dt.date, guarantee_length: int, guarantee_unit: str) -> None:
        self.start_date = start_date
        self.guarantee_length = guarantee_length
        self.guarantee_unit = guarantee_unit


_GUARANTEE_UNITS = dict(GuaranteeUnit.choices)


class GuaranteeEnding(_Terms):
    """A placement on Guarantees ending soon, with what the list shows of it; its countdown
    (placements/_countdown.html) reads it as it reads a Placement, by Placement's rules."""

    __slots__ = ("company_name", "person", "pk", "role_title")
    guarantee_day: Any = Placement.guarantee_day

    def __init__(
        self, pk: int, terms: _Terms, *, person: Named, role_title: str, company_name: str
    ) -> None:
        super().__init__(terms.start_date, terms.guarantee_length, terms.guarantee_unit)
        self.pk = pk
        self.person = person
        self.role_title = role_title
        self.company_name = company_name

    def get_guarantee_unit_display(self) -> str:
        return _GUARANTEE_UNITS.get(self.guarantee_unit, self.guarantee_unit)


# Placements of `owners` with a guarantee that has begun or begins by the horizon, with what
# the list shows of them: one round trip (on PostgreSQL) for the whole list. The company is
# looked up row by row (a correlated subquery): joined, PostgreSQL read all 5,000 companies.
_GUARANTEE_CANDIDATES = (
    "SELECT p.id, p.start_date, p.guarantee_length, p.guarantee_unit, p.role_title,"
    " p.person_id, c.first_name, c.last_name,"
    " (SELECT co.name FROM {company} co WHERE co.id = p.company_id)"
    " FROM {placement} p INNER JOIN {person} c ON p.person_id = c.id"
    " WHERE p.owner_id IN ({owners}) AND p.status IN ({statuses})"
    " AND p.guarantee_length > 0 AND p.start_date <= %s"
)


# Whose guarantee may be ending: the placement has begun or is about to.
_GUARANTEE_STATUSES = (Placement.Status.OFFER_ACCEPTED.value, Placement.Status.IN_GUARANTEE.value)


def _guarantee_statement(owner_ids: list[int], today: dt.date) -> _Statement:
    # The end date is computed (working or calendar days), so the database narrows by
    # start date and status and Python applies the exact rule (_guarantee_ending). The
    # statement is written once (prepared on PostgreSQL), as Going cold's.
    horizon = today + dt.timedelta(days=GUARANTEE_WARNING_DAYS)
    statuses = _GUARANTEE_STATUSES
    sql = _with_tables(
        _GUARANTEE_CANDIDATES,
        owners=", ".join(["%s"] * len(owner_ids)),
        statuses=", ".join(["%s"] * len(statuses)),
    )
    return sql, [*owner_ids, *statuses, connection.ops.adapt_datefield_value(horizon)]


def _guarantees_among(cold_rows: list[tuple[Any, ...]], today: dt.date) -> list[tuple[Any, ...]]:
    """_GUARANTEE_CANDIDATES' rows for the owner of _COLD_CANDIDATES' rows: their active
    placements hold all of them (Placement.ACTIVE has both of _GUARANTEE_STATUSES), so
    the same condition is applied here instead of reading them again."""
    assert set(_GUARANTEE_STATUSES) <= {s.value for s in Placement.ACTIVE}
    horizon = today + dt.timedelta(days=GUARANTEE_WARNING_DAYS)
    return [
        (pk, start, length, unit, role_title, person_id, first_name, last_name, company_name)
        for (
            pk, person_id, _, _, _, role_title, company_name, first_name, last_name, _, _,
            status, start, length, unit,
        ) in cold_rows
        if status in _GUARANTEE_STATUSES and length > 0 and start <= horizon
    ]  # fmt: skip


def _guarantee_ending(candidates: list[tuple[Any, ...]], today: dt.date) -> list[GuaranteeEnding]:
    """Guarantees ending soon from _GUARANTEE_CANDIDATES' rows, by Placement's rule."""
    horizon = today + dt.timedelta(days=GUARANTEE_WARNING_DAYS)
    ending = [
        GuaranteeEnding(
            pk,
            terms,
            person=Named(person_id, f"{first_name} {last_name}".strip()),
            role_title=role_title,
            company_name=company_name,
        )
        for pk, start, length, unit, role_title, person_id, first_name, last_name, company_name in (
            candidates
        )
        if today <= (terms := _Terms(start, length, unit)).guarantee_ends_on <= horizon
    ]
    return sorted(ending, key=lambda p: (p.guarantee_ends_on, p.pk))


# The active placements of one owner, with when the placed person and the hiring manager
# were last contacted, in the order ties are shown in, and what Going cold shows of them:
# one round trip (on PostgreSQL) for the whole list; who is cold is decided in Python. The
# hiring manager (`_MANAGER`) and the company are looked up row by row: joined plainly,
# PostgreSQL's planner walked the people's primary key from its start and read all 5,000
# companies, for a hundred-odd rows. Each last contact is read as `_CONTACT` gives it. The
# status and guarantee terms are Guarantees ending soon's (_guarantees_among).
_COLD_CANDIDATES = (
    "SELECT p.id, p.person_id, {contact_of_c}, p.hiring_manager_id, {contact_of_m},"
    " p.role_title, (SELECT co.name FROM {company} co WHERE co.id = p.company_id),"
    " c.first_name, c.last_name, m.first_name, m.last_name,"
    " p.status, p.start_date, p.guarantee_length, p.guarantee_unit"
    " FROM {placement} p INNER JOIN {person} c ON p.person_id = c.id {manager}"
    " WHERE p.owner_id = %s AND p.status IN ({active}) ORDER BY p.start_date, p.id"
)
# The hiring manager of each placement, read once a row. On PostgreSQL a lateral subquery
# that OFFSET 0 keeps from being merged into a join (see above): one look-up a row where
# a correlated subquery per column was three (~0.4 ms of ~1.5 for the bench's median
# consultant). SQLite (no LATERAL) looks each up by its primary key when joined.
_MANAGER = {
    "postgresql": "LEFT OUTER JOIN LATERAL (SELECT m.last_contacted_at, m.first_name,"
    " m.last_name FROM {person} m WHERE m.id = p.hiring_manager_id OFFSET 0) m ON TRUE",
    "sqlite": "LEFT OUTER JOIN {person} m ON m.id = p.hiring_manager_id",
}


# A last contact as Going cold reads it. On PostgreSQL the days since it, on the agency's
# calendar (today's date and the time zone's name are parameters): a hundred-odd
# placements are two hundred-odd times with a zone each for the driver to build and
# Python to convert, which cost more than the statement takes. On SQLite (no time zones)
# the time itself, for _days_since.
_CONTACT = {
    "postgresql": "%s::date - ({alias}.last_contacted_at AT TIME ZONE %s)::date",
    "sqlite": "{alias}.last_contacted_at",
}


def _contact_read_as(today: dt.date, tz: dt.tzinfo) -> tuple[dict[str, str], list[Any]]:
    """_COLD_CANDIDATES' two last-contact columns, and the parameters they take each."""
    zone = getattr(tz, "key", None)  # a ZoneInfo's name; PostgreSQL knows the same zones
    if connection.vendor == "postgresql" and zone is not None:
        column, params = _CONTACT["postgresql"], [today, zone]
    else:
        column, params = _CONTACT["sqlite"], []
    parts = {f"contact_of_{alias}": column.format(alias=alias) for alias in ("c", "m")}
    return parts, params


def _days_since(at: dt.datetime | str | int | None, today: dt.date, tz: dt.tzinfo) -> int | None:
    """Person.days_since_contact for a last-contact time read by hand, in the agency's time
    zone `tz`: SQLite gives it back as UTC text (the ORM's converter is not in the way),
    PostgreSQL as an aware datetime, or as the days themselves (_CONTACT)."""
    if at is None or isinstance(at, int):
        return at
    if isinstance(at, str):
        at = dt.datetime.fromisoformat(at)
    if at.tzinfo is None:  # timezone.is_naive's answer for a datetime read back, cheaper
        at = at.replace(tzinfo=dt.UTC)
    return (today - at.astimezone(tz).date()).days


def _cold_statement(user: User, today: dt.date, tz: dt.tzinfo) -> _Statement:
    """_COLD_CANDIDATES for `user`, its last contacts read on `today` in the zone `tz`. The
    statement is written once (prepared on PostgreSQL): compiling it through the ORM cost
    more than running it."""
    contact, contact_params = _contact_read_as(today, tz)
    sql = _with_tables(
        _COLD_CANDIDATES,
        active=", ".join(["%s"] * len(Placement.ACTIVE)),
        manager=_with_tables(_MANAGER[connection.vendor]),
        **contact,
    )
    return sql, [*contact_params * 2, user.pk, *(s.value for s in Placement.ACTIVE)]


def _going_cold(
    rows: list[tuple[Any, ...]], today: dt.date, tz: dt.tzinfo, *, shown: int | None = None
) -> tuple[list[ColdContact], int]:
    """The coldest contacts first (at most `shown` of them), and how many in all, from
    _COLD_CANDIDATES' rows."""
    # Who is cold, and how cold, is decided from five columns a row by Person's own rule
    # (rag_after, on the agency's calendar day); only the entries shown are named.
    seen: set[int] = set()
    # Person's rule, asked once for each number of days met (a hundred-odd contacts fall on
    # a few dozen), not once a contact.
    rag_for = functools.cache(rag_after)
    # (rag, days since contact, the placement's row, person id, is_client)
    found: list[tuple[str, int | None, tuple[Any, ...], int, bool]] = []
    for row in rows:
        _, person_id, person_at, manager_id, manager_at = row[:5]
        for pk, at, is_client in ((person_id, person_at, False), (manager_id, manager_at, True)):
            if pk is None or pk in seen:
                continue
            days = _days_since(at, today, tz)
            rag = rag_for(days)
            if rag == "green":
                continue
            seen.add(pk)
            found.append((rag, days, row, pk, is_client))

    def coldest_first(entry: tuple[str, int | None, tuple[Any, ...], int, bool]) -> tuple[int, int]:
        rag, days = entry[0], entry[1]
        return (0 if rag == "red" else 1, -(days if days is not None else 10**6))

    found.sort(key=coldest_first)
    chosen = found if shown is None else found[:shown]
    return [_cold_contact(*entry) for entry in chosen], len(found)


def _cold_contact(
    rag: str, days: int | None, row: tuple[Any, ...], person_id: int, is_client: bool
) -> ColdContact:
    placement_id = row[0]
    role_title, company, first_name, last_name, manager_first, manager_last = row[5:11]
    placed_name = f"{first_name} {last_name}".strip()  # Person.full_name's rule
    name = f"{manager_first} {manager_last}".strip() if is_client else placed_name
    return ColdContact(
        person=Named(person_id, name),
        placement_id=placement_id,
        placed_name=placed_name,
        role_title=role_title,
        company_name=company,
        rag=rag,
        days_since_contact=days,
        is_client=is_client,
    )


def covered_owner_ids(user: User, day: dt.date | None = None) -> list[int]:
    """The ids of colleagues `user` covers on `day` (today by default), along cover chains
    too: the one statement of the cover rule that every "may see" query shares."""
    day = day or timezone.localdate()
    return [u.pk for u in covering_for(user, day=day)]


@dataclass(frozen=True)
class LooksAfter:
    """Who looks after a person: `owner` owns the relationship (the live placement's owner,
    else the person's owner); `stand_in` does the work today while the owner is away (the
    end of the cover chain), None when the owner is in."""

    owner: User | None
    stand_in: User | None = None
    placement: Placement | None = None

    @property
    def now(self) -> User | None:
        """Whoever acts today: alerts, the personal page's "your consultant"."""
        return self.stand_in or self.owner


def _live() -> QuerySet[Placement]:
    # Settled still counts: the keep-in-touch calls after the guarantee are its owner's.
    return Placement.objects.filter(left_on__isnull=True).exclude(status__in=Placement.ENDED)


# The person's live placement (_live's rule, its ended statuses written as parameters) as the
# placed candidate, else the latest they are hiring manager for, with its owner whole
# (callers make them the owner of a referral or a call, the personal page shows how to
# reach them) and its company's name: one statement written once, where the ORM compiled
# two for most people (placed as neither).
_LIVE_PLACEMENT = (
    "SELECT p.id, p.person_id, p.hiring_manager_id, p.start_date, p.company_id, co.name, {owner}"
    " FROM {placement} p INNER JOIN {company} co ON p.company_id = co.id"
    " INNER JOIN {user} u ON p.owner_id = u.id"
    " WHERE (p.person_id = %s OR p.hiring_manager_id = %s) AND p.left_on IS NULL"
    " AND NOT (p.status IN ({ended}))"
    " ORDER BY CASE WHEN p.person_id = %s THEN 0 ELSE 1 END, p.start_date DESC, p.id DESC LIMIT 1"
)


def live_placement(person: Person) -> Placement | None:
    """The person's current placement (not ended, not left) as the placed candidate, else
    the latest current one they are hiring manager for: whoever owns it looks after them.
    Read are its person, hiring manager, start, company's name and owner (whole)."""
    return _live_placement(fetch_all(*_live_placement_statement(person)))


def _live_placement_statement(person: Person) -> tuple[str, list[Any]]:
    ended = ", ".join(["%s"] * len(Placement.ENDED))
    sql = _with_tables(_LIVE_PLACEMENT, owner=_columns(User, "u"), ended=ended)
    return sql, [person.pk, person.pk, *Placement.ENDED, person.pk]


def _live_placement(rows: list[tuple[Any, ...]]) -> Placement | None:
    if not rows:
        return None
    pk, person_id, manager_id, start_date, company_id, company_name, *owner = rows[0]
    placement = read_instance(
        Placement,
        id=pk,
        person_id=person_id,
        hiring_manager_id=manager_id,
        start_date=read_as(Placement, "start_date")(start_date),
        company_id=company_id,
    )
    placement.company = read_instance(Company, id=company_id, name=company_name)
    placement.owner = _whole(User, owner)
    return placement


def _columns(model: type[Model], alias: str) -> str:
    """Every column of `model`'s table, in its fields' order, for `_whole`."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields)


def _whole(model: type[M], values: list[Any]) -> M:
    """An instance of `model` from the values of `_columns`, each made what the ORM makes
    of it (a time from SQLite's text, a boolean from its 0 or 1)."""
    return model.from_db(
        DEFAULT_DB_ALIAS,  # what `connection` is, without a lookup through its proxy
        (),  # a value for every field, in the model's order
        [read(v) for read, v in zip(_readers(model, connection.vendor), values, strict=True)],
    )


@cache
def _readers(model: type[Model], vendor: str) -> list[Callable[[Any], Any]]:
    """`read_as` for each of `model`'s columns, in `_columns`' order, on one engine."""
    return [read_as(model, f.name) for f in model._meta.concrete_fields]


def looked_after_by(person_ids: list[int]) -> dict[int, int]:
    """`looks_after`'s owner for many people at once (person id -> user id; nobody for a
    person without a current placement or an owner), for lists: three queries."""
    found: dict[int, int] = {}
    for column in ("hiring_manager_id", "person_id"):  # the placed candidate's own wins
        rows = (
            _live()
            .filter(**{f"{column}__in": person_ids})
            .order_by("start_date", "id")  # the latest placement is written last, and wins
            .values_list(column, "owner_id")
        )
        found.update(dict(rows))
    owners = Person.objects.filter(pk__in=person_ids, owner__isnull=False)
    for pk, owner_id in owners.values_list("pk", "owner_id"):
        found.setdefault(pk, owner_id)
    return found


# The placements a person is hiring manager for that are under way, with the names "who
# does what" says of each hire: written once, where the ORM compiled it (~60 columns'
# worth of joins) for every person page, most of whom hire for nobody.
_HIRES = (
    "SELECT p.id, p.owner_id, c.first_name, c.last_name, u.first_name, u.last_name, u.username"
    " FROM {placement} p INNER JOIN {person} c ON p.person_id = c.id"
    " INNER JOIN {user} u ON p.owner_id = u.id"
    " WHERE p.hiring_manager_id = %s AND p.status IN ({active})"
    " ORDER BY p.start_date DESC, p.id DESC"
)


def _hires_statement(person: Person) -> tuple[str, list[Any]]:
    """The live placements `person` is hiring manager for, with who placed whom."""
    active = ", ".join(["%s"] * len(Placement.ACTIVE))
    return _with_tables(_HIRES, active=active), [person.pk, *Placement.ACTIVE]


def who_does_what(
    person: Person, who: LooksAfter, hires: list[tuple[Any, ...]], *, user: User
) -> list[tuple[User, str]]:
    """Each consultant with a part in `person`'s care and what it is, when more than one
    has (the person page says so): whoever looks after them, the record's owner, and the
    owners of the placements they are hiring manager for (`hires`, the rows of
    `_hires_statement`; named only as far as `user` may see)."""
    parts: dict[User, list[str]] = {}
    if who.owner is not None:
        where = f" (placement at {who.placement.company.name})" if who.placement else ""
        parts[who.owner] = [f"looks after them{where}: calls, alerts, referrals, readiness"]
    if person.owner is not None and person.owner != who.owner:
        parts.setdefault(person.owner, []).append("owns the record")
    # A colleague's placement is named only to those who may open it (visible_placements).
    owners = set() if user.sees_whole_team else {user.pk, *covered_owner_ids(user)}
    for _pk, owner_id, first_name, last_name, *owner_names in hires:
        if owner_id == (who.owner.pk if who.owner else None):
            continue
        seen = user.sees_whole_team or owner_id in owners
        hire = f"{first_name} {last_name}".strip() if seen else "someone placed"
        owner = read_staff(owner_id, *owner_names)
        assert owner is not None  # every placement has an owner
        parts.setdefault(owner, []).append(f"their hiring of {hire}")
    if len(parts) < 2:
        return []
    return [(consultant, "; ".join(what)) for consultant, what in parts.items()]


def looks_after(person: Person, *, day: dt.date | None = None) -> LooksAfter:
    """The agency's one rule for who looks after `person` on `day` (today by default). The
    person page, the personal page's "your consultant", referrals, leads and ready-to-move
    calls ask here (lists through `looked_after_by`); alerts follow the same cover chain
    (`stand_in_id`). Today and handover agree by construction: a new placement brings the
    person's planned calls to its owner, and handing the placement over moves them on."""
    return _looks_after(person, live_placement(person), day=day or timezone.localdate())


def _looks_after(person: Person, placement: Placement | None, *, day: dt.date) -> LooksAfter:
    owner = placement.owner if placement is not None else person.owner
    if owner is None:
        return LooksAfter(owner=None, placement=placement)
    stand_in = stand_in_id(owner.pk, day=day)
    return LooksAfter(
        owner=owner,
        stand_in=User.objects.get(pk=stand_in) if stand_in != owner.pk else None,
        placement=placement,
    )


def visible_placements(user: User) -> QuerySet[Placement]:
    """Placements `user` may open: everything for managers, else their own and those they cover."""
    if user.sees_whole_team:
        return Placement.objects.all()
    covered = covered_owner_ids(user)
    return Placement.objects.filter(Q(owner=user) | Q(owner_id__in=covered))


def visible_person_ids(owner_ids: list[int]) -> QuerySet[Any]:
    """The ids of the people `owner_ids` own, or who are placed or hiring manager on their
    placements: one branch per reason, each read from an index led by the owner
    (person_owner_names, placement_owner_person, placement_owner_manager), joined by UNION.
    An OR of the same reasons is served by no index, so every list's count read the whole
    agency; the union reads only the consultants' own book."""
    # Each branch unordered: a compound statement takes no ORDER BY in its parts.
    owned = Person.objects.filter(owner_id__in=owner_ids).order_by().values("id")
    mine = Placement.objects.filter(owner_id__in=owner_ids).order_by()
    placed = mine.values("person_id")
    managing = mine.filter(hiring_manager__isnull=False).values("hiring_manager_id")
    return owned.union(placed, managing)


# Counted on every view of the people list, so written once (see _PEOPLE_OWNED below).
_PEOPLE_OWNED_COUNT = (
    "SELECT COUNT(*) FROM (SELECT id FROM {person} WHERE owner_id IN ({owners}) LIMIT %s) AS owned"
)


def count_visible_people(owner_ids: list[int], up_to: int) -> int:
    """How many people `owner_ids` may see, counted up to `up_to`: from the index of those
    they own alone when that reaches it (a consultant's book usually does), else the union
    of every reason. Neither reads a person's row."""
    owners = ", ".join(["%s"] * len(owner_ids))
    sql = _with_tables(_PEOPLE_OWNED_COUNT, owners=owners)
    [(owned,)] = fetch_all(sql, [*owner_ids, up_to])
    if owned >= up_to:
        return int(owned)
    return visible_person_ids(owner_ids)[:up_to].count()


class _AmongIds(In[Any]):
    """`IN (subquery)`; on PostgreSQL `= ANY(ARRAY(subquery))`: the ids are gathered first
    and each person is fetched by primary key. As an IN, PostgreSQL joins the few ids with
    a scan of every person to sort a page of them."""

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", [*lhs_params, *rhs_params]


def _visible_parts(owner_ids: list[int]) -> tuple[Q, _AmongIds]:
    """`visible_people`'s rule as its two parts, which no person is in both of: those
    `owner_ids` own (read from the owner's index, person_owner_names), and those placed or
    hiring manager on their placements whom they do not own (_PLACEMENTS_PEOPLE, ~450 for a
    consultant at agency size, looked up by id). As one list of ids every one of a book's
    ~4,500 people was looked up by id: 13,000 buffers on PostgreSQL for a filtered list's
    page, 16,000 for a search."""
    owners = ", ".join(["%s"] * len(owner_ids))
    # The statement is this module's constant with quoted table names; the ids are
    # parameters.
    placed = RawSQL(  # noqa: S611
        _with_tables(_PLACEMENTS_PEOPLE, owners=owners),
        [*owner_ids, *owner_ids, *owner_ids],
    )
    return Q(owner_id__in=owner_ids), _AmongIds(F("pk"), placed)


def visible_ids(user: User) -> tuple[Ids, Ids]:
    """The ids of the people and of the placements a consultant may open (not for
    managers, who see all), read once: each from an index led by the owner. Another table
    filtered by them as one array parameter (`person_id__any_of`) is read by its own
    person index; as a subquery PostgreSQL re-read every touchpoint for each message of a
    consultant's Sent mail (9 s for a page at agency size).

    As Ids: a page matches them in several filters, and the ORM would walk a list of them
    item by item in each."""
    owners = [user.pk, *covered_owner_ids(user)]
    people = Ids(visible_person_ids(owners).values_list("id", flat=True))
    placements = Ids(
        Placement.objects.filter(owner_id__in=owners).order_by().values_list("pk", flat=True)
    )
    return people, placements


def visible_people(user: User) -> QuerySet[Person]:
    """People `user` may open: everyone for managers, else those they (or whoever they
    cover) own, or who are placed or hiring manager on such placements. For other tables'
    filters (`person__in`) and lookups of a few; a list of people read in name order (the
    people list's filters, its download) reads `visible_people_listed`."""
    if user.sees_whole_team:
        return Person.objects.all()
    ids = visible_person_ids([user.pk, *covered_owner_ids(user)])
    return Person.objects.filter(_AmongIds(F("pk"), ids))


def visible_people_listed(user: User) -> QuerySet[Person]:
    """`visible_people` for a list of people read in order from the person table: the two
    parts of the rule as an OR, which each engine serves from the owner's index and ~450
    lookups by id (a download at agency size: ~10,000 buffers on PostgreSQL instead of
    49,000). Not for other tables' filters: as `person__in`, PostgreSQL planned the OR far
    worse than the list of ids (sent mail's estimate 400 times higher)."""
    if user.sees_whole_team:
        return Person.objects.all()
    owned, placed = _visible_parts([user.pk, *covered_owner_ids(user)])
    return Person.objects.filter(owned | placed)


def first_visible_people(
    user: User,
    narrow: Callable[[QuerySet[Person]], QuerySet[Person]],
    order: tuple[Any, ...],
    limit: int,
) -> list[Person]:
    """The first `limit` people `user` may open that `narrow` keeps, in `order`: each part
    of the rule narrowed on its own and the two merged. As one OR, PostgreSQL walks a name
    index of the whole agency to find a short page (200,000 entries, 290 ms, for a search
    that matches seven of a consultant's people at agency size)."""
    if user.sees_whole_team:
        return list(narrow(Person.objects.all()).order_by(*order)[:limit])
    # Each part unordered: a compound statement takes no ORDER BY in its parts.
    owned, placed = (
        narrow(Person.objects.filter(part)).order_by()
        for part in _visible_parts([user.pk, *covered_owner_ids(user)])
    )
    return list(owned.union(placed, all=True).order_by(*order)[:limit])


# The consultant's people list, a page of whom they may see in name order, is read on
# every page view: written once here, its statements skip the ORM's building and
# compiling (~15% of the request) and are prepared on PostgreSQL (lib.bulk.fetch_all).
# Two parts with no one in common: the people they own, walked in name order from the
# index person_owner_names (a page reads 51 entries, not the book), and those they do not
# own who are placed or hiring manager on their placements, looked up by id in
# person_id_names (which holds the name: no person's row is read).
_PEOPLE_OWNED = (
    "SELECT last_name, first_name, id FROM {person}"
    " WHERE owner_id IN ({owners}){current}{beyond} ORDER BY {order} LIMIT %s"
)
_PEOPLE_PLACED = (
    "SELECT last_name, first_name, id FROM {person}{indexed} WHERE {among}{current}{beyond}"
    " ORDER BY {order} LIMIT %s"
)
# A role tab: only those whose role of the kind is current, asked of each person as the
# name index is walked (people_role's person index), so a page reads about as many people
# as it shows. Written as a value rather than EXISTS, which PostgreSQL may turn into a
# join: for a count it then hashed every current role of the kind in the agency (90,000
# placed, 28 ms) to keep a thousand of the consultant's people.
_PEOPLE_CURRENT_ROLE = (
    " AND (SELECT 1 FROM {role} r WHERE r.person_id = {person}.id"
    " AND r.kind = %s AND r.ended_on IS NULL LIMIT 1) IS NOT NULL"
)
# The people on their placements less those they own, as ids: a consultant's placements
# are mostly with people they own (2,728 people for 447 kept at agency size), and taking
# the owned ids away from the owner's index (read in order, a few dozen pages) costs less
# than looking every one of them up by id to read their owner (1,400 buffers instead of
# 8,200; 1.5 against 2.7 ms on PostgreSQL). EXCEPT returns each id once; people with no
# owner stay, as they are in no one's owned ids.
_PLACEMENTS_PEOPLE = (
    "SELECT person_id FROM {placement} WHERE owner_id IN ({owners})"
    " UNION ALL SELECT hiring_manager_id FROM {placement}"
    " WHERE owner_id IN ({owners}) AND hiring_manager_id IS NOT NULL"
    " EXCEPT SELECT id FROM {person} WHERE owner_id IN ({owners})"
)
# Past a cursor in name order, as KeysetPaginator's filter writes it: the leading
# comparison lets either engine start the index range at the cursor.
_PEOPLE_BEYOND = (
    " AND last_name {op}= %s AND (last_name {op} %s OR (last_name = %s AND first_name {op} %s)"
    " OR (last_name = %s AND first_name = %s AND id {op} %s))"
)


def placed_among_sql(owners: str) -> str:
    """The condition that a person is among those seen through the placements of the
    owners whose placeholders are `owners` without owning them (the part of the rule
    looked up by id); its parameters are the owners' ids three times over."""
    ids = _with_tables(_PLACEMENTS_PEOPLE, owners=owners)
    return f"id = ANY(ARRAY({ids}))" if connection.vendor == "postgresql" else f"id IN ({ids})"


def visible_people_names(
    owner_ids: list[int],
    cursor: list[Any] | None,
    ascending: bool,
    limit: int,
    *,
    role: str = "",
) -> list[tuple[Any, ...]]:
    """(last name, first name, id) of the first `limit` people `owner_ids` may see (as
    `visible_people`) past `cursor`, by name then id (or the reverse): a people list's
    page for KeysetPaginator's `find`; with `role`, only those whose role of that kind is
    current (a role tab)."""
    postgresql = connection.vendor == "postgresql"
    owners = ", ".join(["%s"] * len(owner_ids))
    way = "" if ascending else " DESC"
    shape = {
        "owners": owners,
        "order": f"last_name{way}, first_name{way}, id{way}",
        "beyond": _PEOPLE_BEYOND.format(op=">" if ascending else "<") if cursor else "",
        "current": _with_tables(_PEOPLE_CURRENT_ROLE) if role else "",
    }
    narrowing: list[Any] = [role] if role else []
    if cursor:
        last, first, pk = cursor
        narrowing += [last, last, last, first, last, first, pk]
    owned_sql = _with_tables(_PEOPLE_OWNED, **shape)
    owned_params = [*owner_ids, *narrowing, limit]
    # PostgreSQL gathers the ids first (= ANY(ARRAY(...))) and probes person_id_names by
    # each; as an IN it joins them with a scan of every person. SQLite prefers the table's
    # own rows to the narrow index unless told: after another process's commit empties the
    # page cache, reading them again cost twice as long (11 against 5.6 ms at agency size).
    placed_sql = _with_tables(
        _PEOPLE_PLACED,
        **shape,
        among=placed_among_sql(owners),
        indexed="" if postgresql else " INDEXED BY person_id_names",
    )
    placed_params = [*owner_ids, *owner_ids, *owner_ids, *narrowing, limit]
    if postgresql:
        # One statement: each part's top rows, merged in the database's collation.
        merged = f"({owned_sql}) UNION ALL ({placed_sql}) ORDER BY {shape['order']} LIMIT %s"
        return fetch_all(merged, [*owned_params, *placed_params, limit])
    # SQLite takes no LIMIT inside a compound statement: each part's top rows are read on
    # their own and merged here. SQLite compares text byte by byte (BINARY), which for
    # UTF-8 is the order Python sorts the same text in.
    rows = [*fetch_all(owned_sql, owned_params), *fetch_all(placed_sql, placed_params)]
    return sorted(rows, reverse=not ascending)[:limit]


def visible_touchpoints(user: User) -> QuerySet[Touchpoint]:
    """Touchpoints `user` may open: one on a placement only with that placement, one about
    the person alone with the person. A hiring manager shared by two consultants'
    placements is visible to both, but each sees only the calls and check-ins of the
    placements they may open.

    The ids are read first (`visible_ids`) and passed as arrays, each served by the
    touchpoint's person or placement index: as subqueries PostgreSQL read all 2,000,000
    touchpoints for a consultant's API list at agency size (0.9 s for a page)."""
    if user.sees_whole_team:
        return Touchpoint.objects.all()
    people, placements = visible_ids(user)
    return Touchpoint.objects.filter(
        Q(placement__isnull=True, person_id__any_of=people) | Q(placement_id__any_of=placements)
    )


def seen_among(user: User, person_ids: list[int]) -> set[int]:
    """Which of a few `person_ids` `user` may open (`visible_people`'s rule asked about
    them alone): their owner, or a placement of theirs, is the user's or a covered
    colleague's. Index lookups by person, where the list form builds everyone visible."""
    if not person_ids:
        return set()
    if user.sees_whole_team:
        return set(person_ids)
    owners = [user.pk, *covered_owner_ids(user)]
    # Each branch unordered: a compound statement takes no ORDER BY in its parts.
    owned = (
        Person.objects.filter(pk__in=person_ids, owner_id__in=owners)
        .order_by()
        .values_list("pk", flat=True)
    )
    placements = Placement.objects.filter(owner_id__in=owners).order_by()
    placed = placements.filter(person_id__in=person_ids).values_list("person_id", flat=True)
    managing = placements.filter(hiring_manager_id__in=person_ids).values_list(
        "hiring_manager_id", flat=True
    )
    return set(owned.union(placed, managing))


def sees_person(user: User, person: Person) -> bool:
    """Whether `user` may open `person` (`visible_people`'s rule for one person): the
    owner's id settles most; else an index lookup, once a page view (the person page asks
    for itself, its upcoming calls, its timeline and the calls a log completes)."""
    if user.sees_whole_team or person.owner_id in [user.pk, *covered_owner_ids(user)]:
        return True
    return remembered(
        ("sees_person", user.pk, person.pk), lambda: bool(seen_among(user, [person.pk]))
    )


def touchpoints_of(user: User, person: Person) -> QuerySet[Touchpoint]:
    """`person`'s touchpoints that `user` may open: `visible_touchpoints` asked about one
    person, which the person page does four times. Deciding once whether `user` may see
    the person costs an index lookup; the list form builds everyone they may see."""
    found = Touchpoint.objects.filter(person=person)
    if user.sees_whole_team:
        return found
    on_their_placement = Q(placement__owner_id__in=[user.pk, *covered_owner_ids(user)])
    if sees_person(user, person):
        return found.filter(Q(placement__isnull=True) | on_their_placement)
    return found.filter(on_their_placement)


def due_calls_for(user: User, person: Person, *, today: dt.date) -> QuerySet[Touchpoint]:
    """The planned calls and meetings with `person` that logging a call now completes,
    earliest first: those due by `today`, and those already tried and waiting for a retry."""
    return (
        touchpoints_of(user, person)
        .filter(state=Touchpoint.State.PLANNED)
        .exclude(kind__in=SENT_BY_WORKER)
        .filter(Q(due_on__lte=today) | Q(attempts__gt=0))
        .select_related("placement", "placement__company")
        .order_by("due_on", "id")
    )


# One object by id, for the web pages and the API alike: a 404 outside the user's reach,
# never a 403, so nobody learns that someone else's record exists.


def get_placement_for(user: User, pk: int) -> Placement:
    found = visible_placements(user).select_related(
        "person", "company", "owner", "hiring_manager", "care_plan"
    )
    return get_object_or_404(found, pk=pk)


# A person with their owner, whole: every page about one person starts here. Written
# once (prepared on PostgreSQL), where the ORM compiled ~40 columns' worth every view.
_PERSON = (
    "SELECT {person_columns}, {owner_columns} FROM {person} c"
    " LEFT OUTER JOIN {user} u ON c.owner_id = u.id WHERE c.id = %s"
)


def get_person_for(user: User, pk: int) -> Person:
    # The person first, by primary key, then whether the user may open them: the owner's
    # id usually says, where `visible_people` compiled and ran a union for every page.
    sql = _with_tables(
        _PERSON, person_columns=_columns(Person, "c"), owner_columns=_columns(User, "u")
    )
    rows = fetch_all(sql, [pk])
    if not rows:
        raise Http404("No Person matches the given query.")
    width = len(Person._meta.concrete_fields)
    found = _whole(Person, list(rows[0][:width]))
    owner = rows[0][width:]
    found.owner = None if found.owner_id is None else _whole(User, list(owner))
    if not sees_person(user, found):
        raise Http404("No Person matches the given query.")
    return found


def get_touchpoint_for(user: User, pk: int) -> Touchpoint:
    found = visible_touchpoints(user).select_related("person", "placement", "owner")
    return get_object_or_404(found, pk=pk)


@dataclass
class TimelineEntry:
    at: dt.datetime
    kind: str  # "touchpoint", "message", "note" or "response"
    title: str
    text: str
    state: str  # touchpoint or message state; "" for notes
    by: User | None
    obj: Touchpoint | OutboxMessage | Note | Response


def _on_day(day: dt.date) -> dt.datetime:
    # A touchpoint skipped or missed has no time of its own; place it in the working day.
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9)))


# What the timeline shows of each call, check-in or meeting done (or skipped, or missed) and
# of each note, with the names of who did or wrote it (User.display_name): one statement
# written once (prepared on PostgreSQL), where the ORM compiled two every view (the
# touchpoints' alone took longer to plan on PostgreSQL than to run). `{seen}` is the
# visibility rule of `touchpoints_of`.
_TIMELINE_DONE_AND_NOTES = (
    "SELECT 0, t.id, t.title, t.notes, t.skip_reason, t.state, t.outcome, t.done_at, t.due_on,"
    " t.owner_id, o.first_name, o.last_name, o.username,"
    " t.done_by_id, d.first_name, d.last_name, d.username"
    " FROM {touchpoint} t INNER JOIN {user} o ON t.owner_id = o.id"
    " LEFT OUTER JOIN {user} d ON t.done_by_id = d.id"
    " LEFT OUTER JOIN {placement} p ON t.placement_id = p.id"
    " WHERE t.person_id = %s AND t.state <> %s{seen}"
    " UNION ALL"
    " SELECT 1, n.id, '', n.text, '', '', '', n.created_at, NULL,"
    " n.author_id, a.first_name, a.last_name, a.username, NULL, NULL, NULL, NULL"
    " FROM {note} n LEFT OUTER JOIN {user} a ON n.author_id = a.id WHERE n.person_id = %s"
)
# The messages sent to the person that `user` may see, with what the timeline shows and
# says of each (its text as sent: a newsletter copy's is its shared body filled with its own
# values; the HTML copy, ~20 KB for a newsletter, is never read). Written once (prepared on
# PostgreSQL), as are the answered questionnaires below. `{seen}`: a message about a
# touchpoint shows with the touchpoint (visible_touchpoints' rule, written on the joined
# touchpoint `t` and its placement `p`).
_TIMELINE_MESSAGES = (
    "SELECT m.id, m.subject, m.body_text, m.state, m.sent_at, m.created_at, m.template_id,"
    " m.fills, w.body_text, w.fields"
    " FROM {message} m LEFT OUTER JOIN {outbox_template} w ON m.template_id = w.id"
    " LEFT OUTER JOIN {touchpoint} t ON m.touchpoint_id = t.id"
    " LEFT OUTER JOIN {placement} p ON t.placement_id = p.id"
    " WHERE m.person_id = %s{seen} ORDER BY m.created_at DESC, m.id DESC"
)
# Whom the touchpoint is with may be seen by `owners` (visible_person_ids' three reasons,
# each an index lookup for that one person).
_MESSAGE_SEEN = (
    " AND (m.touchpoint_id IS NULL OR p.owner_id {ids} OR (t.placement_id IS NULL AND ("
    "EXISTS(SELECT 1 FROM {person} v WHERE v.id = t.person_id AND v.owner_id {ids})"
    " OR EXISTS(SELECT 1 FROM {placement} v WHERE v.person_id = t.person_id AND v.owner_id {ids})"
    " OR EXISTS(SELECT 1 FROM {placement} v WHERE v.hiring_manager_id = t.person_id"
    " AND v.owner_id {ids}))))"
)
# Questionnaires the person answered about a placement `user` may open.
_TIMELINE_RESPONSES = (
    "SELECT r.id, r.submitted_at, r.questionnaire_id, q.name"
    " FROM {response} r INNER JOIN {questionnaire} q ON r.questionnaire_id = q.id"
    " INNER JOIN {placement} p ON r.placement_id = p.id"
    " WHERE r.person_id = %s{owners} ORDER BY r.submitted_at DESC, r.id DESC"
)


def timeline_for(person: Person, *, user: User) -> list[TimelineEntry]:
    """`timeline_reading` read on its own."""
    return timeline_reading(person, user=user).read()


def timeline_reading(person: Person, *, user: User) -> Reading[list[TimelineEntry]]:
    """What has happened with `person`, as far as `user` may see: touchpoints (not the
    still-planned ones), messages, notes and questionnaire answers, newest first. Those
    belonging to a placement `user` may not open (a shared hiring manager's calls about
    a colleague's placement) are left out. Three statements, and the answers only when
    someone answered."""
    statements = [
        _done_and_notes_statement(person, user),
        _messages_statement(person, user),
        _answers_statement(person, user),
    ]
    return Reading(statements, partial(_timeline, person))


def _timeline(person: Person, rows: list[list[tuple[Any, ...]]]) -> list[TimelineEntry]:
    done_rows, message_rows, answer_rows = rows
    touchpoints, notes = _done_and_notes(person, done_rows)
    entries = [
        TimelineEntry(
            at=t.done_at or _on_day(t.due_on),
            kind="touchpoint",
            title=t.title,
            text=t.notes or t.skip_reason,
            state=t.state,
            by=t.done_by or t.owner,
            obj=t,
        )
        for t in touchpoints
    ]
    for m in _messages_to(person, message_rows):
        entries.append(
            TimelineEntry(
                at=m.sent_at or m.created_at,
                kind="message",
                title=m.subject,
                text=m.text,
                state=m.state,
                by=None,
                obj=m,
            )
        )
    for n in notes:
        entries.append(
            TimelineEntry(
                at=n.created_at,
                kind="note",
                title="Note",
                text=n.text,
                state="",
                by=n.author,
                obj=n,
            )
        )
    for r in _answered_by(person, answer_rows):
        entries.append(
            TimelineEntry(
                at=r.submitted_at,
                kind="response",
                title=f"Answered: {r.questionnaire.name}",
                text=_answer_summary(r),
                state="",
                by=None,
                obj=r,
            )
        )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


def _owners_param(user: User) -> list[Any]:
    """The one parameter naming whose work `user` sees (theirs and those they cover), or
    none for a manager, who sees everyone's."""
    return [] if user.sees_whole_team else [ids_param([user.pk, *covered_owner_ids(user)])]


def _messages_statement(person: Person, user: User) -> tuple[str, list[Any]]:
    """The messages to `person` that `user` may see, newest first."""
    owners = _owners_param(user)
    seen = _with_tables(_MESSAGE_SEEN, ids=AMONG_IDS[connection.vendor]) if owners else ""
    sql = _with_tables(_TIMELINE_MESSAGES, seen=seen)
    return sql, [person.pk, *(owners * _MESSAGE_SEEN.count("{ids}"))]


def _messages_to(person: Person, rows: list[tuple[Any, ...]]) -> list[OutboxMessage]:
    """The rows of `_messages_statement` as instances of what the timeline shows of them."""
    message, template = _above("message"), _above("outbox_template")
    sent_at, created_at = read_as(message, "sent_at"), read_as(message, "created_at")
    fills, fields = read_as(message, "fills"), read_as(template, "fields")
    found: list[Any] = []
    for pk, subject, body_text, state, sent, created, template_id, filled, body, names in rows:
        m: Any = read_instance(
            message,
            id=pk,
            person_id=person.pk,
            subject=subject,
            body_text=body_text,
            state=state,
            sent_at=sent_at(sent),
            created_at=created_at(created),
            template_id=template_id,
            fills=fills(filled),
        )
        if template_id is not None:
            m.template = read_instance(
                template, id=template_id, body_text=body, fields=fields(names)
            )
        found.append(m)
    return found


def _answers_statement(person: Person, user: User) -> tuple[str, list[Any]]:
    """The questionnaires `person` answered about placements `user` may open, newest first."""
    owners = _owners_param(user)
    sql = _with_tables(
        _TIMELINE_RESPONSES,
        owners=f" AND p.owner_id {AMONG_IDS[connection.vendor]}" if owners else "",
    )
    return sql, [person.pk, *owners]


def _answered_by(person: Person, rows: list[tuple[Any, ...]]) -> list[Response]:
    """The rows of `_answers_statement` with their questionnaire's name and (when there
    are any) their answers."""
    response, questionnaire = _above("response"), _above("questionnaire")
    submitted_at = read_as(response, "submitted_at")
    found: list[Any] = []
    for pk, submitted, questionnaire_id, name in rows:
        r: Any = read_instance(
            response,
            id=pk,
            person_id=person.pk,
            submitted_at=submitted_at(submitted),
            questionnaire_id=questionnaire_id,
        )
        r.questionnaire = read_instance(questionnaire, id=questionnaire_id, name=name)
        found.append(r)
    if found:
        prefetch_related_objects(found, "answers__question")
    return found


def _done_and_notes_statement(person: Person, user: User) -> tuple[str, list[Any]]:
    """`person`'s touchpoints no longer planned that `user` may see (`touchpoints_of`) and
    the notes about them."""
    seen, owners = _seen_touchpoints(user, person)
    params = [person.pk, Touchpoint.State.PLANNED.value, *owners, person.pk]
    return _with_tables(_TIMELINE_DONE_AND_NOTES, seen=seen), params


def _done_and_notes(
    person: Person, rows: list[tuple[Any, ...]]
) -> tuple[list[Touchpoint], list[Note]]:
    """The rows of `_done_and_notes_statement`, touchpoints latest due first and notes
    newest first: instances of what the timeline shows, with who did or wrote each."""
    done_at, due_day, written_at = (
        read_as(Touchpoint, "done_at"),
        read_as(Touchpoint, "due_on"),
        read_as(Note, "created_at"),
    )
    touchpoints: list[Touchpoint] = []
    notes: list[Note] = []
    for part, pk, title, text, skip_reason, state, outcome, at, due_on, *names in rows:
        by = read_staff(*names[:4])
        if part == 1:
            note = read_instance(
                Note, id=pk, person_id=person.pk, text=text, created_at=written_at(at)
            )
            note.author = by
            notes.append(note)
            continue
        touchpoint = read_instance(
            Touchpoint,
            id=pk,
            person_id=person.pk,
            title=title,
            notes=text,
            skip_reason=skip_reason,
            state=state,
            outcome=outcome,
            done_at=done_at(at),
            due_on=due_day(due_on),
        )
        assert by is not None  # every touchpoint has an owner (the join is an inner one)
        touchpoint.owner = by
        touchpoint.done_by = read_staff(*names[4:])
        touchpoints.append(touchpoint)
    # In the order the ORM's two queries gave them: the timeline's sort keeps it for
    # entries of the same moment.
    touchpoints.sort(key=lambda t: (t.due_on, t.pk), reverse=True)
    notes.sort(key=lambda n: (n.created_at, n.pk), reverse=True)
    return touchpoints, notes


def _seen_touchpoints(user: User, person: Person) -> tuple[str, list[Any]]:
    """`touchpoints_of`'s rule for a statement written by hand (the touchpoint `t`, its
    placement `p`, left-joined): its condition and its one parameter, or none."""
    if user.sees_whole_team:
        return "", []
    owners = ids_param([user.pk, *covered_owner_ids(user)])
    if sees_person(user, person):
        return f" AND (t.placement_id IS NULL OR p.owner_id {AMONG_IDS[connection.vendor]})", [
            owners
        ]
    return f" AND p.owner_id {AMONG_IDS[connection.vendor]}", [owners]


# The person page's Coming up and its log form's due calls: what a row shows (care.rows)
# of planned touchpoints `user` may see, read by a statement written once (prepared on
# PostgreSQL). `{which}` narrows them and `{limit}` caps them.
_PLANNED = (
    "SELECT t.id, t.placement_id, t.owner_id, t.kind, t.audience, t.title, t.due_on, t.state,"
    " t.outcome, t.notes, t.skip_reason, t.attempts, t.first_due_on,"
    " c.first_name, c.last_name, c.phone, c.email_failed_at, p.company_id, p.role_title, co.name,"
    " u.first_name, u.last_name, u.username"
    " FROM {touchpoint} t INNER JOIN {person} c ON t.person_id = c.id"
    " LEFT OUTER JOIN {placement} p ON t.placement_id = p.id"
    " LEFT OUTER JOIN {company} co ON p.company_id = co.id"
    " INNER JOIN {user} u ON t.owner_id = u.id"
    " WHERE t.person_id = %s AND t.state = %s{seen}{which} ORDER BY t.due_on, t.id{limit}"
)
# due_calls_for's condition (the kinds the worker sends written as literals, as Today's are).
_DUE_CALLS = (
    " AND NOT (t.kind IN ('email', 'questionnaire')) AND (t.due_on <= %s OR t.attempts > 0)"
)


class PersonPage(NamedTuple):
    """What the person page lists of a person, besides its timeline."""

    placements: list[Placement]  # theirs and those they hire for, newest start first
    upcoming: list[Touchpoint]  # the next planned touchpoints, earliest due first
    due_calls: list[Touchpoint]  # `due_calls_for`, as the log form shows them
    roles: list[Role]  # latest first
    consents: list[Consent]  # newest first; none read for an erased person
    who: LooksAfter  # `looks_after`
    who_does_what: list[tuple[User, str]]  # `who_does_what`
    off_limits_until: dt.date | None  # `off_limits`


def person_page_reading(
    user: User, person: Person, *, today: dt.date, upcoming: int
) -> Reading[PersonPage]:
    """What the person page lists of `person`, as far as `user` may see, each read by a
    statement written once, for the view to send with its other parts' (one round trip on
    PostgreSQL, where the page waited for each in turn). A form that completes a due call
    reads them through `due_calls_for`."""
    assert SENT_BY_WORKER == ("email", "questionnaire")
    day = connection.ops.adapt_datefield_value(today)
    statements = [
        _placements_statement(user, person),
        _planned_statement(user, person, which="", limit=" LIMIT %s", params=[upcoming]),
        _planned_statement(user, person, which=_DUE_CALLS, limit="", params=[day]),
        (_with_tables(_ROLES), [person.pk]),
        _live_placement_statement(person),
        off_limits_statement([person.pk], today=today),
        _hires_statement(person),
    ]
    if not person.erased_at:
        statements.append(_consents_statement(person))

    def make(rows: list[list[tuple[Any, ...]]]) -> PersonPage:
        placements, planned, due, roles, live, barred, hires, *consents = rows
        who = _looks_after(person, _live_placement(live), day=today)
        return PersonPage(
            placements=_placements(placements),
            upcoming=_planned(person, planned),
            due_calls=_planned(person, due),
            roles=_roles(person, roles),
            consents=_consents(consents[0]) if consents else [],
            who=who,
            who_does_what=who_does_what(person, who, hires, user=user),
            off_limits_until=off_limits_from(barred, today=today).get(person.pk),
        )

    return Reading(statements, make)


def _planned_statement(
    user: User, person: Person, *, which: str, limit: str, params: list[Any]
) -> tuple[str, list[Any]]:
    """`person`'s planned touchpoints that `user` may see (as `touchpoints_of`), earliest
    due first, as _PLANNED reads them."""
    seen, owners = _seen_touchpoints(user, person)
    sql = _with_tables(_PLANNED, seen=seen, which=which, limit=limit)
    return sql, [person.pk, Touchpoint.State.PLANNED.value, *owners, *params]


def _planned(person: Person, rows: list[tuple[Any, ...]]) -> list[Touchpoint]:
    """The rows of `_planned_statement` as instances of what Coming up shows."""
    due_day, first_due_day = read_as(Touchpoint, "due_on"), read_as(Touchpoint, "first_due_on")
    failed_at = read_as(Person, "email_failed_at")
    found = []
    for row in rows:
        pk, placement_id, owner_id, kind, audience, title, due_on, state, outcome = row[:9]
        touchpoint = read_instance(
            Touchpoint,
            id=pk,
            person_id=person.pk,
            placement_id=placement_id,
            owner_id=owner_id,
            kind=kind,
            audience=audience,
            title=title,
            due_on=due_day(due_on),
            state=state,
            outcome=outcome,
            notes=row[9],
            skip_reason=row[10],
            attempts=row[11],
            first_due_on=first_due_day(row[12]),
        )
        touchpoint.person = read_instance(
            Person,
            id=person.pk,
            first_name=row[13],
            last_name=row[14],
            phone=row[15],
            email_failed_at=failed_at(row[16]),
        )
        touchpoint.placement = None
        if placement_id is not None:
            placement = read_instance(
                Placement, id=placement_id, company_id=row[17], role_title=row[18]
            )
            placement.company = read_instance(Company, id=row[17], name=row[19])
            touchpoint.placement = placement
        touchpoint.owner = read_instance(
            User, id=owner_id, first_name=row[20], last_name=row[21], username=row[22]
        )
        found.append(touchpoint)
    return found


def read_staff(pk: int | None, first_name: str, last_name: str, username: str) -> User | None:
    """Who did or wrote something, as a page names them (read by hand with the rows)."""
    if pk is None:
        return None
    return read_instance(User, id=pk, first_name=first_name, last_name=last_name, username=username)


def _answer_summary(response: Response) -> str:
    # Scores and yes/no answers in a line or two; the response page has everything.
    parts = []
    for answer in response.answers.all():
        if answer.question.kind == "text" or answer.question.show_if_id is not None:
            continue
        parts.append(f"{answer.question.label} {answer.display()}")
    return "\n".join(parts[:6])


# The person page's placements, as the placed candidate or as their hiring manager, with
# what it shows of each (its card, the guarantee countdown, the log form's choices): written
# once (prepared on PostgreSQL), where the ORM compiled it twice a view (the card, and the
# log form's choices, which on PostgreSQL also ran through a server-side cursor).
_PERSON_PLACEMENTS = (
    "SELECT p.id, p.person_id, p.company_id, p.owner_id, p.role_title, p.start_date,"
    " p.status, p.guarantee_length, p.guarantee_unit, c.first_name, c.last_name, co.name,"
    " u.first_name, u.last_name, u.username"
    " FROM {placement} p INNER JOIN {person} c ON p.person_id = c.id"
    " INNER JOIN {company} co ON p.company_id = co.id INNER JOIN {user} u ON p.owner_id = u.id"
    " WHERE (p.person_id = %s OR p.hiring_manager_id = %s){owners}"
    " ORDER BY p.start_date DESC, p.id DESC"
)


def _placements_statement(user: User, person: Person) -> tuple[str, list[Any]]:
    """`person`'s placements and those they are hiring manager for that `user` may open
    (`visible_placements`), newest start first."""
    params: list[Any] = [person.pk, person.pk]
    owners = ""
    if not user.sees_whole_team:
        owners = f" AND p.owner_id {AMONG_IDS[connection.vendor]}"
        params.append(ids_param([user.pk, *covered_owner_ids(user)]))
    return _with_tables(_PERSON_PLACEMENTS, owners=owners), params


def _placements(rows: list[tuple[Any, ...]]) -> list[Placement]:
    """The rows of `_placements_statement`, each an instance of the columns above (any
    other is read on first use, as with `.only()`), with its person's name, its company's
    name and its owner's names."""
    found = []
    for row in rows:
        pk, person_id, company_id, owner_id, role_title, start_date, status = row[:7]
        placement = read_instance(
            Placement,
            id=pk,
            person_id=person_id,
            company_id=company_id,
            owner_id=owner_id,
            role_title=role_title,
            start_date=start_date,
            status=status,
            guarantee_length=row[7],
            guarantee_unit=row[8],
        )
        placement.person = read_instance(Person, id=person_id, first_name=row[9], last_name=row[10])
        placement.company = read_instance(Company, id=company_id, name=row[11])
        placement.owner = read_instance(
            User, id=owner_id, first_name=row[12], last_name=row[13], username=row[14]
        )
        found.append(placement)
    return found


# The roles the person page lists, latest first, with each company's name: written once.
_ROLES = (
    "SELECT r.id, r.kind, r.title, r.started_on, r.ended_on, r.company_id, co.name"
    " FROM {role} r LEFT OUTER JOIN {company} co ON r.company_id = co.id"
    " WHERE r.person_id = %s ORDER BY r.started_on DESC, r.id DESC"
)


def _roles(person: Person, rows: list[tuple[Any, ...]]) -> list[Role]:
    """`person`'s roles over time (_ROLES), latest first, as instances of what the page shows."""
    started_on, ended_on = read_as(Role, "started_on"), read_as(Role, "ended_on")
    found = []
    for pk, kind, title, started, ended, company_id, company_name in rows:
        role = read_instance(
            Role,
            id=pk,
            person_id=person.pk,
            kind=kind,
            title=title,
            started_on=started_on(started),
            ended_on=ended_on(ended),
            company_id=company_id,
        )
        role.company = (
            None if company_id is None else read_instance(Company, id=company_id, name=company_name)
        )
        found.append(role)
    return found


# The person's newsletter consents, newest first (Consent's own order), with the name of
# whoever recorded each: written once, where the ORM compiled it and then read each
# recorder by a query of its own.
_CONSENTS = (
    "SELECT {consent_columns}, u.id, u.first_name, u.last_name, u.username FROM {consent} k"
    " LEFT OUTER JOIN {user} u ON k.recorded_by_id = u.id"
    " WHERE k.person_id = %s ORDER BY k.given_at DESC, k.id DESC"
)


def _consents_statement(person: Person) -> tuple[str, list[Any]]:
    return _with_tables(_CONSENTS, consent_columns=_columns(Consent, "k")), [person.pk]


def _consents(rows: list[tuple[Any, ...]]) -> list[Consent]:
    """`person`'s consent records (_CONSENTS), newest first, as the person page's consent
    card shows them."""
    width = len(Consent._meta.concrete_fields)
    found = []
    for row in rows:
        consent = _whole(Consent, list(row[:width]))
        consent.recorded_by = read_staff(*row[width:])
        found.append(consent)
    return found
