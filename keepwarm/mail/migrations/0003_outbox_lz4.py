"""PostgreSQL: compress the outbox's message bodies with lz4 instead of pglz.

A newsletter copy is ~25 KB of HTML and text; with pglz, compressing it was most of the
database's work to queue it (bench/README.md: queueing 5,000 copies with two workers took
3.6 s, with lz4 1.9 s). Only new values are affected; nothing is rewritten. A server built
without lz4 keeps pglz. SQLite: nothing to do.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

COLUMNS = ("body_html", "body_text")


def use_lz4(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression'"
                       " AND 'lz4' = ANY(enumvals)")  # fmt: skip
        if cursor.fetchone() is None:
            return
        table = connection.ops.quote_name("mail_outboxmessage")
        for column in COLUMNS:
            cursor.execute(
                f"ALTER TABLE {table} ALTER COLUMN {connection.ops.quote_name(column)}"  # noqa: S608
                " SET COMPRESSION lz4"
            )


def use_default(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression'"
                       " AND 'lz4' = ANY(enumvals)")  # fmt: skip
        if cursor.fetchone() is None:
            return
        table = connection.ops.quote_name("mail_outboxmessage")
        for column in COLUMNS:
            cursor.execute(
                f"ALTER TABLE {table} ALTER COLUMN {connection.ops.quote_name(column)}"  # noqa: S608
                " SET COMPRESSION DEFAULT"
            )


class Migration(migrations.Migration):
    dependencies = [("mail", "0002_purpose_outcome_suppression")]

    operations = [migrations.RunPython(use_lz4, use_default)]
