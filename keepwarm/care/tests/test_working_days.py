"""Working days: nothing falls due or goes out on a weekend, a bank holiday or a closure."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from keepwarm.audit.models import AuditEntry
from keepwarm.care.models import Closure, Kind, Touchpoint
from keepwarm.care.services import lay_out_care_plan
from keepwarm.conftest import START, Cast, SmtpSink, set_agency
from keepwarm.lib.working_days import (
    forget_closures,
    is_working_day,
    next_working_day,
    why_not_working,
)
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.tests.factories import at, make_checkin
from keepwarm.worker.tick import tick

SATURDAY = dt.date(2026, 3, 7)


def test_bank_holidays_and_weekends_are_not_working_days(db: None) -> None:
    assert why_not_working(dt.date(2026, 12, 25)) == "Christmas Day"
    assert why_not_working(dt.date(2026, 12, 27)) == "Sunday"
    # Boxing Day falls on a Saturday in 2026: England takes Monday 28th instead.
    assert next_working_day(dt.date(2026, 12, 24)) == dt.date(2026, 12, 29)
    assert is_working_day(dt.date(2026, 12, 24))


def test_scotland_has_its_own_bank_holidays_from_the_moment_an_admin_chooses_it(db: None) -> None:
    set_agency(holidays_subdivision="SCT")
    assert not is_working_day(dt.date(2027, 1, 4))  # 2 January (observed)
    set_agency(holidays_subdivision="ENG")
    assert is_working_day(dt.date(2027, 1, 4))


def test_a_placements_calls_and_check_ins_never_fall_due_on_a_day_off(cast: Cast) -> None:
    lay_out_care_plan(placement=cast.placement, today=START - dt.timedelta(days=7))

    days_off = {
        t.title: (t.due_on, why_not_working(t.due_on))
        for t in cast.placement.touchpoints.all()
        if not is_working_day(t.due_on)
    }
    assert days_off == {}
    before = cast.placement.touchpoints.get(title="Call before they start")
    assert before.due_on == dt.date(2026, 2, 27)  # the Friday before a Monday start


def test_check_in_due_on_a_saturday_goes_on_monday_morning(
    cast: Cast, smtp_server: SmtpSink
) -> None:
    touchpoint = make_checkin(cast, due_on=SATURDAY)

    saturday = tick(now=at("2026-03-07T10:00+00:00"), worker_id="a")
    sunday = tick(now=at("2026-03-08T10:00+00:00"), worker_id="a")

    assert (saturday.queued, sunday.queued) == (0, 0)
    assert smtp_server.messages == []
    touchpoint.refresh_from_db()
    assert touchpoint.state == Touchpoint.State.PLANNED  # not "done" on a day nobody works
    monday = tick(now=at("2026-03-09T09:01+00:00"), worker_id="a")
    assert (monday.queued, monday.mail.sent) == (1, 1)


def test_questionnaire_reminders_wait_for_a_working_day(cast: Cast) -> None:
    from keepwarm.lib.dates import send_time

    easter_monday = dt.date(2026, 4, 6)
    assert send_time(easter_monday, now=at("2026-04-05T11:00+00:00")) == at(
        "2026-04-07T08:00+00:00"
    )


def _week_one_email(cast: Cast, smtp_server: SmtpSink, start: dt.date, sent: str) -> str:
    placement = cast.placement
    placement.start_date = start
    placement.save(update_fields=["start_date"])
    lay_out_care_plan(placement=placement, today=start - dt.timedelta(days=7))
    week_one = placement.touchpoints.get(title="Week-one check-in")
    Touchpoint.objects.exclude(pk=week_one.pk).delete()
    tick(now=at(sent), worker_id="a")
    (message,) = smtp_server.messages
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_week_one_email_on_a_monday_does_not_wish_a_good_weekend(
    cast: Cast, smtp_server: SmtpSink
) -> None:
    text = _week_one_email(cast, smtp_server, START, "2026-03-09T09:05+00:00")

    assert "weekend" not in text
    assert "All the best," in text


def test_week_one_email_on_a_friday_wishes_a_good_weekend(
    cast: Cast, smtp_server: SmtpSink
) -> None:
    text = _week_one_email(cast, smtp_server, dt.date(2026, 3, 6), "2026-03-13T09:05+00:00")

    assert "Have a good weekend," in text


def test_manager_closes_the_agency_for_christmas_and_calls_move_after_it(
    cast: Cast, client: Client
) -> None:
    call = Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind=Kind.CALL,
        title="Keep-in-touch call",
        due_on=dt.date(2026, 12, 30),
        owner=cast.owner,
    )
    client.force_login(cast.manager)

    response = client.post(
        "/working-days/",
        {"first_day": "2026-12-24", "last_day": "2027-01-01", "reason": "Christmas shutdown"},
        follow=True,
    )

    assert b"Christmas shutdown" in response.content
    assert b"move to the next working day" in response.content
    call.refresh_from_db()
    assert call.due_on == dt.date(2027, 1, 4)  # 2–3 January is a weekend
    assert not is_working_day(dt.date(2026, 12, 31))
    closure = Closure.objects.get()
    assert AuditEntry.objects.filter(
        object_type="care.closure", object_id=str(closure.pk), actor=cast.manager
    ).exists()


def test_a_wrong_closure_is_refused_and_keeps_what_was_typed(cast: Cast, client: Client) -> None:
    client.force_login(cast.manager)

    response = client.post(
        "/working-days/",
        {"first_day": "2027-01-01", "last_day": "2026-12-24", "reason": "Christmas shutdown"},
    )

    assert response.status_code == 200
    assert b"must be on or after the first" in response.content
    assert b'value="Christmas shutdown"' in response.content
    assert not Closure.objects.exists()


def test_consultants_cannot_change_working_days(cast: Cast, client: Client) -> None:
    client.force_login(cast.owner)
    assert client.get("/working-days/").status_code == 403


def test_removing_a_closure_makes_the_days_working_again(cast: Cast, client: Client) -> None:
    closure = Closure.objects.create(
        first_day=dt.date(2026, 12, 29), last_day=dt.date(2026, 12, 31), reason="Shut"
    )
    forget_closures()
    assert not is_working_day(dt.date(2026, 12, 30))
    client.force_login(cast.admin)

    client.post(f"/working-days/{closure.pk}/remove/")

    assert is_working_day(dt.date(2026, 12, 30))


def test_nothing_is_queued_on_a_closure_day(cast: Cast) -> None:
    Closure.objects.create(first_day=SATURDAY, last_day=dt.date(2026, 3, 10), reason="Move")
    forget_closures()
    make_checkin(cast, due_on=dt.date(2026, 3, 9))

    tick(now=at("2026-03-09T12:00+00:00"), worker_id="a")

    assert not OutboxMessage.objects.exists()
