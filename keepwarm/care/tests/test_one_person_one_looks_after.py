"""One person, one "looks after": when a person's record and their live placement belong
to different consultants, the placement's owner looks after them everywhere (the personal
page, alerts, referrals, ready-to-move calls) and the person page says who does what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.care.models import Kind, Touchpoint
from keepwarm.care.queries import looked_after_by, looks_after
from keepwarm.conftest import Cast
from keepwarm.network import readiness
from keepwarm.network.models import StatusStatement
from keepwarm.people.models import Person
from keepwarm.placements.models import Placement
from keepwarm.portal.personal import consultant_for, refer, report_problem
from keepwarm.signals.models import Alert


@pytest.fixture
def split(cast: Cast) -> Cast:
    """Priya's record is Oscar's (he found her); her placement at Acme is Olivia's. The
    placement settled after its guarantee, so she may be offered roles again."""
    cast.candidate.owner = cast.outsider
    cast.candidate.save(update_fields=["owner"])
    cast.placement.status = Placement.Status.SETTLED
    cast.placement.save(update_fields=["status"])
    return cast


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_referral_from_the_personal_page_goes_to_who_looks_after_them(split: Cast) -> None:
    referral = refer(
        person=split.candidate, kind="candidate", name="Rita Friend", agreed_to_contact=True
    )
    assert referral.owner == split.owner
    consultant = consultant_for(split.candidate)
    assert consultant is not None and consultant.user == split.owner


def test_ready_to_move_call_goes_to_who_looks_after_them(split: Cast) -> None:
    StatusStatement.objects.create(
        person=split.candidate, status="actively_looking", source="personal_page"
    )
    readiness.recompute([split.candidate.pk])
    [call] = Touchpoint.objects.filter(kind=Kind.CALL, title__startswith="Ready to move")
    assert call.owner == split.owner
    today = signed_in(split.owner).get(reverse("today")).content.decode()
    assert "Ready to move" in today


def test_a_problem_reported_reaches_the_same_consultant_as_the_referral(split: Cast) -> None:
    report_problem(person=split.candidate, text="The hours are longer than agreed.")
    referral = refer(
        person=split.candidate, kind="candidate", name="Rita Friend", agreed_to_contact=True
    )
    assert Alert.objects.get().owner == referral.owner == split.owner


def test_person_page_says_who_looks_after_them_and_who_does_what(split: Cast) -> None:
    page = signed_in(split.outsider).get(reverse("person", args=[split.candidate.pk]))
    text = " ".join(page.content.decode().split())
    assert "Looks after them</dt><dd>Olivia Owner" in text
    assert "Olivia Owner: looks after them (placement at Acme Widgets)" in text
    assert "Oscar Other: owns the record" in text


def test_once_the_placement_ends_the_record_owner_looks_after_them(split: Cast) -> None:
    Placement.objects.filter(pk=split.placement.pk).update(
        status=Placement.Status.LEFT, left_on=dt.date(2026, 9, 1)
    )
    referral = refer(
        person=split.candidate, kind="candidate", name="Rita Friend", agreed_to_contact=True
    )
    assert referral.owner == split.outsider


def test_a_new_placement_brings_the_persons_planned_calls_to_its_owner(split: Cast) -> None:
    Placement.objects.filter(pk=split.placement.pk).update(
        status=Placement.Status.LEFT, left_on=dt.date(2026, 9, 1)
    )
    today = timezone.localdate()
    call = Touchpoint.objects.create(
        person=split.candidate, kind=Kind.CALL, title="Catch up", due_on=today, owner=split.outsider
    )
    response = signed_in(split.owner).post(
        reverse("placement_new"),
        {
            "person": split.candidate.pk,
            "company": split.company.pk,
            "owner": split.owner.pk,
            "kind": "permanent",
            "role_title": "Sales Lead",
            "start_date": str(today),
            "currency": "GBP",
            "targets-TOTAL_FORMS": "0",
            "targets-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.owner == split.owner
    assert "Catch up" in signed_in(split.owner).get(reverse("today")).content.decode()


def test_ready_to_move_names_who_looks_after_them_and_filters_by_it(split: Cast) -> None:
    StatusStatement.objects.create(
        person=split.candidate, status="actively_looking", source="personal_page"
    )
    readiness.recompute([split.candidate.pk])
    url = reverse("ready_to_move")
    manager = signed_in(split.manager)
    row = manager.get(url).content.decode().split("Priya Patel")[1].split("</tr>")[0]
    assert "Olivia Owner" in row and "Oscar Other" not in row
    assert "Priya Patel" in manager.get(url, {"owner": split.owner.pk}).content.decode()
    assert "Priya Patel" not in manager.get(url, {"owner": split.outsider.pk}).content.decode()


def test_lists_and_pages_name_the_same_consultant(split: Cast) -> None:
    # Harry hires through Olivia's placement and is Oscar's record; a stranger has no one.
    split.client_contact.owner = split.outsider
    split.client_contact.save(update_fields=["owner"])
    stranger = Person.objects.create(first_name="Sal", last_name="Stranger")
    people = [split.candidate, split.client_contact, stranger]
    bulk = looked_after_by([p.pk for p in people])
    for person in people:
        owner = looks_after(person).owner
        assert bulk.get(person.pk) == (owner.pk if owner else None)
    assert bulk[split.client_contact.pk] == split.owner.pk
