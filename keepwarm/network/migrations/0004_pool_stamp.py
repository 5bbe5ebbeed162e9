"""A stamp that changes with every write to the rows matching's pool is read from.

Matching keeps each process's copy of the candidates' profiles until this stamp moves
(keepwarm/network/pool.py). Triggers keep it, so no path that writes those rows can
forget to: a form, the API, an import's raw insert, a queryset update, a bulk delete.
A value is never reused (a sequence on PostgreSQL, a random 64-bit number on SQLite), so
a rolled-back write cannot make an old copy look current.

PostgreSQL fires once per statement, into one of 64 rows picked by the backend, so
concurrent writers seldom wait on each other's row. SQLite fires per row (it has no
statement triggers); its writers take turns anyway, so one row does.
"""

from django.db import migrations

# The tables a profile is read from (matching's `profiles`).
TABLES = (
    "people_person",
    "people_role",
    "people_company",
    "placements_placement",
    "network_readiness",
)
# A person's other columns (email, consents, the edit version...) are no part of a profile:
# writing only those keeps the copy. Kept in step with pool.PERSON_FIELDS by a test.
PERSON_COLUMNS = (
    "id",
    "first_name",
    "last_name",
    "owner_id",
    "headline",
    "skills",
    "sector",
    "location",
    "last_contacted_at",
)
CREATE = "CREATE TABLE network_poolstamp (shard integer PRIMARY KEY, stamp bigint NOT NULL)"


def _events(table: str, update: str) -> str:
    """The writes to `table` that move the stamp, as `CREATE TRIGGER` names them."""
    if table == "people_person":
        return update.replace("UPDATE", f"UPDATE OF {', '.join(PERSON_COLUMNS)}")
    return update

POSTGRES = [
    CREATE,
    "CREATE SEQUENCE network_poolstamp_seq",
    """
    CREATE FUNCTION network_pool_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO network_poolstamp (shard, stamp)
        VALUES (pg_backend_pid() % 64, nextval('network_poolstamp_seq'))
        ON CONFLICT (shard) DO UPDATE SET stamp = EXCLUDED.stamp;
        RETURN NULL;
    END
    $$
    """,
    *(
        f"CREATE TRIGGER network_pool_changed "
        f"AFTER {_events(table, 'INSERT OR UPDATE OR DELETE OR TRUNCATE')} "
        f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION network_pool_changed()"
        for table in TABLES
    ),
]
POSTGRES_REVERSE = [
    *(f"DROP TRIGGER network_pool_changed ON {table}" for table in TABLES),
    "DROP FUNCTION network_pool_changed()",
    "DROP SEQUENCE network_poolstamp_seq",
    "DROP TABLE network_poolstamp",
]

SQLITE = [
    CREATE,
    *(
        f"CREATE TRIGGER network_pool_{table}_{event.lower()} "
        f"AFTER {_events(table, event)} ON {table} "
        "BEGIN INSERT OR REPLACE INTO network_poolstamp (shard, stamp) VALUES (0, random()); END"
        for table in TABLES
        for event in ("INSERT", "UPDATE", "DELETE")
    ),
]
SQLITE_REVERSE = [
    *(
        f"DROP TRIGGER network_pool_{table}_{event.lower()}"
        for table in TABLES
        for event in ("INSERT", "UPDATE", "DELETE")
    ),
    "DROP TABLE network_poolstamp",
]


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    _run(schema_editor, POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    postgres = schema_editor.connection.vendor == "postgresql"
    _run(schema_editor, POSTGRES_REVERSE if postgres else SQLITE_REVERSE)


def _run(schema_editor, statements):  # type: ignore[no-untyped-def]
    for sql in statements:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("network", "0003_updated_at_for_sync"),
        ("people", "0010_person_owner_ids_index"),
        ("placements", "0006_placement_visibility_indexes"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
