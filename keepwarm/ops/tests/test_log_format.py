"""Server errors and the worker's failing steps reach stderr, as plain lines or JSON lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# A real Django process, configured only by the environment, on its own SQLite file: a page
# that breaks, and a tick whose newsletter step breaks.
SCRIPT = """
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from django.urls import path
from keepwarm import urls
from keepwarm.worker import tick as worker

call_command("migrate", verbosity=0)

def broken_page(request):
    raise ValueError("a page that breaks")

urls.urlpatterns.append(path("broken/", broken_page))
Client(raise_request_exception=False).get("/broken/")

def broken_step(**kwargs):
    raise KeyError("%%KW_BOGUS%%")

worker.newsletters.run_due_issues = broken_step
worker.tick(worker_id="w")
"""


def run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KEEPWARM_")}
    environment.update(
        KEEPWARM_DATA_DIR=str(tmp_path),
        KEEPWARM_DATABASE_URL=f"sqlite:///{tmp_path / 'keepwarm.sqlite3'}",
        DJANGO_SETTINGS_MODULE="keepwarm.settings",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env=environment, capture_output=True, text=True, timeout=60
    )


def test_json_lines_carry_the_server_error_and_the_failed_step_with_tracebacks(
    tmp_path: Path,
) -> None:
    done = run(tmp_path, KEEPWARM_LOG_FORMAT="json")

    assert done.returncode == 0, done.stderr
    entries = [json.loads(line) for line in done.stderr.splitlines()]
    by_logger = {(e["logger"], e["level"]): e for e in entries}
    request = by_logger["django.request", "ERROR"]
    assert request["message"] == "Internal Server Error: /broken/"
    assert "ValueError: a page that breaks" in request["traceback"]
    step = by_logger["keepwarm.ops.jobs", "ERROR"]
    assert step["message"].startswith("Worker step newsletters failed (1 in a row)")
    assert "KeyError: '%%KW_BOGUS%%'" in step["traceback"]
    assert step["time"].endswith("+00:00")


def test_plain_lines_by_default(tmp_path: Path) -> None:
    done = run(tmp_path)

    assert done.returncode == 0, done.stderr
    assert " ERROR django.request: Internal Server Error: /broken/" in done.stderr
    assert " ERROR keepwarm.ops.jobs: Worker step newsletters failed (1 in a row)" in done.stderr
    assert "Traceback (most recent call last)" in done.stderr


@pytest.mark.parametrize("value", ["xml", "JSON lines", "yes"])
def test_an_unknown_format_stops_start_up_naming_the_setting(tmp_path: Path, value: str) -> None:
    done = run(tmp_path, KEEPWARM_LOG_FORMAT=value)

    assert done.returncode != 0
    assert "KEEPWARM_LOG_FORMAT must be plain or json" in done.stderr
