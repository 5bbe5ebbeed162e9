"""The System page shows admins and managers how the worker is doing; Today warns them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from keepwarm.conftest import Cast
from keepwarm.imports.models import ImportRun
from keepwarm.mail.tests.factories import queue_plain
from keepwarm.ops.models import PARK_AFTER, JobFailure
from keepwarm.ops.system import email_in_words
from keepwarm.worker import tick as worker
from keepwarm.worker.tick import tick

pytestmark = pytest.mark.django_db


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _fail_rewards(monkeypatch: pytest.MonkeyPatch, times: int) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("the rewards table is locked")

    monkeypatch.setattr(worker, "mark_rewards_due", broken)
    failing = JobFailure.objects.first()
    moment = failing.retry_at if failing else timezone.now()
    for _ in range(times):
        tick(now=moment, worker_id="host-a:1")
        moment = JobFailure.objects.get().retry_at
    monkeypatch.undo()


def test_admin_sees_each_workers_last_tick_and_the_queues(cast: Cast) -> None:
    tick(worker_id="host-a:1")
    tick(worker_id="host-b:2")
    queue_plain(1, send_after=timezone.now() + dt.timedelta(days=1))
    ImportRun.objects.create(source="csv", state=ImportRun.State.QUEUED)

    page = _signed_in(cast.admin).get("/system/").content.decode()

    assert "host-a:1" in page and "host-b:2" in page
    assert "all steps ran" in page
    assert " ms</td>" in page
    assert 'id="outbox-pending">1<' in page
    assert 'id="imports">1 / 0<' in page
    assert "Every job ran the last time it was due." in page


def test_a_parked_job_shows_its_error_and_traceback(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_rewards(monkeypatch, PARK_AFTER)

    page = _signed_in(cast.admin).get("/system/").content.decode()

    assert 'id="job-rewards"' in page
    assert "parked" in page
    assert "RuntimeError: the rewards table is locked" in page
    assert "<details><summary" in page and "Traceback (most recent call last)" in page
    assert "failed: rewards" in page  # the last tick's outcome


def test_settings_are_described_without_secrets(cast: Cast, settings: Any) -> None:
    settings.EMAIL_BACKEND = "keepwarm.mail.backends.SmtpBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "smtp.example.com", 587
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "apikey", "s3cret-pass"
    settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL, settings.EMAIL_TIMEOUT = True, False, 30

    page = _signed_in(cast.manager).get("/system/").content.decode()

    assert "SMTP to smtp.example.com:587, STARTTLS, with a user name and password" in page
    assert "s3cret-pass" not in page
    assert "SQLite" in page or "PostgreSQL" in page


def test_capture_mode_says_nothing_leaves(settings: Any) -> None:
    settings.EMAIL_BACKEND = "keepwarm.mail.backends.CaptureBackend"

    assert email_in_words().startswith("Capture: nothing leaves Keepwarm")


def test_managers_read_it_consultants_are_refused_and_strangers_sign_in(cast: Cast) -> None:
    assert _signed_in(cast.manager).get("/system/").status_code == 200
    assert _signed_in(cast.owner).get("/system/").status_code == 403
    anonymous = Client().get("/system/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_the_menu_links_it_for_admins_and_managers_only(cast: Cast) -> None:
    link = 'href="/system/"'
    assert link in _signed_in(cast.admin).get("/").content.decode()
    assert link in _signed_in(cast.manager).get("/people/").content.decode()
    assert link not in _signed_in(cast.owner).get("/").content.decode()


def test_today_warns_admins_and_managers_when_no_worker_ticks(cast: Cast) -> None:
    today = _signed_in(cast.manager).get("/").content.decode()

    assert 'id="system-notice"' in today
    assert "Background work has stopped: no worker has ticked yet" in today
    assert 'id="system-notice"' not in _signed_in(cast.owner).get("/").content.decode()

    tick(worker_id="host-a:1")
    assert 'id="system-notice"' not in _signed_in(cast.manager).get("/").content.decode()


def test_today_names_a_parked_job_until_it_works_again(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_rewards(monkeypatch, PARK_AFTER - 1)
    assert 'id="system-notice"' not in _signed_in(cast.admin).get("/").content.decode()

    _fail_rewards(monkeypatch, 1)
    today = _signed_in(cast.admin).get("/").content.decode()
    assert "1 background job keeps failing (rewards)." in today
    assert 'href="/system/"' in today

    tick(now=JobFailure.objects.get().retry_at, worker_id="host-a:1")
    assert 'id="system-notice"' not in _signed_in(cast.admin).get("/").content.decode()


def test_workers_not_heard_of_for_a_week_drop_off_the_list(cast: Cast) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        tick(worker_id="host-a:1")  # restarted since: a new process has a new id
    with time_machine.travel(start + dt.timedelta(days=6), tick=False):
        tick(worker_id="host-a:2")
        assert "host-a:1" in _signed_in(cast.admin).get("/system/").content.decode()
    with time_machine.travel(start + dt.timedelta(days=7, seconds=1), tick=False):
        tick(worker_id="host-a:2")
        page = _signed_in(cast.admin).get("/system/").content.decode()

    assert "host-a:1" not in page and "host-a:2" in page


def test_an_admin_sends_a_parked_job_back_to_the_next_tick(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_rewards(monkeypatch, PARK_AFTER)
    failure = JobFailure.objects.get()
    assert failure.retry_at > timezone.now() + dt.timedelta(minutes=10)
    url = f"/system/failing/{failure.pk}/retry/"
    manager_page = _signed_in(cast.manager).get("/system/").content.decode()
    assert "Try again on the next tick" not in manager_page  # managers read the page

    assert _signed_in(cast.manager).post(url).status_code == 403
    assert _signed_in(cast.owner).post(url).status_code == 403
    response = _signed_in(cast.admin).post(url, follow=True)

    said = "rewards will be tried again on the worker&#x27;s next tick."
    assert said in response.content.decode()
    report = tick(worker_id="host-a:1")  # the cause is gone (monkeypatch undone)
    assert "rewards" in report.ran and report.failed == []
    assert not JobFailure.objects.exists()
