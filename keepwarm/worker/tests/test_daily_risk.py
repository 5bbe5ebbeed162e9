"""Once a local day the worker recomputes fall-off risk, however many workers tick."""

from __future__ import annotations

import datetime as dt

import pytest

from keepwarm.care.models import DailyJob
from keepwarm.conftest import START, Cast
from keepwarm.mail.tests.factories import at
from keepwarm.placements.models import Placement
from keepwarm.signals.models import Risk
from keepwarm.worker import daily
from keepwarm.worker.tick import tick


@pytest.fixture
def started(cast: Cast) -> Placement:
    Placement.objects.filter(pk=cast.placement.pk).update(status=Placement.Status.IN_GUARANTEE)
    return cast.placement


def test_two_workers_on_the_same_day_recompute_risk_once(started: Placement) -> None:
    first = tick(now=at("2026-04-20T09:05+01:00"), worker_id="a")
    risk = Risk.objects.get(placement=started)
    second = tick(now=at("2026-04-20T15:00+01:00"), worker_id="b")

    assert first.daily.startswith("risk recomputed for 1")
    assert second.daily == ""
    assert Risk.objects.get(placement=started).computed_at == risk.computed_at
    assert risk.reasons[0] == "No contact for 49 days (never contacted)"
    job = DailyJob.objects.get(name=daily.RISK)
    assert (job.name, job.day, job.worker_id) == ("risk", dt.date(2026, 4, 20), "a")


def test_the_next_day_silence_has_grown(started: Placement) -> None:
    tick(now=at("2026-04-20T09:05+01:00"), worker_id="a")
    report = tick(now=at("2026-04-21T09:05+01:00"), worker_id="b")

    assert report.daily.startswith("risk recomputed for 1")
    assert Risk.objects.get().reasons[0] == "No contact for 50 days (never contacted)"
    assert DailyJob.objects.filter(name=daily.RISK).count() == 2
    assert "risk recomputed for 1" in report.summary()


def test_the_night_shift_leaves_it_for_working_hours(started: Placement) -> None:
    report = tick(now=at("2026-04-20T03:00+01:00"), worker_id="a")

    assert report.daily == ""
    assert not Risk.objects.exists()


def test_a_failed_run_gives_the_day_back(started: Placement) -> None:
    now = at("2026-04-20T09:05+01:00")

    def broken() -> str:
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        daily.run_once_a_day(name="risk", day=now.date(), now=now, worker_id="a", job=broken)
    assert not DailyJob.objects.exists()
    assert daily.run_once_a_day(
        name="risk", day=now.date(), now=now, worker_id="a", job=lambda: "done"
    )


def test_a_claimed_day_is_not_claimed_again(db: None) -> None:
    now = at("2026-04-20T09:05+01:00")
    day = START + dt.timedelta(days=49)

    assert daily.claim_day(name="risk", day=day, now=now, worker_id="a")
    assert not daily.claim_day(name="risk", day=day, now=now, worker_id="b")
    assert daily.claim_day(name="other", day=day, now=now, worker_id="b")
