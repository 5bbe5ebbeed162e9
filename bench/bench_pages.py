"""Today page and person page server time (p50/p95) against a bare Django view.

    .venv/bin/python bench/bench_pages.py [--scale 1.0] [--requests 40]
    .venv/bin/python bench/bench_pages.py --profile      # where one request's CPU goes

Run bench/generate.py with the same --scale (and KEEPWARM_DATABASE_URL) first. In-process
with Django's test Client, DEBUG off, logged in as the consultant with the median amount of
due work. The ceiling is the "list50" anchor (bench_urls.py): one indexed query and a
50-row table, through the same middleware and session. Requests are interleaved
(anchor, Today, person, ...) after 3 warm-ups each, in a process that has compiled every
template as a web worker does when it starts; each figure is the wall time of `client.get()`. Goal: p95 < 100 ms at full size; the ratio to the anchor's p95 is printed.

Today is measured twice: as generated (the tick's backlog of ~8% planned-and-due
touchpoints is still on it), and "after the tick": the same consultant's due check-in
emails marked done inside a transaction that is rolled back, which is the steady state a
consultant sees when the worker runs daily.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import database_url, engine_name, figure, percentile, setup_django

WORKER_KINDS = ["email", "questionnaire"]
GOAL_MS = 100.0


class Rollback(Exception):
    pass


def pick_consultant(today: dt.date) -> tuple[Any, int]:
    """The consultant with the median number of planned touchpoints due by today."""
    from django.db.models import Count, Q

    from keepwarm.accounts.models import User

    consultants = list(
        User.objects.filter(role=User.Role.CONSULTANT)
        .annotate(
            due=Count(
                "touchpoints",
                filter=Q(touchpoints__state="planned", touchpoints__due_on__lte=today),
            )
        )
        .order_by("due", "id")
    )
    chosen = consultants[len(consultants) // 2]
    return chosen, chosen.due


def pick_people(user: Any, today: dt.date, n: int) -> list[int]:
    """Placed candidates of this consultant who started in the last two years (a real timeline)."""
    from keepwarm.placements.models import Placement

    ids = list(
        Placement.objects.filter(
            owner=user,
            start_date__lte=today - dt.timedelta(days=60),
            start_date__gte=today - dt.timedelta(days=730),
        )
        .order_by("id")
        .values_list("person_id", flat=True)[: n * 5]
    )
    return ids[::5][:n] or ids[:n]


def start_like_a_web_worker() -> None:
    """What keepwarm/wsgi.py does as a web worker starts: without it the p95 of 20 person
    pages was the first one to use a template no earlier page had compiled. After the
    settings override, which throws the template engines away when it changes DEBUG."""
    from keepwarm.lib.warm import warm_up

    warm_up()


def measure(
    client: Any, urls: dict[str, Callable[[int], str]], requests: int
) -> dict[str, list[float]]:
    """Wall times per page, and (under "<page>:cpu") this process's CPU time for the same
    requests: on a machine shared with other jobs the wall time also counts the time
    spent waiting for a core, the CPU time does not (PostgreSQL's own work is in its
    server process, so there it is only in the wall time)."""
    times: dict[str, list[float]] = {name: [] for name in urls}
    times.update({f"{name}:cpu": [] for name in urls})
    for i in range(-3, requests):
        for name, url_for in urls.items():
            url = url_for(i)
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu
            if response.status_code != 200:
                raise RuntimeError(f"{name}: GET {url} answered {response.status_code}")
            if i >= 0:
                times[name].append(elapsed * 1000)
                times[f"{name}:cpu"].append(cpu * 1000)
    return times


def count_queries(client: Any, url: str) -> tuple[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return len(ctx.captured_queries), len(response.content)


def run(scale: float, requests: int, today: dt.date | None = None) -> dict[str, Any]:
    from django.db import transaction
    from django.test import Client, override_settings
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    from keepwarm.care.models import Touchpoint

    # Signed in with force_login: the second factor is not what is being measured.
    override = override_settings(
        ROOT_URLCONF="bench_urls", DEBUG=False, KEEPWARM_REQUIRE_SECOND_FACTOR=False
    )
    override.enable()
    start_like_a_web_worker()
    today = today or timezone.localdate()
    engine = engine_name()
    user, due = pick_consultant(today)
    people = pick_people(user, today, 20)
    client = Client()
    client.force_login(user)
    anchor_url = reverse("bench_list50")
    urls: dict[str, Callable[[int], str]] = {"anchor": lambda i: anchor_url}
    missing: list[str] = []
    try:
        today_url = reverse("today")
        urls["today"] = lambda i: today_url
    except NoReverseMatch:
        missing.append("today")
    try:
        reverse("person", args=[people[0] if people else 1])
        urls["person"] = lambda i: reverse("person", args=[people[i % len(people)]])
    except NoReverseMatch:
        missing.append("person")
    if not people and "person" in urls:
        del urls["person"]
        missing.append("person (no placed person for this consultant)")

    print(
        f"[pages, {engine}, scale {scale:g}] consultant {user.username}: {due:,} planned "
        f"touchpoints due by {today}; person page over {len(people)} placed candidates"
    )
    for name in missing:
        print(f"  SKIPPED {name}: URL name not found (the page is not there yet)")
    results: dict[str, Any] = {"engine": engine, "lines": [], "missing": missing}

    def report(label: str, times: dict[str, list[float]], page: str) -> None:
        anchor95 = percentile(times["anchor"], 95)
        p50, p95 = percentile(times[page], 50), percentile(times[page], 95)
        n_q, size = count_queries(client, urls[page](0))
        cpu = times[f"{page}:cpu"]
        print(
            f"  {label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms; anchor list50 p50 "
            f"{percentile(times['anchor'], 50):.1f} ms, p95 {anchor95:.1f} ms; "
            f"{n_q} queries, {size / 1024:.0f} KB; CPU p50 {percentile(cpu, 50):.1f} ms, "
            f"p95 {percentile(cpu, 95):.1f} ms (anchor {percentile(times['anchor:cpu'], 95):.1f}); "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        verdict = "met" if p95 < GOAL_MS else "NOT met"
        line = figure(
            f"{label}_p95_{engine}_ms", p95, anchor95, "ms", f"p95 < {GOAL_MS:.0f} ms: {verdict}"
        )
        results["lines"].append(line)
        results[label] = {
            "p50": p50,
            "p95": p95,
            "anchor_p95": anchor95,
            "queries": n_q,
            "cpu_p95": percentile(cpu, 95),
        }

    try:
        times = measure(client, urls, requests)
    except Exception as exc:  # a page that errors is reported, not benchmarked
        print(f"  ERROR while requesting pages: {exc!r}")
        results["error"] = repr(exc)
        override.disable()
        return results
    if "today" in urls:
        report("today_page", times, "today")
    if "person" in urls:
        report("person_page", times, "person")

    if "today" in urls:
        # Steady state: the tick has sent this consultant's due check-ins (rolled back after).
        try:
            with transaction.atomic():
                done = Touchpoint.objects.filter(
                    owner=user, state="planned", kind__in=WORKER_KINDS, due_on__lte=today
                ).update(state="done", outcome="emailed", done_at=timezone.now())
                left = due - done
                print(f"  after the tick: {done:,} check-ins sent, {left:,} calls left due")
                steady = {"anchor": urls["anchor"], "today": urls["today"]}
                report("today_page_after_tick", measure(client, steady, requests), "today")
                raise Rollback
        except Rollback:
            pass
        if engine == "postgresql":
            # The update rolled back leaves its ~3,000 touchpoints' pages not all-visible,
            # and Today's count of what is due then reads each row's page: ~3 ms a page
            # more in the next run's "as generated" figures, until autovacuum gets to it.
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM {connection.ops.quote_name(Touchpoint._meta.db_table)}")
    override.disable()
    return results


# Where a page's CPU goes, by the cumulative time of the functions that do each part.
PROFILE_PARTS = {
    "query compilation": ("compiler.py", "as_sql"),
    "form widgets": ("boundfield.py", "as_widget"),
    "template rendering": ("base.py", "render"),
}


def _timed_query(
    into: list[float], execute: Any, sql: str, params: Any, many: bool, context: Any
) -> Any:
    start = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        into.append(time.perf_counter() - start)


def profile(scale: float, requests: int, today: dt.date | None = None) -> None:
    """cProfile `requests` signed-in GETs of each page, printing CPU a request split into
    query compilation, query execution (timed around each query), form widgets and the
    template engine, the number of queries, and the top functions."""
    import cProfile
    import io
    import pstats

    from django.db import connection
    from django.test import Client, override_settings
    from django.urls import reverse
    from django.utils import timezone

    override = override_settings(
        ROOT_URLCONF="bench_urls", DEBUG=False, KEEPWARM_REQUIRE_SECOND_FACTOR=False
    )
    override.enable()
    start_like_a_web_worker()
    today = today or timezone.localdate()
    user, _ = pick_consultant(today)
    people = pick_people(user, today, 20)
    client = Client()
    client.force_login(user)
    pages = {
        "anchor": lambda i: reverse("bench_list50"),
        "today": lambda i: reverse("today"),
        "person": lambda i: reverse("person", args=[people[i % len(people)]]),
    }
    for name, url_for in pages.items():
        queries: list[float] = []
        timed_query = partial(_timed_query, queries)

        for i in range(3):
            client.get(url_for(i))
        profiler = cProfile.Profile()
        started = time.process_time()
        with connection.execute_wrapper(timed_query):
            profiler.enable()
            for i in range(requests):
                response = client.get(url_for(i))
                assert response.status_code == 200, (name, response.status_code)
            profiler.disable()
        cpu = (time.process_time() - started) * 1000 / requests
        stats = pstats.Stats(profiler)
        total = max(stats.total_tt, 1e-9)  # type: ignore[attr-defined]
        parts = []
        for part, (filename, function) in PROFILE_PARTS.items():
            cumulative = max(
                (
                    row[3]
                    for (path, _, func), row in stats.stats.items()  # type: ignore[attr-defined]
                    if func == function
                    and path.endswith(filename)
                    and ("template" in path or part != "template rendering")
                ),
                default=0.0,
            )
            parts.append(f"{part} {cumulative / total:.0%}")
        print(
            f"[profile, {engine_name()}] {name}: {cpu:.1f} ms CPU a request (under the "
            f"profiler), {len(queries) / requests:.0f} queries taking "
            f"{sum(queries) * 1000 / requests:.1f} ms; {', '.join(parts)}; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        if name == "anchor":
            continue
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(45)
        print(text.getvalue())
    override.disable()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    setup_django(database_url(args.scale))
    if args.profile:
        profile(args.scale, args.requests, args.today)
        return 0
    run(args.scale, args.requests, args.today)
    return 0


if __name__ == "__main__":
    sys.exit(main())
