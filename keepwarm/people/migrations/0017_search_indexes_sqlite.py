"""On SQLite, which has no trigram index (PostgreSQL's: 0016), the columns the search
box's condition reads sit in an index beside what the search walks: the owner (a
consultant's people) and a company's name. The condition is then tested on the index and
only the rows that match are read (care.search names these indexes, INDEXED BY): at
agency size a search read all 4,022 of a consultant's own people and all 5,000 companies
to show a handful."""

from typing import Any

from django.db import migrations

INDEXES = {
    "person_owner_search": "people_person (owner_id, last_name, first_name, email)",
    "company_search": "people_company (name, email)",
}


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for name, columns in INDEXES.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {columns}")


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("people", "0016_search_trigrams_postgresql")]

    operations = [migrations.RunPython(create, drop)]
