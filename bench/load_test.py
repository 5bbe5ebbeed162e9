"""Load test: 50 staff browsing and searching on SQLite while a 5,000-copy newsletter sends.

    python3 -m venv .venv-load && .venv-load/bin/pip install locust==2.47.0
    .venv/bin/python bench/load_test.py [--users 50] [--seconds 90] [--recipients 5000]

Builds a fresh SQLite database (the demo agency plus N people who may be mailed and a
newsletter issue due now), starts `keepwarm serve` (gunicorn with 2 sync workers and the
worker, as an agency would run it on one machine), and drives it from a second process with
locust, headless and bounded in time. The worker sends the newsletter meanwhile (capture
mode: every copy is still rendered, claimed and recorded in the database, which is the
contention that matters on SQLite).

Prints per kind of page: p95 against the static file's p95 in the same run (the ceiling),
the goal (p95 < 500 ms on list and search pages), failures, "database is locked" lines in
the server's log, and how many newsletter copies went out during the run.
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
LOCUST = ROOT / ".venv-load" / "bin" / "locust"
GOAL_MS = 500
GOAL_PAGES = ("people list", "placements list", "companies list", "search")
CEILING = "static file (ceiling)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "KEEPWARM_DATA_DIR": str(data_dir),
        "KEEPWARM_DATABASE_URL": f"sqlite:///{data_dir / 'keepwarm.sqlite3'}",
        # The simulated staff sign in with a password only; the second factor is not
        # what is measured here.
        "KEEPWARM_REQUIRE_SECOND_FACTOR": "off",
        "DJANGO_SETTINGS_MODULE": "keepwarm.settings",
    }


PREPARE = """
import datetime as dt
import django
django.setup()
from django.core.management import call_command
from django.utils import timezone
call_command("migrate", verbosity=0)
call_command("demo_data", verbosity=0)
from keepwarm.accounts.models import User
from keepwarm.newsletters.models import Audience, Kind, Newsletter
from keepwarm.newsletters.services import add_block, create_issue, schedule_issue
from keepwarm.people.models import Consent, Person
n = int({n})
owner = User.objects.get(username="demo")
Person.objects.bulk_create(
    Person(first_name=f"Reader{{i}}", last_name="Load", email=f"reader{{i}}@example.net",
           owner=owner)
    for i in range(n)
)
now = timezone.now()
readers = Person.objects.filter(last_name="Load").values_list("pk", flat=True)
Consent.objects.bulk_create(
    Consent(person_id=pk, basis="consent", subscriber_type="individual",
            given_at=now - dt.timedelta(days=30), method="form", wording="Yes")
    for pk in readers
)
audience = Audience.objects.create(name="Load test readers")
newsletter = Newsletter.objects.create(
    name="Load test", from_name="Fernbrook", audience=audience, postal_address="1 High St, Leeds"
)
issue = create_issue(newsletter=newsletter, subject="This month", by=owner)
body = "\\n\\n".join(f"Paragraph {{i}}: keep your CV short. [More](https://a.example/{{i}})"
                    for i in range(8))
for kind in (Kind.CV_TIPS, Kind.JOB_HUNTING_TIPS, Kind.TRAINING_COURSES):
    add_block(issue=issue, kind=kind, title=f"{{kind}} this month", body=body)
schedule_issue(issue=issue, when=now, now=now - dt.timedelta(minutes=1))
print("prepared", Person.objects.count(), "people")
"""


def prepare(data_dir: Path, recipients: int) -> None:
    subprocess.run(
        [str(PYTHON), "-c", PREPARE.format(n=recipients)],
        env=_env(data_dir),
        cwd=ROOT,
        check=True,
    )


def _newsletter_copies(database: Path) -> tuple[int, int]:
    """(copies queued, copies sent or captured) of the marketing mail, read without Django."""
    with sqlite3.connect(database, timeout=30) as db:
        queued = db.execute(
            "SELECT count(*) FROM mail_outboxmessage WHERE purpose = 'marketing'"
        ).fetchone()[0]
        done = db.execute(
            "SELECT count(*) FROM mail_outboxmessage "
            "WHERE purpose = 'marketing' AND state IN ('sent', 'captured')"
        ).fetchone()[0]
    return int(queued), int(done)


def run(users: int, seconds: int, recipients: int) -> int:
    if not LOCUST.exists():
        sys.exit(
            f"locust is not installed: python3 -m venv .venv-load && {LOCUST.parent}/pip install locust==2.47.0"
        )
    with tempfile.TemporaryDirectory(prefix="keepwarm-load-") as work:
        data_dir = Path(work)
        started = time.monotonic()
        prepare(data_dir, recipients)
        print(f"prepared in {time.monotonic() - started:.0f} s")
        port = _free_port()
        log = data_dir / "server.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [str(ROOT / ".venv" / "bin" / "keepwarm"), "serve", f"127.0.0.1:{port}"],
                env=_env(data_dir),
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                _wait_for(port)
                stats = data_dir / "load"
                subprocess.run(
                    [
                        str(LOCUST),
                        "-f",
                        str(ROOT / "bench" / "locustfile.py"),
                        "--headless",
                        "--users",
                        str(users),
                        "--spawn-rate",
                        str(max(1, users // 10)),
                        "--run-time",
                        f"{seconds}s",
                        "--host",
                        f"http://127.0.0.1:{port}",
                        "--csv",
                        str(stats),
                        "--only-summary",
                        # Figures from when all users are in: 50 sign-ins at once (PBKDF2)
                        # queue everything behind them for the first seconds.
                        "--reset-stats",
                    ],
                    cwd=ROOT,
                    check=False,
                    stdout=subprocess.DEVNULL,
                )
                queued, done = _newsletter_copies(data_dir / "keepwarm.sqlite3")
            finally:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=60)
        locked = log.read_text(errors="replace").count("database is locked")
        return report(
            stats.with_name("load_stats.csv"), users, seconds, locked, queued, done, recipients
        )


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    sys.exit("keepwarm serve did not start within 2 minutes")


def report(
    path: Path, users: int, seconds: int, locked: int, queued: int, done: int, recipients: int
) -> int:
    rows = {row["Name"]: row for row in csv.DictReader(path.open())}
    ceiling = float(rows[CEILING]["95%"])
    load = os.getloadavg()
    print(
        f"{users} users for {seconds} s on SQLite; load average {load[0]:.1f}; "
        f"newsletter copies queued {queued} ({recipients} readers plus the demo's own issue), "
        f"sent {done} during the run"
    )
    failed = 0
    for name, row in sorted(rows.items()):
        if name in ("Aggregated", CEILING):
            continue
        p95 = float(row["95%"])
        goal = (
            f" (goal < {GOAL_MS} ms: {'met' if p95 < GOAL_MS else 'NOT met'})"
            if name in GOAL_PAGES
            else ""
        )
        failed += int(row["Failure Count"])
        print(
            f"  {name}: p95 {p95:.0f} ms vs ceiling {ceiling:.0f} ms = {p95 / max(ceiling, 1):.1f}x, "
            f"p50 {float(row['50%']):.0f} ms, {row['Request Count']} requests, "
            f"{row['Failure Count']} failed{goal}"
        )
    total = rows["Aggregated"]
    print(
        f"all requests: {total['Request Count']}, failed {total['Failure Count']}, "
        f"'database is locked' in the server log: {locked}"
    )
    ok = (
        failed == 0
        and locked == 0
        and all(float(rows[name]["95%"]) < GOAL_MS for name in GOAL_PAGES if name in rows)
    )
    print("goal met" if ok else "goal NOT met")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=90)
    parser.add_argument("--recipients", type=int, default=5000)
    args = parser.parse_args()
    sys.exit(run(args.users, args.seconds, args.recipients))


if __name__ == "__main__":
    main()
