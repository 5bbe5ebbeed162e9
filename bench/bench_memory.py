"""Peak memory of a tick that sends 10k messages against one that sends 1k.

    .venv/bin/python bench/bench_memory.py [--small 1000] [--large 10000] [--sink auto]

A tick that streams its work uses about the same memory for 10k messages as for 1k
(goal: ≤ 1.2x). Each measurement runs keepwarm.worker.tick.tick in a fresh subprocess
against a freshly prepared database (a small agency, the backlog cleared, then exactly N
check-in emails due today), so one run never warms the next:
  - tracemalloc peak of the tick (Python allocations, in its own subprocess: tracing
    slows the tick down), and
  - ru_maxrss after the tick minus ru_maxrss just before it (another subprocess, with
    Django set up, the worker imported and the connection open before the baseline).
Mail goes to a local SMTP sink: postfix's smtp-sink when installed (it is the fast one),
else aiosmtpd on 127.0.0.1 in this process; --sink capture uses Keepwarm's capture backend.
The database is bench/out/mem.sqlite3, or KEEPWARM_DATABASE_URL (wiped: use kw_e).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT_DIR, setup_django

BASE_SCALE = 0.002  # 100 consultants' worth of nothing: 400 people, 200 placements


def default_url() -> str:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    return os.environ.get("KEEPWARM_DATABASE_URL") or f"sqlite:///{OUT_DIR / 'mem.sqlite3'}"


# --- In the child processes ----------------------------------------------------------


def prepare(url: str, n: int, today: dt.date) -> None:
    """A small agency with no backlog, plus exactly `n` check-in emails due today."""
    import generate

    if url.startswith("sqlite"):
        generate.wipe(url, yes=True)
    setup_django(url)
    if not url.startswith("sqlite"):
        generate.wipe(url, yes=True)
    from django.db import connection, transaction

    from keepwarm.care.models import Touchpoint
    from keepwarm.placements.models import Placement

    generate.generate(BASE_SCALE, today, seed=2, quiet=True)
    with transaction.atomic():
        Touchpoint.objects.filter(state="planned", due_on__lte=today).update(
            state="done", outcome="emailed"
        )
        Placement.objects.update(status="in_guarantee")
        placements = list(Placement.objects.values_list("id", "person_id", "owner_id"))
        start = (Touchpoint.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        table = generate.Table(Touchpoint, connection.vendor, today.isoformat())
        rows = (
            table.row(
                {
                    "id": start + i,
                    "person_id": placements[i % len(placements)][1],
                    "placement_id": placements[i % len(placements)][0],
                    "owner_id": placements[i % len(placements)][2],
                    "kind": "email",
                    "audience": "candidate",
                    "title": "Month 1 check-in",
                    "due_on": today.isoformat(),
                    "state": "planned",
                    "email_subject": "Month 1 check-in: how is it going?",
                    "email_body": generate.BODY,
                    "created_at": f"{today.isoformat()} 06:00:00"
                    + ("" if connection.vendor == "sqlite" else "+00"),
                }
            )
            for i in range(n)
        )
        generate.Loader().load(table, rows)
        from django.core.management.color import no_style

        with connection.cursor() as cur:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Touchpoint]):
                cur.execute(sql)


def tick_child(url: str, mode: str, today: dt.date, email_url: str) -> dict[str, Any]:
    """Run one tick; measure tracemalloc peak (mode "trace") or ru_maxrss delta ("rss")."""
    import gc
    import tracemalloc

    env = {"KEEPWARM_EMAIL_URL": email_url} if email_url else {}
    if not email_url:
        os.environ.pop("KEEPWARM_EMAIL_URL", None)
    setup_django(url, **env)
    from django.db import connection
    from django.utils import timezone

    from keepwarm.mail.models import OutboxMessage
    from keepwarm.worker import tick as worker

    now = timezone.make_aware(dt.datetime.combine(today, dt.time(12)))
    connection.ensure_connection()
    OutboxMessage.objects.exists()  # warm the connection and the model machinery
    gc.collect()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if mode == "trace":
        tracemalloc.start()
    started = time.perf_counter()
    report = worker.tick(now=now, worker_id="bench")
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if mode == "trace" else 0
    if mode == "trace":
        tracemalloc.stop()
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    from django.db.models import Count

    # Only this tick's messages (the generated history is already "sent").
    states = dict(
        OutboxMessage.objects.filter(claimed_by="bench")
        .values_list("state")
        .annotate(n=Count("id"))
    )
    return {
        "mode": mode,
        "seconds": seconds,
        "tracemalloc_peak_kb": peak / 1024,
        "rss_delta_kb": rss1 - rss0,
        "rss_baseline_kb": rss0,
        "outbox_states": states,
        "report": repr(report),
    }


# --- In the parent ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sink:
    """A local SMTP sink on loopback: postfix smtp-sink if installed, else aiosmtpd."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.url = ""
        self.proc: subprocess.Popen[bytes] | None = None
        self.controller: Any = None
        if kind == "auto":
            kind = self.kind = "smtp-sink" if shutil.which("smtp-sink") else "aiosmtpd"
        if kind == "capture":
            return
        port = free_port()
        self.url = f"smtp://127.0.0.1:{port}"
        if kind == "smtp-sink":
            self.proc = subprocess.Popen(
                [
                    shutil.which("smtp-sink") or "smtp-sink",
                    "-u",
                    "nobody",
                    f"127.0.0.1:{port}",
                    "1024",
                ]
            )
            for _ in range(50):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
        else:
            from aiosmtpd.controller import Controller

            class Count:
                received = 0

                async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                    Count.received += 1
                    return "250 OK"

            self.controller = Controller(Count(), hostname="127.0.0.1", port=port)
            self.controller.start()

    def close(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        if self.controller is not None:
            self.controller.stop()


def child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"child {args[:2]} failed:\n{out.stderr[-3000:]}")
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def run(small: int, large: int, sink_kind: str, today: dt.date | None = None) -> dict[str, Any]:
    url = default_url()
    today = today or dt.date.today()
    engine = "sqlite" if url.startswith("sqlite") else "postgresql"
    has_worker = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); import keepwarm.worker.tick as w; assert callable(w.tick)",
        ],
        capture_output=True,
        check=False,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "keepwarm.settings"},
    )
    if has_worker.returncode != 0:
        print(f"[memory, {engine}] SKIPPED: keepwarm.worker.tick.tick is not there yet")
        return {"engine": engine, "skipped": True, "lines": []}
    sink = Sink(sink_kind)
    print(f"[memory, {engine}] tick sending {small:,} vs {large:,} messages, mail to {sink.kind}")
    results: dict[int, dict[str, Any]] = {}
    try:
        for n in (small, large):
            results[n] = {}
            for mode in ("trace", "rss"):
                child(["--child", "prepare", "--url", url, "--n", str(n), "--today", str(today)])
                got = child(
                    [
                        "--child",
                        "tick",
                        "--url",
                        url,
                        "--mode",
                        mode,
                        "--today",
                        str(today),
                        "--email-url",
                        sink.url,
                    ]
                )
                results[n][mode] = got
                sent = got["outbox_states"]
                print(
                    f"  {n:>6,} due, {mode}: {got['seconds']:.1f} s, tracemalloc peak "
                    f"{got['tracemalloc_peak_kb'] / 1024:.1f} MB, maxrss +{got['rss_delta_kb'] / 1024:.1f} MB"
                    f" (baseline {got['rss_baseline_kb'] / 1024:.0f} MB); outbox {sent}"
                )
    finally:
        sink.close()
    from common import figure

    lines = []
    peak_s = results[small]["trace"]["tracemalloc_peak_kb"] / 1024
    peak_l = results[large]["trace"]["tracemalloc_peak_kb"] / 1024
    lines.append(
        figure(
            f"tick_memory_tracemalloc_{engine}_MB",
            peak_l,
            peak_s,
            "MB",
            f"<= 1.2x: {large:,} messages vs {small:,}",
        )
    )
    # ru_maxrss deltas can be 0 for a small tick (it fits in memory already touched): floor 1 MB.
    rss_s = max(1.0, results[small]["rss"]["rss_delta_kb"] / 1024)
    rss_l = max(1.0, results[large]["rss"]["rss_delta_kb"] / 1024)
    lines.append(
        figure(
            f"tick_memory_maxrss_delta_{engine}_MB",
            rss_l,
            rss_s,
            "MB",
            f"<= 1.2x: {large:,} messages vs {small:,}",
        )
    )
    rate_s = small / results[small]["rss"]["seconds"]
    rate_l = large / results[large]["rss"]["seconds"]
    print(f"  tick throughput: {rate_s:,.0f} msg/s at {small:,}, {rate_l:,.0f} msg/s at {large:,}")
    return {"engine": engine, "results": results, "lines": lines, "sink": sink.kind}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument(
        "--sink", choices=["auto", "smtp-sink", "aiosmtpd", "capture"], default="auto"
    )
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--child", choices=["prepare", "tick"])
    parser.add_argument("--url")
    parser.add_argument("--n", type=int)
    parser.add_argument("--mode", choices=["trace", "rss"])
    parser.add_argument("--email-url", default="")
    args = parser.parse_args(argv)
    today = args.today or dt.date.today()
    if args.child == "prepare":
        prepare(args.url, args.n, today)
        print("{}")
        return 0
    if args.child == "tick":
        print(json.dumps(tick_child(args.url, args.mode, today, args.email_url)))
        return 0
    run(args.small, args.large, args.sink, args.today)
    return 0


if __name__ == "__main__":
    sys.exit(main())
