"""On PostgreSQL, trigram indexes (pg_trgm) on the very expressions the search box's
condition asks of people and companies (lib.search.match_sql: `UPPER(col::text) LIKE …`),
so a search finds the matching rows from the index instead of reading every company and
the consultant's whole book to test each name (at agency size, "you": 4,549 + 4,982
buffers before, ~120 after). Every pattern written for a name starts a word ("you%",
"% you%", "%-you%"), so one or two letters still give trigrams; text with no letter or
digit gives none, and the planner then keeps the owner's index or the name order, as
before. SQLite has its own (0017)."""

from typing import Any

from django.db import migrations

# One index a table, each expression exactly as match_sql writes it, so the planner can
# use it for that column's patterns.
INDEXES = {
    "person_search_trgm": ("people_person", ("first_name", "last_name", "email")),
    "company_search_trgm": ("people_company", ("name", "email")),
}


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    # A trusted extension since PostgreSQL 13: the database's owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, columns) in INDEXES.items():
        expressions = ", ".join(f"UPPER({column}::text) gin_trgm_ops" for column in columns)
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expressions})"
        )
        # Statistics of the new expressions: without them the planner guesses how many
        # rows a pattern matches, and nothing written later would make autovacuum look.
        schema_editor.execute(f"ANALYZE {table}")


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute("DROP EXTENSION IF EXISTS pg_trgm")


class Migration(migrations.Migration):
    dependencies = [("people", "0015_role_current_index")]

    operations = [migrations.RunPython(create, drop)]
