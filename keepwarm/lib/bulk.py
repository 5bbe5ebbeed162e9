"""Writing many rows nobody needs the ids of, faster than bulk_create.

bulk_create builds a model instance per row and prepares every field of it through the
ORM; for an import's care-plan touchpoints (tens per placement, a million for a large
agency) that costs more than the database does. insert_rows takes plain dicts and sends
one executemany per batch. Columns a dict leaves out take the field's default, read from
the model, so a field added later with a default needs no change here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, models
from django.utils import timezone

# Field types whose Python values the driver cannot take as they are.
_PREPARED = {"DateField", "DateTimeField", "DecimalField", "JSONField", "TimeField", "UUIDField"}


def insert_rows(
    model: type[models.Model], rows: Iterable[dict[str, Any]], *, batch: int = 2000
) -> int:
    """INSERT `rows` ({attname: value}) into `model`'s table; returns how many."""
    # Every stored column but the database-generated id.
    fields = [
        f for f in model._meta.concrete_fields if not isinstance(f, models.fields.AutoFieldMixin)
    ]
    now = timezone.now()
    defaults: dict[str, Any] = {}
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value: Any = now
        elif field.has_default() or not field.null:
            value = field.get_default()
        else:
            value = None
        defaults[field.attname] = field.get_db_prep_save(value, connection)
    prepared = [(f.attname, f) for f in fields if f.get_internal_type() in _PREPARED]
    names = [f.attname for f in fields]
    quote = connection.ops.quote_name
    # Table and column names come from the model, never from input.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    count = 0
    pending: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for row in rows:
            values = {**defaults, **row}
            for name, field in prepared:
                if name in row:
                    values[name] = field.get_db_prep_save(row[name], connection)
            pending.append(tuple(values[name] for name in names))
            if len(pending) >= batch:
                cursor.executemany(sql, pending)
                count += len(pending)
                pending = []
        if pending:
            cursor.executemany(sql, pending)
            count += len(pending)
    return count
