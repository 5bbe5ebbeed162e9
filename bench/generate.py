"""Generate the DESIGN.md agency into a fresh database, fast.

    .venv/bin/python bench/generate.py [--scale 1.0] [--today YYYY-MM-DD] [--seed 1]

Full size (scale 1): 50 consultants, 200k people, 100k placements, 2M touchpoints, plus
the outbox history of the check-in emails already sent. The database is
KEEPWARM_DATABASE_URL, or bench/out/bench-<scale>.sqlite3. It is wiped first (SQLite: the
file is deleted; PostgreSQL: the public schema is dropped, only for a database whose name
contains "kw_e" or "bench", or with --yes), migrated with Keepwarm's own migrations, then
loaded with raw inserts: sqlite3 `executemany` or psycopg `COPY`, table and column names
taken from the models' _meta. Secondary indexes are dropped for the load and rebuilt from
the exact DDL the migrations created, so the end state is what `migrate` makes.

Distribution: placements start over the last 5 years (and a few weeks ahead); each gets
20 touchpoints from a realistic care plan (calls before start and in week one,
questionnaires at week 1 and months 1/3/6/12, client check-ins, keep-in-touch calls and
emails). Past work is done, missed or skipped; ~8% of all touchpoints are planned and
due by today (the tick's backlog of check-in emails plus consultants' overdue calls).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import database_url, setup_django

PASSWORD = "keepwarm-bench"  # every generated user; a benchmark, not a secret

SIZES = {
    "consultants": 50,
    "companies": 5_000,
    "client_contacts": 15_000,
    "people": 200_000,
    "placements": 100_000,
    "touchpoints_per_placement": 20,
}

# (offset_days, kind, audience, title): 20 steps, 7 calls and 13 worker-sent.
PLAN = [
    (-2, "call", "candidate", "Call before the start"),
    (3, "call", "candidate", "Week one call"),
    (7, "questionnaire", "candidate", "Week 1 check-in"),
    (30, "questionnaire", "candidate", "Month 1 check-in"),
    (30, "questionnaire", "client", "Month 1 client check-in"),
    (61, "email", "candidate", "Keep in touch"),
    (83, "questionnaire", "client", "Before the guarantee ends"),
    (90, "questionnaire", "candidate", "Month 3 check-in"),
    (90, "questionnaire", "client", "Month 3 client check-in"),
    (122, "call", "candidate", "Keep in touch"),
    (152, "email", "candidate", "Keep in touch"),
    (182, "questionnaire", "candidate", "Month 6 check-in"),
    (213, "call", "candidate", "Keep in touch"),
    (243, "email", "candidate", "Keep in touch"),
    (274, "call", "candidate", "Keep in touch"),
    (304, "email", "candidate", "Keep in touch"),
    (335, "call", "candidate", "Keep in touch"),
    (365, "questionnaire", "candidate", "Month 12 check-in"),
    (456, "email", "candidate", "Keep in touch"),
    (547, "call", "candidate", "Keep in touch"),
]
WORKER_KINDS = ("email", "questionnaire")
BODY = (
    "Hi {{ first_name }},\n\nI hope the new role at {{ company }} is going well. "
    "It would be great to hear how your first weeks as {{ role }} have been: what is "
    "going well, and anything that is not quite as we discussed.\n\nJust reply to this "
    "email, or follow the link below to answer three short questions.\n\n{{ owner_name }}"
)
SECTORS = [
    "Finance",
    "Technology",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Logistics",
    "Legal",
    "Construction",
    "Education",
    "Hospitality",
    "Energy",
    "Media",
]
LOCATIONS = [
    "London",
    "Leeds",
    "Manchester",
    "Birmingham",
    "Bristol",
    "Glasgow",
    "Cardiff",
    "Edinburgh",
    "Newcastle",
    "Sheffield",
    "Nottingham",
    "Reading",
]
TITLES = [
    "Account Manager",
    "Software Engineer",
    "Data Analyst",
    "Nurse",
    "Site Manager",
    "Finance Analyst",
    "Paralegal",
    "Sales Executive",
    "Operations Manager",
    "Customer Success Manager",
    "Project Manager",
    "HR Advisor",
]
REASONS = [
    "counter_offer",
    "role_not_as_described",
    "manager",
    "pay",
    "relocation",
    "performance",
    "personal",
    "other",
]


def scaled(scale: float) -> dict[str, int]:
    sizes = {k: max(1, round(v * scale)) for k, v in SIZES.items()}
    sizes["consultants"] = max(2, sizes["consultants"])
    sizes["companies"] = max(5, sizes["companies"])
    sizes["client_contacts"] = max(sizes["companies"], sizes["client_contacts"])
    sizes["touchpoints_per_placement"] = SIZES["touchpoints_per_placement"]
    return sizes


# --- Raw loading ------------------------------------------------------------------


class Table:
    """A model's table as (column, default) pairs in _meta order, for raw inserts."""

    def __init__(self, model: Any, vendor: str, now: str) -> None:
        from django.db.models import JSONField

        self.model = model
        self.name = model._meta.db_table
        self.keys: list[str] = []
        self.columns: list[str] = []
        self.defaults: list[Any] = []
        for field in model._meta.concrete_fields:
            self.keys.append(field.attname)
            self.columns.append(field.column)
            if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
                default: Any = now
            elif field.has_default():
                default = field.get_default()
            elif field.null:
                default = None
            elif field.empty_strings_allowed:
                default = ""
            else:
                default = None
            if isinstance(field, JSONField):
                default = json.dumps(default)
            elif isinstance(default, Decimal):
                default = str(default)
            elif isinstance(default, bool) and vendor == "sqlite":
                default = int(default)
            self.defaults.append(default)
        self.spec = list(zip(self.keys, self.defaults, strict=True))

    def row(self, values: dict[str, Any]) -> tuple[Any, ...]:
        get = values.get
        return tuple(get(key, default) for key, default in self.spec)


class Loader:
    """Raw bulk insert: sqlite3 executemany in one transaction, or psycopg COPY."""

    def __init__(self) -> None:
        from django.db import connection

        connection.ensure_connection()
        self.vendor = connection.vendor
        self.raw = connection.connection
        self.counts: dict[str, int] = {}
        self.seconds = 0.0

    def load(self, table: Table, rows: Iterable[tuple[Any, ...]], chunk: int = 50_000) -> int:
        started = time.perf_counter()
        columns = ", ".join(f'"{c}"' for c in table.columns)
        n = 0
        cur = self.raw.cursor()
        if self.vendor == "sqlite":
            marks = ", ".join("?" * len(table.columns))
            sql = f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})'
            batch: list[tuple[Any, ...]] = []
            for row in rows:
                batch.append(row)
                if len(batch) >= chunk:
                    cur.executemany(sql, batch)
                    n += len(batch)
                    batch = []
            if batch:
                cur.executemany(sql, batch)
                n += len(batch)
        else:
            with cur.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
        cur.close()
        self.counts[table.name] = self.counts.get(table.name, 0) + n
        self.seconds += time.perf_counter() - started
        return n


def secondary_indexes(tables: list[str]) -> list[tuple[str, str]]:
    """(name, CREATE INDEX ...) for every non-unique, non-PK index on these tables."""
    from django.db import connection

    found: list[tuple[str, str]] = []
    with connection.cursor() as cur:
        for table in tables:
            if connection.vendor == "sqlite":
                cur.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s"
                    " AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%'",
                    [table],
                )
            else:
                cur.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s"
                    " AND schemaname = 'public' AND indexdef NOT LIKE 'CREATE UNIQUE%%'",
                    [table],
                )
            found.extend(cur.fetchall())
    return found


# --- The agency ---------------------------------------------------------------


def make_name_pools(rng: random.Random) -> tuple[list[str], list[str]]:
    try:
        from faker import Faker

        fake = Faker("en_GB")
        fake.seed_instance(rng.randint(0, 10**9))
        firsts = sorted({fake.first_name() for _ in range(3000)})
        lasts = sorted({fake.last_name() for _ in range(3000)})
    except ImportError:  # Faker is a dev dependency; names need not be pretty
        firsts = [f"First{i}" for i in range(500)]
        lasts = [f"Last{i}" for i in range(500)]
    return firsts, lasts


def generate(scale: float, today: dt.date, seed: int, quiet: bool = False) -> dict[str, Any]:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from keepwarm.accounts.models import User
    from keepwarm.care.models import CarePlan, PlanStep, Touchpoint
    from keepwarm.mail.models import OutboxMessage
    from keepwarm.people.models import Company, Note, Person, Role
    from keepwarm.placements.models import Placement, Target

    def say(msg: str) -> None:
        if not quiet:
            print(msg, flush=True)

    t0 = time.perf_counter()
    rng = random.Random(seed)
    sizes = scaled(scale)
    vendor = connection.vendor
    utc = dt.UTC

    def when(day: dt.date, hour: int = 9, minute: int = 0) -> str:
        stamp = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=utc)
        if vendor == "sqlite":  # Django stores naive UTC text on SQLite
            return stamp.strftime("%Y-%m-%d %H:%M:%S")
        return stamp.isoformat()

    now_text = when(today, 8)
    say(f"migrating ({vendor})...")
    call_command("migrate", verbosity=0, interactive=False)
    t_migrate = time.perf_counter() - t0

    # Small tables through the ORM: users and the care plan.
    password = make_password(PASSWORD)
    consultants = [
        User(
            username=f"consultant{i:02d}",
            first_name=f"Consultant{i:02d}",
            last_name="Bench",
            email=f"consultant{i:02d}@agency.example",
            role=User.Role.CONSULTANT,
            password=password,
        )
        for i in range(1, sizes["consultants"] + 1)
    ]
    User.objects.bulk_create(consultants)
    User.objects.bulk_create(
        [
            User(
                username="manager",
                first_name="Maggie",
                last_name="Bench",
                email="manager@agency.example",
                role=User.Role.MANAGER,
                password=password,
            ),
            User(
                username="admin",
                first_name="Ada",
                last_name="Bench",
                email="admin@agency.example",
                role=User.Role.ADMIN,
                password=password,
                is_staff=True,
                is_superuser=True,
            ),
        ]
    )
    consultant_ids = list(
        User.objects.filter(role=User.Role.CONSULTANT).order_by("id").values_list("id", flat=True)
    )
    # Some consultants are busier than others (0.5x to 1.5x the average).
    weights = [0.5 + rng.random() for _ in consultant_ids]
    plan = CarePlan.objects.create(name="Benchmark plan", placement_kind="permanent")
    steps = PlanStep.objects.bulk_create(
        [
            PlanStep(
                plan=plan,
                order=i,
                title=title,
                kind=kind,
                audience=audience,
                offset_days=offset,
                email_subject=f"{title}: how is it going?" if kind in WORKER_KINDS else "",
                email_body=BODY if kind in WORKER_KINDS else "",
            )
            for i, (offset, kind, audience, title) in enumerate(PLAN)
        ]
    )
    step_ids = [s.pk for s in steps]

    tables = {
        m: Table(m, vendor, now_text)
        for m in (Company, Person, Role, Placement, Target, Touchpoint, Note, OutboxMessage)
    }
    big = [t.name for t in tables.values()]
    indexes = secondary_indexes(big)
    loader = Loader()

    firsts, lasts = make_name_pools(rng)
    n_companies = sizes["companies"]
    n_contacts = sizes["client_contacts"]
    n_placements = sizes["placements"]
    n_people = max(sizes["people"], n_contacts + n_placements)
    start_window = 5 * 365  # placements started over the last five years ...
    ahead = 45  # ... and some start in the coming weeks

    # --- Pass 1: placements and their touchpoints' due dates (cheap), to size the backlog.
    say("planning placements...")
    # Placed people: 95% placed once, the rest twice (a re-placement).
    placed_people = n_placements - n_placements // 20
    contact_base = 1
    candidate_base = n_contacts + 1
    placements: list[dict[str, Any]] = []
    owner_of_company = [rng.choices(consultant_ids, weights)[0] for _ in range(n_companies)]
    for pid in range(1, n_placements + 1):
        company = rng.randrange(n_companies)
        person = candidate_base + (
            pid - 1 if pid <= placed_people else rng.randrange(placed_people)
        )
        start = today - dt.timedelta(days=rng.randrange(-ahead, start_window))
        owner = (
            rng.choices(consultant_ids, weights)[0]
            if rng.random() < 0.2
            else owner_of_company[company]
        )
        # Each company has n_contacts / n_companies contacts: contact ids interleave by company.
        contact = (
            contact_base + company + n_companies * rng.randrange(max(1, n_contacts // n_companies))
        )
        contact = min(contact, n_contacts)
        if start > today:
            status, left_on = "offer_accepted", None
        elif rng.random() < 0.08:
            status = "fell_off" if rng.random() < 0.3 else "left"
            left_on = start + dt.timedelta(days=rng.randrange(1, 200))
            if left_on > today:
                left_on = today
        elif (today - start).days <= 90:
            status, left_on = "in_guarantee", None
        else:
            status, left_on = "settled", None
        placements.append(
            {
                "id": pid,
                "company": company + 1,
                "person": person,
                "start": start,
                "owner": owner,
                "contact": contact,
                "status": status,
                "left_on": left_on,
            }
        )

    worker_past = calls_recent = total_tp = 0
    for p in placements:
        for offset, kind, _aud, _title in PLAN:
            due = p["start"] + dt.timedelta(days=offset)
            total_tp += 1
            if due > today or (p["left_on"] and due > p["left_on"]):
                continue
            if kind in WORKER_KINDS:
                worker_past += 1
            elif (today - due).days <= 14:
                calls_recent += 1
    p_call_backlog = 0.35  # a third of the last fortnight's calls are still to do
    target_backlog = round(0.08 * total_tp)
    p_worker_backlog = max(
        0.0, min(1.0, (target_backlog - calls_recent * p_call_backlog) / max(1, worker_past))
    )

    with transaction.atomic():
        with connection.cursor() as cur:
            for name, _sql in indexes:
                cur.execute(f'DROP INDEX "{name}"')
            if vendor == "postgresql":
                # Like pg_restore: skip FK triggers during the load; ids are consistent by construction.
                cur.execute("SET LOCAL session_replication_role = replica")

        t_load = time.perf_counter()
        say("loading companies and people...")
        scales = json.dumps(
            [
                {"up_to_day": 30, "percent": 100},
                {"up_to_day": 60, "percent": 50},
                {"up_to_day": 90, "percent": 25},
            ]
        )

        def companies() -> Iterator[tuple[Any, ...]]:
            for i in range(n_companies):
                yield tables[Company].row(
                    {
                        "id": i + 1,
                        "name": f"{rng.choice(lasts)} {rng.choice(['Ltd', 'plc', 'Group', 'Partners'])} {i + 1}",
                        "sector": rng.choice(SECTORS),
                        "location": rng.choice(LOCATIONS),
                        "guarantee_length": 90,
                        "rebate_scale": scales,
                        "owner_id": owner_of_company[i],
                        "email": f"hello@company{i + 1}.example",
                    }
                )

        loader.load(tables[Company], companies())

        last_start: dict[int, dt.date] = {}
        person_owner: dict[int, int] = {}
        for p in placements:
            if p["start"] >= last_start.get(p["person"], dt.date.min):
                last_start[p["person"]] = p["start"]
                person_owner[p["person"]] = p["owner"]

        def people() -> Iterator[tuple[Any, ...]]:
            row = tables[Person].row
            for pk in range(1, n_people + 1):
                first, last = rng.choice(firsts), rng.choice(lasts)
                if pk <= n_contacts:
                    company = (pk - 1) % n_companies
                    owner: int | None = owner_of_company[company]
                    contacted = today - dt.timedelta(days=int(rng.expovariate(1 / 25)))
                elif pk in last_start:
                    owner = person_owner[pk]
                    since = (today - last_start[pk]).days
                    contacted = today - dt.timedelta(
                        days=min(max(since, 0), int(rng.expovariate(1 / 20)))
                    )
                else:
                    owner = rng.choices(consultant_ids, weights)[0]
                    contacted = today - dt.timedelta(days=rng.randrange(0, start_window))
                yield row(
                    {
                        "id": pk,
                        "first_name": first,
                        "last_name": last,
                        "email": f"{first}.{last}.{pk}@example.net".lower().replace(" ", ""),
                        # E.164, as keepwarm.lib.phones stores every number it accepts.
                        "phone": f"+447700{900000 + pk % 100000:06d}",
                        "location": rng.choice(LOCATIONS),
                        "sector": rng.choice(SECTORS),
                        "headline": rng.choice(TITLES),
                        "owner_id": owner,
                        "last_contacted_at": when(contacted, 10) if rng.random() < 0.95 else None,
                    }
                )

        loader.load(tables[Person], people())

        def roles() -> Iterator[tuple[Any, ...]]:
            row = tables[Role].row
            pk = 0
            for person in range(1, n_people + 1):
                pk += 1
                if person <= n_contacts:
                    yield row(
                        {
                            "id": pk,
                            "person_id": person,
                            "kind": "client_contact",
                            "company_id": (person - 1) % n_companies + 1,
                            "started_on": (
                                today - dt.timedelta(days=rng.randrange(30, 3000))
                            ).isoformat(),
                        }
                    )
                else:
                    yield row(
                        {
                            "id": pk,
                            "person_id": person,
                            "kind": "candidate",
                            "started_on": (
                                today - dt.timedelta(days=rng.randrange(60, 3000))
                            ).isoformat(),
                        }
                    )
            for p in placements:
                if p["start"] <= today:
                    pk += 1
                    yield row(
                        {
                            "id": pk,
                            "person_id": p["person"],
                            "kind": "placed",
                            "company_id": p["company"],
                            "title": rng.choice(TITLES),
                            "started_on": p["start"].isoformat(),
                            "ended_on": p["left_on"].isoformat() if p["left_on"] else None,
                        }
                    )

        loader.load(tables[Role], roles())

        say("loading placements...")

        def placement_rows() -> Iterator[tuple[Any, ...]]:
            row = tables[Placement].row
            for p in placements:
                salary = rng.randrange(25, 95) * 1000
                ended = p["status"] in ("fell_off", "left")
                yield row(
                    {
                        "id": p["id"],
                        "person_id": p["person"],
                        "company_id": p["company"],
                        "hiring_manager_id": p["contact"],
                        "owner_id": p["owner"],
                        "role_title": rng.choice(TITLES),
                        "start_date": p["start"].isoformat(),
                        "salary": f"{salary}.00",
                        "fee": f"{salary * 20 // 100}.00",
                        "hours_per_week": "37.5",
                        "probation_weeks": 12,
                        "rebate_scale": scales,
                        "care_plan_id": plan.pk,
                        "status": p["status"],
                        "left_on": p["left_on"].isoformat() if p["left_on"] else None,
                        "leave_reason": rng.choice(REASONS) if ended else "",
                        "rebate_owed": f"{salary * 5 // 100}.00" if ended else None,
                        "created_at": when(p["start"] - dt.timedelta(days=21), 12),
                    }
                )

        loader.load(tables[Placement], placement_rows())

        def targets() -> Iterator[tuple[Any, ...]]:
            row = tables[Target].row
            pk = 0
            for p in placements:
                if rng.random() < 0.3:
                    pk += 1
                    yield row(
                        {
                            "id": pk,
                            "placement_id": p["id"],
                            "name": "New business",
                            "target_value": "40000.00",
                            "unit": "GBP",
                            "period": "quarter",
                        }
                    )

        loader.load(tables[Target], targets())

        say("loading touchpoints and sent mail...")
        outbox: list[tuple[Any, ...]] = []
        backlog = 0

        def touchpoints() -> Iterator[tuple[Any, ...]]:
            nonlocal backlog
            row = tables[Touchpoint].row
            orow = tables[OutboxMessage].row
            pk = 0
            for p in placements:
                left_on = p["left_on"]
                for i, (offset, kind, audience, title) in enumerate(PLAN):
                    pk += 1
                    due = p["start"] + dt.timedelta(days=offset)
                    person = p["contact"] if audience == "client" else p["person"]
                    worker = kind in WORKER_KINDS
                    values: dict[str, Any] = {
                        "id": pk,
                        "person_id": person,
                        "placement_id": p["id"],
                        "step_id": step_ids[i],
                        "kind": kind,
                        "audience": audience,
                        "title": title,
                        "due_on": due.isoformat(),
                        "owner_id": p["owner"],
                        "created_at": when(p["start"] - dt.timedelta(days=21), 12),
                    }
                    if worker:
                        values["email_subject"] = f"{title}: how is it going?"
                        values["email_body"] = BODY
                    if left_on and due > left_on:
                        values["state"] = "skipped"
                        values["skip_reason"] = "placement ended"
                    elif due > today:
                        values["state"] = "planned"
                    elif worker:
                        if rng.random() < p_worker_backlog:
                            values["state"] = "planned"
                            backlog += 1
                        else:
                            values.update(state="done", outcome="emailed", done_at=when(due, 9, 5))
                            outbox.append(
                                orow(
                                    {
                                        "key": f"touchpoint:{pk}",
                                        "person_id": person,
                                        "touchpoint_id": pk,
                                        "placement_id": p["id"],
                                        "to_email": f"person{person}@example.net",
                                        "from_email": f"consultant <consultant{p['owner']}@agency.example>",
                                        "subject": f"{title}: how is it going?",
                                        "body_text": BODY,
                                        "state": "sent",
                                        "send_after": when(due, 9),
                                        "attempts": 1,
                                        "sent_at": when(due, 9, 5),
                                        "message_id": f"<{pk}@bench.keepwarm>",
                                        "created_at": when(due, 8),
                                    }
                                )
                            )
                    elif (today - due).days <= 14 and rng.random() < p_call_backlog:
                        values["state"] = "planned"
                        backlog += 1
                    else:
                        roll = rng.random()
                        if roll < 0.8:
                            values.update(
                                state="done",
                                done_by_id=p["owner"],
                                done_at=when(due, 11),
                                outcome=rng.choice(
                                    ["reached", "reached", "voicemail", "no_answer"]
                                ),
                                notes="Spoke briefly; all fine." if roll < 0.4 else "",
                            )
                        elif roll < 0.9:
                            values["state"] = "missed"
                        else:
                            values.update(state="skipped", skip_reason="Not needed")
                    yield row(values)

        outbox_pk = 0

        def flush_outbox() -> None:
            nonlocal outbox_pk
            rows = []
            for r in outbox:
                outbox_pk += 1
                rows.append((outbox_pk, *r[1:]))
            outbox.clear()
            loader.load(tables[OutboxMessage], rows)

        assert tables[OutboxMessage].keys[0] == "id"
        # The sent mail is loaded after its touchpoints (one COPY at a time per connection).
        loader.load(tables[Touchpoint], touchpoints())
        flush_outbox()

        def notes() -> Iterator[tuple[Any, ...]]:
            row = tables[Note].row
            for pk in range(1, n_people // 4 + 1):
                person = rng.randrange(1, n_people + 1)
                yield row(
                    {
                        "id": pk,
                        "person_id": person,
                        "author_id": rng.choice(consultant_ids),
                        "text": "Prefers email; open to a move in the spring.",
                        "created_at": when(
                            today - dt.timedelta(days=rng.randrange(0, start_window)), 15
                        ),
                    }
                )

        loader.load(tables[Note], notes())
        load_seconds = time.perf_counter() - t_load

        say(f"rebuilding {len(indexes)} indexes...")
        t_index = time.perf_counter()
        with connection.cursor() as cur:
            for _name, sql in indexes:
                cur.execute(sql)
            for sql in connection.ops.sequence_reset_sql(no_style(), list(tables)):
                cur.execute(sql)
        index_seconds = time.perf_counter() - t_index

    t_analyze = time.perf_counter()
    if vendor == "postgresql":
        with connection.cursor() as cur:
            # VACUUM too, as autovacuum would have on a live database: it sets the
            # visibility map, without which an index-only scan still reads every heap row.
            cur.execute("VACUUM ANALYZE")
    analyze_seconds = time.perf_counter() - t_analyze

    total = time.perf_counter() - t0
    rows = sum(loader.counts.values())
    summary = {
        "scale": scale,
        "vendor": vendor,
        "today": today.isoformat(),
        "counts": loader.counts,
        "backlog_planned_due": backlog,
        "touchpoints": total_tp,
        "seconds": {
            "total": round(total, 1),
            "migrate": round(t_migrate, 1),
            "load": round(load_seconds, 1),
            "indexes": round(index_seconds, 1),
            "analyze": round(analyze_seconds, 1),
        },
        "rows_per_second_load": round(rows / max(loader.seconds, 1e-9)),
    }
    say(
        f"generated {rows:,} rows in {total:.1f} s (load {load_seconds:.1f} s, "
        f"indexes {index_seconds:.1f} s); planned and due by {today}: {backlog:,} of {total_tp:,} "
        f"touchpoints ({backlog / max(1, total_tp):.1%})"
    )
    say(json.dumps(summary))
    return summary


def wipe(url: str, yes: bool) -> None:
    """Start from an empty database: delete the SQLite file or drop PostgreSQL's public schema."""
    if url.startswith("sqlite"):
        path = Path(url.split("sqlite:///", 1)[1])
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    if not yes and "kw_e" not in name and "bench" not in name:
        raise SystemExit(
            f"refusing to wipe database {name!r}: pass --yes if it is a scratch database"
        )
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DROP SCHEMA public CASCADE")
        cur.execute("CREATE SCHEMA public")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = the DESIGN.md agency")
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--yes", action="store_true", help="allow wiping any PostgreSQL database")
    args = parser.parse_args(argv)
    url = database_url(args.scale)
    if url.startswith("sqlite"):
        wipe(url, args.yes)
    setup_django(url)
    if not url.startswith("sqlite"):
        wipe(url, args.yes)
    from django.utils import timezone

    today = args.today or timezone.localdate()
    print(f"database: {url.split('@')[-1]}", flush=True)
    return generate(args.scale, today, args.seed)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keepwarm.settings")
    main()
