"""The worker's tick: due check-ins are queued once and sent at a sensible local hour."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from keepwarm.care.models import Audience, Kind, Touchpoint
from keepwarm.care.services import default_plan
from keepwarm.care.services.placements import create_placement
from keepwarm.conftest import Cast, SmtpSink
from keepwarm.lib.dates import local_time, send_time
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.tests.factories import at, make_checkin
from keepwarm.people.models import Person
from keepwarm.worker import tick as worker
from keepwarm.worker.tick import tick

DUE = dt.date(2026, 3, 9)  # a Monday in GMT


def test_running_the_tick_twice_sends_once(cast: Cast, smtp_server: SmtpSink) -> None:
    make_checkin(cast, due_on=DUE)

    first = tick(now=at("2026-03-09T09:05+00:00"), worker_id="a")
    second = tick(now=at("2026-03-09T09:06+00:00"), worker_id="a")

    assert (first.queued, first.mail.sent) == (1, 1)
    assert (second.queued, second.mail.handled) == (0, 0)
    assert len(smtp_server.messages) == 1
    assert OutboxMessage.objects.count() == 1


def test_nothing_goes_out_before_the_send_hour(cast: Cast, smtp_server: SmtpSink) -> None:
    touchpoint = make_checkin(cast, due_on=DUE)

    night = tick(now=at("2026-03-09T03:00+00:00"), worker_id="a")

    assert (night.queued, night.mail.handled) == (1, 0)
    assert smtp_server.messages == []
    message = OutboxMessage.objects.get()
    assert message.send_after == at("2026-03-09T09:00+00:00")
    touchpoint.refresh_from_db()
    assert touchpoint.outcome == Touchpoint.Outcome.EMAILED

    assert tick(now=at("2026-03-09T08:59+00:00"), worker_id="a").mail.sent == 0
    assert tick(now=at("2026-03-09T09:05+00:00"), worker_id="a").mail.sent == 1
    assert len(smtp_server.messages) == 1


def test_check_in_due_tomorrow_is_left_alone(cast: Cast, smtp_server: SmtpSink) -> None:
    touchpoint = make_checkin(cast, due_on=DUE + dt.timedelta(days=1))

    report = tick(now=at("2026-03-09T12:00+00:00"), worker_id="a")

    assert report.queued == 0
    touchpoint.refresh_from_db()
    assert touchpoint.state == Touchpoint.State.PLANNED


def test_overdue_check_in_goes_now_in_sending_hours(cast: Cast, smtp_server: SmtpSink) -> None:
    make_checkin(cast, due_on=DUE - dt.timedelta(days=3))  # the worker was down all weekend

    report = tick(now=at("2026-03-09T14:30+00:00"), worker_id="a")

    assert report.mail.sent == 1
    assert OutboxMessage.objects.get().send_after == at("2026-03-09T14:30+00:00")


def test_overdue_check_in_found_late_at_night_waits_for_the_morning(
    cast: Cast, smtp_server: SmtpSink
) -> None:
    make_checkin(cast, due_on=DUE - dt.timedelta(days=1))

    late = tick(now=at("2026-03-09T22:15+00:00"), worker_id="a")
    small_hours = tick(now=at("2026-03-10T03:00+00:00"), worker_id="a")
    morning = tick(now=at("2026-03-10T09:00+00:00"), worker_id="a")

    assert OutboxMessage.objects.get().send_after == at("2026-03-10T09:00+00:00")
    assert (late.mail.sent, small_hours.mail.sent, morning.mail.sent) == (0, 0, 1)


def test_person_without_email_is_skipped_with_the_reason(cast: Cast, smtp_server: SmtpSink) -> None:
    Person.objects.filter(pk=cast.candidate.pk).update(email="")
    touchpoint = make_checkin(cast, due_on=DUE)

    report = tick(now=at("2026-03-09T09:05+00:00"), worker_id="a")

    assert (report.no_email, report.queued) == (1, 0)
    touchpoint.refresh_from_db()
    assert (touchpoint.state, touchpoint.skip_reason) == ("skipped", "No email address")
    assert not OutboxMessage.objects.exists()


def test_client_check_in_goes_to_the_hiring_manager(cast: Cast, smtp_server: SmtpSink) -> None:
    make_checkin(
        cast,
        due_on=DUE,
        person=cast.client_contact,
        audience=Audience.CLIENT,
        email_subject="How is {{ candidate_name }} settling in?",
    )

    tick(now=at("2026-03-09T09:05+00:00"), worker_id="a")

    [received] = smtp_server.messages
    assert received["To"] == "harry@acme.example"
    assert received["Subject"] == "How is Priya Patel settling in?"


def test_broken_step_text_is_skipped_and_the_rest_still_go(
    cast: Cast, smtp_server: SmtpSink
) -> None:
    broken = make_checkin(cast, due_on=DUE, email_body="Hi {% if first_name %}")
    make_checkin(cast, due_on=DUE)

    report = tick(now=at("2026-03-09T09:05+00:00"), worker_id="a")

    assert (report.broken_text, report.mail.sent) == (1, 1)
    broken.refresh_from_db()
    assert broken.state == Touchpoint.State.SKIPPED
    assert broken.skip_reason.startswith("The email text could not be filled in")


def test_skipped_and_back_dated_steps_are_never_sent(cast: Cast, smtp_server: SmtpSink) -> None:
    make_checkin(cast, due_on=DUE, state=Touchpoint.State.SKIPPED, skip_reason="Entered late")
    today = dt.date(2026, 3, 9)
    placement = create_placement(
        by=cast.owner,
        person=cast.candidate,
        company=cast.company,
        owner=cast.owner,
        role_title="Sales Lead",
        start_date=today - dt.timedelta(days=400),
        plan=default_plan(),
        today=today,
    )
    old_emails = placement.touchpoints.filter(kind__in=(Kind.EMAIL, Kind.QUESTIONNAIRE))
    assert old_emails.filter(due_on__lt=today).exists()

    tick(now=at("2026-03-09T09:05+00:00"), worker_id="a")

    assert not OutboxMessage.objects.filter(touchpoint__due_on__lt=today).exists()
    assert len(smtp_server.messages) == OutboxMessage.objects.count()


def test_many_due_check_ins_are_read_in_chunks_and_each_queued_once(
    cast: Cast, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "CHUNK", 7)
    monkeypatch.setattr(worker, "PAGE", 10)  # pages end inside a run of rows due the same day
    monkeypatch.setattr(worker, "SEND_BATCH", 10)
    Touchpoint.objects.bulk_create(
        Touchpoint(
            person=cast.candidate,
            placement=cast.placement,
            kind=Kind.EMAIL,
            title=f"Check-in {n}",
            due_on=DUE - dt.timedelta(days=n % 3),  # many rows share a due date
            owner=cast.owner,
            email_subject=f"Check-in {n}",
        )
        for n in range(45)
    )

    report = tick(now=at("2026-03-09T09:05+00:00"), worker_id="a")

    assert (report.queued, report.mail.sent) == (45, 45)
    assert sorted(m["Subject"] for m in smtp_server.messages) == sorted(
        f"Check-in {n}" for n in range(45)
    )
    assert smtp_server.connections == 5  # one connection per batch of 10, not per message


def test_a_check_in_erased_while_its_page_is_handled_does_not_stop_the_rest(
    cast: Cast, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "CHUNK", 5)
    monkeypatch.setattr(worker, "PAGE", 10)
    made = Touchpoint.objects.bulk_create(
        Touchpoint(
            person=cast.candidate,
            placement=cast.placement,
            kind=Kind.EMAIL,
            title=f"Check-in {n}",
            due_on=DUE - dt.timedelta(days=n % 2),
            owner=cast.owner,
            email_subject=f"Check-in {n}",
        )
        for n in range(25)
    )
    first_page = sorted(made, key=lambda t: (t.due_on, t.id))[:10]
    handle_chunk = worker._enqueue_chunk

    def erased_meanwhile(ids: list[int], *, now: dt.datetime) -> tuple[int, int, int]:
        # The page's last check-in goes (its person erased on request) before it is reached.
        Touchpoint.objects.filter(id=first_page[-1].id).delete()
        return handle_chunk(ids, now=now)

    monkeypatch.setattr(worker, "_enqueue_chunk", erased_meanwhile)

    report = worker.enqueue_due_checkins(today=DUE, now=at("2026-03-09T09:05+00:00"))

    assert report == (24, 0, 0)
    assert OutboxMessage.objects.count() == 24


# --- Time zones and clock changes ------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "due", "too_early", "on_time"),
    [
        # Clocks change on a Sunday, which is not a working day: a check-in due then goes at
        # nine on the Monday, on the new clock.
        # London's clocks go forward on 29 March 2026: 09:00 BST on the 30th is 08:00 UTC.
        ("Europe/London", "2026-03-29", "2026-03-30T07:59+00:00", "2026-03-30T08:00+00:00"),
        # ...and back on 25 October 2026: 09:00 GMT on the 26th is 09:00 UTC.
        ("Europe/London", "2026-10-25", "2026-10-26T08:59+00:00", "2026-10-26T09:00+00:00"),
        # Auckland goes forward on 27 September 2026: 09:00 NZDT is 20:00 UTC the day before.
        ("Pacific/Auckland", "2026-09-27", "2026-09-27T19:59+00:00", "2026-09-27T20:00+00:00"),
        # ...and back on 5 April 2026: 09:00 NZST is 21:00 UTC the day before.
        ("Pacific/Auckland", "2026-04-05", "2026-04-05T20:59+00:00", "2026-04-05T21:00+00:00"),
        # Lord Howe moves by half an hour (4 October 2026): 09:00 +11:00 is 22:00 UTC.
        ("Australia/Lord_Howe", "2026-10-04", "2026-10-04T21:59+00:00", "2026-10-04T22:00+00:00"),
    ],
)
def test_check_in_due_on_a_clock_change_sunday_goes_at_nine_local_on_monday(
    cast: Cast,
    smtp_server: SmtpSink,
    settings: Any,
    zone: str,
    due: str,
    too_early: str,
    on_time: str,
) -> None:
    settings.TIME_ZONE = zone
    settings.KEEPWARM_HOLIDAYS_COUNTRY = ""  # Easter Monday is England's, not Auckland's
    settings.KEEPWARM_HOLIDAYS_SUBDIVISION = ""
    make_checkin(cast, due_on=dt.date.fromisoformat(due))

    assert tick(now=at(too_early), worker_id="a").mail.sent == 0
    assert tick(now=at(on_time), worker_id="a").mail.sent == 1
    assert tick(now=at(on_time) + dt.timedelta(hours=1), worker_id="a").mail.handled == 0
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize(
    ("zone", "day", "hour", "expected"),
    [
        # A send hour the spring change skips comes out later on the new clock.
        ("Europe/London", "2026-03-29", 1, "2026-03-29T02:00+01:00"),
        ("Pacific/Auckland", "2026-09-27", 2, "2026-09-27T03:00+13:00"),
        ("Australia/Lord_Howe", "2026-10-04", 2, "2026-10-04T02:30+11:00"),
        # A send hour the autumn change repeats is its first occurrence.
        ("Europe/London", "2026-10-25", 1, "2026-10-25T01:00+01:00"),
        ("Australia/Lord_Howe", "2026-04-05", 1, "2026-04-05T01:00+11:00"),
        # Leap day, far from any change.
        ("Pacific/Auckland", "2028-02-29", 9, "2028-02-29T09:00+13:00"),
    ],
)
def test_send_hour_that_does_not_exist_or_exists_twice(
    settings: Any, zone: str, day: str, hour: int, expected: str
) -> None:
    settings.TIME_ZONE = zone

    assert local_time(dt.date.fromisoformat(day), hour) == at(expected)


def test_overdue_send_time_respects_the_local_evening_in_a_far_zone(
    settings: Any, db: None
) -> None:
    settings.TIME_ZONE = "Pacific/Auckland"
    now = at("2026-06-10T10:30+00:00")  # 22:30 in Auckland

    assert send_time(dt.date(2026, 6, 9), now=now) == at("2026-06-11T09:00+12:00")
