"""Newsletter sending: streaming memory, and throughput against ceilings in the same run.

    .venv/bin/python bench/bench_newsletter.py memory [--small 10000] [--large 100000]
    .venv/bin/python bench/bench_newsletter.py throughput [--n 100000] [--ceiling-n 20000] \
        [--port 2526] [--reps 3] [--workers 1] [--database-url postgres://…/kw_bench]
    .venv/bin/python bench/bench_newsletter.py scaling --reps 3 \
        --database-url postgres://postgres@127.0.0.1:5432/kw_bench   # emptied and refilled

memory: peak Python allocations (tracemalloc) and peak RSS growth of the worker's newsletter
  step (run_due_issues: render once, queue one outbox row per recipient in chunks) followed
  by sending every copy (capture backend, so no socket), each N in a fresh subprocess on a
  fresh SQLite file. Goal: large/small <= 1.2.
throughput: postfix's smtp-sink on 127.0.0.1 (`apt-get install postfix`, "No configuration").
  pipeline = the whole thing: choose recipients, render, build, record in the outbox, claim
  and send (run_due_issues + send_pending), for DESIGN.md's 100,000 recipients by default.
  Ceilings, with the very same rendered messages read back from the outbox (the first
  --ceiling-n of them; building bytes is outside the raw timers): (c) a raw pipelined
  socket sending the pipeline's own bytes (keepwarm.mail.wire) with its dialogue (connect
  and EHLO once a connection; MAIL FROM, RCPT TO, DATA in one write, then each message's
  content in one write with the next message's envelope, per claim of CLAIM_BATCH) over a
  connection a SEND_BATCH, as the worker connects (keepwarm.worker.tick): the headline is the pipeline per worker as a share of it (goal >= 25%); (a) raw smtplib on one
  connection with pre-built bytes; (b) Django's EmailMultiAlternatives + send_messages in
  batches of 100. --workers N: N in-process workers (each runs the worker's newsletter step,
  then sends until the outbox is empty) start at the same moment; the pipeline figure is all
  copies over the time until the last one finished. --database-url: a PostgreSQL database
  instead of a SQLite file; its tables are emptied (flush) and filled again for each run.
scaling: PostgreSQL, real `keepwarm worker --lane mail --now …` processes, one and then two,
  each on a freshly filled database in the same run; goal: two >= 1.8x one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import smtplib
import socket
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT_DIR, setup_django

NOW = dt.datetime(2026, 6, 10, 8, 30, tzinfo=dt.UTC)


def _db(n: int) -> Path:
    return OUT_DIR / f"newsletter-{n}.sqlite3"


def prepare(n: int) -> None:
    """A database with n people who may be mailed and one issue due at NOW."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from keepwarm.accounts.models import User
    from keepwarm.newsletters.models import Audience, Kind, Newsletter
    from keepwarm.newsletters.services import add_block, create_issue, schedule_issue
    from keepwarm.people.models import Consent, Person

    owner = User.objects.create(username="olivia", first_name="Olivia", last_name="Owner",
                                email="olivia@agency.example")  # fmt: skip
    for start in range(0, n, 10_000):
        Person.objects.bulk_create(
            Person(first_name=f"P{i}", last_name="Test", email=f"p{i}@example.net", owner=owner)
            for i in range(start, min(n, start + 10_000))
        )
    given = NOW - dt.timedelta(days=30)
    ids = list(Person.objects.values_list("pk", flat=True))
    for start in range(0, len(ids), 10_000):
        Consent.objects.bulk_create(
            Consent(
                person_id=pk,
                basis="consent",
                subscriber_type="individual",
                given_at=given,
                method="form",
                wording="Yes",
            )
            for pk in ids[start : start + 10_000]
        )
    audience = Audience.objects.create(name="All")
    newsletter = Newsletter.objects.create(
        name="Monthly", from_name="Agency", audience=audience, postal_address="1 High St, Leeds"
    )
    issue = create_issue(newsletter=newsletter, subject="June news", by=owner)
    body = "\n\n".join(
        f"Paragraph {i}: keep your CV short and to the point. [Read more](https://a.example/{i})"
        for i in range(8)
    )
    for kind in (Kind.CV_TIPS, Kind.JOB_HUNTING_TIPS, Kind.TRAINING_COURSES):
        add_block(issue=issue, kind=kind, title=f"{kind} this month", body=body)
    schedule_issue(issue=issue, when=NOW, now=NOW - dt.timedelta(days=1))


def _fresh(n: int, env: dict[str, str]) -> Path:
    """A prepared database for n, copied so each measurement starts from the same state."""
    template = _db(n)
    if not template.exists():
        subprocess.run([sys.executable, __file__, "_prepare", str(n)], env=env, check=True)
    # A template kept from an earlier run gets the migrations added since.
    subprocess.run([sys.executable, "-m", "keepwarm.cli", "migrate", "--noinput", "-v", "0"],
                   env=env, check=True)  # fmt: skip
    copy = OUT_DIR / f"newsletter-{n}-run.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copy(template, copy)
    return copy


def measure_memory() -> dict[str, float]:
    from django.db import connection

    from keepwarm.mail.services.sending import send_pending
    from keepwarm.newsletters.services import run_due_issues

    connection.ensure_connection()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    start = time.perf_counter()
    queued = run_due_issues(now=NOW)
    handled = 0
    while True:
        report = send_pending(now=NOW, limit=500)
        handled += report.handled
        if report.handled < 500:
            break
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"queued": queued, "handled": handled, "seconds": seconds,
            "tracemalloc_peak_mb": peak / 2**20, "rss_growth_mb": (after - before) / 1024}  # fmt: skip


def _env(database: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEPWARM_")}
    env.update(
        KEEPWARM_DATABASE_URL=f"sqlite:///{database}", KEEPWARM_DATA_DIR=str(OUT_DIR / "data")
    )
    env.update(extra)
    return env


def memory(small: int, large: int) -> None:
    results = {}
    for n in (small, large):
        database = _fresh(n, _env(_db(n)))
        out = subprocess.run(
            [sys.executable, __file__, "_memory"], env=_env(database),
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        results[n] = json.loads(out.stdout.strip().splitlines()[-1])
        r = results[n]
        print(f"{n:>7} recipients: queued {r['queued']}, handled {r['handled']} in {r['seconds']:.1f} s; "
              f"tracemalloc peak {r['tracemalloc_peak_mb']:.1f} MB, RSS growth {r['rss_growth_mb']:.1f} MB")  # fmt: skip
    a, b = results[small], results[large]
    print(f"ratio {large}/{small}: tracemalloc {b['tracemalloc_peak_mb'] / a['tracemalloc_peak_mb']:.2f}x, "
          f"RSS growth {max(b['rss_growth_mb'], 0.1) / max(a['rss_growth_mb'], 0.1):.2f}x (goal <= 1.2x)")  # fmt: skip


def _sink(port: int) -> subprocess.Popen[bytes]:
    binary = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
    if not Path(binary).exists():
        sys.exit("smtp-sink missing: apt-get install -y postfix (choose 'No configuration')")
    sink = subprocess.Popen([binary, "-u", "nobody", f"127.0.0.1:{port}", "1024"])
    time.sleep(0.5)
    return sink


def run_worker(start_at: float) -> dict[str, float]:
    """One worker's share of the pipeline, started at `start_at` (time.time())."""
    from django.db import connection
    from django.urls import reverse

    from keepwarm.mail.services.sending import send_pending
    from keepwarm.newsletters.models import Issue
    from keepwarm.newsletters.services import run_due_issues
    from keepwarm.worker.tick import SEND_BATCH

    connection.ensure_connection()
    # A running worker has resolved its URLs long before a newsletter is due: loading the
    # URLconf (importing every view) on the first reverse() is not the pipeline's cost.
    reverse("unsubscribe", args=["warm"])
    time.sleep(max(0.0, start_at - time.time()))
    start = time.time()  # later than start_at if starting Django took longer
    cpu_start = time.process_time()
    run_due_issues(now=NOW)
    expanded = time.time()
    handled = 0
    while True:
        # A connection a SEND_BATCH, as the worker's send step (the ceiling (c) connects
        # as often).
        report = send_pending(now=NOW, limit=SEND_BATCH)
        handled += report.handled
        if not report.handled:
            # Another worker may still be queueing copies: wait for them, as the next
            # tick would.
            if not Issue.objects.filter(state="sending", expanded_at__isnull=True).exists():
                break
            time.sleep(0.02)
    cpu = time.process_time() - cpu_start
    return {"start": start, "end": time.time(), "handled": handled, "cpu": cpu,
            "expand_seconds": expanded - start}  # fmt: skip


class _Replies:
    """SMTP replies read off a socket, as little Python as a client can do: the final line
    of each reply (the fourth byte is a space, not a dash) gives its code."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def codes(self, count: int) -> list[int]:
        codes = []
        while len(codes) < count:
            end = self.buffer.find(b"\r\n")
            if end < 0:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("the sink hung up")
                self.buffer += chunk
                continue
            line, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
            if line[3:4] != b"-":
                codes.append(int(line[:3]))
        return codes


def _raw_pipelined(host: str, port: int, batches: list[list[tuple[bytes, bytes]]]) -> float:
    """Seconds to send pre-built (envelope, dot-stuffed data) pairs over one connection with
    the pipeline's own dialogue: connect, EHLO once; per batch (a claim's worth) the first
    message's MAIL FROM + RCPT TO + DATA in one write and their three replies; then each
    message's content in one write with the next message's envelope of the same batch, and
    their replies (the content's, then the envelope's three); QUIT. The caller gives it a
    connection's worth (the worker's SEND_BATCH), so it connects as often as the worker."""
    start = time.perf_counter()
    with socket.create_connection((host, port)) as sock:
        replies = _Replies(sock)
        if replies.codes(1) != [220]:
            raise RuntimeError("no greeting")
        sock.sendall(b"EHLO bench.example\r\n")
        replies.codes(1)
        for batch in batches:
            sock.sendall(batch[0][0])
            if replies.codes(3) != [250, 250, 354]:
                raise RuntimeError("the sink refused a message")
            for index, (_, data) in enumerate(batch):
                if index + 1 < len(batch):
                    sock.sendall(data + batch[index + 1][0])
                    if replies.codes(4) != [250, 250, 250, 354]:
                        raise RuntimeError("the sink refused a message")
                else:
                    sock.sendall(data)
                    if replies.codes(1) != [250]:
                        raise RuntimeError("the sink refused a message")
        sock.sendall(b"QUIT\r\n")
        replies.codes(1)
        return time.perf_counter() - start


def measure_ceilings(limit: int) -> dict[str, float]:
    """The ceilings over the pipeline's own rows (the first `limit`), read back in chunks so
    a full-size newsletter never sits in memory; building bytes is outside the raw timers."""
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives, get_connection

    from keepwarm.mail import wire
    from keepwarm.mail.backends import dot_stuffed
    from keepwarm.mail.models import OutboxMessage, OutboxTemplate
    from keepwarm.mail.services.sending import CLAIM_BATCH
    from keepwarm.worker.tick import SEND_BATCH

    copies = OutboxMessage.objects.filter(key__startswith="newsletter:")
    sent = copies.filter(state="sent").count()

    def email(row: OutboxMessage, connection: object = None) -> EmailMultiAlternatives:
        message = EmailMultiAlternatives(
            row.subject, row.body_text, row.from_email, [row.to_email],
            headers={**row.headers, "Message-ID": row.message_id}, connection=connection,
        )  # fmt: skip
        message.attach_alternative(row.body_html, "text/html")
        return message

    # A copy stores its values, not its body (OutboxTemplate): the rows get the very
    # bodies the pipeline sent, filled here, outside the timers.
    templates = OutboxTemplate.objects.in_bulk()

    def chunks() -> Any:
        last = 0
        while last < limit_id:
            rows = list(copies.filter(id__gt=last, id__lte=limit_id).order_by("id")[:2000])
            if not rows:
                return
            last = rows[-1].id
            for row in rows:
                if row.template_id is not None:
                    row.template = templates[row.template_id]
                    row.body_text, row.body_html = row.text, row.html
            yield rows

    ids = list(copies.order_by("id").values_list("id", flat=True)[:limit])
    limit_id = ids[-1]
    n = len(ids)
    raw = pipelined = pipelined_cpu = django_batches = django_cpu = 0.0
    connection = get_connection()
    for rows in chunks():
        built = [(r.from_email, r.to_email, email(r).message().as_bytes()) for r in rows]
        start = time.perf_counter()
        with smtplib.SMTP(settings.EMAIL_HOST, settings.EMAIL_PORT) as smtp:
            for sender, to, data in built:
                smtp.sendmail(sender, [to], data)
        raw += time.perf_counter() - start
        del built

        # The pipeline's bytes (keepwarm.mail.wire) and its dialogue.
        pairs = []
        for row in rows:
            bytes_ = wire.build(row)
            envelope = f"MAIL FROM:<{bytes_.sender}>\r\nRCPT TO:<{bytes_.recipient}>\r\nDATA\r\n"
            pairs.append((envelope.encode(), dot_stuffed(bytes_.data)))
        cpu_start = time.process_time()
        # A connection a SEND_BATCH, a claim a CLAIM_BATCH, as the worker sends them.
        for first in range(0, len(pairs), SEND_BATCH):
            sent_together = pairs[first : first + SEND_BATCH]
            batches = [
                sent_together[i : i + CLAIM_BATCH]
                for i in range(0, len(sent_together), CLAIM_BATCH)
            ]
            pipelined += _raw_pipelined(settings.EMAIL_HOST, settings.EMAIL_PORT, batches)
        pipelined_cpu += time.process_time() - cpu_start
        del pairs

        start, cpu_start = time.perf_counter(), time.process_time()
        for i in range(0, len(rows), 100):
            connection.send_messages([email(r, connection) for r in rows[i : i + 100]])
        django_batches += time.perf_counter() - start
        django_cpu += time.process_time() - cpu_start
    connection.close()
    return {"n": copies.count(), "ceiling_n": n, "sent": sent, "raw_smtplib": n / raw, "raw_pipelined": n / pipelined,
            "django_send_messages": n / django_batches,
            "django_cpu_ms": 1000 * django_cpu / n,
            "pipelined_cpu_ms": 1000 * pipelined_cpu / n}  # fmt: skip


def _run(mode: str, env: dict[str, str], *extra: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, mode, *extra], env=env, check=True,
                         capture_output=True, text=True)  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _one_run(
    n: int, workers: int, env: dict[str, str], database_url: str, ceiling_n: int
) -> dict[str, Any]:
    """Prepare, run the pipeline with `workers` workers, then both ceilings on its rows."""
    if database_url:
        subprocess.run([sys.executable, __file__, "_prepare", str(n), "--flush"], env=env,
                       check=True)  # fmt: skip
    else:
        env = {**env, **_env(_fresh(n, _env(_db(n))))}
    start_at = time.time() + 5  # after every worker has started Django
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "_worker", "--start-at", str(start_at)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    runs = []
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode:
            sys.exit(f"a worker failed ({proc.returncode})")
        runs.append(json.loads(out.strip().splitlines()[-1]))
    r: dict[str, Any] = _run("_ceilings", env, "--ceiling-n", str(ceiling_n))
    seconds = max(run["end"] for run in runs) - min(run["start"] for run in runs)
    r["pipeline"] = r["n"] / seconds
    r["pipeline_cpu_ms"] = 1000 * sum(run["cpu"] for run in runs) / r["n"]
    r["runs"], r["seconds"] = runs, seconds
    return r


def _load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def _report(r: dict[str, Any], workers: int, engine: str) -> float:
    """Print one run; returns the pipeline per worker as a share of the raw pipelined socket."""
    per_worker = r["pipeline"] / workers / r["raw_pipelined"]
    print(f"{r['n']} copies ({r['sent']} sent by the pipeline) to smtp-sink, {engine}; "
          f"ceilings over the first {r['ceiling_n']}:")  # fmt: skip
    print(f"  pipeline, {workers} worker(s) (render+queue+claim+send): {r['pipeline']:8.0f} msg/s")
    print(f"  (c) raw pipelined socket, same bytes and dialogue: {r['raw_pipelined']:8.0f} msg/s")
    print(f"  (a) raw smtplib, pre-built bytes:                  {r['raw_smtplib']:8.0f} msg/s")
    print(f"  (b) Django send_messages, batches of 100:          "
          f"{r['django_send_messages']:8.0f} msg/s")  # fmt: skip
    print(f"  pipeline per worker / (c) = {per_worker:.3f} (goal >= 0.25); "
          f"pipeline / (b) = {r['pipeline'] / r['django_send_messages']:.2f}; "
          f"pipeline / (a) = {r['pipeline'] / r['raw_smtplib']:.2f}")  # fmt: skip
    print("  each worker: queueing (run_due_issues) took "
          + ", ".join(f"{run['expand_seconds']:.1f} s" for run in r["runs"])
          + f" of {r['seconds']:.1f} s in all")  # fmt: skip
    # On a shared machine the wall-clock rates move with the load; CPU per message does not
    # (the database server's own CPU is not in it).
    print(f"  CPU per message in the Python processes: pipeline {r['pipeline_cpu_ms']:.3f} ms "
          f"(all workers), (c) {r['pipelined_cpu_ms']:.3f} ms, (b) {r['django_cpu_ms']:.3f} ms; "
          f"{_load()}")  # fmt: skip
    return per_worker


def _range(name: str, values: list[float]) -> None:
    if len(values) > 1:
        print(f"{name} over {len(values)} runs: median {statistics.median(values):.3f} "
              f"(min {min(values):.3f}, max {max(values):.3f})")  # fmt: skip


def throughput(
    n: int, port: int, workers: int, database_url: str, reps: int, ceiling_n: int
) -> None:
    """`reps` runs, each with its own ceilings: the ceilings move with the machine as much
    as the pipeline does, so each ratio is taken within one run and the median reported."""
    engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    email = {"KEEPWARM_EMAIL_URL": f"smtp://127.0.0.1:{port}"}
    env = {**_env(_db(n), **email)}
    if database_url:
        env["KEEPWARM_DATABASE_URL"] = database_url
    ratios, per_worker = [], []
    sink = _sink(port)
    try:
        for _ in range(reps):
            r = _one_run(n, workers, env, database_url, ceiling_n)
            per_worker.append(_report(r, workers, engine))
            ratios.append(r["pipeline"] / r["django_send_messages"])
    finally:
        sink.terminate()
        sink.wait()
    _range("pipeline per worker / (c)", per_worker)
    _range("pipeline / (b)", ratios)


def _worker_processes(count: int, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds from starting `count` real `keepwarm worker --lane mail` processes (one
    tick as of NOW each) until the last one exited, and their CPU seconds."""
    command = [sys.executable, "-m", "keepwarm.cli", "worker", "--lane", "mail",
               "--now", NOW.isoformat()]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    procs = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) for _ in range(count)]
    for proc in procs:
        if proc.wait():
            sys.exit(f"a worker failed ({proc.returncode})")
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return seconds, cpu


def scaling(n: int, port: int, database_url: str, reps: int, ceiling_n: int) -> None:
    """Real worker processes: one, then two, each on a freshly filled database, in the
    same run. A worker's start-up and its tick's other steps are measured with nothing due
    (same command) and taken off both, so the figure is the newsletter's own time."""
    email = {"KEEPWARM_EMAIL_URL": f"smtp://127.0.0.1:{port}"}
    env = {**_env(_db(n), **email), "KEEPWARM_DATABASE_URL": database_url}
    ratios = []
    sink = _sink(port)
    try:
        for _ in range(reps):
            rates = {}
            for workers in (1, 2):
                subprocess.run([sys.executable, __file__, "_prepare", str(n), "--flush"],
                               env=env, check=True)  # fmt: skip
                seconds, cpu = _worker_processes(workers, env)
                idle, _ = _worker_processes(1, env)  # everything is sent: start-up and steps
                rates[workers] = n / max(seconds - idle, 1e-3)
                print(f"  {workers} worker process(es): {n} copies in {seconds:.1f} s "
                      f"({idle:.1f} s of it start-up and the tick's other steps), "
                      f"{rates[workers]:.0f} msg/s; CPU {1000 * cpu / n:.3f} ms a copy; "
                      f"{_load()}")  # fmt: skip
            ratios.append(rates[2] / rates[1])
            print(f"PostgreSQL, 2 worker processes vs 1, same run: {ratios[-1]:.2f}x "
                  f"(goal >= 1.8x); {_load()}")  # fmt: skip
            c = _run("_ceilings", env, "--ceiling-n", str(ceiling_n))
            print(f"  (c) raw pipelined socket: {c['raw_pipelined']:.0f} msg/s; per worker / (c): "
                  f"1 process {rates[1] / c['raw_pipelined']:.3f}, "
                  f"2 processes {rates[2] / 2 / c['raw_pipelined']:.3f} (goal >= 0.25); CPU a copy "
                  f"(c) {c['pipelined_cpu_ms']:.3f} ms; "
                  f"(b) Django {c['django_send_messages']:.0f} msg/s; {_load()}")  # fmt: skip
    finally:
        sink.terminate()
        sink.wait()
    _range("2 worker processes vs 1", ratios)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "mode",
        choices=["memory", "throughput", "scaling", "_prepare", "_memory", "_worker", "_ceilings"],
    )
    parser.add_argument("n", nargs="?", type=int)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    # DESIGN.md's newsletter: 100,000 recipients.
    parser.add_argument("--n", dest="count", type=int, default=100_000)
    parser.add_argument("--ceiling-n", type=int, default=20_000,
                        help="copies the ceilings send (the first of the pipeline's)")  # fmt: skip
    parser.add_argument("--port", type=int, default=2526)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--start-at", type=float, default=0.0)
    parser.add_argument("--flush", action="store_true")
    parser.add_argument("--reps", type=int, default=1, help="throughput runs (median ratio)")
    args = parser.parse_args()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    if args.mode == "memory":
        memory(args.small, args.large)
    elif args.mode == "throughput":
        throughput(
            args.count, args.port, args.workers, args.database_url, args.reps, args.ceiling_n
        )
    elif args.mode == "scaling":
        if not args.database_url.startswith("postgres"):
            sys.exit("scaling needs --database-url postgres://…")
        scaling(args.count, args.port, args.database_url, args.reps, args.ceiling_n)
    else:
        setup_django(os.environ["KEEPWARM_DATABASE_URL"])
        if args.mode == "_prepare":
            if args.flush:
                from django.core.management import call_command

                call_command("migrate", verbosity=0)
                call_command("flush", interactive=False, verbosity=0)
            prepare(args.n)
            from django.db import connection

            if connection.vendor == "postgresql":
                # What autovacuum would have done by now (bench/generate.py does the same).
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
        elif args.mode == "_memory":
            print(json.dumps(measure_memory()))
        elif args.mode == "_worker":
            print(json.dumps(run_worker(args.start_at)))
        else:
            print(json.dumps(measure_ceilings(args.ceiling_n)))


if __name__ == "__main__":
    main()
