"""On PostgreSQL, a person's name read with their id from one index: a consultant's people
list finds its page among their book's ids by name without reading each person's row.
SQLite would build an index on the id alone (it has no INCLUDE), so it gets none."""

from typing import Any

from django.db import migrations

CREATE = "CREATE INDEX IF NOT EXISTS person_id_names ON people_person (id) INCLUDE (last_name, first_name)"
DROP = "DROP INDEX IF EXISTS person_id_names"


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("people", "0010_person_owner_ids_index")]

    operations = [migrations.RunPython(create, drop)]
