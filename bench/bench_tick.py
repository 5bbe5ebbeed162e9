"""The tick's time to find due work, against the bare indexed SQL query in the same run.

    .venv/bin/python bench/bench_tick.py [--scale 1.0] [--reps 7]

Run bench/generate.py with the same --scale (and KEEPWARM_DATABASE_URL) first.

Two figures, both against the same ceiling: the same filter and order as hand-written SQL
on the raw DB-API cursor (the column the worker reads: id, from the covering partial
index), all rows fetched.
  tick_due_query: the worker's own due-work queryset (keepwarm.worker.tick._due_checkins,
    or the contract's ORM query before the worker existed) read in one go with
    values_list("id", flat=True). Median of --reps interleaved runs.
  tick_due_scan: the worker's real loop (enqueue_due_checkins) over the same rows in its
    pages and chunks, with the per-chunk render/queue replaced by a stub that only counts
    (the worker's keyset moves it on); only the finding is timed, nothing changes. One run.
Goal: ≤ 1.5x. The counts must be equal (a different count is a bug, not noise: the script
exits 1).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import database_url, engine_name, figure, median, setup_django

WORKER_KINDS = ["email", "questionnaire"]
COLUMNS = ("id",)  # what the worker reads per due touchpoint (worker._due_page)


def product_query(today: dt.date) -> tuple[Any, str]:
    """The worker's own due-work queryset (keepwarm.worker.tick._due_checkins), reading the
    columns its loop reads; else the contract's ORM query."""
    from keepwarm.care.models import Touchpoint

    try:
        from keepwarm.worker import tick as worker
    except ImportError:
        worker = None  # type: ignore[assignment]
    fn = getattr(worker, "_due_checkins", None)
    if callable(fn):
        return fn(today).values_list(
            *COLUMNS, flat=True
        ), "keepwarm.worker.tick._due_checkins(today)"
    qs = Touchpoint.objects.filter(state="planned", kind__in=WORKER_KINDS, due_on__lte=today)
    return qs.values_list(*COLUMNS, flat=True), "ORM query per contract (no worker yet)"


def raw_sql(engine: str) -> str:
    """The bare SQL for the same filter and columns, on the tables' real names."""
    from keepwarm.care.models import Touchpoint

    mark = "?" if engine == "sqlite" else "%s"
    return (
        f"SELECT t.id FROM {Touchpoint._meta.db_table} t "
        f"WHERE t.state = 'planned' AND t.kind IN ('email', 'questionnaire') AND t.due_on <= {mark} "
        "ORDER BY t.due_on, t.id"
    )


def worker_scan(today: dt.date) -> tuple[float, int, int] | None:
    """Time the worker's real chunked scan (enqueue_due_checkins), without sending anything.

    Its per-chunk work (_enqueue_chunk: render, mark done, queue) is replaced by a stub
    that only counts, so only the finding is timed and nothing changes: the worker's
    keyset (due_on, id) moves it on. (Marking the rows done inside one big rolled-back
    transaction instead made SQLite slower than the real worker, which commits per chunk;
    on PostgreSQL the done rows would stay in the index until VACUUM anyway.)
    Returns (seconds, rows found, chunks), or None when the worker has no such loop.
    """
    from django.utils import timezone

    try:
        from keepwarm.worker import tick as worker
    except ImportError:
        return None
    if not hasattr(worker, "enqueue_due_checkins") or not hasattr(worker, "_enqueue_chunk"):
        return None
    found = chunks = 0

    def stub(ids: list[int], *, now: Any) -> tuple[int, int, int]:
        nonlocal found, chunks
        found += len(ids)
        chunks += 1
        return len(ids), 0, 0

    real = worker._enqueue_chunk
    now = timezone.make_aware(dt.datetime.combine(today, dt.time(12)))
    worker._enqueue_chunk = stub  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        worker.enqueue_due_checkins(today=today, now=now)
        seconds = time.perf_counter() - start
    finally:
        worker._enqueue_chunk = real  # type: ignore[assignment]
    return seconds, found, chunks


def run(scale: float, reps: int, today: dt.date | None = None, scan: bool = True) -> dict[str, Any]:
    from django.db import connection
    from django.utils import timezone

    today = today or timezone.localdate()
    engine = engine_name()
    qs, source = product_query(today)
    sql = raw_sql(engine)
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
    print(f"[tick due-work, {engine}, scale {scale:g}] product: {source}, values_list{COLUMNS}")
    print(f"  due rows: product {n_product:,}, raw SQL {n_raw:,}, of {total:,} touchpoints")
    print(f"  plan: {' | '.join(line.strip() for line in plan.splitlines()[:4])}")
    if not uses_index:
        print("  WARNING: the plan does not use the touchpoint_due_planned partial index")
    ms_product, ms_raw = median(t_product) * 1000, median(t_raw) * 1000
    lines = [
        figure(
            f"tick_due_query_{engine}_ms", ms_product, ms_raw, "ms", "<= 1.5x the raw indexed SQL"
        )
    ]
    ok = n_product == n_raw
    if not ok:
        print(f"  COUNT MISMATCH: the product found {n_product:,} rows, raw SQL {n_raw:,}")
    result: dict[str, Any] = {
        "name": "tick_due_query",
        "engine": engine,
        "value_ms": ms_product,
        "ceiling_ms": ms_raw,
        "ratio": ms_product / ms_raw,
        "rows": n_product,
        "raw_rows": n_raw,
        "uses_index": uses_index,
        "source": source,
    }
    scanned = worker_scan(today) if scan else None
    if scanned is not None:
        seconds, found, chunks = scanned
        print(
            f"  worker's chunked scan (enqueue_due_checkins): {found:,} rows in {chunks:,} "
            f"chunks, {seconds:.2f} s finding them"
        )
        lines.append(
            figure(
                f"tick_due_scan_{engine}_ms",
                seconds * 1000,
                ms_raw,
                "ms",
                "<= 1.5x the raw indexed SQL",
            )
        )
        if found != n_raw:
            print(f"  COUNT MISMATCH: the worker's scan found {found:,} rows, raw SQL {n_raw:,}")
            ok = False
        result["scan_ms"] = seconds * 1000
    result["counts_equal"] = ok
    result["lines"] = lines
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--no-scan", action="store_true", help="skip the worker's chunked scan")
    args = parser.parse_args(argv)
    setup_django(database_url(args.scale))
    result = run(args.scale, args.reps, args.today, scan=not args.no_scan)
    return 0 if result["counts_equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
