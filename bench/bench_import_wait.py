"""How long someone waits for the check of a small upload, with a real worker running.

    .venv/bin/python bench/bench_import_wait.py [--rows 5] [--runs 3]

On a fresh SQLite database in a temporary folder: starts `keepwarm worker` (30-second
ticks) in a subprocess, waits for its first tick, then uploads a file of N candidates as
the page does (a queued dry run) and times how long until its report is ready. The ceiling
is the check's own work in the same run (the run's started_at to finished_at): the rest is
waiting for the worker to notice it. Goal: the wait is under 2 s for 5 rows.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="kw-import-wait-")
    env = {**os.environ, "KEEPWARM_DATA_DIR": data_dir}
    env.pop("KEEPWARM_DATABASE_URL", None)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keepwarm.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from keepwarm.accounts.models import User
    from keepwarm.imports import services
    from keepwarm.imports.models import Entity, ImportRun, Source
    from keepwarm.ops.models import WorkerTick

    by = User.objects.create_user(username="bench", password="x", role=User.Role.ADMIN)
    worker = subprocess.Popen(
        [sys.executable, "-m", "keepwarm.cli", "worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while not WorkerTick.objects.exists():
            time.sleep(0.2)
        body = "First name,Last name,Email\n" + "".join(
            f"Ann{i},Lee,ann{i}@example.org\n" for i in range(args.rows)
        )
        mapping = {"First name": "first_name", "Last name": "last_name", "Email": "email"}
        for _ in range(args.runs):
            path = services.store_upload("people.csv", iter([body.encode()]))
            spec = {"entity": Entity.CANDIDATE, "path": str(path), "name": path.name}
            started = time.monotonic()
            run = services.start_import(
                source=Source.CSV, files=[spec], by=by, dry_run=True, mapping=mapping
            )
            while not ImportRun.objects.get(pk=run.pk).is_finished:
                time.sleep(0.05)
            waited = time.monotonic() - started
            run.refresh_from_db()
            assert run.started_at is not None and run.finished_at is not None
            work = (run.finished_at - run.started_at).total_seconds()
            print(
                f"check of {args.rows} rows: {waited:.2f} s waited vs {work:.2f} s of work "
                f"= {waited / max(work, 0.001):.1f}x (goal: under 2 s waited)"
            )
            time.sleep(3)  # a later upload, not one right behind the last
    finally:
        worker.terminate()
        worker.wait(timeout=30)


if __name__ == "__main__":
    main()
