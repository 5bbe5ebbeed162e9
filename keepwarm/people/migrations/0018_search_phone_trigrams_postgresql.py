"""On PostgreSQL, trigram indexes on the two expressions the search box's condition asks of
a phone number (lib.search.match_sql): the number with its spaces, dashes, brackets and
dots taken out (`LIKE ANY` the digits as typed and as dialled from abroad), and the number
as stored (`UPPER(phone::text) LIKE`). Without them a number typed by a manager, who
searches the whole agency, read every person in name order to find the two who have it
(205 ms at agency size); a consultant's search reads their own book and was never slow.
Each expression is written exactly as match_sql writes it (the punctuation in its order):
care/tests/test_search_finds.py checks the planner can use them. SQLite has none."""

from typing import Any

from django.db import migrations

# match_sql's stripped number: REPLACE of each of _PHONE_PUNCTUATION, in that order.
STRIPPED = (
    "REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(phone, ' ', ''), '-', ''), '(', ''), ')', ''), '.', '')"
)
INDEXES = {"person_phone_trgm": "people_person", "company_phone_trgm": "people_company"}


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin "
            f"(({STRIPPED}) gin_trgm_ops, UPPER(phone::text) gin_trgm_ops)"
        )
        schema_editor.execute(f"ANALYZE {table}")


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("people", "0017_search_indexes_sqlite")]

    operations = [migrations.RunPython(create, drop)]
