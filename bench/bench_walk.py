"""Every page a consultant, a manager and an admin can reach, each timed once against list50.

    .venv/bin/python bench/bench_walk.py [--scale 1.0] [--slow 1000] [--plans]

Run bench/generate.py with the same --scale (and KEEPWARM_DATABASE_URL) first. In-process
with Django's test Client, DEBUG off, signed in (force_login) as the consultant owning the
median number of people, the first manager and the first admin. From Today each walker
follows every link of the app's pages, one URL per page and set of query parameter names
(so a list's tabs and filters are each visited, its later pages not), up to --limit pages a
user, and adds the detail pages of something the user owns (a person, a placement, a
company, a touchpoint's log form) and the API's list endpoints with a token of the
consultant's. Links that act (sign out, revoke, delete...) are not followed; a GET changes
nothing, but the walk keeps away from them all the same.

Every statement runs under `statement_timeout = 5s` on PostgreSQL, so a page that would hang
is reported as TIMEOUT instead. Each page's wall time is printed as a ratio against the
list50 anchor (bench_urls.py) requested just before it, with this process's CPU time and
the load average. Pages slower than --slow ms are listed at the end; with --plans, on
PostgreSQL, the statements behind each are shown with EXPLAIN (ANALYZE) for the slowest.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lists import queries_of
from common import database_url, engine_name, setup_django

# URL names the walk does not follow: they sign out, act, or send a file of the agency.
SKIP = re.compile(
    r"logout|sign_out|revoke|deactivate|reactivate|delete|rotate|retry|_end$|remove|"
    r"unsubscribe|newsletter_open|newsletter_click|portal_|sso_|favicon|agency_logo|"
    r"agency_css|api-docs-asset|healthz|metrics|staff_photo|calendar_feed|export"
)
HREF = re.compile(r'href="(/[^"#]*)"')
# A GET form's select (a list's filter): each of its options is walked as ?name=value.
GET_FORM = re.compile(r'<form([^>]*method="get"[^>]*)>(.*?)</form>', re.S | re.I)
ACTION = re.compile(r'action="([^"]*)"')
SELECT = re.compile(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', re.S)
OPTION = re.compile(r'<option[^>]*value="([^"]*)"')
PAGING = {"after", "before", "page", "cursor"}
VARIANTS = 8  # URLs a page at most (its tabs and filters)
STATEMENT_TIMEOUT = "5s"


def set_timeout(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = '{STATEMENT_TIMEOUT}'")


def pick_users() -> dict[str, Any]:
    from django.db.models import Count

    from keepwarm.accounts.models import User

    consultants = list(
        User.objects.filter(role=User.Role.CONSULTANT)
        .annotate(book=Count("owned_people"))
        .order_by("book", "id")
    )
    return {
        "consultant": consultants[len(consultants) // 2],
        "manager": User.objects.filter(role=User.Role.MANAGER).order_by("id").first(),
        "admin": User.objects.filter(role=User.Role.ADMIN).order_by("id").first(),
    }


def detail_urls(user: Any) -> list[str]:
    """A person, a placement, a company and a planned touchpoint's log form of this user."""
    from django.urls import reverse

    from keepwarm.care.models import Touchpoint
    from keepwarm.placements.models import Placement

    urls = []
    placement = Placement.objects.filter(owner=user).order_by("-start_date").first()
    if placement is not None:
        urls += [reverse("placement", args=[placement.pk])]
        urls += [reverse("person", args=[placement.person_id])]
        if placement.company_id:
            urls += [reverse("company", args=[placement.company_id])]
    touchpoint = Touchpoint.objects.filter(owner=user, state="planned").order_by("due_on").first()
    if touchpoint is not None:
        urls += [reverse("log_touchpoint", args=[touchpoint.pk])]
    if placement is not None:  # the search box, typed with three letters of a surname
        urls += [f"{reverse('search')}?q={placement.person.last_name[:3].lower()}"]
    return urls


def api_urls() -> list[str]:
    """The API's list endpoints: its GET routes without a path parameter."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found: list[str] = []

    def walk(patterns: Any, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and "<" not in route and "docs" not in route:
                found.append("/" + route.lstrip("^").replace("\\Z", "").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return sorted(url for url in found if url.startswith("/api/v1/") and url != "/api/v1/")


def key_of(url: str) -> tuple[str, frozenset[str]] | None:
    from django.urls import Resolver404, resolve

    parts = urlsplit(url)
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    name = match.url_name or parts.path
    if SKIP.search(name) or SKIP.search(parts.path):
        return None
    pairs = parse_qsl(parts.query)
    if any(k in PAGING for k, _ in pairs):
        return None  # a later page of a list already walked
    return name, frozenset(f"{k}={v}" for k, v in pairs if k != "next")


def links(url: str, html: str) -> list[str]:
    """The page's links, and each option of the selects of its GET forms, on the form's
    action (the page itself when it names none)."""
    found = [link.replace("&amp;", "&") for link in HREF.findall(html)]
    for attributes, inside in GET_FORM.findall(html):
        action = ACTION.search(attributes)
        path = action.group(1) if action and action.group(1) else urlsplit(url).path
        for name, options in SELECT.findall(inside):
            found += [f"{path}?{name}={value}" for value in OPTION.findall(options) if value]
    return found


def timed_get(client: Any, url: str, **headers: Any) -> tuple[float, float, int | str, Any]:
    from django.db import connection

    start, start_cpu = time.perf_counter(), time.process_time()
    try:
        response = client.get(url, **headers)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        status: int | str = response.status_code
    except Exception as exc:  # a statement timeout or an error: reported, not followed
        body, status = b"", "TIMEOUT" if "statement timeout" in str(exc) else type(exc).__name__
        connection.close()
    return time.perf_counter() - start, time.process_time() - start_cpu, status, body


def walk(role: str, user: Any, limit: int, token: str | None) -> list[dict[str, Any]]:
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(user)
    anchor = reverse("bench_list50")
    queue: deque[str] = deque(["/", *detail_urls(user)])
    seen: set[tuple[str, frozenset[str]]] = set()
    variants: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    api = [(url, {"HTTP_AUTHORIZATION": f"Bearer {token}"}) for url in api_urls()] if token else []
    while queue and len(rows) < limit:
        url = queue.popleft()
        key = key_of(url)
        if key is None or key in seen or variants.get(key[0], 0) >= VARIANTS:
            continue
        seen.add(key)
        variants[key[0]] = variants.get(key[0], 0) + 1
        rows.append(visit(client, role, url, anchor, {}))
        if isinstance(rows[-1]["status"], int) and rows[-1]["status"] == 200:
            queue.extend(links(url, rows[-1]["body"].decode(errors="replace")))
        rows[-1].pop("body", None)
    anon = Client()
    for url, headers in api:
        rows.append(visit(anon, f"{role} API", url, anchor, headers, anchor_client=client))
        rows[-1].pop("body", None)
    return rows


def visit(
    client: Any,
    role: str,
    url: str,
    anchor: str,
    headers: dict[str, str],
    anchor_client: Any = None,
) -> dict[str, Any]:
    base, _, _, _ = timed_get(anchor_client or client, anchor)
    wall, cpu, status, body = timed_get(client, url, **headers)
    row = {"role": role, "url": url, "ms": wall * 1000, "cpu": cpu * 1000, "status": status}
    row.update(anchor_ms=base * 1000, load=os.getloadavg()[0], body=body)
    print(
        f"  {role:10} {status!s:8} {wall * 1000:8.0f} ms = {wall / base:7.1f}x list50 "
        f"({base * 1000:.0f} ms); CPU {cpu * 1000:6.0f} ms; load {row['load']:.1f}  {url}",
        flush=True,
    )
    return row


def print_plans(user: Any, url: str) -> None:
    """EXPLAIN (ANALYZE) the three slowest statements of a GET of `url`."""
    from django.db import connection
    from django.test import Client

    client = Client()
    client.force_login(user)
    try:
        captured = queries_of(client, url)
    except Exception as exc:  # a statement timed out: its plan is not shown
        print(f"  the page did not finish: {str(exc).splitlines()[0]}")
        connection.close()
        return
    for seconds, sql, params in sorted(captured, key=lambda c: -c[0])[:3]:
        print(f"\n  {seconds * 1000:.0f} ms: {re.sub(r'[0-9, ]{200,}', '…', sql)[:1500]}")
        try:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
                for (line,) in cursor.fetchall()[:40]:
                    print(f"    {line}")
        except Exception as exc:
            print(f"    EXPLAIN ANALYZE did not finish: {str(exc).splitlines()[0]}")
            connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--limit", type=int, default=150, help="pages a user at most")
    parser.add_argument("--slow", type=float, default=1000.0, help="ms a page may take")
    parser.add_argument("--plans", action="store_true", help="EXPLAIN the slow pages")
    parser.add_argument("--roles", default="consultant,manager,admin")
    args = parser.parse_args()
    setup_django(database_url(args.scale))
    from django.db.backends.signals import connection_created
    from django.test import override_settings

    from keepwarm.accounts.models import ApiToken

    connection_created.connect(set_timeout)
    override_settings(
        ROOT_URLCONF="bench_urls", DEBUG=False, KEEPWARM_REQUIRE_SECOND_FACTOR=False
    ).enable()
    users = pick_users()
    print(
        f"[walk, {engine_name()}, scale {args.scale:g}] "
        + ", ".join(f"{role} {user.username}" for role, user in users.items() if user)
        + f"; statement timeout {STATEMENT_TIMEOUT}; load average {os.getloadavg()[0]:.1f}"
    )
    rows: list[dict[str, Any]] = []
    for role in args.roles.split(","):
        user = users[role]
        token = None
        if role == "consultant":
            token_row, token = ApiToken.issue(user=user, name="bench walk")
        try:
            rows += walk(role, user, args.limit, token)
        finally:
            if token is not None:
                token_row.delete()
    slow = [r for r in rows if r["status"] == "TIMEOUT" or r["ms"] > args.slow]
    errors = [r for r in rows if r["status"] not in (200, 302, "TIMEOUT")]
    print(f"\n{len(rows)} pages walked; {len(slow)} over {args.slow:.0f} ms or timed out:")
    for r in sorted(slow, key=lambda r: -r["ms"]):
        print(
            f"  {r['role']:14} {r['status']!s:8} {r['ms']:7.0f} ms = "
            f"{r['ms'] / r['anchor_ms']:6.1f}x list50; CPU {r['cpu']:5.0f} ms; "
            f"load {r['load']:.1f}  {r['url']}"
        )
    for r in errors:
        print(f"  answered {r['status']}: {r['role']} {r['url']}")
    if args.plans and engine_name() == "postgresql":
        for r in sorted(slow, key=lambda r: -r["ms"]):
            if "API" not in r["role"]:
                print(f"\n== {r['role']} {r['url']}")
                print_plans(users[r["role"]], r["url"])


if __name__ == "__main__":
    main()
