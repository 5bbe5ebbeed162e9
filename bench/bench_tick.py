"""The tick's time to find due work, against the bare indexed SQL query in the same run.

    .venv/bin/python bench/bench_tick.py [--scale 1.0] [--reps 7]

Run bench/generate.py with the same --scale (and KEEPWARM_DATABASE_URL) first.

The headline, goal <= 1.5x:
  tick_due_loop: the worker's real paged loop (enqueue_due_checkins) over every due row in
    its pages and chunks, with the per-chunk render/queue replaced by a stub that only
    counts (the worker's keyset moves it on; only the finding is timed, nothing changes),
    against raw keyset paging with the same page size: the same filter and order as
    hand-written SQL on the raw DB-API cursor, (due_on, id) a page at a time, each page
    starting after the last one's (due_on, id). Median of --reps interleaved runs.
The earlier figures, against the same filter read in one go on the raw cursor (ids, from
the covering partial index, all rows fetched):
  tick_due_query: the worker's due-work queryset (keepwarm.worker.tick._due_checkins) read
    in one go with values_list("id", flat=True);
  tick_due_scan: the same real loop as above.
The counts must be equal (a different count is a bug, not noise: the script exits 1).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
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


def raw_page_sql(engine: str, *, first: bool) -> str:
    """One page of raw keyset paging: (due_on, id) after the last page's, PAGE rows."""
    from keepwarm.care.models import Touchpoint
    from keepwarm.worker.tick import PAGE

    mark = "?" if engine == "sqlite" else "%s"
    after = (
        ""
        if first
        else f"AND t.due_on >= {mark} AND (t.due_on > {mark} OR (t.due_on = {mark} AND t.id > {mark})) "
    )
    return (
        f"SELECT t.due_on, t.id FROM {Touchpoint._meta.db_table} t "
        f"WHERE t.state = 'planned' AND t.kind IN ('email', 'questionnaire') AND t.due_on <= {mark} "
        f"{after}ORDER BY t.due_on, t.id LIMIT {PAGE}"
    )


def raw_keyset(raw: Any, engine: str, today: dt.date) -> int:
    """Every due row, a page at a time, on the raw DB-API cursor; returns the count."""
    from keepwarm.worker.tick import PAGE

    first, more = raw_page_sql(engine, first=True), raw_page_sql(engine, first=False)
    day: Any = today.isoformat() if engine == "sqlite" else today
    cur = raw.cursor()
    cur.execute(first, [day])
    found = 0
    while True:
        page = cur.fetchall()
        found += len(page)
        if len(page) < PAGE:
            break
        last_day, last_id = page[-1]
        cur.execute(more, [day, last_day, last_day, last_day, last_id])
    cur.close()
    return found


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
    load = os.getloadavg()
    print(
        f"[tick due-work, {engine}, scale {scale:g}, load average {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f}] product: {source}, values_list{COLUMNS}"
    )
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
    scanned = worker_scan(today) if scan else None  # warm-up of the loop
    if scanned is not None:
        t_loop: list[float] = []
        t_keyset: list[float] = []
        cpu_loop: list[float] = []
        cpu_keyset: list[float] = []
        n_keyset = raw_keyset(raw, engine, today)
        for _ in range(reps):
            start, cpu = time.perf_counter(), time.process_time()
            n_keyset = raw_keyset(raw, engine, today)
            t_keyset.append(time.perf_counter() - start)
            cpu_keyset.append(time.process_time() - cpu)
            cpu = time.process_time()
            again = worker_scan(today)
            cpu_loop.append(time.process_time() - cpu)
            assert again is not None
            t_loop.append(again[0])
        _, found, chunks = scanned
        from keepwarm.worker.tick import PAGE

        print(
            f"  worker's paged loop (enqueue_due_checkins): {found:,} rows in {chunks:,} "
            f"chunks, pages of {PAGE:,}; raw keyset paging found {n_keyset:,}"
        )
        ms_loop, ms_keyset = median(t_loop) * 1000, median(t_keyset) * 1000
        print(
            f"  the real loop against raw keyset paging: {ms_loop:.1f} ms vs {ms_keyset:.1f} ms "
            f"(runs {min(t_loop) * 1000:.0f}-{max(t_loop) * 1000:.0f} vs "
            f"{min(t_keyset) * 1000:.0f}-{max(t_keyset) * 1000:.0f} ms); CPU of this process "
            f"{median(cpu_loop) * 1000:.1f} ms vs {median(cpu_keyset) * 1000:.1f} ms "
            f"= {median(cpu_loop) / max(median(cpu_keyset), 1e-9):.2f}x"
        )
        lines.insert(
            0,
            figure(
                f"tick_due_loop_{engine}_ms",
                ms_loop,
                ms_keyset,
                "ms",
                "<= 1.5x raw keyset paging with the same page size",
            ),
        )
        lines.append(
            figure(
                f"tick_due_scan_{engine}_ms",
                ms_loop,
                ms_raw,
                "ms",
                "earlier figure: against the raw SQL read in one go",
            )
        )
        if found != n_raw or n_keyset != n_raw:
            print(
                f"  COUNT MISMATCH: the worker's loop found {found:,} rows, raw keyset paging "
                f"{n_keyset:,}, raw SQL {n_raw:,}"
            )
            ok = False
        result["scan_ms"] = ms_loop
        result["keyset_ms"] = ms_keyset
        result["loop_ratio"] = ms_loop / ms_keyset
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
