"""The Today page: what is due, whose it is, and logging a call without leaving the page."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from keepwarm.care.models import Cover, Kind, Touchpoint
from keepwarm.care.queries import today_for
from keepwarm.conftest import Cast, set_agency
from keepwarm.people.models import Person
from keepwarm.placements.models import Placement

LONDON = zoneinfo.ZoneInfo("Europe/London")
TODAY = dt.date(2026, 5, 20)  # day 80 of Priya's 90-day guarantee


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 5, 20, 10, 0, tzinfo=LONDON), tick=False):
        yield


def call(cast: Cast, *, due_on: dt.date = TODAY, title: str = "Month 2 call") -> Touchpoint:
    return Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind=Kind.CALL,
        title=title,
        due_on=due_on,
        owner=cast.owner,
    )


def logged_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_today_needs_a_login(cast: Cast) -> None:
    response = Client().get(reverse("today"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_today_groups_overdue_before_due_today(cast: Cast) -> None:
    call(cast, due_on=TODAY - dt.timedelta(days=3), title="Week one call")
    call(cast, title="Month 2 call")
    page = logged_in(cast.owner).get("/").content.decode()
    assert "Overdue" in page and "Due today" in page
    assert page.index("Week one call") < page.index("Due today") < page.index("Month 2 call")


def test_today_shows_covered_colleagues_calls_with_owner_name(cast: Cast) -> None:
    call(cast)
    Cover.objects.create(
        absent=cast.owner, colleague=cast.colleague, starts_on=TODAY, ends_on=TODAY
    )
    page = logged_in(cast.colleague).get(reverse("today")).content.decode()
    assert "Priya Patel" in page
    assert "covering for Olivia" in page


def test_outsider_sees_nothing_of_others_work_on_today(cast: Cast) -> None:
    call(cast)
    page = logged_in(cast.outsider).get(reverse("today")).content.decode()
    assert "Priya Patel" not in page
    assert "Nothing due" in page


def test_logging_a_call_from_today_marks_it_done_and_plans_next_action(cast: Cast) -> None:
    due = call(cast)
    client = logged_in(cast.owner)
    form = client.get(reverse("log_touchpoint", args=[due.pk]), headers={"HX-Request": "true"})
    assert 'name="outcome"' in form.content.decode()
    assert "<html" not in form.content.decode()  # a fragment for the row, not a page

    response = client.post(
        reverse("log_touchpoint", args=[due.pk]),
        {"outcome": "reached", "notes": "Settling in well", "next_action_on": "2026-06-03"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Done" in response.content.decode()
    due.refresh_from_db()
    assert due.state == Touchpoint.State.DONE
    assert due.notes == "Settling in well"
    assert Touchpoint.objects.filter(
        person=cast.candidate, state=Touchpoint.State.PLANNED, due_on=dt.date(2026, 6, 3)
    ).exists()


def test_log_call_page_works_without_javascript(cast: Cast) -> None:
    due = call(cast)
    client = logged_in(cast.owner)
    page = client.get(reverse("log_touchpoint", args=[due.pk]))
    assert "<html" in page.content.decode()
    response = client.post(
        reverse("log_touchpoint", args=[due.pk]), {"outcome": "voicemail", "next": "/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    due.refresh_from_db()
    assert due.outcome == "voicemail"


def test_next_call_in_the_past_is_explained_and_nothing_is_logged(cast: Cast) -> None:
    due = call(cast)
    response = logged_in(cast.owner).post(
        reverse("log_touchpoint", args=[due.pk]),
        {"outcome": "reached", "notes": "Keep me", "next_action_on": "2026-05-01"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "cannot be in the past" in response.content.decode()
    assert "Keep me" in response.content.decode()
    due.refresh_from_db()
    assert due.state == Touchpoint.State.PLANNED


def test_skip_needs_a_reason_and_records_it(cast: Cast) -> None:
    due = call(cast)
    client = logged_in(cast.owner)
    url = reverse("skip_touchpoint", args=[due.pk])
    empty = client.post(url, {"reason": ""}, headers={"HX-Request": "true"})
    assert "This field is required" in empty.content.decode()
    client.post(url, {"reason": "Met her at the client yesterday"})
    due.refresh_from_db()
    assert due.state == Touchpoint.State.SKIPPED
    assert due.skip_reason == "Met her at the client yesterday"


def test_outsider_cannot_log_someone_elses_call(cast: Cast) -> None:
    due = call(cast)
    response = logged_in(cast.outsider).post(
        reverse("log_touchpoint", args=[due.pk]), {"outcome": "reached"}
    )
    assert response.status_code == 404
    due.refresh_from_db()
    assert due.state == Touchpoint.State.PLANNED


def test_today_shows_guarantee_day_and_going_cold_people(cast: Cast) -> None:
    Placement.objects.filter(pk=cast.placement.pk).update(status=Placement.Status.IN_GUARANTEE)
    page = logged_in(cast.owner).get(reverse("today")).content.decode()
    assert "Day 80 of 90" in page
    # Nobody has ever been contacted: both the candidate and the hiring manager are red.
    assert "badge-red" in page
    assert "Harry Hughes" in page
    assert "Hiring manager for Priya Patel at Acme Widgets" in page
    assert "Account Manager at Acme Widgets" in page


def test_guarantees_and_going_cold_write_names_as_text_and_count_days_as_people_say_them(
    cast: Cast,
) -> None:
    Placement.objects.filter(pk=cast.placement.pk).update(
        status=Placement.Status.IN_GUARANTEE, role_title="R&D <Lead>"
    )
    Person.objects.filter(pk=cast.candidate.pk).update(
        last_name="<b>Patel</b>",
        last_contacted_at=dt.datetime(2026, 3, 20, 9, 0, tzinfo=LONDON),
    )
    Person.objects.filter(pk=cast.client_contact.pk).update(
        last_contacted_at=dt.datetime(2026, 5, 18, 23, 30, tzinfo=dt.UTC)  # the 19th in London
    )
    set_agency(amber_days=1)

    page = logged_in(cast.owner).get(reverse("today")).content.decode()

    assert "<b>Patel" not in page
    assert "<strong>Priya &lt;b&gt;Patel&lt;/b&gt;</strong>" in page  # Guarantees ending soon
    assert "R&amp;D &lt;Lead&gt; at Acme Widgets · ends 31 May" in page
    assert ">61 days</span>" in page  # Going cold: the candidate
    assert ">1 day</span>" in page  # and the hiring manager, by the agency's calendar day


def test_today_counts_check_in_emails_and_links_to_the_rest_of_the_calls(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("keepwarm.care.queries.DUE_SHOWN", 2)
    for days in (5, 4, 3):
        call(cast, due_on=TODAY - dt.timedelta(days=days), title=f"Call {days} days late")
    Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind=Kind.EMAIL,
        title="Month 1 check-in email",
        due_on=TODAY,
        owner=cast.owner,
    )

    page = logged_in(cast.owner).get(reverse("today")).content.decode()

    assert "Call 5 days late" in page and "Call 4 days late" in page
    assert "Call 3 days late" not in page
    assert "And 1 more due" in page and reverse("due") in page
    assert "Month 1 check-in email" not in page
    assert "Keepwarm is sending 1 check-in email by itself" in page


def test_due_page_lists_every_call_a_page_at_a_time(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("keepwarm.care.views.DUE_PAGE_SIZE", 2)
    for days in (5, 4, 3):
        call(cast, due_on=TODAY - dt.timedelta(days=days), title=f"Call {days} days late")
    client = logged_in(cast.owner)

    first = client.get(reverse("due")).content.decode()
    second = client.get(reverse("due"), {"page": 2}).content.decode()

    assert "Call 5 days late" in first and "Call 4 days late" in first
    assert "Call 3 days late" in second and "Call 5 days late" not in second
    assert "Page 2 of 2" in second
    assert "Log call" in second


def test_due_page_lists_check_in_emails_separately_and_not_others_work(cast: Cast) -> None:
    call(cast, title="Month 2 call")
    Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind=Kind.EMAIL,
        title="Month 1 check-in email",
        due_on=TODAY,
        owner=cast.owner,
    )

    mine = logged_in(cast.owner).get(reverse("due"), {"emails": "1"}).content.decode()
    outsider = logged_in(cast.outsider).get(reverse("due"), {"emails": "1"}).content.decode()

    assert "Month 1 check-in email" in mine and "Month 2 call" not in mine
    assert "Keepwarm sends this" in mine
    assert "Month 1 check-in email" not in outsider


@pytest.mark.parametrize(
    ("start", "length", "unit"),
    [
        (TODAY - dt.timedelta(days=79), 90, "calendar"),  # day 80 of 90: late
        (TODAY - dt.timedelta(days=5), 10, "working"),  # working days, part way
        (TODAY + dt.timedelta(days=1), 5, "working"),  # not started yet
        (TODAY - dt.timedelta(days=1), 14, "calendar"),  # day 2 of 14
    ],
)
def test_guarantees_ending_soon_count_down_as_the_placement_page_does(
    cast: Cast, start: dt.date, length: int, unit: str
) -> None:
    from django.template import Context, Template

    Placement.objects.filter(pk=cast.placement.pk).update(
        status=Placement.Status.IN_GUARANTEE,
        start_date=start,
        guarantee_length=length,
        guarantee_unit=unit,
    )
    placement = Placement.objects.get(pk=cast.placement.pk)
    [ending] = today_for(cast.owner, today=TODAY).guarantee_ending
    countdown = Template("{% load keepwarm %}{% guarantee_countdown p today %}")

    def render(p: object) -> str:
        return countdown.render(Context({"p": p, "today": TODAY}))

    assert render(ending) == render(placement)
    assert (ending.person.full_name, ending.role_title) == ("Priya Patel", "Account Manager")
    page = logged_in(cast.owner).get(reverse("today")).content.decode()
    assert render(placement).strip() in page
