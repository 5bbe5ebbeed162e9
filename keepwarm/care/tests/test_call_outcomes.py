"""One way to log a call, wherever it is logged: a call due is completed rather than logged
beside it, and a call that reached nobody stays open for a retry on the next working day,
counted missed on Check-in discipline until someone is reached."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from keepwarm.care.models import Kind, Touchpoint
from keepwarm.conftest import Cast
from keepwarm.lib.working_days import next_working_day
from keepwarm.reports import queries as reports
from keepwarm.reports.queries import Scope
from keepwarm.signals.models import TextReading

LONDON = zoneinfo.ZoneInfo("Europe/London")
FRIDAY = dt.date(2026, 6, 5)


@pytest.fixture(autouse=True)
def _friday_morning() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 6, 5, 10, 0, tzinfo=LONDON), tick=False):
        yield


def due_call(cast: Cast, *, due_on: dt.date = FRIDAY) -> Touchpoint:
    return Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind=Kind.CALL,
        title="Month-three call",
        due_on=due_on,
        owner=cast.owner,
    )


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def discipline(cast: Cast, today: dt.date) -> tuple[int, int, int]:
    scope = Scope(user=cast.manager, start=dt.date(2026, 6, 1), end=today, today=today)
    (row,) = reports.discipline(scope)
    return row.on_time, row.late, row.missed


def test_no_answer_from_today_keeps_the_call_open_and_books_a_retry_on_the_next_working_day(
    cast: Cast,
) -> None:
    call = due_call(cast)
    client = logged_in(cast.owner)

    response = client.post(
        reverse("log_touchpoint", args=[call.pk]), {"outcome": "no_answer", "next": "/"}
    )

    assert response.status_code == 302
    call.refresh_from_db()
    monday = next_working_day(FRIDAY)
    assert monday.weekday() == 0  # not Saturday
    assert (call.state, call.due_on, call.attempts) == ("planned", monday, 1)
    page = client.get("/").content.decode()
    assert "stays open; try again on Mon" in page
    # The try is on her timeline, and last contact is not reset by it.
    person_page = client.get(cast.candidate.get_absolute_url()).content.decode()
    assert "Month-three call</strong> — No answer" in person_page
    cast.candidate.refresh_from_db()
    assert cast.candidate.last_contacted_at is None
    # On Monday the call is on Today again, saying it was tried.
    with time_machine.travel(dt.datetime(2026, 6, 8, 9, 0, tzinfo=LONDON), tick=False):
        monday_page = logged_in(cast.owner).get("/").content.decode()
    assert f'id="tp-{call.pk}"' in monday_page
    assert "Tried 1×, last: No answer" in monday_page


def test_the_person_page_offers_to_complete_the_due_call_and_does_by_default(
    cast: Cast,
) -> None:
    call = due_call(cast, due_on=FRIDAY - dt.timedelta(days=2))
    client = logged_in(cast.owner)
    page = client.get(cast.candidate.get_absolute_url()).content.decode()
    assert f'name="complete" value="{call.pk}" checked' in page
    assert "Completes the call due: Month-three call" in page

    client.post(
        reverse("log_call", args=[cast.candidate.pk]),
        {"kind": "call", "direction": "outbound", "outcome": "reached", "complete": call.pk},
    )

    call.refresh_from_db()
    assert (call.state, call.outcome) == ("done", "reached")
    # Completed, not logged beside it: one call on her record, nothing left due on Today.
    assert Touchpoint.objects.filter(person=cast.candidate).count() == 1
    assert f'id="tp-{call.pk}"' not in client.get("/").content.decode()


def test_voicemail_on_the_person_page_leaves_the_due_call_open_for_a_retry(cast: Cast) -> None:
    call = due_call(cast)
    client = logged_in(cast.owner)

    response = client.post(
        reverse("log_call", args=[cast.candidate.pk]),
        {"kind": "call", "direction": "outbound", "outcome": "voicemail", "complete": call.pk},
        follow=True,
    )

    assert "Left a voicemail: “Month-three call” stays open" in response.content.decode()
    call.refresh_from_db()
    assert (call.state, call.due_on, call.first_due_on) == (
        "planned",
        next_working_day(FRIDAY),
        FRIDAY,
    )
    tries = Touchpoint.objects.filter(person=cast.candidate, state="done")
    assert [(t.title, t.outcome) for t in tries] == [("Month-three call", "voicemail")]
    # A double submit of the same try is refused, not logged twice.
    client.post(
        reverse("log_call", args=[cast.candidate.pk]),
        {"kind": "call", "outcome": "voicemail", "complete": call.pk},
    )
    assert Touchpoint.objects.filter(person=cast.candidate, state="done").count() == 2


def test_check_in_discipline_counts_an_unanswered_call_missed_until_someone_is_reached(
    cast: Cast,
) -> None:
    call = due_call(cast)
    client = logged_in(cast.owner)
    client.post(reverse("log_touchpoint", args=[call.pk]), {"outcome": "no_answer"})

    monday = next_working_day(FRIDAY)
    assert discipline(cast, monday) == (0, 0, 1)

    with time_machine.travel(dt.datetime(2026, 6, 8, 11, 0, tzinfo=LONDON), tick=False):
        logged_in(cast.owner).post(
            reverse("log_touchpoint", args=[call.pk]), {"outcome": "reached"}
        )
    tuesday = next_working_day(monday)
    assert discipline(cast, tuesday) == (0, 1, 0)  # reached, three days late


def test_the_try_after_the_last_retry_leaves_the_call_missed(cast: Cast, settings: Any) -> None:
    settings.KEEPWARM_CALL_RETRIES = 1
    call = due_call(cast)
    client = logged_in(cast.owner)
    client.post(reverse("log_touchpoint", args=[call.pk]), {"outcome": "no_answer"})
    with time_machine.travel(dt.datetime(2026, 6, 8, 11, 0, tzinfo=LONDON), tick=False):
        logged_in(cast.owner).post(
            reverse("log_touchpoint", args=[call.pk]), {"outcome": "voicemail"}
        )

    call.refresh_from_db()
    assert (call.state, call.attempts) == ("missed", 2)
    assert call.skip_reason == "Not reached after 2 tries"


def test_a_wrong_number_keeps_the_call_due_without_booking_a_retry(cast: Cast) -> None:
    call = due_call(cast)
    client = logged_in(cast.owner)
    client.post(reverse("log_touchpoint", args=[call.pk]), {"outcome": "wrong_number"})

    call.refresh_from_db()
    assert (call.state, call.due_on, call.outcome) == ("planned", FRIDAY, "wrong_number")
    assert "Check the number on file" in client.get("/").content.decode()


def test_logging_a_call_already_logged_says_so_and_saves_nothing_twice(cast: Cast) -> None:
    call = due_call(cast)
    client = logged_in(cast.owner)
    data = {"kind": "call", "outcome": "reached", "complete": call.pk}
    client.post(reverse("log_call", args=[cast.candidate.pk]), data)

    again = client.post(reverse("log_call", args=[cast.candidate.pk]), data)

    assert again.status_code == 200
    assert "That call has been logged already" in again.content.decode()
    assert Touchpoint.objects.filter(person=cast.candidate).count() == 1


def test_what_was_said_on_an_unanswered_try_is_read_like_any_call_note(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    call = due_call(cast)
    with django_capture_on_commit_callbacks(execute=True):
        logged_in(cast.owner).post(
            reverse("log_touchpoint", args=[call.pk]),
            {"outcome": "voicemail", "notes": "Her flatmate says she has an interview elsewhere"},
        )

    (tried,) = Touchpoint.objects.filter(person=cast.candidate, state="done")
    assert TextReading.objects.filter(source="touchpoint", source_id=tried.pk).exists()
