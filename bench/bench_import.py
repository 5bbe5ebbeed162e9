"""Importing Bullhorn data loader files through the worker, against a raw bulk insert.

    .venv/bin/python bench/bench_import.py [--candidates 100000] [--placements 50000]
    KEEPWARM_DATABASE_URL=postgres://postgres@127.0.0.1:5432/kw_imports_bench \
        .venv/bin/python bench/bench_import.py          # emptied and refilled

Writes Bullhorn-layout files (ClientCorporation, JobOrder, Candidate, Placement: padded
cells, ';' lists, `1/31/16 0:00` dates) for N candidates and M placements, then in the same
run, each in a fresh subprocess on an empty database:
  import     the worker's path: a queued run claimed by run_next_import, which reads the
             files, matches, writes people, roles, vacancies (from the job orders),
             external ids, audit entries and row results in batches, and makes every
             placement through create_placements (the care plan's steps still ahead);
             then, off the main clock, the same files again (every row unchanged);
  ceiling    the ceiling the goal is measured against: a raw insert of the input rows
             themselves, one row each (500 companies, 2,000 vacancies, N people, M
             placements), every column, pre-built tuples, one transaction with its commit,
             by executemany and on PostgreSQL by COPY; on SQLite without the triggers
             of the people's search index (see _without_search_index), and with them
             as a second figure;
  same rows  the earlier ceiling, printed for comparison: a raw load of exactly the rows
             that import added (every table, every column, ids included; read back after
             the import, off the clock) into a fresh database, the same two ways.
The headline is per input row: the raw insert's time per input row against the import's
(goal >= 15%; on PostgreSQL against COPY, the faster of the two). It also prints the load
average, CPU time beside wall clock, and peak memory: tracemalloc is too slow for 150k
rows, so resident-set growth of the importing process, for the full run and for a run a
tenth the size (constant memory: the two should be close).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT_DIR, setup_django

NOW = dt.datetime(2026, 6, 10, 8, 30, tzinfo=dt.UTC)
COMPANIES = 500
JOBS = 2000
FIRST = ["Ann", "Ben", "Chloe", "Dev", "Ella", "Femi", "Grace", "Hugo", "Isla", "Jack"]
LAST = ["Smith", "Jones", "Patel", "Khan", "Brown", "Nowak", "Okafor", "Lee", "Hall", "Wood"]
SKILLS = ["Forklift", "SQL", "Excel", "Sales", "CSCS", "Python", "Payroll", "HGV", "NEBOSH"]


def write_files(folder: Path, candidates: int, placements: int) -> int:
    """The four data loader files; returns the number of data rows."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)

    def write(name: str, header: list[str], rows: object) -> None:
        with (folder / name).open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle, lineterminator="\r\n")
            out.writerow(header)
            out.writerows(rows)  # type: ignore[arg-type]

    write(
        "ClientCorporation.csv",
        ["externalID", "name          ", "industryList", "address.city"],
        ([f"CC-{i}", f" Client {i} Ltd ", "Logistics;Retail", "Leeds"] for i in range(COMPANIES)),
    )
    write(
        "JobOrder.csv",
        ["externalID", "title", "clientCorporation.externalID", "owner.name", "employmentType"],
        (
            [
                f"JOB-{i}",
                f"Role {i % 97}",
                f"CC-{i % COMPANIES}",
                "Olivia Owner",
                "Contract" if i % 5 == 0 else "Permanent",
            ]
            for i in range(JOBS)
        ),
    )
    write(
        "Candidate.csv",
        [
            "externalID",
            "firstName     ",
            "lastName",
            "email",
            "mobile",
            "address.city",
            "occupation",
            "primarySkills.name",
            "owner.name",
            "dateAdded",
        ],
        (
            [
                f"CAND-{i}",
                f" {FIRST[i % 10]} ",
                f"{LAST[(i // 10) % 10]}{i}",
                f"c{i}@example.org",
                f"07700 {i:06d}",
                "Leeds",
                "Warehouse Operative",
                ";".join(rng.sample(SKILLS, 3)),
                "Olivia Owner",
                f"{1 + i % 12}/{1 + i % 28}/{16 + i % 9} 0:00",
            ]
            for i in range(candidates)
        ),
    )

    def placement(i: int) -> list[str]:
        start = NOW.date() - dt.timedelta(days=rng.randrange(-60, 3000))
        return [
            f"PL-{i}",
            f"CAND-{i}",
            f"JOB-{i % JOBS}",
            f"{start.month}/{start.day}/{start.year % 100} 0:00",
            "",
            "Approved",
            "",
            str(25000 + i % 20000),
            str(5000 + i % 4000),
            "90",
            "",
        ]

    write(
        "Placement.csv",
        [
            "externalID",
            "candidate.externalID",
            "jobOrder.externalID",
            "dateBegin",
            "dateEnd",
            "status",
            "employmentType",
            "salary",
            "fee",
            "daysGuaranteed",
            "terminationReason",
        ],
        (placement(i) for i in range(placements)),
    )
    return COMPANIES + JOBS + candidates + placements


def empty_database() -> None:
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        call_command("migrate", verbosity=0)
        call_command("flush", interactive=False, verbosity=0)
        call_command("migrate", verbosity=0)  # flush empties the default care plans too
    else:
        call_command("migrate", verbosity=0)


def default_plans() -> None:
    # flush removed the data migrations' default care plans; put them back the same way.
    from django.apps import apps
    from django.db import connection

    from keepwarm.care.models import CarePlan

    if CarePlan.objects.exists():
        return
    module = __import__("keepwarm.care.migrations.0004_default_plans", fromlist=["x"])
    for op in module.Migration.operations:
        code = getattr(op, "code", None)
        if code is not None:
            code(apps, connection.schema_editor())


def users() -> None:
    from keepwarm.accounts.models import User

    User.objects.create(username="ada", role=User.Role.ADMIN, is_superuser=True)
    User.objects.create(username="olivia", first_name="Olivia", last_name="Owner")


def _prebuilt(model: Any, rows: list[dict[str, Any]]) -> tuple[str, list[tuple[Any, ...]]]:
    """An INSERT of every stored column of `model` and its rows as ready tuples: what a
    hand-written loader sends, the columns a row leaves out taking the field's default."""
    from django.db import connection, models

    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
    now = NOW.isoformat() if connection.vendor == "sqlite" else NOW
    defaults: dict[str, Any] = {}
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults[f.attname] = now
        elif f.has_default() or not f.null:
            defaults[f.attname] = f.get_db_prep_save(f.get_default(), connection)
        else:
            defaults[f.attname] = None
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    return sql, [tuple({**defaults, **row}[f.attname] for f in fields) for row in rows]


def _raw_insert(cursor: Any, sql: str, rows: list[tuple[Any, ...]], *, copy: bool) -> None:
    """executemany of the INSERT, or (PostgreSQL) COPY of the same rows into its columns."""
    if not copy:
        cursor.executemany(sql, rows)
        return
    import psycopg

    table_and_columns = sql.removeprefix("INSERT INTO ").split(" VALUES")[0]
    with (
        psycopg.Cursor(cursor.connection) as raw,
        raw.copy(f"COPY {table_and_columns} FROM STDIN") as stream,
    ):
        for row in rows:
            stream.write_row(row)


def run_ceiling(candidates: int, placements: int, *, copy: bool = False) -> dict[str, float]:
    """Raw executemany (or with `copy`, PostgreSQL's COPY) of the input rows themselves,
    one row each, every column, pre-built tuples, one transaction with its commit: the
    clients as companies, the job orders as vacancies, the candidates as people and the
    placements as placements."""
    from django.db import connection, transaction

    from keepwarm.accounts.models import User
    from keepwarm.network.models import Vacancy
    from keepwarm.people.models import Company, Person
    from keepwarm.placements.models import Placement

    owner = User.objects.get(username="olivia").pk
    start_date = "2020-01-01" if connection.vendor == "sqlite" else dt.date(2020, 1, 1)
    companies_sql, companies = _prebuilt(Company, [
        {"name": f"Client {i} Ltd", "sector": "Logistics, Retail", "location": "Leeds"}
        for i in range(COMPANIES)
    ])  # fmt: skip
    people_sql, people = _prebuilt(Person, [
        {"first_name": f"First{i}", "last_name": f"Last{i}", "email": f"c{i}@example.org",
         "phone": f"+447700{i:06d}", "location": "Leeds", "headline": "Warehouse Operative",
         "skills": "Forklift, SQL, Excel", "owner_id": owner}
        for i in range(candidates)
    ])  # fmt: skip
    seconds = cpu = 0.0

    def timed(sql: str, rows: list[tuple[Any, ...]]) -> None:
        nonlocal seconds, cpu
        start, cpu_start = time.perf_counter(), time.process_time()
        _raw_insert(cursor, sql, rows, copy=copy)
        seconds += time.perf_counter() - start
        cpu += time.process_time() - cpu_start

    with transaction.atomic(), connection.cursor() as cursor:
        timed(companies_sql, companies)
        timed(people_sql, people)
        # The tuples that refer to rows above are built off the clock, once their ids exist.
        cursor.execute("SELECT min(id) FROM people_company WHERE name = 'Client 0 Ltd'")
        first_company = cursor.fetchone()[0]
        cursor.execute("SELECT min(id) FROM people_person WHERE email = 'c0@example.org'")
        first_person = cursor.fetchone()[0]
        vacancies_sql, vacancies = _prebuilt(Vacancy, [
            {"company_id": first_company + i % COMPANIES, "title": f"Role {i % 97}",
             "owner_id": owner}
            for i in range(JOBS)
        ])  # fmt: skip
        timed(vacancies_sql, vacancies)
        placements_sql, rows = _prebuilt(Placement, [
            {"person_id": first_person + i, "company_id": first_company + i % COMPANIES,
             "owner_id": owner, "role_title": "Role", "start_date": start_date,
             "salary": 30000, "fee": 6000}
            for i in range(placements)
        ])  # fmt: skip
        timed(placements_sql, rows)
        start = time.perf_counter()
    seconds += time.perf_counter() - start  # the commit
    return {"rows": COMPANIES + JOBS + candidates + placements, "seconds": seconds, "cpu": cpu}


# The tables an import adds rows to, parents before children.
WRITTEN = ("people.Company", "people.Person", "network.Vacancy", "people.Role",
           "placements.Placement", "care.Touchpoint", "imports.ExternalRef",
           "imports.RowResult", "audit.AuditEntry")  # fmt: skip
ADDED_ROWS = OUT_DIR / "import-added-rows.pickle"


def _queue_import(folder: Path) -> None:
    from keepwarm.imports import services
    from keepwarm.imports.models import Source

    files, _ = services.bullhorn_files(sorted(folder.iterdir()))
    services.start_import(source=Source.BULLHORN, files=files, by=None, dry_run=False)


def _dump_added_rows() -> None:
    """Every row of the tables the import writes, as the database returns it (JSON as its
    text), for the same-rows ceiling; the tables were empty before the import."""
    import pickle

    from django.apps import apps
    from django.db import connection

    tables = []
    for label in WRITTEN:
        table = apps.get_model(label)._meta.db_table
        with connection.cursor() as cursor:
            # Table names come from the models above; JSON leaves as text so that both
            # executemany and COPY take it as it is.
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")
            columns = [c[0] for c in cursor.description]
            rows = [
                tuple(json.dumps(v) if isinstance(v, dict | list) else v for v in row)
                for row in cursor.fetchall()
            ]
        tables.append((table, columns, rows))
    with ADDED_ROWS.open("wb") as handle:
        pickle.dump(tables, handle, protocol=pickle.HIGHEST_PROTOCOL)


def run_same_rows(*, copy: bool) -> dict[str, float]:
    """Raw load of the rows the import added, one transaction (commit included): the run
    it belongs to is queued first, as the import's was, so every reference holds."""
    import pickle

    from django.db import connection, transaction

    with ADDED_ROWS.open("rb") as handle:
        tables = pickle.load(handle)  # the bench's own file, written moments before
    quote = connection.ops.quote_name
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        start, cpu_start = time.perf_counter(), time.process_time()
        for table, columns, rows in tables:
            sql = "INSERT INTO {} ({}) VALUES ({})".format(
                quote(table), ", ".join(quote(c) for c in columns), ", ".join(["%s"] * len(columns))
            )
            _raw_insert(cursor, sql, rows, copy=copy)
            written += len(rows)
        cpu = time.process_time() - cpu_start
        start_commit = time.perf_counter()
    seconds = time.perf_counter() - start
    return {"rows": written, "seconds": seconds, "cpu": cpu,
            "commit": time.perf_counter() - start_commit}  # fmt: skip


def _import_again(folder: Path) -> float:
    """The same files once more (a nightly sync): every row should come back unchanged."""
    from keepwarm.imports import services

    _queue_import(folder)
    start = time.perf_counter()
    again = services.run_next_import(now=NOW)
    seconds = time.perf_counter() - start
    assert again is not None and again.unchanged == again.total_rows, again and again.error
    return seconds


def run_import(folder: Path) -> dict[str, float]:
    from keepwarm.care.models import Touchpoint
    from keepwarm.imports import services
    from keepwarm.people.models import Person
    from keepwarm.placements.models import Placement

    _queue_import(folder)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start, cpu = time.perf_counter(), time.process_time()
    done = services.run_next_import(now=NOW)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert done is not None and done.state == "done", done and done.error
    from django.apps import apps

    written = sum(apps.get_model(label).objects.count() for label in WRITTEN)
    return {
        "written": written,
        "cpu": cpu,
        "rows": done.total_rows, "seconds": seconds, "rss_growth_mb": (after - before) / 1024,
        "created": done.created, "rejected": done.rejected, "people": Person.objects.count(),
        "placements": Placement.objects.count(), "touchpoints": Touchpoint.objects.count(),
    }  # fmt: skip


def child(mode: str, folder: Path, candidates: int, placements: int) -> None:
    url = os.environ.get("KEEPWARM_DATABASE_URL")
    if not url:
        db = OUT_DIR / f"import-{mode}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{db}"
    setup_django(url)
    empty_database()
    default_plans()
    users()
    if mode.startswith("import"):
        result = run_import(folder)
        if mode == "import-and-dump":
            _dump_added_rows()
            result["again"] = _import_again(folder)
    elif mode.startswith("same-rows"):
        _queue_import(folder)
        result = run_same_rows(copy=mode == "same-rows-copy")
    else:
        if mode == "ceiling":
            _without_search_index()
        result = run_ceiling(candidates, placements, copy=mode == "ceiling-copy")
    print(json.dumps(result))


def _without_search_index() -> None:
    """SQLite: drop, in the ceiling's own database, the triggers that keep the people's
    search index (people migration 0019). FTS5 writes out what it was given at the end of
    every statement, and executemany makes each person a statement of their own: with them
    the raw insert of 100,000 people took ~3.5 s longer (a multi-row INSERT, as the
    import's, pays ~0.35 s). The headline's ceiling would move with how it inserts, not
    with what the import does; the ceiling with them is printed too."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            " AND name LIKE 'people_person_search_%'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP TRIGGER {name}")  # a name read from the catalogue


def spawn(mode: str, folder: Path, candidates: int, placements: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "_child", mode, str(folder), str(candidates), str(placements)],
        capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode:
        # A failed step says why, not only that it failed.
        sys.stderr.write(out.stderr)
        out.check_returncode()
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--placements", type=int, default=50_000)
    parser.add_argument(
        "--headline-only",
        action="store_true",
        help="leave out the earlier same-rows ceiling, the second pass and the tenth run",
    )
    parser.add_argument(
        "--copy-only",
        action="store_true",
        help="PostgreSQL: leave out the executemany ceiling (the headline is against COPY; "
        "executemany makes 152,500 round trips, which take minutes on a busy machine)",
    )
    args = parser.parse_args()
    engine = "postgresql" if "postgres" in os.environ.get("KEEPWARM_DATABASE_URL", "") else "sqlite"
    big = OUT_DIR / "import-files"
    small = OUT_DIR / "import-files-tenth"
    write_files(big, args.candidates, args.placements)
    write_files(small, args.candidates // 10, args.placements // 10)
    skip_executemany = args.copy_only and engine == "postgresql"
    ceiling = None if skip_executemany else spawn("ceiling", big, args.candidates, args.placements)
    copy = (
        spawn("ceiling-copy", big, args.candidates, args.placements)
        if engine == "postgresql"
        else None
    )
    indexed = (
        spawn("ceiling-with-search-index", big, args.candidates, args.placements)
        if engine == "sqlite"
        else None
    )
    if args.headline_only:
        full = spawn("import", big, args.candidates, args.placements)
        same = same_copy = tenth = None
    else:
        full = spawn("import-and-dump", big, args.candidates, args.placements)
        same = spawn("same-rows", big, args.candidates, args.placements)
        same_copy = (
            spawn("same-rows-copy", big, args.candidates, args.placements)
            if engine == "postgresql"
            else None
        )
        ADDED_ROWS.unlink()
        tenth = spawn("import", small, args.candidates // 10, args.placements // 10)
    rows, seconds = full["rows"], full["seconds"]
    load = os.getloadavg()
    print(f"engine {engine}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; CPU time "
          "of the process in brackets (on PostgreSQL it leaves out the server's)")  # fmt: skip
    print(
        f"import through the worker: {rows} input rows in 4 files, {seconds:.1f} s "
        f"({full['cpu']:.1f} s CPU) = {1e6 * seconds / rows:.0f} us per input row; it made "
        f"{full['people']} people, {full['placements']} placements, {full['touchpoints']} "
        f"touchpoints ({full['rejected']} rows rejected) and wrote {full['written']} rows in all "
        f"(with roles, vacancies, external ids, audit entries and row results)"
    )
    headline = copy if copy is not None else ceiling
    assert headline is not None and headline["rows"] == rows, (headline["rows"], rows)
    print(
        f"HEADLINE, per input row against a raw insert of the same {rows} input rows "
        f"(goal >= 15%): {100 * headline['seconds'] / seconds:.1f}% "
        f"({1e6 * seconds / rows:.0f} us vs {1e6 * headline['seconds'] / rows:.1f} us per row "
        f"by {'COPY' if copy is not None else 'executemany'}; by CPU "
        f"{100 * headline['cpu'] / full['cpu']:.1f}%)"
    )

    def against(name: str, load: dict[str, float], what: str, stands_for: float) -> None:
        """The import's input rows/s against the load's, where the load stands for
        `stands_for` input rows (all of them for both loads)."""
        commit = f", commit {load['commit']:.1f} s" if "commit" in load else ""
        rate, cpu_rate = stands_for / load["seconds"], stands_for / load["cpu"]
        print(
            f"  {name} of {what}: {load['seconds']:.2f} s{commit} = {rate:,.0f} input rows/s; "
            f"the import runs at {100 * rows / seconds / rate:.1f}% of it "
            f"({100 * rows / full['cpu'] / cpu_rate:.1f}% by CPU)"
        )

    print("against a raw insert of the input rows (companies, vacancies, people, placements):")
    for name, load in (("executemany", ceiling), ("COPY", copy)):
        if load is not None:
            against(name, load, f"{load['rows']} rows", rows)
    if indexed is not None:
        # Not the headline: see _without_search_index.
        kept = f"{indexed['rows']} rows, the search index's triggers kept"
        against("executemany", indexed, kept, rows)
    if same is not None:
        print(
            "earlier figure, against a raw load of the rows the import wrote (each input row "
            f"makes {full['written'] / rows:.1f} rows; the earlier goal was >= 25%):"
        )
    for name, load in (("executemany", same), ("COPY", same_copy)):
        if load is not None:
            assert load["rows"] == full["written"], (load["rows"], full["written"])
            against(name, load, f"the same {load['rows']} rows", rows)
    if tenth is None:
        return
    print(f"the same files again (all {rows} rows unchanged): {full['again']:.1f} s")
    print(f"peak RSS growth: {full['rss_growth_mb']:.0f} MB for {full['rows']} rows, "
          f"{tenth['rss_growth_mb']:.0f} MB for {tenth['rows']} rows "
          f"({tenth['rows'] / tenth['seconds']:,.0f} rows/s)")  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        child(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        main()
