"""On SQLite, a search index of people's names, emails and phone numbers: an FTS5 table
with the trigram tokenizer, which finds any run of three or more characters, as
PostgreSQL's trigram indexes do (0016, 0018). A manager's search (the whole agency) gathers
from it the few people who may match and tests only those (care.search): at agency size
it read every person for a number or a late-alphabet word ("smi", 184-570 ms).

The table keeps no copy of the text (content=''), only the index; triggers keep it in step
with people_person, so no path that writes a person (a form, the API, an import's raw
insert, erasure, a bulk delete) can forget to. A contentless table forgets a row only when
told the values it indexed, which the triggers read from the old row. The phone is held
twice: as stored, and without the punctuation a search ignores (lib.search).

Django alters a SQLite table by copying it into a new one, which leaves its triggers
behind: a later migration that remakes people_person must create these again (the test
that the index follows people as they are renamed, erased and deleted fails until it does).
"""

from typing import Any

from django.db import migrations

TABLE = "people_person_search"
COLUMNS = "first_name, last_name, email, phone, phone_digits"


def _values(row: str) -> str:
    """The indexed values of `row` (new or old) of people_person, in COLUMNS' order."""
    digits = f"{row}.phone"
    for char in (" ", "-", "(", ")", "."):
        digits = f"REPLACE({digits}, '{char}', '')"
    return f"{row}.first_name, {row}.last_name, {row}.email, {row}.phone, {digits}"


_FORGET = (
    f"INSERT INTO {TABLE} ({TABLE}, rowid, {COLUMNS}) VALUES ('delete', old.id, {_values('old')});"
)
_ADD = f"INSERT INTO {TABLE} (rowid, {COLUMNS}) VALUES (new.id, {_values('new')});"
_CHANGED = " OR ".join(
    f"old.{column} IS NOT new.{column}" for column in ("first_name", "last_name", "email", "phone")
)

CREATE = [
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5("
    f"{COLUMNS}, content='', columnsize=0, tokenize='trigram')",
    f"INSERT INTO {TABLE} (rowid, {COLUMNS}) SELECT p.id, {_values('p')} FROM people_person p",
    f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON people_person BEGIN {_ADD} END",
    f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON people_person BEGIN {_FORGET} END",
    # Only when a searched column changed: saving a person writes every column.
    f"CREATE TRIGGER {TABLE}_update AFTER UPDATE OF first_name, last_name, email, phone"
    f" ON people_person WHEN {_CHANGED} BEGIN {_FORGET} {_ADD} END",
]
DROP = [f"DROP TRIGGER {TABLE}_{event}" for event in ("insert", "delete", "update")] + [
    f"DROP TABLE {TABLE}"
]


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for sql in CREATE:
            schema_editor.execute(sql, params=None)


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for sql in DROP:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("people", "0018_search_phone_trigrams_postgresql")]

    operations = [migrations.RunPython(create, drop)]
