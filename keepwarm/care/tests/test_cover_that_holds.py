"""Cover that holds: nobody is given cover by someone who is away, work passes on along a
chain of covers (and stops at a loop), the list offers only colleagues who can cover, and
a consultant can offer to cover a colleague."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from keepwarm.accounts.models import User
from keepwarm.care.models import Cover, Touchpoint
from keepwarm.care.services import set_cover
from keepwarm.conftest import Cast, make_user
from keepwarm.portal.personal import consultant_for, report_problem
from keepwarm.signals.models import Alert

TODAY = dt.date(2026, 12, 7)  # a Monday
LEAVE_FROM, LEAVE_TO = dt.date(2026, 12, 4), dt.date(2026, 12, 10)


@pytest.fixture
def on_today() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 12, 7, 10, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def sam(db: None) -> User:
    return make_user("sam_second")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_cover_by_a_colleague_on_leave_is_refused_with_who_covers_them(
    cast: Cast, sam: User, on_today: None
) -> None:
    # Colin is on leave 4-10 Dec, and Sam covers him.
    set_cover(
        absent=cast.colleague,
        colleague=sam,
        starts_on=LEAVE_FROM,
        ends_on=LEAVE_TO,
        by=cast.manager,
    )
    page = signed_in(cast.owner).post(
        reverse("cover"),
        {"colleague": cast.colleague.pk, "starts_on": "2026-12-07", "ends_on": "2026-12-08"},
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "Colin Cover is away 4 Dec–10 Dec 2026 (Sam Second covers them)" in text
    assert not Cover.objects.filter(absent=cast.owner).exists()


def test_work_passes_along_a_chain_of_covers(cast: Cast, sam: User, on_today: None) -> None:
    # Olivia's cover was set first; then Colin, her cover, went on leave, covered by Sam.
    Cover.objects.create(
        absent=cast.owner, colleague=cast.colleague, starts_on=TODAY, ends_on=TODAY
    )
    set_cover(
        absent=cast.colleague,
        colleague=sam,
        starts_on=LEAVE_FROM,
        ends_on=LEAVE_TO,
        by=cast.manager,
    )
    Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind="call",
        title="Week-one call",
        due_on=TODAY,
        owner=cast.owner,
    )
    report_problem(person=cast.candidate, text="My manager has not spoken to me all week.")

    assert Alert.objects.get().owner == sam
    today = signed_in(sam).get(reverse("today")).content.decode()
    assert "Week-one call" in today and "Priya Patel" in today
    alerts = signed_in(sam).get(reverse("alerts")).content.decode()
    assert "Priya Patel" in alerts
    consultant = consultant_for(cast.candidate)
    assert consultant is not None and consultant.reach == sam


def test_a_loop_of_covers_still_reaches_someone(cast: Cast, on_today: None) -> None:
    # Two covers made before either knew of the other's leave: each covers the other.
    Cover.objects.create(
        absent=cast.owner, colleague=cast.colleague, starts_on=TODAY, ends_on=TODAY
    )
    Cover.objects.create(
        absent=cast.colleague, colleague=cast.owner, starts_on=TODAY, ends_on=TODAY
    )
    report_problem(person=cast.candidate, text="Nobody answers the phone.")
    assert Alert.objects.get().owner in (cast.owner, cast.colleague)
    assert signed_in(cast.colleague).get(reverse("today")).status_code == 200


def test_cover_list_offers_only_other_active_consultants(cast: Cast, on_today: None) -> None:
    make_user("gone_away", is_active=False)
    page = signed_in(cast.owner).get(reverse("cover")).content.decode()
    covered_by = page.split('name="colleague"')[1].split("</select>")[0]
    assert "Colin Cover" in covered_by and "Oscar Other" in covered_by
    for not_offered in ("Olivia Owner", "Ada Admin", "Maggie Manager", "Gone Away"):
        assert not_offered not in covered_by


def test_a_consultant_offers_to_cover_a_colleague(cast: Cast, on_today: None) -> None:
    colin = signed_in(cast.colleague)
    response = colin.post(
        reverse("cover"),
        {
            "offer-absent": cast.owner.pk,
            "offer-starts_on": "2026-12-07",
            "offer-ends_on": "2026-12-09",
            "offer-note": "Olivia is at a client all week",
        },
    )
    assert response.status_code == 302
    cover = Cover.objects.get()
    assert (cover.absent, cover.colleague, cover.created_by) == (
        cast.owner,
        cast.colleague,
        cast.colleague,
    )
    page = colin.get(reverse("cover")).content.decode()
    assert "Colin Cover covers Olivia Owner from 7 Dec to 9 Dec 2026." in page


def test_someone_already_covered_is_not_covered_twice(
    cast: Cast, sam: User, on_today: None
) -> None:
    set_cover(
        absent=cast.owner,
        colleague=cast.colleague,
        starts_on=TODAY,
        ends_on=LEAVE_TO,
        by=cast.owner,
    )
    page = signed_in(sam).post(
        reverse("cover"),
        {
            "offer-absent": cast.owner.pk,
            "offer-starts_on": "2026-12-09",
            "offer-ends_on": "2026-12-11",
        },
    )
    assert "Colin Cover already covers Olivia Owner 7 Dec–10 Dec 2026" in page.content.decode()
    assert Cover.objects.filter(absent=cast.owner).count() == 1
