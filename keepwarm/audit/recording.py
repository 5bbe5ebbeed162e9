"""Writing the audit trail: who is acting now, and one function that records an entry.

The middleware says who is acting for the length of a request (a staff member in the
browser or through the API); outside a request (the worker, a command) the actor is
"system".

Entries are written where the data is written, as pretix's log_action: each service that
creates or changes a record records it inside its own transaction, from values it has
read anyway (`record_created`, `record_changed`), so a save costs no extra SELECT and a
bulk write (an UPDATE of many rows, insert_rows) costs one INSERT however many rows it
touched (`record_entries`, `recorded_update`). No model save signal records anything: a
write that bypasses the services is not on the trail, so every write goes through one, and
audit/tests/test_every_writer_is_audited.py holds each service to leaving its entries.

A list page or an API page records one "viewed" entry per record it showed
(`record_read`), so "who accessed this person's data?" finds the lists they appeared in
too. The same list read again by the same person from the same address within the hour
(a consultant going back to Today between calls) adds nothing: the trail already says
they saw those records there, and writing them again cost every such view ~90 pages of
the database's log on SQLite for no new fact (`_not_read_lately`). A record's own page
is recorded every time it is opened.

Entries that record a read (viewed, exported) are written on nearly every page view. Outside
a caller's transaction (a GET page or an API read runs in autocommit) they are written in a
short transaction of their own that holds nothing else, and on PostgreSQL it commits
asynchronously (`synchronous_commit` off for that transaction alone): the page does not wait
for the write-ahead log to reach the disk (~11 ms of wall time on Today at agency size, for
under 1 ms of CPU). Nothing can be corrupted; a crash of the database server (not of
Keepwarm) can lose the access entries of its last ~0.6 s (3 x wal_writer_delay). Every
change to data, and a read entry written inside a transaction that changes data, stays fully
durable. KEEPWARM_DURABLE_READ_LOG=on makes read entries durable too.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.audit.models import AuditEntry
from keepwarm.lib.bulk import as_json, insert_rows, insert_select, watched


@dataclass(frozen=True)
class Actor:
    user: User | None
    path: str = ""
    ip: str | None = None

    @property
    def name(self) -> str:
        return self.user.username if self.user is not None else "system"


SYSTEM = Actor(user=None)
_current: ContextVar[Actor] = ContextVar("keepwarm_audit_actor", default=SYSTEM)
# Set once anything is recorded during a request, so the middleware does not log it twice.
_recorded: ContextVar[bool] = ContextVar("keepwarm_audit_recorded", default=False)
# The record a page read to show (`showing`): the middleware names its "viewed" entry from
# it instead of reading the row again.
_shown: ContextVar[models.Model | None] = ContextVar("keepwarm_audit_shown", default=None)


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    token = _current.set(actor)
    recorded = _recorded.set(False)
    shown = _shown.set(None)
    try:
        yield
    finally:
        _shown.reset(shown)
        _recorded.reset(recorded)
        _current.reset(token)


def identify(user: User) -> None:
    """The request turns out to be `user`'s (an API token is checked after the middleware
    began): what it reads and writes from here on is theirs. The middleware's acting_as
    puts the previous actor back when the request ends."""
    actor = current_actor()
    _current.set(Actor(user=user, path=actor.path, ip=actor.ip))


def current_actor() -> Actor:
    return _current.get()


def recorded_in_this_request() -> bool:
    return _recorded.get()


def showing(obj: models.Model) -> None:
    """This request's page shows `obj`, as read: its "viewed" entry is named from it."""
    _shown.set(obj)


def shown(model: type[models.Model], pk: Any) -> models.Model | None:
    """The record of `model` with `pk` the page said it shows, if it said so."""
    obj = _shown.get()
    if obj is None or type(obj) is not model or str(obj.pk) != str(pk):
        return None
    return obj


def person_id_of(obj: models.Model) -> int | None:
    """The person a record is about, so "who accessed this person's data" finds it."""
    if obj._meta.label_lower == "people.person":
        return int(obj.pk)
    person_id = getattr(obj, "person_id", None)
    return int(person_id) if person_id is not None else None


# Bookkeeping the app updates itself; logging it would bury the edits people make.
UNTRACKED_FIELDS = frozenset({"last_contacted_at", "created_at", "updated_at"})


def tracked_values(obj: models.Model) -> dict[str, Any]:
    """The fields a change entry compares, as the trail stores them."""
    return {name: jsonable(getattr(obj, name)) for name in _tracked_names(type(obj))}


@functools.cache
def _tracked_names(model: type[models.Model]) -> tuple[str, ...]:
    # Worked out once per model: an import's "created" entries ask for every placement.
    return tuple(
        f.attname
        for f in model._meta.concrete_fields
        if f.attname not in UNTRACKED_FIELDS and not f.primary_key
    )


def created_changes(obj: models.Model) -> dict[str, list[Any]]:
    """A new record's entry: every field given a value, as [None, value]."""
    return {k: [None, v] for k, v in tracked_values(obj).items() if v not in (None, "", [], {})}


def stored_values(obj: models.Model) -> dict[str, Any]:
    """`obj`'s tracked fields as the database holds them, its row locked until the
    transaction ends. For a service handed an instance that may already hold the new
    values (a bound form sets them on its instance): one SELECT, which also gives the
    stored "version" for claim_version."""
    assert transaction.get_connection().in_atomic_block, "stored_values needs a transaction"
    model = type(obj)
    names = [
        f.attname
        for f in model._meta.concrete_fields
        if f.attname not in UNTRACKED_FIELDS and not f.primary_key
    ]
    row = model._base_manager.select_for_update().values(*names).get(pk=obj.pk)
    return {k: jsonable(v) for k, v in row.items()}


def changes_from(before: dict[str, Any], obj: models.Model) -> dict[str, list[Any]]:
    """[old, new] for each tracked field of `obj` that differs from `before` (its
    tracked_values or stored_values, taken before the change)."""
    return {k: [before.get(k), v] for k, v in tracked_values(obj).items() if before.get(k) != v}


# Most of a record's values: the trail keeps them as they are, without the checks below.
_AS_THEY_ARE = frozenset({str, int, bool, float, type(None)})


def jsonable(value: Any) -> Any:
    """A value as the trail stores it; equal values compare equal whichever side read them."""
    if type(value) in _AS_THEY_ARE:
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, models.fields.files.FieldFile):
        return value.name
    return value


def record(
    action: str,
    *,
    object_type: str,
    object_id: Any = "",
    object_repr: str = "",
    person_id: int | None = None,
    changes: dict[str, list[Any]] | None = None,
) -> AuditEntry:
    actor = current_actor()
    _recorded.set(True)
    entry = AuditEntry(
        at=timezone.now(),
        actor=actor.user,
        actor_name=actor.name,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr[:200],
        person_id=person_id,
        changes=changes or {},
        path=actor.path[:300],
        ip=actor.ip,
    )
    if _asynchronous_read(action):
        _write_in_one_round_trip(entry)
        return entry
    with _written_for(action):
        entry.save()
    return entry


def _asynchronous_read(action: str) -> bool:
    """Whether an entry of `action` gets read_log_transaction's asynchronous commit."""
    connection = transaction.get_connection()
    return (
        action in READ_ACTIONS
        and not connection.in_atomic_block
        and _reads_commit_asynchronously(connection)
    )


def _reads_commit_asynchronously(connection: Any) -> bool:
    return connection.vendor == "postgresql" and not settings.KEEPWARM_DURABLE_READ_LOG


def _write_in_one_round_trip(entry: AuditEntry) -> None:
    """read_log_transaction's transaction for one entry, sent as one script: the page that
    records it (every page about one person) waited for BEGIN, SET LOCAL, the INSERT and
    COMMIT in turn. Its values are bound by psycopg's client-side cursor, as Django's own
    cursor binds every statement."""
    import psycopg  # only on PostgreSQL

    connection = transaction.get_connection()
    fields = [f for f in AuditEntry._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(entry, True), connection) for f in fields]
    insert = _ENTRY_INSERT.format(
        table=connection.ops.quote_name(AuditEntry._meta.db_table),
        columns=", ".join(connection.ops.quote_name(f.column) for f in fields),
        values=", ".join(["%s"] * len(fields)),
    )
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.ClientCursor(connection.connection) as cursor:
        script = (
            f"BEGIN; SET LOCAL synchronous_commit TO OFF; {cursor.mogrify(insert, values)}; COMMIT"
        )

        def run(sql: str, params: Any, many: bool, context: dict[str, Any]) -> None:
            try:
                cursor.execute(sql)
            except Exception:
                # The script stops at the statement that failed, inside its transaction.
                cursor.execute("ROLLBACK")
                raise

        # Through the connection's execute wrappers, as Django's own cursor is watched.
        watched(connection, run)(script, None, False, {"connection": connection, "cursor": cursor})
        # The INSERT's id comes after BEGIN's and SET LOCAL's results.
        while not (cursor.pgresult is not None and cursor.pgresult.nfields):
            if not cursor.nextset():
                raise RuntimeError("the audit entry's INSERT returned no id")
        [(entry.pk,)] = cursor.fetchall()
    entry._state.adding = False
    entry._state.db = connection.alias


_ENTRY_INSERT = "INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING id"


def record_for(action: str, obj: models.Model, **extra: Any) -> AuditEntry:
    return record(
        action,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        object_repr=str(obj),
        person_id=person_id_of(obj),
        **extra,
    )


def record_created(obj: models.Model) -> AuditEntry:
    """A record a service has just created: every field it was given."""
    return record_for(AuditEntry.Action.CREATED, obj, changes=created_changes(obj))


def record_changed(obj: models.Model, before: dict[str, Any]) -> AuditEntry | None:
    """A record a service has just saved, against its values `before` the change (see
    changes_from); nothing when no tracked field changed."""
    changes = changes_from(before, obj)
    return record_for(AuditEntry.Action.CHANGED, obj, changes=changes) if changes else None


@dataclass(frozen=True)
class Entry:
    """One entry of a bulk write: what was touched, as the trail names it."""

    object_type: str
    object_id: Any
    object_repr: str = ""
    person_id: int | None = None
    changes: dict[str, list[Any]] = field(default_factory=dict)


def record_entries(action: str, entries: Iterable[Entry]) -> int:
    """Record `entries` as `action`, by the current actor, in one INSERT (per few thousand
    entries): a bulk write's trail costs one statement, not one per row written."""
    pending = iter(entries)
    first = next(pending, None)
    if first is None:
        # Nothing to write takes no transaction: on SQLite its BEGIN IMMEDIATE would take
        # the database's write lock for a list read again (_not_read_lately).
        return 0
    same = _by_whom(action)
    with _written_for(action):
        written = insert_rows(
            AuditEntry,
            (
                {
                    **same,
                    "object_type": entry.object_type,
                    "object_id": str(entry.object_id),
                    "object_repr": entry.object_repr[:200],
                    "person_id": entry.person_id,
                    # Left out when empty: the column's default is prepared once, not per
                    # row (a list page's entries have none).
                    **({"changes": entry.changes} if entry.changes else {}),
                }
                for entry in itertools.chain([first], pending)
            ),
        )
    if written:
        _recorded.set(True)
    return written


def record_selected(action: str, *, object_type: str, columns: dict[str, str], source: str) -> int:
    """record_entries for the rows a SELECT gives, for a set-based write: `columns` gives
    object_id, object_repr, person_id and changes (JSON text) as SQL expressions over
    `source`, in the order the entries are written; the rest is the current actor's."""
    expressions = {**columns, "changes": as_json(columns["changes"])}
    same = {**_by_whom(action), "object_type": object_type}
    written = insert_select(AuditEntry, expressions, source, same=same)
    if written:
        _recorded.set(True)
    return written


# What a read of personal data leaves; every other action records a change to data.
READ_ACTIONS = frozenset({AuditEntry.Action.VIEWED, AuditEntry.Action.EXPORTED})


def _written_for(action: str) -> AbstractContextManager[None]:
    """Where an entry of `action` is written: a read's in a transaction of its own when no
    caller's is open (read_log_transaction), anything else where it is called."""
    if action in READ_ACTIONS and not transaction.get_connection().in_atomic_block:
        return read_log_transaction()
    return nullcontext()


@contextmanager
def read_log_transaction() -> Iterator[None]:
    """A transaction for read entries alone, which on PostgreSQL commits asynchronously
    unless KEEPWARM_DURABLE_READ_LOG is on (see the module's docstring). Only opened
    outside any transaction (_written_for): a caller's transaction may have changed data,
    and SET LOCAL would lower the durability of all of it."""
    connection = transaction.get_connection()
    assert not connection.in_atomic_block, "read entries in a caller's transaction join it"
    with transaction.atomic():
        if _reads_commit_asynchronously(connection):
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def _by_whom(action: str) -> dict[str, Any]:
    """What every entry of one bulk write shares: when, who, how and the action."""
    actor = current_actor()
    return {
        "at": timezone.now(),
        "actor_id": actor.user.pk if actor.user is not None else None,
        "actor_name": actor.name,
        "action": action,
        "path": actor.path[:300],
        "ip": actor.ip,
    }


def entry_for(
    obj: models.Model,
    *,
    label: Callable[[Any], str] = str,
    changes: dict[str, list[Any]] | None = None,
) -> Entry:
    """The entry for one instance; `label` names it when str() would read more rows."""
    return Entry(
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        object_repr=label(obj),
        person_id=person_id_of(obj),
        changes=changes or {},
    )


def record_objects(
    action: str, objs: Iterable[models.Model], *, label: Callable[[Any], str] = str
) -> int:
    """One `action` entry per instance, written together (see record_entries)."""
    return record_entries(action, (entry_for(obj, label=label) for obj in objs))


def brief_label(obj: models.Model) -> str:
    """A record's kind and id: for lists whose str() would read each row's relations."""
    return f"{obj._meta.verbose_name} #{obj.pk}"


def record_read(
    objs: Iterable[models.Model],
    *,
    label: Callable[[Any], str] = str,
    people: Callable[[Any], Iterable[int | None]] | None = None,
) -> int:
    """A list page or an API page showed these records: one "viewed" entry each, in one
    INSERT, so the person's trail lists every list they were read in (once an hour for
    the same list read from the same place: _not_read_lately).

    A record about someone other than its own `person` (an alert, through its placement)
    or about several people (a referral names who referred whom) gives `people`: the ids
    of the people the list showed with it, one entry for each of them."""
    entries = _not_read_lately(list(_read_entries(objs, label, people)))
    return record_entries(AuditEntry.Action.VIEWED, entries)


# How long a list read stands for the same list read again by the same reader from the
# same address (see the module's docstring).
READ_AGAIN_WITHIN = dt.timedelta(hours=1)


def _not_read_lately(entries: list[Entry]) -> list[Entry]:
    """`entries` of a list read, less those about a person its reader already has a
    "viewed" entry for, for the same record, on the same page (path and query) from the
    same address, within READ_AGAIN_WITHIN. One query, served by the trail's (person,
    time) or (reader, time) index, whichever the database finds narrower; an entry about
    no person, or a read by no one signed in, is always written."""
    actor = current_actor()
    people = {e.person_id for e in entries if e.person_id is not None}
    if actor.user is None or not people:
        return entries
    lately = set(
        AuditEntry.objects.filter(
            person_id__any_of=people,
            at__gte=timezone.now() - READ_AGAIN_WITHIN,
            action=AuditEntry.Action.VIEWED,
            actor=actor.user,
            path=actor.path[:300],
            ip=actor.ip,
        )
        .order_by()  # a set is asked for: the trail's newest-first order would sort it
        .values_list("person_id", "object_type", "object_id")
    )
    return [e for e in entries if (e.person_id, e.object_type, str(e.object_id)) not in lately]


def _read_entries(
    objs: Iterable[models.Model],
    label: Callable[[Any], str],
    people: Callable[[Any], Iterable[int | None]] | None,
) -> Iterator[Entry]:
    for obj in objs:
        entry = entry_for(obj, label=label)
        shown = [p for p in people(obj) if p is not None] if people is not None else []
        if not shown:
            yield entry
        for person_id in dict.fromkeys(shown):
            yield replace(entry, person_id=person_id)


def record_people_read(people: Iterable[tuple[int, str]]) -> int:
    """A list named people (id, name) without loading their records, as a vacancy's
    matches do: one "viewed" entry per person, in one INSERT."""
    entries = [Entry("people.person", pk, name, pk) for pk, name in dict(people).items()]
    return record_entries(AuditEntry.Action.VIEWED, _not_read_lately(entries))


# How a bulk write names each row, from columns read along with the ids: str() of each
# instance would load its relations row by row.
LABELS: dict[str, tuple[tuple[str, ...], str]] = {
    "people.person": (("first_name", "last_name"), "{first_name} {last_name}"),
    "placements.placement": (
        ("person__first_name", "person__last_name", "role_title", "company__name"),
        "{person__first_name} {person__last_name} — {role_title} at {company__name}",
    ),
    "care.touchpoint": (
        ("title", "person__first_name", "person__last_name", "due_on"),
        "{title} ({person__first_name} {person__last_name}, {due_on:%d %b %Y})",
    ),
    "people.consent": (
        ("person__first_name", "person__last_name", "purpose", "basis"),
        "{person__first_name} {person__last_name} {purpose}: {basis}",
    ),
}


def recorded_update(rows: models.QuerySet[Any], **values: Any) -> int:
    """`rows.update(**values)`, with a "changed" entry per row holding the old and new value
    of each field set, written in one INSERT. Returns how many rows changed."""
    entries = update_with_entries(rows, **values)
    record_entries(AuditEntry.Action.CHANGED, entries)
    return len(entries)


def update_with_entries(rows: models.QuerySet[Any], **values: Any) -> list[Entry]:
    """`rows.update(**values)`, returning the "changed" entries for the rows it changed,
    for a caller making several updates to record with one INSERT. The rows are read
    first and updated by id (an UPDATE does not say which rows it touched), so the trail
    names exactly the rows written. Values are plain values or instances, not
    expressions."""
    meta = rows.model._meta
    new = {
        meta.get_field(name).attname: jsonable(v.pk if isinstance(v, models.Model) else v)
        for name, v in values.items()
    }
    label_fields, label = LABELS.get(meta.label_lower, ((), ""))
    person = "pk" if meta.label_lower == "people.person" else None
    if person is None and any(f.attname == "person_id" for f in meta.concrete_fields):
        person = "person_id"
    read = {"pk", *new, *label_fields, *([person] if person else [])}
    # No savepoint of its own: inside a caller's transaction, the lock lasts to its end.
    with transaction.atomic(savepoint=False):
        # Locked as read (PostgreSQL; SQLite's write transaction holds the database), so
        # a row cannot change between the read and the UPDATE by id: a call logged just
        # then is not marked missed. A filter across a relation may give a row twice.
        locked = rows.select_for_update(of=("self",)).order_by().values(*read)
        found = list({r["pk"]: r for r in locked}.values())
        if not found:
            return []
        rows.model._base_manager.filter(pk__any_of=[r["pk"] for r in found]).update(**values)
    return [
        Entry(
            meta.label_lower,
            r["pk"],
            label.format(**r).strip(),
            r[person] if person else None,
            {k: [jsonable(r[k]), v] for k, v in new.items() if jsonable(r[k]) != v},
        )
        for r in found
    ]
