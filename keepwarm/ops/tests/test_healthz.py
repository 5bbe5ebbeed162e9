"""/healthz tells a monitor whether Keepwarm works: the database answers and a worker ticks."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from keepwarm.conftest import Cast
from keepwarm.ops.models import JobFailure
from keepwarm.worker.tick import tick

pytestmark = pytest.mark.django_db


def test_healthy_once_a_worker_has_ticked(cast: Cast) -> None:
    tick(worker_id="host-a:1")

    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert (body["status"], body["database"], body["problems"]) == ("ok", "ok", [])
    assert 0 <= body["seconds_since_worker_tick"] < 60


def test_unhealthy_before_any_worker_has_ticked(db: None) -> None:
    response = Client().get("/healthz")

    assert response.status_code == 503
    assert response.json()["problems"] == ["no worker has ticked yet"]


def test_unhealthy_when_the_last_tick_is_older_than_the_threshold(
    cast: Cast, settings: Any
) -> None:
    settings.KEEPWARM_HEALTH_MAX_TICK_AGE = 120
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        tick(worker_id="host-a:1")
    with time_machine.travel(start + dt.timedelta(seconds=120), tick=False):
        assert Client().get("/healthz").status_code == 200
    with time_machine.travel(start + dt.timedelta(seconds=121), tick=False):
        response = Client().get("/healthz")

    assert response.status_code == 503
    assert response.json()["problems"] == [
        "no worker has ticked for 121 seconds (the limit is 120)"
    ]


def test_a_parked_job_is_named_but_does_not_fail_the_check(cast: Cast) -> None:
    tick(worker_id="host-a:1")
    now = timezone.now()
    JobFailure.objects.create(
        name="newsletters",
        failures=5,
        first_failed_at=now,
        last_failed_at=now,
        retry_at=now,
        error="KeyError: 'Priya'",
        traceback="Traceback ... priya@example.net",
    )

    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json()["parked_jobs"] == ["newsletters"]
    assert b"Priya" not in response.content and b"example.net" not in response.content
    assert b"host-a" not in response.content


def test_it_needs_no_sign_in_no_csrf_token_and_writes_nothing(cast: Cast, settings: Any) -> None:
    settings.KEEPWARM_REQUIRE_SECOND_FACTOR = True
    tick(worker_id="host-a:1")
    half_signed_in = Client(enforce_csrf_checks=True)
    half_signed_in.force_login(cast.admin)  # password only: every page sends her on

    with CaptureQueriesContext(connection) as queries:
        response = half_signed_in.get("/healthz")
        head = Client(enforce_csrf_checks=True).head("/healthz")

    assert (response.status_code, head.status_code) == (200, 200)
    assert not response.cookies
    statements = [q["sql"].lstrip().split()[0].upper() for q in queries.captured_queries]
    assert statements and set(statements) == {"SELECT"}, statements
    assert Client().post("/healthz").status_code == 405


def test_unhealthy_when_the_database_does_not_answer(tmp_path: Any) -> None:
    """A real process whose database is a PostgreSQL address where nothing listens, set
    up for production (https), asked over plain http as a check on the machine would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEPWARM_")}
    env.update(
        KEEPWARM_BASE_URL="https://aftercare.agency.example",
        KEEPWARM_SECRET_KEY="a-test-key-" + "x" * 50,
        KEEPWARM_DATA_DIR=str(tmp_path),
        KEEPWARM_DATABASE_URL="postgres://keepwarm@127.0.0.1:9/keepwarm?connect_timeout=2",
        DJANGO_SETTINGS_MODULE="keepwarm.settings",
    )
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/healthz')\n"
        "print(r.status_code, r.content.decode())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )

    status, _, body = done.stdout.strip().partition(" ")
    assert status == "503", done.stderr  # not 301 to https: monitors may not follow it
    assert json.loads(body)["problems"] == ["the database does not answer"]
    assert "Health check: the database does not answer" in done.stderr
