"""Writing many rows faster than bulk_create.

bulk_create prepares every field of every instance through the ORM, and on PostgreSQL
binds on the client (psycopg's ClientCursor quotes each value in Python); for an import's
people, placements and care-plan touchpoints, or a newsletter's copies, that costs more
than the database does.

- insert_rows: plain dicts nobody needs the ids of: on PostgreSQL one COPY, on SQLite one
  executemany per batch. Columns a dict leaves out take the field's default, read from the
  model, so a field added later with a default needs no change here.
- insert_objects: unsaved instances, given their ids as bulk_create does. On PostgreSQL the
  ids are taken from the table's sequence in one query and the rows COPYed in; when
  conflicts are to be skipped, each column travels as one binary array parameter
  (`INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING`): one short statement per
  batch, nothing quoted or parsed per value. On SQLite a multi-row VALUES list (the
  driver binds in C).
- update_objects: save a few fields of many instances; bulk_update builds a CASE
  expression per field per row, which costs more than the database does. On PostgreSQL
  one `UPDATE ... FROM unnest(...)` per batch, on SQLite executemany of a plain UPDATE.
- the `any_of` lookup (`Person.objects.filter(email__any_of=emails)`): a match against
  many values sent as one parameter (an array on PostgreSQL, a JSON list on SQLite), not
  one placeholder per value for the ORM to prepare and the driver to quote; `by_ids` is
  in_bulk through it.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models import DEFERRED
from django.db.models.sql import Query
from django.utils import timezone

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")

# Field types whose Python values the driver cannot take as they are.
_PREPARED = {"DateField", "DateTimeField", "DecimalField", "JSONField", "TimeField", "UUIDField"}


def _db() -> Any:
    # The connection itself, not django.db.connection's proxy: preparing a value asks it
    # for its ops several times, and each attribute through the proxy is a lookup.
    return connections[DEFAULT_DB_ALIAS]


def insert_rows(
    model: type[models.Model], rows: Iterable[dict[str, Any]], *, batch: int = 2000
) -> int:
    """INSERT `rows` ({attname: value}) into `model`'s table; returns how many."""
    fields = _stored_fields(model)
    defaults = _defaults(fields)
    if connection.vendor == "postgresql":
        return _insert_rows_postgresql(model, fields, defaults, rows, batch)
    defaults = {f.attname: f.get_db_prep_save(defaults[f.attname], connection) for f in fields}
    prepared = [(f.attname, f) for f in fields if f.get_internal_type() in _PREPARED]
    names = [f.attname for f in fields]
    quote = connection.ops.quote_name
    # Table and column names come from the model, never from input.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    db = _db()
    count = 0
    pending: list[tuple[Any, ...]] = []
    as_tuple = _in_order(names)
    # A value met again is prepared once: a batch's audit entries share their time, an
    # import's care-plan steps fall on a few thousand days (a datetime costs ~5 us).
    memo: dict[str, dict[Any, Any]] = {
        name: {} for name, field in prepared if not isinstance(field, models.JSONField)
    }
    # One transaction (joined when one is open): outside it, SQLite's executemany commits
    # each row on its own, and a list page's 50 audit entries cost 50 commits.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        for row in rows:
            values = {**defaults, **row}
            for name, field in prepared:
                if name in row:
                    values[name] = _prepared(field, row[name], db, memo.get(name))
            pending.append(as_tuple(values))
            if len(pending) >= batch:
                cursor.executemany(sql, pending)
                count += len(pending)
                pending = []
        if pending:
            cursor.executemany(sql, pending)
            count += len(pending)
    return count


def _stored_fields(model: type[models.Model]) -> list[Any]:
    """Every stored column but the database-generated id."""
    return [
        f for f in model._meta.concrete_fields if not isinstance(f, models.fields.AutoFieldMixin)
    ]


def _defaults(fields: list[Any]) -> dict[str, Any]:
    """What each field holds when a row leaves it out: its default, the time for auto_now
    and auto_now_add, NULL for a nullable field without one."""
    now = timezone.now()
    defaults: dict[str, Any] = {}
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value: Any = now
        elif field.has_default() or not field.null:
            value = field.get_default()
        else:
            value = None
        defaults[field.attname] = value
    return defaults


@contextmanager
def staged(
    name: str, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]]
) -> Iterator[str]:
    """A temporary table `name` with `columns` ((name, SQL type) pairs) holding `rows`,
    for an `insert_select` to fan out from: the input goes over once, one row per input
    row, and the database makes the rows it implies without any Python work per row
    written. On PostgreSQL the rows go by COPY, on SQLite by executemany. Yields the
    table's quoted name; the table is dropped on leaving (on an error, the transaction's
    rollback takes it with it).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("a staging table lives inside the transaction that reads it")
    quote = connection.ops.quote_name
    table = quote(name)
    names = ", ".join(quote(column) for column, _ in columns)
    # Names and types come from the caller's code, never from input; values are parameters.
    typed = ", ".join(f"{quote(column)} {kind}" for column, kind in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {table} ({typed})")
        if connection.vendor == "postgresql":
            _copy_rows(f"COPY {table} ({names}) FROM STDIN", rows)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
                _sqlite_rows(columns, rows),
            )
    yield table
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {table}")


def _sqlite_rows(
    columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]]
) -> list[Sequence[Any]]:
    """Staged rows as SQLite stores them: only the date and time columns need a look (an
    import stages a few hundred thousand rows, mostly of numbers and text, which the
    driver takes as they are)."""
    dated = [i for i, (_, kind) in enumerate(columns) if kind.lower().startswith(("date", "time"))]
    if not dated:
        return list(rows)
    return [_with_dates(row, dated) for row in rows]


def _with_dates(row: Sequence[Any], dated: list[int]) -> list[Any]:
    values = list(row)
    for i in dated:
        values[i] = _sqlite_value(values[i])
    return values


def _sqlite_value(value: Any) -> Any:
    """A staged value as SQLite stores it (dates as ISO text, as Django's columns do)."""
    return value.isoformat() if isinstance(value, dt.date) else value


def _copy_rows(sql: str, rows: Iterable[Sequence[Any]]) -> None:
    with _copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


@contextmanager
def _copy(sql: str) -> Iterator[Any]:
    """A COPY ... FROM STDIN on the connection itself, beside Django's cursor."""
    import psycopg  # only on PostgreSQL

    connection.ensure_connection()
    with (
        connection.wrap_database_errors,
        psycopg.Cursor(connection.connection) as cursor,
        cursor.copy(sql) as copy,
    ):
        yield copy


def insert_select(
    model: type[models.Model],
    columns: dict[str, str],
    source: str,
    *,
    same: dict[str, Any] | None = None,
) -> int:
    """INSERT INTO `model`'s table the rows of a SELECT: `columns` maps attnames to SQL
    expressions over `source` (its FROM clause onward); `same` gives values every row
    shares, and every other stored column takes its default, each sent once as a
    parameter. Rows are written (and get their ids) in the SELECT's order. Returns how
    many rows were written."""
    fields = _stored_fields(model)
    defaults = {**_defaults([f for f in fields if f.attname not in columns]), **(same or {})}
    quote = connection.ops.quote_name
    db = _db()
    select: list[str] = []
    values: list[Any] = []
    for field in fields:
        if field.attname in columns:
            select.append(columns[field.attname])
            continue
        values.append(field.get_db_prep_save(defaults[field.attname], db))
        # PostgreSQL types a bare parameter in a SELECT list as text; SQLite needs no cast
        # (and its CAST to a date type would turn text into a number).
        select.append(
            f"CAST(%s AS {_column_type(field)})" if connection.vendor == "postgresql" else "%s"
        )
    # Table, column names and expressions come from code, never from input.
    sql = "INSERT INTO {} ({}) SELECT {} {}".format(
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(select),
        source,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return int(cursor.rowcount)


def as_json(expression: str) -> str:
    """An SQL expression giving JSON text, as a JSON column takes it in an insert_select."""
    return f"CAST({expression} AS jsonb)" if connection.vendor == "postgresql" else expression


def _prepared(field: Any, value: Any, db: Any, memo: dict[Any, Any] | None) -> Any:
    """`value` as `field`'s column takes it, from `memo` when it was prepared before."""
    if memo is None:
        return field.get_db_prep_save(value, db)
    key = (type(value), value)  # a date is never taken for an equal datetime
    try:
        return memo[key]
    except KeyError:
        if len(memo) >= 10_000:
            memo.clear()
        memo[key] = ready = field.get_db_prep_save(value, db)
        return ready


def insert_objects(objs: Sequence[M], *, skip_conflicts_on: str = "", batch: int = 500) -> int:
    """INSERT unsaved instances of one model; returns how many rows were written.

    Each instance gets its id, as from bulk_create. With `skip_conflicts_on` (a unique
    column), a row whose value is already there is left out (ON CONFLICT DO NOTHING) and
    ids are not read back, since the rows written no longer line up with `objs`.
    """
    if not objs:
        return 0
    model = type(objs[0])
    fields = [
        f
        for f in model._meta.concrete_fields
        if not isinstance(f, models.fields.AutoFieldMixin) and not f.generated
    ]
    for obj in objs:
        # As bulk_create does: a related object saved after it was assigned gives its id now,
        # and an unsaved one is refused.
        obj._prepare_related_fields_for_save(operation_name="insert_objects")  # type: ignore[attr-defined]
    if connection.vendor == "postgresql":
        if skip_conflicts_on:
            return sum(
                _unnest_insert(model, fields, objs[start : start + batch], skip_conflicts_on)
                for start in range(0, len(objs), batch)
            )
        ids = _copy_objects(model, fields, objs)
        _mark_saved(objs, ids)
        return len(ids)
    written = 0
    for start in range(0, len(objs), batch):
        chunk = objs[start : start + batch]
        count, ids = _insert_sqlite(model, fields, chunk, skip_conflicts_on)
        written += count
        if not skip_conflicts_on:  # else no ids: the rows written need not line up with objs
            _mark_saved(chunk, ids)
    return written


def _in_order(
    names: list[str], get: Callable[..., Callable[[Any], Any]] = operator.itemgetter
) -> Callable[[Any], tuple[Any, ...]]:
    """A function giving a row's values ({name: value}, or with `get=attrgetter` an
    instance's attributes) as a tuple in the order of `names`, done in C: an import calls
    it once per row written."""
    if len(names) == 1:
        one = get(names[0])
        return lambda row: (one(row),)
    return get(*names)


def _object_values(fields: list[Any]) -> Callable[[models.Model], list[Any]]:
    """A function giving an unsaved instance's values for `fields` as a list, as saving it
    would: pre_save runs only for the fields whose pre_save does something (auto_now and
    auto_now_add stamp the time, a custom field may do more); the rest are read in C by
    attrgetter. An import calls it once per person and placement."""
    as_tuple = _in_order([f.attname for f in fields], get=operator.attrgetter)
    hooked = [(i, f) for i, f in enumerate(fields) if not _reads_attribute(f)]

    def values_of(obj: models.Model) -> list[Any]:
        values = list(as_tuple(obj))
        for i, field in hooked:
            values[i] = field.pre_save(obj, True)
        return values

    return values_of


def _reads_attribute(field: models.Field[Any, Any]) -> bool:
    """Whether the field's pre_save on an insert only reads the attribute."""
    if type(field).pre_save is models.Field.pre_save:
        return True
    return isinstance(field, models.DateField) and not (field.auto_now or field.auto_now_add)


def _mark_saved(objs: Sequence[models.Model], ids: list[Any]) -> None:
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


def update_objects(objs: Sequence[models.Model], names: Sequence[str], *, batch: int = 2000) -> int:
    """Save the fields `names` of saved instances of one model; returns how many rows."""
    if not objs:
        return 0
    meta = objs[0]._meta
    fields: list[Any] = [meta.get_field(name) for name in names]
    pk = meta.pk
    assert pk is not None
    if connection.vendor == "postgresql":
        return sum(
            _unnest_update(meta.db_table, [pk, *fields], objs[start : start + batch])
            for start in range(0, len(objs), batch)
        )
    quote = connection.ops.quote_name
    # Names come from the model's own metadata; every value is a query parameter.
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
        quote(meta.db_table),
        ", ".join(f"{quote(f.column)} = %s" for f in fields),
        quote(pk.column),
    )
    db = _db()
    written = 0
    for start in range(0, len(objs), batch):
        chunk = objs[start : start + batch]
        rows = [
            [f.get_db_prep_save(getattr(obj, f.attname), db) for f in fields] + [obj.pk]
            for obj in chunk
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        written += len(rows)
    return written


def _unnest_update(table: str, fields: list[Any], objs: Sequence[models.Model]) -> int:
    """UPDATE table SET <fields but the first> FROM unnest(<one array per field>), matched
    on the first field (the primary key)."""
    quote = connection.ops.quote_name
    names = [f"c{i}" for i in range(len(fields))]
    sets = ", ".join(
        f"{quote(f.column)} = u.{name}" + ("::jsonb" if isinstance(f, models.JSONField) else "")
        for f, name in zip(fields[1:], names[1:], strict=True)
    )
    arrays = ", ".join(f"%b::{_array_type(f)}[]" for f in fields)
    sql = (
        f"UPDATE {quote(table)} SET {sets} FROM unnest({arrays}) AS u({', '.join(names)}) "  # noqa: S608
        f"WHERE {quote(table)}.{quote(fields[0].column)} = u.c0"
    )
    columns = [[_array_value(f, getattr(obj, f.attname)) for obj in objs] for f in fields]
    return _run_binary(sql, columns)


# Columns whose get_prep_value returns a value of this exact type unchanged (a foreign key
# asks the column it points at).
_KEPT_AS_THEY_ARE: dict[str, type] = {
    "CharField": str,
    "TextField": str,
    "AutoField": int,
    "BigAutoField": int,
    "IntegerField": int,
    "BigIntegerField": int,
}


class Ids:
    """Whole-number ids for `any_of`, named once and matched in many filters (the people a
    consultant may see, against each table a page reads). Not iterable on purpose: the
    ORM walks a list, tuple or set given to a lookup item by item (in case one is an
    expression, and for a foreign key to check each value's model) and copies it, ~3 ms
    of CPU a filter for a book of 4,469 people; and its JSON for SQLite is written once."""

    def __init__(self, values: Iterable[int]) -> None:
        self.listed = list(dict.fromkeys(values))  # each once, in the order given

    @functools.cached_property
    def _set(self) -> frozenset[int]:
        return frozenset(self.listed)

    def __contains__(self, value: object) -> bool:
        return value in self._set

    def __len__(self) -> int:
        return len(self.listed)

    def __repr__(self) -> str:
        return f"Ids({len(self.listed)} ids)"

    @functools.cached_property
    def as_json(self) -> str:
        return json.dumps(self.listed)

    @functools.cached_property
    def as_array(self) -> str:
        """PostgreSQL's text form of the array, `{1,2,3}`: Django's psycopg cursor binds on
        the client, and quoting a list there runs a regular expression on each element
        (5 ms for 4,469 ids, each time a statement names them)."""
        return "{" + ",".join(map(str, self.listed)) + "}"


@models.Field.register_lookup
class AnyOf(models.Lookup["Iterable[Any] | Ids | models.QuerySet[Any]"]):
    """`field__any_of=values`: the field equals one of `values`, sent as one parameter.
    `values` is any iterable, Ids for the same ids matched in many filters, or a queryset
    of one column (the statement that finds them, matched inside the same statement)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        # `lhs` is the column as the ORM compiled it; the values are one parameter.
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if isinstance(self.rhs, Query):
            # A statement that finds the values: matched inside the same statement.
            rhs, rhs_params = self.process_rhs(compiler, connection)
            return f"{lhs} IN {rhs}", [*lhs_params, *rhs_params]
        ids = self.rhs if isinstance(self.rhs, Ids) else None
        values = ids.listed if ids is not None else self._prepared_values()
        if connection.vendor == "postgresql":
            db_type = _array_type(self.lhs.output_field)
            param = ids.as_array if ids is not None else values
            return f"{lhs} = ANY(%s::{db_type}[])", [*lhs_params, param]
        sql = f"{lhs} IN (SELECT value FROM json_each(%s))"  # noqa: S608
        return sql, [*lhs_params, ids.as_json if ids is not None else json.dumps(values)]

    def _prepared_values(self) -> list[Any]:
        field = self.lhs.output_field
        # A text or whole-number column keeps a str or int as it is, so only other values
        # go through the field (an import matches a few thousand emails and ids a batch).
        kept_by = field.target_field if isinstance(field, models.ForeignKey) else field
        plain = _KEPT_AS_THEY_ARE.get(kept_by.get_internal_type())
        return [v if type(v) is plain else field.get_prep_value(v) for v in self.rhs]


# Foreign keys keep lookups of their own (`person_id__any_of`, `person__any_of`).
models.ForeignObject.register_lookup(AnyOf)


def by_ids(queryset: models.QuerySet[M], ids: Iterable[Any]) -> dict[Any, M]:
    """in_bulk with the ids as one parameter (`pk__any_of`): in_bulk's `pk__in` makes the
    ORM resolve every id on its own (an import's batch reads a thousand people at once,
    and the resolving cost more than the query)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    return {obj.pk: obj for obj in queryset.filter(pk__any_of=wanted)}


def _sql_parts(
    model: type[models.Model], fields: list[Any], *, conflict: str, returning: bool
) -> tuple[str, str]:
    """The INSERT's head (table and columns) and its tail: skip a conflict on `conflict`,
    or return the new ids."""
    quote = connection.ops.quote_name
    # Table and column names come from the model, never from input.
    head = "INSERT INTO {} ({})".format(
        quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    )
    pk = model._meta.pk
    assert pk is not None
    tail = f" ON CONFLICT ({quote(conflict)}) DO NOTHING" if conflict else ""
    if returning:
        tail += f" RETURNING {quote(pk.column)}"
    return head, tail


def _insert_sqlite(
    model: type[models.Model], fields: list[Any], objs: Sequence[models.Model], conflict: str
) -> tuple[int, list[Any]]:
    prepared = [(i, f) for i, f in enumerate(fields) if f.get_internal_type() in _PREPARED]
    db = _db()
    params: list[Any] = []
    values_of = _object_values(fields)
    # As in insert_rows, a value met again is prepared once: most of a person's or a
    # placement's dates and amounts are empty, and each costs a few calls to prepare.
    memos: dict[int, dict[Any, Any] | None] = {
        i: None if isinstance(field, models.JSONField) else {} for i, field in prepared
    }
    for obj in objs:
        values = values_of(obj)
        for i, field in prepared:
            values[i] = _prepared(field, values[i], db, memos[i])
        params.extend(values)
    head, tail = _sql_parts(model, fields, conflict=conflict, returning=not conflict)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        cursor.execute(f"{head} VALUES {', '.join([row] * len(objs))}{tail}", params)
        if conflict:
            return int(cursor.rowcount), []
        ids = [pk for (pk,) in cursor.fetchall()]
        return len(ids), ids


def _insert_rows_postgresql(
    model: type[models.Model],
    fields: list[Any],
    defaults: dict[str, Any],
    rows: Iterable[dict[str, Any]],
    batch: int,
) -> int:
    count = 0
    remaining = iter(rows)
    # A batch is gathered before its COPY starts: `rows` may be a generator that reads the
    # database, and nothing else can use the connection during a COPY.
    as_tuple = _in_order([f.attname for f in fields])
    while chunk := list(itertools.islice(remaining, batch)):
        with _copy_in(model, fields) as write:
            for row in chunk:
                write(list(as_tuple({**defaults, **row})))
        count += len(chunk)
    return count


@contextmanager
def _copy_in(model: type[models.Model], fields: list[Any]) -> Iterator[Callable[[list[Any]], None]]:
    """A COPY ... FROM STDIN into `fields` of `model`'s table, as a function taking one
    row's values (JSON as the value itself) in the order of `fields`: rows stream to the
    server in the driver's C text format, and the server loads them without planning or
    running an INSERT per row (a third of the time of INSERT ... unnest for an import's
    touchpoints, half the client's CPU)."""
    quote = connection.ops.quote_name
    # Table and column names come from the model, never from input.
    sql = "COPY {} ({}) FROM STDIN".format(
        quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    )
    json_fields = [(i, f) for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    with _copy(sql) as copy:

        def write(values: list[Any]) -> None:
            for i, field in json_fields:
                values[i] = _array_value(field, values[i])
            copy.write_row(values)

        yield write


def _next_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` ids from the table's id sequence, taken in one query."""
    pk = model._meta.pk
    assert pk is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s) ORDER BY 1",
            [model._meta.db_table, pk.column, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def _copy_objects(
    model: type[models.Model], fields: list[Any], objs: Sequence[models.Model]
) -> list[int]:
    """COPY unsaved instances in with ids taken from the sequence first; returns the ids."""
    pk = model._meta.pk
    ids = _next_ids(model, len(objs))
    values_of = _object_values(fields)
    with _copy_in(model, [pk, *fields]) as write:
        for obj, obj_id in zip(objs, ids, strict=True):
            write([obj_id, *values_of(obj)])
    return ids


def _array_value(field: models.Field[Any, Any], value: Any) -> Any:
    """A value as its column's array takes it: JSON as its text, the rest as they are."""
    if isinstance(field, models.JSONField):
        return json.dumps(value, cls=field.encoder)
    return value


def _unnest_insert(
    model: type[models.Model], fields: list[Any], objs: Sequence[models.Model], conflict: str
) -> int:
    """One INSERT ... SELECT FROM unnest(<one binary array per column>) ON CONFLICT DO
    NOTHING: how many rows were written."""
    values_of = _object_values(fields)
    rows = [values_of(obj) for obj in objs]
    columns = [[_array_value(f, row[i]) for row in rows] for i, f in enumerate(fields)]
    head, tail = _sql_parts(model, fields, conflict=conflict, returning=False)
    # JSON travels as text and becomes jsonb on the server; the rest arrive typed.
    casts = ", ".join(
        f"c{i}::jsonb" if isinstance(f, models.JSONField) else f"c{i}" for i, f in enumerate(fields)
    )
    arrays = ", ".join(f"%b::{_array_type(f)}[]" for f in fields)
    names = ", ".join(f"c{i}" for i in range(len(fields)))
    sql = f"{head} SELECT {casts} FROM unnest({arrays}) AS u({names}){tail}"  # noqa: S608
    return _run_binary(sql, columns)


def _run_binary(sql: str, params: list[Any]) -> int:
    """Run `sql` with binary parameters on a plain psycopg cursor (Django's binds on the
    client); returns the rows it touched."""
    import psycopg  # only on PostgreSQL

    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


# "Is one of the ids given as one parameter (ids_param)", after a column in a statement
# written by hand, by engine.
AMONG_IDS = {
    "postgresql": "= ANY(%s::bigint[])",
    "sqlite": "IN (SELECT value FROM json_each(%s))",
}


def ids_param(ids: Iterable[Any]) -> Any:
    """Many values as one parameter of a statement written by hand: an array on PostgreSQL
    (`= ANY(%s)`), a JSON list on SQLite (`IN (SELECT value FROM json_each(%s))`)."""
    values = list(ids)
    return values if connection.vendor == "postgresql" else json.dumps(values)


def fetch_all(
    sql: str, params: Sequence[Any], *, plan_each_run: bool = False
) -> list[tuple[Any, ...]]:
    """The rows of a statement the caller wrote once and runs often (the sending loop's).

    On PostgreSQL bound on the server by a plain psycopg cursor and prepared there on its
    first run, so later runs skip parsing and planning; Django's own cursor binds on the
    client, quoting every value in Python, and never prepares. Behind PgBouncer in
    transaction mode (KEEPWARM_PGBOUNCER) nothing is prepared: the next transaction may
    run on a server connection that never saw the statement.

    `plan_each_run` for a statement whose best plan depends on its values: after five runs
    PostgreSQL may keep one plan for a prepared statement, made without them (for the
    search box's LIKE patterns it walked every company by name instead of asking the
    trigram index, 10.7 against 0.1 ms); unprepared, each run is planned for its own."""
    [rows] = fetch_each([(sql, params)], plan_each_run=plan_each_run)
    return rows


def fetch_each(
    statements: Sequence[tuple[str, Sequence[Any]]], *, plan_each_run: bool = False
) -> list[list[tuple[Any, ...]]]:
    """`fetch_all` of each of `statements`, in order: on PostgreSQL sent together and
    answered together (psycopg's pipeline mode), one round trip where each statement
    would wait for its own. On a machine whose cores are busy, each round trip also
    waits for the server process to be scheduled."""
    # `connection` itself, looked up once: each use of its proxy is a context-local lookup.
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        found = []
        with db.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                found.append(list(cursor.fetchall()))
        return found
    import psycopg  # only on PostgreSQL

    # As Django's own cursor does: a kept connection the server dropped (a restart, an
    # idle timeout) is checked once a request and replaced, not used and failed.
    db.close_if_health_check_failed()
    db.ensure_connection()
    raw = db.connection
    prepare = not plan_each_run and not db.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    if prepare and raw.prepare_threshold is None:
        # Django turns psycopg's preparing off for the whole connection; these statements
        # ask for it one by one, and nothing else is prepared behind their back.
        raw.prepare_threshold = _NEVER_BY_COUNT

    def run(sql: str, params: Sequence[Any], many: bool, context: dict[str, Any]) -> Any:
        with db.wrap_database_errors, psycopg.Cursor(raw) as cursor:
            cursor.execute(sql, params, prepare=prepare)
            return _rows_of(cursor)

    def send(sql: str, params: Sequence[Any], many: bool, context: dict[str, Any]) -> Any:
        cursor = psycopg.Cursor(raw)
        cursor.execute(sql, params, prepare=prepare)  # in a pipeline: queued, not answered
        return cursor

    # Django's instrumentation (connection.execute_wrapper: the benches time and EXPLAIN
    # each statement of a request) sees these as it sees its own cursor's, as on SQLite;
    # in a pipeline it times each statement's sending, and the answers come after.
    context = {"connection": db, "cursor": None}
    with db.wrap_database_errors:
        # Pipeline mode needs libpq 14 or later (psycopg[binary] brings its own; a system's
        # libpq may be older): then the statements go one by one.
        if len(statements) == 1 or not psycopg.Pipeline.is_supported():
            return [
                list(watched(db, run)(sql, params, False, context)) for sql, params in statements
            ]
        cursors: list[Any] = []
        try:
            with raw.pipeline() as pipeline:
                for sql, params in statements:
                    cursors.append(watched(db, send)(sql, params, False, context))
                pipeline.sync()
                return [_rows_of(cursor) for cursor in cursors]
        finally:
            for cursor in cursors:
                cursor.close()


@dataclass(frozen=True)
class Reading(Generic[T]):
    """Statements written once and what to make of their rows: a part of a page that
    `read_together` reads in the same round trip as the page's other parts."""

    statements: Sequence[tuple[str, Sequence[Any]]]
    make: Callable[[list[list[tuple[Any, ...]]]], T]

    def read(self) -> T:
        """This part read on its own."""
        return self.make(fetch_each(self.statements))


def read_together(*readings: Reading[Any]) -> list[Any]:
    """What each of `readings` makes of its rows, in order, every statement sent in one
    `fetch_each`: a page whose parts come from several apps waits for one round trip on
    PostgreSQL, not one a part. A part whose rows call for more (a follow-up read only
    some people need) reads it in its `make`."""
    rows = fetch_each([statement for reading in readings for statement in reading.statements])
    made, start = [], 0
    for reading in readings:
        end = start + len(reading.statements)
        made.append(reading.make(rows[start:end]))
        start = end
    return made


def watched(db: Any, execute: Callable[..., Any]) -> Callable[..., Any]:
    """`execute` inside the connection's execute wrappers, as Django's cursor calls them."""
    for wrapper in reversed(db.execute_wrappers):
        execute = partial(wrapper, execute)
    return execute


def _rows_of(cursor: Any) -> list[tuple[Any, ...]]:
    # Whether the statement returns rows, from its result's column count: `description`
    # builds a Column object for each column each time it is read.
    result = cursor.pgresult
    return list(cursor.fetchall()) if result is not None and result.nfields else []


_NEVER_BY_COUNT = 2**31 - 1


def read_instance(model: type[M], **values: Any) -> M:
    """An instance of `model` as the database gave `values` (by attname), for rows read by
    hand; any other field is deferred, read on first use as with `.only()`."""
    return model.from_db(
        DEFAULT_DB_ALIAS,  # what `connection` is, without a lookup through its proxy
        (),  # the values are given for every field, in the model's order
        [values.get(f.attname, DEFERRED) for f in model._meta.concrete_fields],
    )


def read_as(model: type[models.Model], name: str) -> Callable[[Any], Any]:
    """How the ORM turns a value of `model`'s column `name` into Python, for a value read
    by hand (fetch_all): on SQLite a time comes back as UTC text and a decimal as a float,
    and the backend's converters make them an aware datetime and a Decimal of the field's
    places; on PostgreSQL the driver gives both as they are."""
    return _read_as(model, name, connection.vendor)


@functools.cache
def _read_as(model: type[models.Model], name: str, vendor: str) -> Callable[[Any], Any]:
    # Once a process for each column (a person page asks for twenty): finding the
    # converters walks the field, the backend and the connection's proxy.
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    column = field.get_col(model._meta.db_table)
    converters = [
        *connection.ops.get_db_converters(column),
        *field.get_db_converters(connection),  # type: ignore[attr-defined]
    ]

    def convert(value: Any) -> Any:
        for converter in converters:
            value = converter(value, column, connection)
        return value

    return convert


def _column_type(field: models.Field[Any, Any]) -> str:
    """The bare type of a field's column on PostgreSQL, for a cast."""
    return "jsonb" if isinstance(field, models.JSONField) else _array_type(field)


def _array_type(field: models.Field[Any, Any]) -> str:
    """The element type of a column's array parameter (JSON travels as text)."""
    if isinstance(field, models.JSONField):
        return "text"
    db_type = field.db_type(connection) or "text"
    # "varchar(254)", "smallint CHECK (...)": the bare type is enough for an array cast.
    return db_type.split("(")[0].split(" CHECK")[0].strip()
