"""The people list against the list50 anchor, and a signed-in request against an anonymous one.

    .venv/bin/python bench/bench_lists.py [--scale 1.0] [--requests 60] [--no-plans]
        [--only people_role_tab,search] [--profile [people|placed|search]]

Run bench/generate.py with the same --scale (and KEEPWARM_DATABASE_URL) first. In-process
with Django's test Client, DEBUG off, through the whole middleware stack (sessions, sign-in,
audit) and Django's request signals, so connections are opened and kept as in production.
Requests interleave after 3 warm-ups each:

- **people list** (`/people/`, page 1 and page 40, reached by following Next: keyset
  pages start at their cursor) as the consultant with the median book,
  and page 1 and the search (the same three letters, and "smi", which starts hundreds of
  surnames late in the alphabet) as a manager (who sees the whole agency), each against
  the **list50 anchor**
  (bench_urls.py: one indexed query, 50 rows) signed in as the same user. Goal: ≥ 50% of the
  anchor's req/s, p99 ≤ 2x the anchor's p99. req/s is requests over their summed wall time
  (one client, one after another).
- **role tab, search and download** as the same consultant, each against the same anchor:
  the people list's "Placed" tab (page 1 and page 10, and page 1 as a web worker's first
  look at it in five minutes, before it remembers that the tab holds more than 1,000
  people), the search box with three letters
  that start a surname of theirs, and the people download (CSV, their whole book; no goal
  against a 50-row page, printed to see it move). Same goal for the tab and search.
- **Sent mail, the network lists and a new placement's form** as the same consultant, each
  against the same anchor: `/mail/` (page 1, and filtered to Sent), `/network/referrals/`,
  `/network/leads/` and `/placements/new/`; and Sent mail as the manager against the
  manager's anchor. Same goal as the people list. (bench/generate.py makes no referrals or
  leads: those two lists are measured empty, their plans still printed.)
- **signed-in vs anonymous**: the list50 anchor signed in as the consultant against the same
  anchor without a session; the ratio of their p50 is what a session and user cost.

On PostgreSQL it prints EXPLAIN (ANALYZE, BUFFERS) of the statements that read people for
each of these (count and rows), with the buffers each read, and says whether any table was
read by a sequential scan.

`--only` measures the named pages alone (each with its anchor), and prints their plans.

`--profile` instead runs the consultant's `/people/` page 1 (or the Placed tab, or the
search) in this process under cProfile and prints its CPU time a request, its queries,
and where the time goes: the session and user, the list's queries, rendering, and the
audit entry for the read.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import database_url, engine_name, figure, percentile, setup_django


def pick_users() -> tuple[Any, Any]:
    """The consultant owning the median number of people, and a manager."""
    from django.db.models import Count

    from keepwarm.accounts.models import User

    consultants = list(
        User.objects.filter(role=User.Role.CONSULTANT)
        .annotate(book=Count("owned_people"))
        .order_by("book", "id")
    )
    manager = User.objects.filter(role=User.Role.MANAGER).order_by("id").first()
    return consultants[len(consultants) // 2], manager


# Pages measured as a web worker's first look at them: what it remembers of a list for a
# few minutes (that a role tab holds more than 1,000 people) is forgotten before each.
FIRST_LOOKS = {"people_role_tab_first_look"}


def measure(clients: dict[str, tuple[Any, str]], requests: int) -> dict[str, list[float]]:
    from django.core.cache import cache

    times: dict[str, list[float]] = {name: [] for name in clients}
    times.update({f"{name}:cpu": [] for name in clients})
    for i in range(-3, requests):
        for name, (client, url) in clients.items():
            if name in FIRST_LOOKS:
                cache.clear()
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            read(response)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu
            if response.status_code != 200:
                raise RuntimeError(f"{name}: GET {url} answered {response.status_code}")
            if i >= 0:
                times[name].append(elapsed * 1000)
                times[f"{name}:cpu"].append(cpu * 1000)
    return times


def read(response: Any) -> bytes:
    """The whole body, a download's streamed rows included (they are read as it is sent)."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def search_word(consultant: Any) -> str:
    """Three letters that start the surname of the first person the consultant owns: what
    the search box is typed with, matching a handful of their people and thousands of the
    agency's."""
    from keepwarm.people.models import Person

    first = Person.objects.filter(owner=consultant).order_by("id").first()
    assert first is not None
    return first.last_name[:3].lower()


def deep_page_url(client: Any, url: str, page: int) -> str:
    """The URL of page `page` of a list, found by following its Next links."""
    import re

    for _ in range(page - 1):
        found = re.search(r'href="(\?[^"]*)" rel="next"', client.get(url).content.decode())
        if found is None:
            break
        url = url.split("?")[0] + found.group(1).replace("&amp;", "&")
    return url


def req_per_s(times: list[float]) -> float:
    return len(times) / (sum(times) / 1000)


def queries_of(client: Any, url: str) -> list[tuple[float, str, Any]]:
    """(seconds, SQL, parameters) of each query a GET of `url` runs. Not CaptureQueriesContext: the
    request_started signal empties its log when the request begins."""
    from django.db import connection

    captured: list[tuple[float, str, Any]] = []

    def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            captured.append((time.perf_counter() - start, sql, params))

    with connection.execute_wrapper(capture):
        read(client.get(url))
    return captured


def print_plans(client: Any, url: str, label: str, table: str = "people_person") -> None:
    """EXPLAIN ANALYZE the queries of a list that read `table` (count and page), naming
    any table read by a sequential scan and its size. Arrays of ids are shortened."""
    import re

    from django.db import connection

    for _, sql, params in queries_of(client, url):
        # The count and the page: each names people_person (quoted, as every statement does);
        # the search's companies too.
        if table not in sql and "COUNT(*)" not in sql and "people_company" not in sql:
            continue
        kind = "count" if "COUNT(*)" in sql else "rows"
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
            plan = [re.sub(r"'\{[0-9,]+\}'", "'{ids}'", row[0]) for row in cursor.fetchall()]
            scanned = sorted(set(re.findall(r"Seq Scan on (\w+)", "\n".join(plan))))
            sizes = []
            for name in scanned:
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [name])
                sizes.append(f"{name} ({cursor.fetchone()[0]:,} rows)")
        verdict = f"SEQ SCAN of {', '.join(sizes)}" if sizes else "index scans only"
        buffers = re.search(r"Buffers: shared hit=(\d+)", "\n".join(plan))
        read_ = f", {int(buffers.group(1)):,} buffers" if buffers else ""
        print(f"  plan of the {kind} query, {label} ({verdict}{read_}):")
        for line in plan:
            print(f"    {line}")


def run(scale: float, requests: int, plans: bool, only: str = "") -> None:
    from django.test import Client, override_settings
    from django.urls import reverse

    from keepwarm.care.queries import visible_people

    override = override_settings(
        ROOT_URLCONF="bench_urls", DEBUG=False, KEEPWARM_REQUIRE_SECOND_FACTOR=False
    )
    override.enable()
    engine = engine_name()
    consultant, manager = pick_users()
    sees = visible_people(consultant).count()
    mine, bosses, anonymous = Client(), Client(), Client()
    mine.force_login(consultant)
    bosses.force_login(manager)
    anchor, people = reverse("bench_list50"), reverse("people")
    print(
        f"[lists, {engine}, scale {scale:g}] consultant {consultant.username} may see "
        f"{sees:,} people; manager {manager.username}; load average {os.getloadavg()[0]:.1f}"
    )
    word = search_word(consultant)
    search = f"{reverse('search')}?q={word}"
    role_tab = f"{people}?role=placed"
    export = f"{reverse('list_export', args=['people'])}?format=csv"
    sent_mail = reverse("sent_mail")
    sent_only = f"{sent_mail}?state=sent"
    clients = {
        "anchor": (mine, anchor),
        "people": (mine, people),
        "people_page40": (mine, deep_page_url(mine, people, 40)),
        "people_role_tab": (mine, role_tab),
        "people_role_tab_page10": (mine, deep_page_url(mine, role_tab, 10)),
        "people_role_tab_first_look": (mine, role_tab),
        "search": (mine, search),
        "people_export_csv": (mine, export),
        "sent_mail": (mine, sent_mail),
        "sent_mail_sent": (mine, sent_only),
        "referrals": (mine, reverse("referrals")),
        "leads": (mine, reverse("leads")),
        "placement_new": (mine, reverse("placement_new")),
        "manager_anchor": (bosses, anchor),
        "manager_people": (bosses, people),
        "manager_search": (bosses, search),
        # Hundreds of the agency's surnames start with it, all late in the alphabet.
        "manager_search_smi": (bosses, f"{reverse('search')}?q=smi"),
        "manager_sent_mail": (bosses, sent_mail),
        "anonymous_anchor": (anonymous, anchor),
    }
    if only:
        names = {name.strip() for name in only.split(",") if name.strip()}
        unknown = names - set(clients)
        if unknown:
            raise SystemExit(
                f"--only: unknown {', '.join(sorted(unknown))}; known: {sorted(clients)}"
            )
        needed = (
            names
            | {"anchor"}
            | ({"manager_anchor"} if any(n.startswith("manager") for n in names) else set())
        )
        clients = {name: pair for name, pair in clients.items() if name in needed}
    times = measure(clients, requests)
    # A download of the consultant's whole book (thousands of rows) has no goal against a
    # 50-row page: its ratio is printed to see it move, its plans must read indexes only.
    pages = ("≥ 0.50x", "≤ 2x")
    for name, ceiling, (rate_goal, p99_goal) in (
        ("people", "anchor", pages),
        ("people_page40", "anchor", pages),
        ("people_role_tab", "anchor", pages),
        ("people_role_tab_page10", "anchor", pages),
        ("people_role_tab_first_look", "anchor", pages),
        ("search", "anchor", pages),
        ("people_export_csv", "anchor", ("none (index scans only)", "none")),
        ("manager_people", "manager_anchor", pages),
        ("manager_search", "manager_anchor", pages),
        ("manager_search_smi", "manager_anchor", pages),
        ("sent_mail", "anchor", pages),
        ("sent_mail_sent", "anchor", pages),
        ("referrals", "anchor", pages),
        ("leads", "anchor", pages),
        ("placement_new", "anchor", pages),
        ("manager_sent_mail", "manager_anchor", pages),
    ):
        if name not in times:
            continue
        page, base = times[name], times[ceiling]
        print(
            f"  {name}: {req_per_s(page):.1f} req/s, p50 {percentile(page, 50):.1f} ms, "
            f"p99 {percentile(page, 99):.1f} ms, CPU p50 {percentile(times[name + ':cpu'], 50):.1f} ms; "
            f"anchor {req_per_s(base):.1f} req/s, p99 {percentile(base, 99):.1f} ms, "
            f"CPU p50 {percentile(times[ceiling + ':cpu'], 50):.1f} ms"
        )
        figure(f"{name}_req_per_s_{engine}", req_per_s(page), req_per_s(base), "req/s", rate_goal)
        figure(
            f"{name}_p99_{engine}_ms", percentile(page, 99), percentile(base, 99), "ms", p99_goal
        )
    signed, anon = times["anchor"], times.get("anonymous_anchor")
    if plans and engine == "postgresql" and only:
        for name in sorted(set(clients) - {"anchor", "manager_anchor"}):
            client, url = clients[name]
            table = "mail_outboxmessage" if "sent_mail" in name else "people_person"
            print_plans(client, url, name, table=table)
    if anon is None:
        override.disable()
        return
    figure(
        f"signed_in_vs_anonymous_p50_{engine}_ms",
        percentile(signed, 50),
        percentile(anon, 50),
        "ms",
        "as close to 1x as a session and a user allow",
    )
    if plans and engine == "postgresql":
        print_plans(mine, people, "page 1")
        print_plans(mine, clients["people_page40"][1], "page 40")
        print_plans(bosses, people, "manager")
        print_plans(mine, role_tab, "role tab (placed), page 1")
        print_plans(mine, clients["people_role_tab_page10"][1], "role tab (placed), page 10")
        print_plans(mine, search, f"search for {word!r}")
        print_plans(mine, export, "people download (CSV)")
        print_plans(mine, sent_mail, "Sent mail", table="mail_outboxmessage")
        print_plans(mine, sent_only, "Sent mail, Sent only", table="mail_outboxmessage")
        print_plans(bosses, sent_mail, "Sent mail, manager", table="mail_outboxmessage")
        print_plans(mine, reverse("referrals"), "referrals", table="network_referral")
        print_plans(mine, reverse("leads"), "leads", table="network_lead")
    override.disable()


# Where a signed-in list request spends its time: (part, the functions whose cumulative time
# it is). Parts may overlap (a query run while rendering counts in both).
PARTS = (
    ("session and user", ("get_user", "_get_session_from_db")),
    ("SQL run (cursor execute, all queries)", ("_execute_with_wrappers",)),
    ("SQL compiled (ORM)", ("as_sql",)),
    ("audit entry for the read", ("record_read", "record_people_read")),
    ("template rendering (whole page)", ("render_to_string",)),
)


def profile(requests: int, page: str) -> None:
    import cProfile
    import io
    import pstats

    from django.test import Client, override_settings
    from django.urls import reverse

    override = override_settings(
        ROOT_URLCONF="bench_urls", DEBUG=False, KEEPWARM_REQUIRE_SECOND_FACTOR=False
    )
    override.enable()
    consultant, _ = pick_users()
    client = Client()
    client.force_login(consultant)
    url = {
        "people": reverse("people"),
        "placed": f"{reverse('people')}?role=placed",
        "search": f"{reverse('search')}?q={search_word(consultant)}",
    }[page]
    for _ in range(3):
        assert client.get(url).status_code == 200
    captured = queries_of(client, url)
    started = time.process_time()
    for _ in range(requests):
        client.get(url)
    cpu = (time.process_time() - started) * 1000 / requests
    print(
        f"[profile, {engine_name()}] {url} as {consultant.username}: {cpu:.2f} ms CPU a "
        f"request over {requests}, {len(captured)} queries; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    for seconds, sql, _ in captured:
        print(f"  {seconds * 1000:.2f} ms {sql[:200]}")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(url)
    profiler.disable()
    stats = pstats.Stats(profiler)
    cumulative: dict[str, float] = {}
    for (_, _, name), (_, _, _, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
        cumulative[name] = max(cumulative.get(name, 0.0), cum)
    total = sum(stats.stats[key][2] for key in stats.stats)  # type: ignore[attr-defined]
    print(f"  under cProfile: {total * 1000 / requests:.2f} ms a request")
    for part, names in PARTS:
        spent = sum(cumulative.get(name, 0.0) for name in names)
        print(f"  {part}: {spent * 1000 / requests:.2f} ms a request")
    text = io.StringIO()
    stats.stream = text  # type: ignore[attr-defined]
    stats.sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(45)
    print(text.getvalue())
    override.disable()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--no-plans", action="store_true")
    parser.add_argument("--only", default="", help="e.g. people_role_tab,search (default: all)")
    parser.add_argument(
        "--profile", nargs="?", const="people", choices=["people", "placed", "search"]
    )
    args = parser.parse_args(argv)
    setup_django(database_url(args.scale))
    if args.profile:
        profile(args.requests, args.profile)
        return 0
    run(args.scale, args.requests, not args.no_plans, args.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
