"""Report pages' server time, and each report's reads against hand-written SQL.

    .venv/bin/python bench/bench_reports.py [--scale 1.0] [--requests 5]

Run bench/generate.py with the same --scale (and KEEPWARM_DATABASE_URL) first. In-process,
DEBUG off, as the generated manager (the whole team: the largest reports there are).

Two figures per report:
- page: the wall time of `client.get()` for the report page (chart, tables, filters),
  median and worst of --requests after one warm-up. Goal: under 1 s (Nielsen's limit
  for keeping the flow of thought) at the DESIGN.md size.
- reads vs SQL, for the reports with a hand-written anchor (retention, check-ins, NPS,
  fall-offs): the report's query function (`keepwarm.reports.queries`) against the same
  GROUP BY written as raw SQL and fetched with a cursor. Goal: ≤ 2x the anchor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import database_url, engine_name, figure, median, setup_django


def _best(fn: Callable[[], Any], runs: int) -> float:
    fn()  # warm the caches the real page would have warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return median(times) * 1000


def _anchors(start: dt.date, today: dt.date) -> dict[str, tuple[str, list[Any]]]:
    """Per report, the SQL of its main read over `start`..`today`, and its parameters."""
    from django.conf import settings
    from django.db import connection

    pg = connection.vendor == "postgresql"
    # The agency's local day of a timestamp, as Django's __date lookup computes it.
    tz = settings.TIME_ZONE
    local_day = (
        (lambda col: f"({col} AT TIME ZONE '{tz}')::date")
        if pg
        else (lambda col: f"date({col})")  # SQLite stores UTC; close enough for an anchor
    )
    month = (
        (lambda col: f"date_trunc('month', {col} AT TIME ZONE '{tz}')")
        if pg
        else (lambda col: f"strftime('%Y-%m', {col})")
    )
    until = (
        "CASE WHEN status IN ('fell_off', 'left') THEN left_on"
        " WHEN end_date < %s THEN end_date ELSE %s END"
    )
    least = "LEAST" if pg else "MIN"
    days = (
        (lambda a, b: f"(({a}) - {b})")
        if pg
        else (lambda a, b: f"CAST(julianday({a}) - julianday({b}) AS INTEGER)")
    )
    return {
        "retention": (
            "SELECT owner_id, CASE WHEN status IN ('fell_off', 'left') THEN 1 ELSE 0 END,"
            " CASE WHEN status IN ('fell_off', 'left') AND left_on IS NULL THEN 1 ELSE 0 END,"
            f" {least}({days(until, 'start_date')}, 366), COUNT(*)"
            " FROM placements_placement WHERE start_date >= %s AND start_date <= %s"
            " GROUP BY 1, 2, 3, 4",
            [today, today, start, today],
        ),
        "check-ins": (
            "SELECT owner_id,"
            f" SUM(CASE WHEN state = 'done' AND {local_day('done_at')} <= due_on THEN 1 ELSE 0 END),"
            f" SUM(CASE WHEN state = 'done' AND {local_day('done_at')} > due_on THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN state IN ('missed', 'planned') THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN state = 'skipped' THEN 1 ELSE 0 END)"
            " FROM care_touchpoint WHERE due_on >= %s AND due_on <= %s"
            " AND kind NOT IN ('email', 'questionnaire', 'note') GROUP BY owner_id",
            [start, today - dt.timedelta(days=1)],
        ),
        "nps": (
            f"SELECT q.audience, {month('r.submitted_at')},"
            " SUM(CASE WHEN a.value_number >= 9 THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN a.value_number >= 7 AND a.value_number < 9 THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN a.value_number < 7 THEN 1 ELSE 0 END)"
            " FROM surveys_answer a JOIN surveys_question qq ON qq.id = a.question_id"
            " JOIN surveys_response r ON r.id = a.response_id"
            " JOIN surveys_questionnaire q ON q.id = r.questionnaire_id"
            f" WHERE qq.kind = 'nps' AND a.value_number IS NOT NULL"
            f" AND {local_day('r.submitted_at')} >= %s AND {local_day('r.submitted_at')} <= %s"
            " GROUP BY 1, 2",
            [start, today],
        ),
        "fall-offs": (
            "SELECT leave_reason, start_date, left_on, guarantee_length, guarantee_unit,"
            " COUNT(*), SUM(rebate_owed), SUM(r.amount) FROM placements_placement p"
            " LEFT JOIN reports_rebatepayment r ON r.placement_id = p.id"
            " WHERE status IN ('fell_off', 'left') AND left_on >= %s AND left_on <= %s"
            " GROUP BY 1, 2, 3, 4, 5",
            [start, today],
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=5)
    args = parser.parse_args()
    setup_django(database_url(args.scale), KEEPWARM_DEBUG="0")

    import os

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from keepwarm.accounts.models import User
    from keepwarm.placements.models import Placement
    from keepwarm.reports import queries
    from keepwarm.reports.pages import REPORTS
    from keepwarm.reports.queries import Scope

    manager = User.objects.get(username="manager")
    # Signed in with force_login: the second factor is not what is being measured.
    settings.KEEPWARM_REQUIRE_SECOND_FACTOR = False
    client = Client()
    client.force_login(manager)
    today = timezone.localdate()
    placements = Placement.objects.count()
    load = os.getloadavg()
    print(
        f"engine {engine_name()}, scale {args.scale:g}: {placements} placements; "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}",
        flush=True,
    )

    print(f"\npages (median of {args.requests} requests, ms; goal under 1000 ms):")
    for slug in ["", *REPORTS]:
        url = reverse("report", args=[slug]) if slug else reverse("reports")

        def get(url: str = url) -> None:
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        print(f"  {slug or 'dashboard'}: {_best(get, args.requests):.0f} ms", flush=True)

    print("\nreads vs hand-written SQL (median, ms; goal ≤ 2x):")
    reads: dict[str, Callable[[Scope], Any]] = {
        "retention": lambda s: queries.retention(s),
        "check-ins": queries.discipline,
        "nps": queries.nps,
        "fall-offs": queries.fall_offs,
    }
    for slug, read in reads.items():
        start = today - dt.timedelta(days=REPORTS[slug].default_days)
        scope = Scope(user=manager, start=start, end=today, today=today)
        sql, params = _anchors(start, today)[slug]

        def anchor(sql: str = sql, params: list[Any] = params) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                cursor.fetchall()

        anchor_ms = _best(anchor, args.requests)
        read_ms = _best(lambda read=read, scope=scope: read(scope), args.requests)
        figure(f"  {slug}", read_ms, anchor_ms, "ms", "≤ 2x")


if __name__ == "__main__":
    main()
