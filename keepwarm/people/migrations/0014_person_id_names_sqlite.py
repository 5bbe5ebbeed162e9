"""On SQLite too, an index read by id that holds the name and the owner: the part of a
consultant's people list seen through their placements (care.queries.visible_people_names)
probes it ~2,700 times a page view instead of the people's own rows. Under several server
processes each commit empties the others' page cache, and reading the narrow index again
costs half what the rows did (5.6 against 11 ms CPU at agency size). PostgreSQL has its
own (0013, with INCLUDE)."""

from typing import Any

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS person_id_names "
    "ON people_person (id, owner_id, last_name, first_name)"
)
DROP = "DROP INDEX IF EXISTS person_id_names"


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(CREATE)


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("people", "0013_person_id_names_owner_postgresql")]

    operations = [migrations.RunPython(create, drop)]
