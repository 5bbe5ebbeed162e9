"""Keepwarm's pages under load from wrk, each against an anchor served by the same gunicorn.

    .venv/bin/python bench/bench_http.py [--scale 1.0] [--seconds 10] [--connections 32]
        [--rounds 1] [--invitations 2000] [--only hello,questionnaire] [--profile]

Run bench/generate.py with the same --scale (and KEEPWARM_DATABASE_URL) first. The
benchmark adds invitations to the "Week 1 check-in" questionnaire (8 questions) for the
most recent placements, up to --invitations, and a session for the consultant with the
median book, then starts ONE server as `keepwarm serve --no-worker` does (gunicorn, 2 sync
workers, DEBUG off, the same settings) with the anchors of bench_urls.py added, and drives
it with wrk (2 threads, --connections open, no think time, all on this machine):

- **questionnaire link** `GET /q/<token>/`, anonymous, a different valid link on each
  request (a Lua script cycles through them), against **hello** (five bytes, the same
  middleware). Goal: >= 15% of hello's req/s.
- **people list**, **Today** and **a person's page**, signed in as that consultant,
  against **list50** (one indexed query, 50 rows) signed in as the same consultant.
  Goals: people list >= 50% of list50's req/s with p99 <= 2x; Today and the person page
  p95 <= 2.5x list50's (wrk gives p99, the stricter figure, which is what is printed).

Each URL is warmed for 2 s, then measured; an anchor runs just before the pages compared
with it. Printed per URL: req/s, p50 and p99, the server's CPU time per request (its
workers' user + system time over the requests served), each as a ratio against its
anchor, with the load average when it ran; on PostgreSQL also the CPU time its server
processes for the benchmark's database spent per request (they share the machine's cores
with the web workers, so it is part of what a page costs), and the ratio of web +
PostgreSQL CPU: the req/s ratio a CPU-bound page reaches, steadier than req/s on a
loaded machine. Any non-2xx answer or socket error is reported
and fails the run: a fast error page is not a result.

`--only` names the URLs to measure (comma-separated: hello, questionnaire, list50, people,
today, person); a page is measured only with its anchor, which is added when left out.

`--profile` instead runs the questionnaire page in this process under cProfile and prints
its CPU time per request and where it goes.

wrk is the Debian package (`apt-get install -y -qq wrk`); without it the benchmark says so
and stops.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BENCH_DIR, OUT_DIR, REPO_DIR, database_url, engine_name, setup_django

QUESTIONNAIRE = "candidate-week-1"
# The figures before the questionnaire page was rebuilt (the issue that asked for it).
PREVIOUS = {"questionnaire": "2% of hello on both engines; 10.8-12.5 ms CPU a request"}


@dataclass
class Target:
    name: str
    path: str
    anchor: str  # the name of the target it is compared with; "" for an anchor
    goal: str
    cookie: str = ""
    paths: tuple[str, ...] = ()  # several paths, cycled by a Lua script


@dataclass
class Result:
    requests: int
    req_per_s: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # server CPU per request
    cpu_s: float  # server CPU over the run
    db_cpu_ms: float | None  # PostgreSQL's backends' CPU per request; None on SQLite
    load: float
    bad: int  # non-2xx answers and connect, read or write errors
    timeouts: int  # no answer within wrk's --timeout


# --- Data ----------------------------------------------------------------------------------------


def invitation_paths(count: int) -> list[str]:
    """Signed links to unanswered invitations, made for the latest placements if missing."""
    from django.urls import reverse
    from django.utils import timezone

    from keepwarm.placements.models import Placement
    from keepwarm.surveys.models import Invitation, Questionnaire
    from keepwarm.surveys.services import create_invitation, sign_invitation

    questionnaire = Questionnaire.objects.get(code=QUESTIONNAIRE)
    now = timezone.now()
    have = list(
        Invitation.objects.filter(
            questionnaire=questionnaire, answered_at__isnull=True, expires_at__gt=now
        ).order_by("id")[:count]
    )
    taken = {i.placement_id for i in have}
    fresh = (
        Placement.objects.exclude(pk__in=taken)
        .select_related("person", "owner")
        .order_by("-start_date", "-id")[: max(0, count - len(have))]
    )
    for placement in fresh:
        have.append(
            create_invitation(
                placement=placement,
                person=placement.person,
                questionnaire=questionnaire,
                sender=placement.owner,
                now=now,
            )
        )
    return [reverse("answer", args=[sign_invitation(i)]) for i in have]


def signed_in_cookie() -> tuple[str, Any, int]:
    """A session cookie for the consultant with the median book, the consultant, and one
    of their people."""
    from bench_lists import pick_users
    from django.conf import settings
    from django.test import Client

    from keepwarm.people.models import Person

    consultant, _ = pick_users()
    client = Client()
    client.force_login(consultant)
    name = settings.SESSION_COOKIE_NAME
    person = Person.objects.filter(owner=consultant).order_by("id").values_list("pk", flat=True)
    return f"{name}={client.cookies[name].value}", consultant, person[0]


def targets(links: list[str], cookie: str, person: int) -> list[Target]:
    from django.urls import reverse

    return [
        Target("hello", "/__bench__/hello/", "", "anchor"),
        Target("questionnaire", links[0], "hello", ">= 0.15x req/s", paths=tuple(links)),
        Target("list50", "/__bench__/list50/", "", "anchor", cookie=cookie),
        Target("people", reverse("people"), "list50", ">= 0.50x req/s, p99 <= 2x", cookie=cookie),
        Target("today", reverse("today"), "list50", "p95 <= 2.5x, p99 shown", cookie=cookie),
        Target(
            "person",
            reverse("person", args=[person]),
            "list50",
            "p95 <= 2.5x, p99 shown",
            cookie=cookie,
        ),
    ]


# --- The server --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PYTHONPATH": os.pathsep.join([str(BENCH_DIR), str(REPO_DIR)]),
        "KEEPWARM_DEBUG": "off",
        # Signed in by a session made beforehand; the second factor is not what is measured.
        "KEEPWARM_REQUIRE_SECOND_FACTOR": "off",
    }
    keepwarm = Path(sys.executable).with_name("keepwarm")
    server = subprocess.Popen(
        [str(keepwarm), "serve", "--no-worker", f"127.0.0.1:{port}"],
        env=env,
        cwd=REPO_DIR,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server stopped; see {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.5)
    stop_server(server)
    sys.exit(f"the server did not start within 2 minutes; see {log}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=60)


def _descendants(pid: int) -> list[int]:
    found = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    children = [int(p) for p in found]
    return children + [d for c in children for d in _descendants(c)]


def server_cpu_seconds(server: subprocess.Popen[bytes]) -> float:
    """User + system time of the server's processes so far (the master barely counts)."""
    total = 0
    for pid in [server.pid, *_descendants(server.pid)]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds() -> dict[int, float] | None:
    """User + system time so far of each PostgreSQL backend serving the benchmark's
    database (by process id; a backend's title names its database), or None on SQLite."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    name = f" {connection.settings_dict['NAME']} "
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            title = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if not title.startswith("postgres: ") or name not in title:
                continue
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf(
            "SC_CLK_TCK"
        )
    return found


def _spent(before: dict[int, float] | None, after: dict[int, float] | None) -> float | None:
    # A backend that ended meanwhile (a connection past its age) takes its time with it.
    if before is None or after is None:
        return None
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


# --- wrk ---------------------------------------------------------------------------------------


# Each wrk thread starts at its own place in the list of links.
LUA = """
local paths = {%s}
local threads = 0
setup = function(thread)
  thread:set("start", threads * 997)
  threads = threads + 1
end
local i = 0
init = function(args)
  i = (start or 0) %% #paths
end
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk(
    port: int, target: Target, *, seconds: int, connections: int, script: Path | None
) -> dict[str, Any]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "30s"]
    if target.cookie:
        command += ["-H", f"Cookie: {target.cookie}"]
    if script is not None:
        command += ["-s", str(script)]
    command.append(f"http://127.0.0.1:{port}{target.path}")
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    connect, read, write, timeout = (int(n) for n in errors.groups()) if errors else (0, 0, 0, 0)
    return {
        "requests": requests,
        "req_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": _ms(re.search(r"\s50%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        "p99_ms": _ms(re.search(r"\s99%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        "bad": (int(bad.group(1)) if bad else 0) + connect + read + write,
        "timeouts": timeout,
    }


def check(port: int, target: Target) -> None:
    """The page answers 200 to this cookie: wrk counts a redirect to sign-in as a success."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    connection.request(
        "GET", target.path, headers={"Cookie": target.cookie} if target.cookie else {}
    )
    status = connection.getresponse().status
    connection.close()
    if status != 200:
        sys.exit(f"{target.name}: GET {target.path} answered {status}, not 200")


def settle(server: subprocess.Popen[bytes], port: int) -> None:
    """Wait until the server has finished what wrk left queued (a slow page's backlog
    would otherwise run into the next measurement): until hello answers at once and the
    workers' CPU time stands still. Waiting on the database costs the workers no CPU, so
    the CPU alone would not tell."""
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        before = server_cpu_seconds(server)
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
        connection.request("GET", "/__bench__/hello/")
        connection.getresponse().read()
        connection.close()
        quick = time.monotonic() - started < 0.2
        time.sleep(0.5)
        if quick and server_cpu_seconds(server) - before < 0.02:
            return


def measure(
    server: subprocess.Popen[bytes],
    port: int,
    target: Target,
    *,
    seconds: int,
    connections: int,
) -> Result:
    script = None
    if target.paths:
        script = OUT_DIR / f"bench_http_{target.name}.lua"
        script.write_text(LUA % ", ".join(f'"{p}"' for p in target.paths))
    check(port, target)
    wrk(port, target, seconds=2, connections=connections, script=script)  # warm-up
    settle(server, port)
    before, db_before = server_cpu_seconds(server), database_cpu_seconds()
    found = wrk(port, target, seconds=seconds, connections=connections, script=script)
    # The CPU of requests wrk gave up on at the end counts too: the server did the work.
    settle(server, port)
    cpu = server_cpu_seconds(server) - before
    db_cpu = _spent(db_before, database_cpu_seconds())
    return Result(
        requests=found["requests"],
        req_per_s=found["req_per_s"],
        p50_ms=found["p50_ms"],
        p99_ms=found["p99_ms"],
        cpu_ms=cpu * 1000 / max(1, found["requests"]),
        cpu_s=cpu,
        db_cpu_ms=None if db_cpu is None else db_cpu * 1000 / max(1, found["requests"]),
        load=os.getloadavg()[0],
        bad=found["bad"],
        timeouts=found["timeouts"],
    )


def _total_cpu(result: Result) -> float:
    # What the machine's cores spend on a request, wrk's share apart: on one machine the
    # req/s ratio follows it when the page is CPU-bound, however loaded the machine is.
    return max(result.cpu_ms + (result.db_cpu_ms or 0.0), 0.001)


def report(engine: str, target: Target, result: Result, anchor: Result | None) -> None:
    if result.requests == 0:
        print(
            f"  {target.name} ({engine}): no request finished within the run "
            f"({result.timeouts} timed out); the server spent {result.cpu_s:.1f} s of CPU on "
            f"it; load average {result.load:.1f}",
            flush=True,
        )
        return
    line = (
        f"  {target.name} ({engine}): {result.req_per_s:.0f} req/s, p50 {result.p50_ms:.1f} ms, "
        f"p99 {result.p99_ms:.1f} ms, server CPU {result.cpu_ms:.2f} ms/request, "
        + (
            ""
            if result.db_cpu_ms is None
            else f"PostgreSQL CPU {result.db_cpu_ms:.2f} ms/request, "
        )
        + f"load average {result.load:.1f}"
    )
    if result.timeouts:
        line += f", {result.timeouts} timed out"
    if result.bad:
        line += f", {result.bad} NON-2xx ANSWERS OR SOCKET ERRORS"
    print(line, flush=True)
    if anchor is None or anchor.requests == 0:
        return
    print(
        f"    vs {target.anchor}: req/s {result.req_per_s / anchor.req_per_s:.2f}x, "
        f"p99 {result.p99_ms / anchor.p99_ms:.2f}x, "
        f"CPU {result.cpu_ms / max(anchor.cpu_ms, 0.001):.1f}x"
        + (
            ""
            if result.db_cpu_ms is None or anchor.db_cpu_ms is None
            else f", web + PostgreSQL CPU {_total_cpu(result) / _total_cpu(anchor):.1f}x"
        )
        + f" (goal {target.goal})"
        + (f"; before: {PREVIOUS[target.name]}" if target.name in PREVIOUS else ""),
        flush=True,
    )


def chosen(all_targets: list[Target], only: str) -> list[Target]:
    """The targets named in `only` (all when empty), each with the anchor it is compared with."""
    if not only:
        return all_targets
    names = {name.strip() for name in only.split(",") if name.strip()}
    known = {target.name for target in all_targets}
    if names - known:
        raise SystemExit(f"--only: unknown {', '.join(sorted(names - known))}; known: {known}")
    names |= {target.anchor for target in all_targets if target.name in names and target.anchor}
    return [target for target in all_targets if target.name in names]


def run(
    scale: float, seconds: int, connections: int, rounds: int, invitations: int, only: str = ""
) -> int:
    if shutil.which("wrk") is None:
        print(
            "wrk is not installed: apt-get install -y -qq wrk (Debian package). Nothing measured."
        )
        return 2
    engine = engine_name()
    links = invitation_paths(invitations if not only or "questionnaire" in only else 1)
    cookie, consultant, person = signed_in_cookie()
    from django.db import connections as db_connections

    db_connections.close_all()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log = OUT_DIR / "bench_http_server.log"
    print(
        f"[http, {engine}, scale {scale:g}] {len(links)} questionnaire links; signed in as "
        f"{consultant.username}; wrk -t2 -c{connections} -d{seconds}s; "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    server = start_server(port, log)
    failed = False
    try:
        for round_ in range(rounds):
            if rounds > 1:
                print(f" round {round_ + 1} of {rounds}", flush=True)
            results: dict[str, Result] = {}
            for target in chosen(targets(links, cookie, person), only):
                result = measure(server, port, target, seconds=seconds, connections=connections)
                results[target.name] = result
                report(engine, target, result, results.get(target.anchor))
                failed = failed or result.bad > 0
    finally:
        stop_server(server)
    if failed:
        print(f"Some requests failed: see {log}")
    return 1 if failed else 0


# --- In-process profile ------------------------------------------------------------------------


def profile(requests: int) -> int:
    import cProfile
    import io
    import pstats

    from django.test import Client
    from django.test.utils import override_settings

    with override_settings(DEBUG=False):
        links = invitation_paths(500)
        client = Client()
        for path in links[:20]:
            assert client.get(path).status_code == 200

        def run_all() -> None:
            for i in range(requests):
                assert client.get(links[i % len(links)]).status_code == 200

        started = time.process_time()
        run_all()
        cpu = (time.process_time() - started) * 1000 / requests
        print(
            f"[profile, {engine_name()}] questionnaire page in-process: {cpu:.2f} ms CPU a "
            f"request over {requests} (before: {PREVIOUS['questionnaire']}); "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        profiler = cProfile.Profile()
        profiler.enable()
        run_all()
        profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(30)
    print(text.getvalue())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--invitations", type=int, default=2000)
    parser.add_argument("--only", default="", help="e.g. people,list50 (default: every URL)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    setup_django(database_url(args.scale))
    if args.profile:
        return profile(300)
    return run(args.scale, args.seconds, args.connections, args.rounds, args.invitations, args.only)


if __name__ == "__main__":
    sys.exit(main())
