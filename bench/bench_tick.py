"""The tick's time to find due work, against the bare indexed SQL query in the same run.

    .venv/bin/python bench/bench_tick.py [--scale 1.0] [--reps 7]

Run bench/generate.py with the same --scale (and KEEPWARM_DATABASE_URL) first. The
product query is the worker's own (keepwarm.care.worker's due-work query when it exposes
one), else the ORM query the contract names:
Touchpoint.objects.filter(state="planned", kind__in=["email", "questionnaire"],
due_on__lte=today).values_list(...). The ceiling is the same filter as hand-written SQL
on the raw DB-API cursor, selecting the same columns. Both fetch every row; the figure is
the median of --reps interleaved runs after one warm-up each. Goal: ≤ 1.5x. The counts
must be equal (a different count is a bug, not noise: the script exits 1).
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import database_url, engine_name, figure, median, setup_django

WORKER_KINDS = ["email", "questionnaire"]
# Names under which keepwarm.care.worker may expose its due-work query.
CANDIDATE_NAMES = (
    "due_work",
    "due_touchpoints",
    "due_email_touchpoints",
    "due_queryset",
    "find_due",
)


def product_query(today: dt.date) -> tuple[Any, str]:
    """The worker's own due-work queryset if it exposes one, else the contract's ORM query."""
    from keepwarm.care.models import Touchpoint

    try:
        from keepwarm.care import worker
    except ImportError:
        worker = None
    if worker is not None:
        for name in CANDIDATE_NAMES:
            fn = getattr(worker, name, None)
            if not callable(fn):
                continue
            params = inspect.signature(fn).parameters
            kwargs: dict[str, Any] = {}
            if "today" in params:
                kwargs["today"] = today
            elif "day" in params:
                kwargs["day"] = today
            elif "now" in params:
                from django.utils import timezone

                kwargs["now"] = timezone.make_aware(
                    dt.datetime.combine(today, dt.time(12)), timezone.get_current_timezone()
                )
            qs = fn(**kwargs)
            if hasattr(qs, "query"):
                return qs, f"keepwarm.care.worker.{name}()"
    qs = Touchpoint.objects.filter(
        state="planned", kind__in=WORKER_KINDS, due_on__lte=today
    ).values_list("id", "person_id", "owner_id")
    return qs, "ORM query per contract (worker exposes no due-work query)"


def raw_sql(qs: Any) -> tuple[str, list[str]]:
    """The bare SQL for the same filter, selecting the same columns as the queryset."""
    from django.db import connection

    from keepwarm.care.models import Touchpoint

    meta = Touchpoint._meta
    names = list(qs.query.values_select) or [f.attname for f in meta.concrete_fields]
    columns = [meta.get_field(n).column for n in names]
    mark = "?" if connection.vendor == "sqlite" else "%s"
    sql = (
        f"SELECT {', '.join(columns)} FROM {meta.db_table} "
        f"WHERE state = 'planned' AND kind IN ('email', 'questionnaire') AND due_on <= {mark}"
    )
    return sql, names


def run(scale: float, reps: int, today: dt.date | None = None) -> dict[str, Any]:
    from django.db import connection
    from django.utils import timezone

    today = today or timezone.localdate()
    engine = engine_name()
    qs, source = product_query(today)
    sql, names = raw_sql(qs)
    connection.ensure_connection()
    raw = connection.connection

    def product() -> int:
        return len(list(qs.all()))  # .all(): a fresh queryset, no result cache

    def ceiling() -> int:
        cur = raw.cursor()
        cur.execute(sql, [today.isoformat() if engine == "sqlite" else today])
        n = len(cur.fetchall())
        cur.close()
        return n

    n_product, n_raw = product(), ceiling()  # warm-up
    t_product: list[float] = []
    t_raw: list[float] = []
    for _ in range(reps):
        start = time.perf_counter()
        ceiling()
        t_raw.append(time.perf_counter() - start)
        start = time.perf_counter()
        product()
        t_product.append(time.perf_counter() - start)
    total = qs.model.objects.count()
    plan = qs.explain()
    uses_index = "touchpoint_due_planned" in plan
    print(f"[tick due-work, {engine}, scale {scale:g}] product: {source}; columns {names}")
    print(f"  due rows: product {n_product:,}, raw SQL {n_raw:,}, of {total:,} touchpoints")
    print(f"  plan: {' | '.join(line.strip() for line in plan.splitlines()[:4])}")
    if not uses_index:
        print("  WARNING: the plan does not use the touchpoint_due_planned partial index")
    ms_product, ms_raw = median(t_product) * 1000, median(t_raw) * 1000
    line = figure(
        f"tick_due_query_{engine}_ms", ms_product, ms_raw, "ms", "<= 1.5x the raw indexed SQL"
    )
    ok = n_product == n_raw
    if not ok:
        print(f"  COUNT MISMATCH: the product found {n_product:,} rows, raw SQL {n_raw:,}")
    return {
        "name": "tick_due_query",
        "engine": engine,
        "value_ms": ms_product,
        "ceiling_ms": ms_raw,
        "ratio": ms_product / ms_raw,
        "rows": n_product,
        "raw_rows": n_raw,
        "counts_equal": ok,
        "uses_index": uses_index,
        "source": source,
        "line": line,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None)
    args = parser.parse_args(argv)
    setup_django(database_url(args.scale))
    result = run(args.scale, args.reps, args.today)
    return 0 if result["counts_equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
