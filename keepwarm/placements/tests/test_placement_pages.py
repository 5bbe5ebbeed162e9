"""Placement pages: access, the create and edit forms, the guarantee countdown and outcomes."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from keepwarm.care.models import Kind, Touchpoint
from keepwarm.conftest import Cast
from keepwarm.people.models import Person, Role
from keepwarm.people.tests.test_edit_conflicts import _form_data
from keepwarm.placements.models import Placement

LONDON = zoneinfo.ZoneInfo("Europe/London")
# What a hand-made POST can claim: Django would otherwise build and render 2,000 rows.
FORGED_TARGETS = {"targets-TOTAL_FORMS": "99999", "targets-MAX_NUM_FORMS": "99999"}


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    # 15 May 2026 is day 75 of the cast placement's 90-day guarantee (started 2 March).
    with time_machine.travel(dt.datetime(2026, 5, 15, 10, 0, tzinfo=LONDON), tick=False):
        yield


def logged_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def new_placement_data(cast: Cast, **changes: str) -> dict[str, str]:
    data = {
        "person": str(cast.candidate.pk),
        "company": str(cast.company.pk),
        "role_title": "Sales Lead",
        "kind": "permanent",
        "start_date": "2026-06-01",
        "hiring_manager": str(cast.client_contact.pk),
        "owner": str(cast.owner.pk),
        "salary": "45000",
        "fee": "9000",
        "currency": "GBP",
        "hours_per_week": "37.5",
        "targets-TOTAL_FORMS": "2",
        "targets-INITIAL_FORMS": "0",
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": "1000",
        "targets-0-name": "New business",
        "targets-0-target_value": "40000",
        "targets-0-unit": "GBP",
        "targets-0-period": "quarter",
        "targets-1-period": "month",  # what the browser sends for the empty row
    }
    data.update(changes)
    return data


def test_outsider_gets_404_for_someone_elses_placement(cast: Cast) -> None:
    client = logged_in(cast.outsider)
    for name in ("placement", "placement_edit", "placement_outcome"):
        assert client.get(reverse(name, args=[cast.placement.pk])).status_code == 404
    assert "Priya" not in client.get(reverse("placements")).content.decode()


def test_covering_colleague_can_open_the_placement(cast: Cast) -> None:
    from keepwarm.care.models import Cover

    Cover.objects.create(
        absent=cast.owner,
        colleague=cast.colleague,
        starts_on=dt.date(2026, 5, 14),
        ends_on=dt.date(2026, 5, 20),
    )
    response = logged_in(cast.colleague).get(reverse("placement", args=[cast.placement.pk]))
    assert response.status_code == 200


def test_placement_page_counts_down_the_guarantee(cast: Cast) -> None:
    Placement.objects.filter(pk=cast.placement.pk).update(status=Placement.Status.IN_GUARANTEE)
    body = logged_in(cast.owner).get(reverse("placement", args=[cast.placement.pk])).content
    page = body.decode()
    assert "Day 75 of 90" in page
    assert "New business: 40000 GBP a quarter" in page
    assert "37.5 hours a week" in page


def test_creating_a_placement_lays_out_its_plan_and_targets(cast: Cast) -> None:
    response = logged_in(cast.owner).post(reverse("placement_new"), new_placement_data(cast))
    made = Placement.objects.get(role_title="Sales Lead")
    assert response.status_code == 302
    assert response["Location"] == made.get_absolute_url()
    assert made.rebate_scale == cast.company.rebate_scale  # from the terms of business
    assert [t.name for t in made.targets.all()] == ["New business"]
    assert made.touchpoints.filter(state=Touchpoint.State.PLANNED).exists()


def test_placement_form_explains_bad_input_and_keeps_what_was_typed(cast: Cast) -> None:
    data = new_placement_data(
        cast,
        role_title="Typed Title",
        start_date="31/02/2026",
        salary="-5",
        hiring_manager=str(cast.candidate.pk),
        **{"targets-0-target_value": "lots"},
    )
    response = logged_in(cast.owner).post(reverse("placement_new"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid date" in page
    assert "Enter a number" in page
    assert 'value="Typed Title"' in page
    assert "nothing has been saved yet" in page
    assert not Placement.objects.filter(role_title="Typed Title").exists()

    # Someone can be both (a candidate who now hires), but not on the same placement.
    Role.objects.create(
        person=cast.candidate,
        kind=Role.Kind.CLIENT_CONTACT,
        company=cast.company,
        started_on=dt.date(2026, 4, 1),
    )
    data = new_placement_data(cast, salary="-5", hiring_manager=str(cast.candidate.pk))
    page = logged_in(cast.owner).post(reverse("placement_new"), data).content.decode()
    assert "Enter an amount of zero or more" in page
    assert "someone other than the candidate" in page


def test_contract_placement_needs_an_end_date(cast: Cast) -> None:
    data = new_placement_data(cast, kind="contract")
    page = logged_in(cast.owner).post(reverse("placement_new"), data).content.decode()
    assert "A contract needs its end date" in page


def test_outsider_cannot_place_someone_they_cannot_see(cast: Cast) -> None:
    data = new_placement_data(cast, owner=str(cast.outsider.pk))
    page = logged_in(cast.outsider).post(reverse("placement_new"), data).content.decode()
    assert "That person is not one you can choose here." in page
    assert not Placement.objects.filter(role_title="Sales Lead").exists()


def edit_data(placement: Placement, **changes: str) -> dict[str, str]:
    data = {
        "role_title": placement.role_title,
        "start_date": placement.start_date.isoformat(),
        "hiring_manager": str(placement.hiring_manager_id or ""),
        "owner": str(placement.owner_id),
        "salary": str(placement.salary),
        "fee": str(placement.fee),
        "currency": placement.currency,
        "guarantee_length": str(placement.guarantee_length),
        "guarantee_unit": placement.guarantee_unit,
        "guarantee_remedy": placement.guarantee_remedy,
        "rebate_scale": "30:100, 60:50, 90:25",
        "targets-TOTAL_FORMS": "0",
        "targets-INITIAL_FORMS": "0",
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_changing_the_start_date_moves_planned_steps_not_done_ones(cast: Cast) -> None:
    client = logged_in(cast.owner)
    client.post(reverse("placement_new"), new_placement_data(cast))
    made = Placement.objects.get(role_title="Sales Lead")
    planned = made.touchpoints.filter(state=Touchpoint.State.PLANNED).order_by("due_on").first()
    assert planned is not None
    before = planned.due_on
    done = Touchpoint.objects.create(
        person=made.person,
        placement=made,
        kind=Kind.CALL,
        title="Pre-start chat",
        due_on=dt.date(2026, 5, 14),
        owner=cast.owner,
        state=Touchpoint.State.DONE,
    )
    response = client.post(
        reverse("placement_edit", args=[made.pk]),
        edit_data(made, start_date="2026-06-08", rebate_scale=""),
    )
    assert response.status_code == 302
    made.refresh_from_db()
    planned.refresh_from_db()
    done.refresh_from_db()
    assert made.start_date == dt.date(2026, 6, 8)
    assert planned.due_on == before + dt.timedelta(days=7)
    assert done.due_on == dt.date(2026, 5, 14)


def test_edit_rejects_a_bad_rebate_scale(cast: Cast) -> None:
    response = logged_in(cast.owner).post(
        reverse("placement_edit", args=[cast.placement.pk]),
        edit_data(cast.placement, rebate_scale="30:50, 60:100"),
    )
    assert "cannot refund more" in response.content.decode()


def test_recording_an_early_leaver_shows_the_rebate_owed(cast: Cast) -> None:
    client = logged_in(cast.owner)
    url = reverse("placement_outcome", args=[cast.placement.pk])
    assert "Leaving today (day 75)" in client.get(url).content.decode()
    response = client.post(
        url,
        {"status": "left", "left_on": "2026-04-20", "reason": "pay", "notes": "Counter-offer"},
        follow=True,
    )
    page = response.content.decode()
    cast.placement.refresh_from_db()
    # Day 50 of the guarantee: half the £7,600 fee.
    assert cast.placement.rebate_owed == Decimal("3800.00")
    assert cast.placement.status == Placement.Status.LEFT
    assert "£3,800" in page


def test_outcome_in_the_future_is_refused(cast: Cast) -> None:
    response = logged_in(cast.owner).post(
        reverse("placement_outcome", args=[cast.placement.pk]),
        {"status": "left", "left_on": "2026-07-01", "reason": "pay"},
    )
    assert "in the future" in response.content.decode()
    cast.placement.refresh_from_db()
    assert cast.placement.status == Placement.Status.OFFER_ACCEPTED


def test_placements_list_filters_by_status_and_owner(cast: Cast) -> None:
    client = logged_in(cast.manager)
    assert "Priya Patel" in client.get(reverse("placements"), {"status": "active"}).content.decode()
    assert (
        "Priya Patel" not in client.get(reverse("placements"), {"status": "left"}).content.decode()
    )
    others = client.get(reverse("placements"), {"owner": cast.colleague.pk}).content.decode()
    assert "Priya Patel" not in others


def test_placement_form_lists_nobody_up_front_but_shows_whoever_is_chosen(cast: Cast) -> None:
    Person.objects.create(first_name="Newest", last_name="Nash", owner=cast.owner)
    client = logged_in(cast.owner)
    page = client.get(reverse("placement_new")).content.decode()
    assert "Nash, Newest" not in page and "Patel, Priya" not in page  # no list of everyone
    chosen = client.get(reverse("placement_new"), {"person": cast.candidate.pk}).content.decode()
    assert 'value="Patel, Priya (priya@example.net)"' in chosen
    response = client.post(reverse("placement_new"), new_placement_data(cast))
    assert response.status_code == 302


def test_a_forged_target_count_gets_a_form_error_at_once_not_thousands_of_rows(
    cast: Cast,
) -> None:
    client = logged_in(cast.owner)
    response = client.post(reverse("placement_new"), new_placement_data(cast, **FORGED_TARGETS))

    page = response.content.decode()
    assert response.status_code == 200
    assert "A placement has at most 50 targets." in page
    assert page.count('name="targets-') < 400  # 50 rows of 6 fields, not 2,000 rows
    assert not Placement.objects.exclude(pk=cast.placement.pk).exists()

    edit = client.post(
        reverse("placement_edit", args=[cast.placement.pk]),
        {**edit_data(cast.placement), **FORGED_TARGETS, "targets-INITIAL_FORMS": "0"},
    )
    assert "A placement has at most 50 targets." in edit.content.decode()


def test_editing_a_target_on_the_form_keeps_it_the_same_target(cast: Cast) -> None:
    # Answers about a target are filed under its id: an edit must not make a new one.
    target = cast.placement.targets.get()
    url = reverse("placement_edit", args=[cast.placement.pk])
    client = logged_in(cast.owner)
    form = _form_data(client, url)

    response = client.post(
        url,
        {**form, "targets-0-target_value": "45000", "targets-1-name": "Renewals",
         "targets-1-target_value": "10", "targets-1-unit": "deals"},
    )  # fmt: skip

    assert response.status_code == 302, response.context["form"].errors
    targets = list(cast.placement.targets.order_by("id").values_list("pk", "name", "target_value"))
    assert targets[0] == (target.pk, "New business", Decimal("45000"))
    assert targets[1][1:] == ("Renewals", Decimal("10"))


def test_a_target_removed_on_the_form_is_gone(cast: Cast) -> None:
    url = reverse("placement_edit", args=[cast.placement.pk])
    client = logged_in(cast.owner)

    response = client.post(url, {**_form_data(client, url), "targets-0-DELETE": "on"})

    assert response.status_code == 302, response.context["form"].errors
    assert not cast.placement.targets.exists()
