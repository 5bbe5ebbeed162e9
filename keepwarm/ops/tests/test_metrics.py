"""/metrics gives Prometheus the queues, the messages sent, the workers' ticks and the
failing steps, read from the database; only a local scraper or one with the token."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from keepwarm.conftest import Cast, SmtpSink
from keepwarm.mail.services.outbox import queue_email
from keepwarm.mail.services.sending import send_pending
from keepwarm.ops.models import JobFailure
from keepwarm.worker.tick import tick

pytestmark = pytest.mark.django_db


def _samples(response: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def _queue(n: int, *, after: dt.datetime) -> None:
    for i in range(n):
        queue_email(
            key=f"metrics-test:{after.isoformat()}:{i}",
            to_email=f"person{i}@example.org",
            subject="Hello",
            body_text="Hello",
            from_email="keepwarm@agency.example",
            send_after=after,
        )


def test_queue_depths_sends_ticks_and_failing_steps(cast: Cast, smtp_server: SmtpSink) -> None:
    now = timezone.now()
    _queue(3, after=now - dt.timedelta(minutes=1))
    send_pending(limit=2)
    _queue(4, after=now + dt.timedelta(days=1))  # queued, not due yet
    tick(worker_id="host-a:1")  # sends the third
    JobFailure.objects.create(
        name="newsletters",
        failures=7,
        first_failed_at=now,
        last_failed_at=now,
        retry_at=now,
        error="KeyError",
    )

    found = _samples(Client().get("/metrics"))

    assert found[("keepwarm_outbox_messages", (("state", "pending"),))] == 4
    assert found[("keepwarm_outbox_due", ())] == 0
    assert found[("keepwarm_outbox_sent_total", ())] == 3
    assert found[("keepwarm_worker_tick_duration_seconds", (("worker", "host-a:1"),))] >= 0
    assert found[("keepwarm_worker_tick_age_seconds", (("worker", "host-a:1"),))] < 60
    assert found[("keepwarm_worker_step_failures", (("step", "newsletters"),))] == 7
    assert found[("keepwarm_worker_steps_parked", ())] == 1
    assert found[("keepwarm_imports", (("state", "queued"),))] == 0


def test_due_rows_are_the_queue_a_stalled_worker_leaves(cast: Cast) -> None:
    _queue(5, after=timezone.now() - dt.timedelta(minutes=5))
    found = _samples(Client().get("/metrics"))
    assert found[("keepwarm_outbox_due", ())] == 5


def test_only_a_scraper_on_this_machine_without_a_token(db: None) -> None:
    assert Client().get("/metrics").status_code == 200  # the test client is 127.0.0.1
    assert Client(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code == 403
    # Through a proxy on this machine: the proxy's loopback address proves nothing.
    proxied = Client().get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert proxied.status_code == 403
    assert b"KEEPWARM_METRICS_TOKEN" in proxied.content


def test_with_a_token_whoever_sends_it(db: None, settings: Any) -> None:
    settings.KEEPWARM_METRICS_TOKEN = "scrape-me-" + "x" * 20
    anywhere = Client(REMOTE_ADDR="203.0.113.9")
    assert anywhere.get("/metrics").status_code == 403
    assert Client().get("/metrics").status_code == 403  # loopback alone is not enough now
    assert anywhere.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    allowed = anywhere.get(
        "/metrics", HTTP_AUTHORIZATION=f"Bearer {settings.KEEPWARM_METRICS_TOKEN}"
    )
    assert allowed.status_code == 200
