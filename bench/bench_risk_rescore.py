"""Rescoring every live placement after a tick, against a bare read of their factors.

    .venv/bin/python bench/bench_risk_rescore.py [--placements 100000] [--reps 3]

Generates its own data in a fresh SQLite file under bench/out/ (or the database in
KEEPWARM_DATABASE_URL, which it fills): --placements live placements, each with a stored
risk of ~16 graded factors, as the daily run leaves them. Then, --reps times, one day
later each time:

  ceiling: the bare read — the same rows and columns (risk id, score, factors, start date)
    on the raw DB-API cursor, every factor set decoded from JSON;
  rescore: the product's own daily step, keepwarm.signals.services.risk.rescore_live:
    read, bring tenure up to the day, score with the model in use, write the scores that
    changed.

Figure: median rescore time / median bare-read time. Goal: ≤ 2x.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT_DIR, engine_name, figure, median, setup_django

TODAY = dt.date(2026, 6, 1)


def fill(n: int) -> None:
    from django.utils import timezone

    from keepwarm.accounts.models import User
    from keepwarm.people.models import Company, Person
    from keepwarm.placements.models import Placement
    from keepwarm.signals import features
    from keepwarm.signals.models import Risk

    if Risk.objects.count() >= n:
        return
    owner = User.objects.create(username="bench-owner")
    company = Company.objects.create(name="Bench Ltd")
    person = Person.objects.create(first_name="Bench", last_name="Person")
    rng = random.Random(1)
    batch = 5000
    for start in range(0, n, batch):
        size = min(batch, n - start)
        placements = Placement.objects.bulk_create(
            Placement(
                person=person,
                company=company,
                owner=owner,
                role_title="Sales Executive",
                start_date=TODAY - dt.timedelta(days=rng.randrange(1, 2000)),
                status=Placement.Status.IN_GUARANTEE,
            )
            for _ in range(size)
        )
        risks = []
        for p in placements:
            values = {
                name: round(rng.uniform(-1, 0.5), 4)
                for name in rng.sample(sorted(features.PRIORS), 14)
            }
            values.update(
                {f.name: round(f.value, 4) for f in features.tenure_factors(p.start_date, TODAY)}
            )
            risks.append(
                Risk(
                    placement=p,
                    score=features.score_values(values),
                    features=values,
                    computed_at=timezone.now(),
                )
            )
        Risk.objects.bulk_create(risks)


def bare_read() -> int:
    from django.db import connection

    from keepwarm.placements.models import Placement
    from keepwarm.signals.models import Risk

    live = ", ".join(f"'{s}'" for s in Placement.ACTIVE)
    sql = (
        f"SELECT r.id, r.score, r.features, p.start_date FROM {Risk._meta.db_table} r "
        f"JOIN {Placement._meta.db_table} p ON p.id = r.placement_id WHERE p.status IN ({live})"
    )
    count = 0
    with connection.cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(2000):
            for row in rows:
                value = row[2]
                json.loads(value) if isinstance(value, str) else value
                count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--placements", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    import os

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("KEEPWARM_DATABASE_URL") or f"sqlite:///{OUT_DIR / 'bench-risk.sqlite3'}"
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from keepwarm.signals.services.risk import rescore_live

    fill(args.placements)
    ceilings, products, changed = [], [], []
    for rep in range(args.reps):
        start = time.perf_counter()
        read = bare_read()
        ceilings.append(time.perf_counter() - start)
        start = time.perf_counter()
        changed.append(rescore_live(today=TODAY + dt.timedelta(days=rep + 1)))
        products.append(time.perf_counter() - start)
    print(f"Rescoring live placements after a tick ({engine_name()}, {read} placements)")
    print(f"  scores changed per tick: {changed}")
    figure("rescore_live", median(products) * 1000, median(ceilings) * 1000, "ms", "<= 2x")


if __name__ == "__main__":
    main()
