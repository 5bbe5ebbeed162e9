"""One failing step of the worker's tick never stops the others, nor the mail already queued."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any, NoReturn

import pytest

from keepwarm.care.models import DailyJob
from keepwarm.conftest import Cast, SmtpSink
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.tests.factories import at, make_checkin, queue_plain
from keepwarm.network import readiness
from keepwarm.newsletters import services as newsletters
from keepwarm.ops.models import PARK_AFTER, JobFailure, WorkerTick
from keepwarm.worker import daily
from keepwarm.worker import tick as worker
from keepwarm.worker.tick import STEPS, tick

NOW = at("2026-03-09T09:05+00:00")  # a Monday, after the send hour: every step runs
DUE = dt.date(2026, 3, 9)

# Where each step's work is done: replacing it (for one test) is how a failure is injected.
STEP_FUNCTIONS: dict[str, tuple[Any, str]] = {
    "send": (worker, "send_pending"),
    "reconcile": (worker, "reconcile_stale"),
    "advance-statuses": (worker, "advance_statuses"),
    "mark-missed": (worker, "mark_missed"),
    "check-ins": (worker, "enqueue_due_checkins"),
    "reminders": (worker, "send_reminders"),
    "newsletters": (newsletters, "run_due_issues"),
    "webhooks": (worker, "send_due_webhooks"),
    "imports": (worker, "run_next_import"),
    "rewards": (worker, "mark_rewards_due"),
    "escalate-alerts": (worker, "escalate_overdue_alerts"),
    "daily:risk": (daily, "refresh_risk"),
    "daily:privacy-notices": (worker, "send_privacy_notices"),
    "daily:retention": (worker, "apply_rules"),
    "daily:import-uploads": (worker, "forget_old_uploads_daily"),
    "daily:readiness": (readiness, "refresh_all"),
    "daily:outbox-placements": (worker, "copy_missing_placements"),
    "forget-sign-ins": (worker, "forget_old_sign_ins"),
    "close-issues": (newsletters, "close_finished_issues"),
}


class Broken:
    """Stands in for a step's function: raises, and counts how often it was called."""

    def __init__(self, message: str = "the disk is on fire") -> None:
        self.message = message
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> NoReturn:
        self.calls += 1
        raise RuntimeError(self.message)


def break_step(monkeypatch: pytest.MonkeyPatch, name: str, message: str = "") -> Broken:
    broken = Broken(message or f"{name} is broken")
    owner, attribute = STEP_FUNCTIONS[name]
    if owner is newsletters:
        # Only the worker's view of the module: run_due_issues calls close_finished_issues
        # too, and must keep working when the close-issues step is the one broken.
        owner = SimpleNamespace(**vars(newsletters))
        monkeypatch.setattr(worker, "newsletters", owner)
    monkeypatch.setattr(owner, attribute, broken)
    return broken


def test_every_step_of_the_tick_has_a_stable_name_and_a_way_to_break_it() -> None:
    assert set(STEP_FUNCTIONS) == set(STEPS)
    assert len(STEPS) == len(set(STEPS))


def test_a_healthy_tick_runs_every_step_and_records_the_worker(
    cast: Cast, smtp_server: SmtpSink
) -> None:
    report = tick(now=NOW, worker_id="host-a:1")

    assert set(report.ran) == set(STEPS)
    assert (report.failed, report.waiting) == ([], [])
    assert not JobFailure.objects.exists()
    row = WorkerTick.objects.get(worker_id="host-a:1")
    assert (row.as_of, row.failed) == (NOW, [])


@pytest.mark.parametrize("name", STEPS)
def test_one_failing_step_leaves_the_others_running_and_the_mail_going_out(
    cast: Cast, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    queue_plain(1, send_after=NOW - dt.timedelta(hours=1))  # queued before the failure
    make_checkin(cast, due_on=DUE)  # queued by the check-ins step, sent at the end
    broken = break_step(monkeypatch, name)

    report = tick(now=NOW, worker_id="host-a:1")

    assert broken.calls == 1
    assert report.failed == [name]
    assert set(report.ran) == set(STEPS), "every other step still ran"
    failure = JobFailure.objects.get()
    assert (failure.name, failure.failures, failure.error) == (
        name,
        1,
        f"RuntimeError: {name} is broken",
    )
    assert f"{name} is broken" in failure.traceback and "Traceback" in failure.traceback
    assert WorkerTick.objects.get().failed == [name]
    subjects = sorted(str(m["Subject"]) for m in smtp_server.messages)
    if name == "send":
        assert subjects == []  # sending itself failed: it is tried again a minute later
        monkeypatch.undo()
        later = tick(now=NOW + dt.timedelta(minutes=1), worker_id="host-a:1")
        assert later.failed == [] and later.mail.sent == 2
        assert not JobFailure.objects.exists()
    elif name == "check-ins":
        assert subjects == ["Message 1"]
    else:
        assert subjects == ["How is week one going, Priya?", "Message 1"]
    assert len(smtp_server.messages) == OutboxMessage.objects.filter(state="sent").count()


def test_a_failing_step_waits_twice_as_long_each_time_and_is_parked_after_five(
    cast: Cast, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = break_step(monkeypatch, "rewards", "no rewards today")
    waits = []
    moment = NOW
    for _ in range(7):
        report = tick(now=moment, worker_id="host-a:1")
        assert report.failed == ["rewards"]
        failure = JobFailure.objects.get(name="rewards")
        waits.append(round((failure.retry_at - moment).total_seconds() / 60))
        # Just before the retry time the step is skipped, and says so.
        early = tick(now=failure.retry_at - dt.timedelta(seconds=1), worker_id="host-a:1")
        assert (early.failed, early.waiting) == ([], ["rewards"])
        moment = failure.retry_at

    assert waits == [1, 2, 4, 8, 16, 30, 30]
    assert broken.calls == 7
    failure = JobFailure.objects.get(name="rewards")
    assert failure.failures == 7 and failure.is_parked
    assert failure.first_failed_at == NOW
    assert WorkerTick.objects.get().waiting == ["rewards"]


def test_a_step_failing_for_days_is_still_tried_every_half_hour_and_the_tick_goes_on(
    cast: Cast, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    break_step(monkeypatch, "rewards", "no rewards today")
    # Two days parked, tried every half hour: about a hundred failures in a row.
    JobFailure.objects.create(
        name="rewards",
        failures=100,
        first_failed_at=NOW - dt.timedelta(days=2),
        last_failed_at=NOW - dt.timedelta(minutes=30),
        retry_at=NOW,
        error="RuntimeError: no rewards today",
    )

    report = tick(now=NOW, worker_id="host-a:1")

    assert report.failed == ["rewards"]
    assert set(report.ran) == set(STEPS), "every other step still ran"
    failure = JobFailure.objects.get()
    assert (failure.failures, failure.retry_at) == (101, NOW + dt.timedelta(minutes=30))
    assert WorkerTick.objects.get().failed == ["rewards"]


def test_a_job_is_parked_only_after_failing_five_times_in_a_row(
    cast: Cast, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    break_step(monkeypatch, "webhooks")
    moment = NOW
    for failures in range(1, PARK_AFTER + 1):
        tick(now=moment, worker_id="host-a:1")
        failure = JobFailure.objects.get()
        assert failure.is_parked == (failures == PARK_AFTER)
        moment = failure.retry_at


def test_a_step_that_works_again_clears_its_failure(
    cast: Cast, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    break_step(monkeypatch, "imports")
    tick(now=NOW, worker_id="host-a:1")
    assert JobFailure.objects.filter(name="imports").exists()

    monkeypatch.undo()
    report = tick(now=NOW + dt.timedelta(minutes=1), worker_id="host-a:1")

    assert "imports" in report.ran and report.failed == []
    assert not JobFailure.objects.exists()


def test_a_failing_daily_job_hands_its_day_back_and_shows_as_a_failing_job(
    cast: Cast, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    break_step(monkeypatch, "daily:risk")

    tick(now=NOW, worker_id="host-a:1")

    assert JobFailure.objects.get().name == "daily:risk"
    ran_today = set(DailyJob.objects.filter(day=DUE).values_list("name", flat=True))
    assert "risk" not in ran_today  # the claim was given back: a later tick runs it
    assert {"privacy-notices", "retention", "import-uploads", "readiness"} <= ran_today

    monkeypatch.undo()
    tick(now=NOW + dt.timedelta(minutes=1), worker_id="host-b:2")

    assert DailyJob.objects.filter(day=DUE, name="risk", worker_id="host-b:2").exists()
    assert not JobFailure.objects.exists()


def test_the_summary_line_names_the_failed_step(
    cast: Cast, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    break_step(monkeypatch, "newsletters")

    first = tick(now=NOW, worker_id="host-a:1")
    second = tick(now=NOW + dt.timedelta(seconds=30), worker_id="host-a:1")

    assert "FAILED newsletters (see the System page)" in first.summary()
    assert "waiting to retry newsletters" in second.summary()
