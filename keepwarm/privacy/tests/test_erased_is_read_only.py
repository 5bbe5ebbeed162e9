"""Erased means erased: after an erasure the person's page shows what remains and why,
every change answers a clear message (never an error page) and nothing is sent."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.care.models import Touchpoint
from keepwarm.conftest import Cast
from keepwarm.mail.services.outbox import queue_email
from keepwarm.network import readiness
from keepwarm.network.models import StatusStatement
from keepwarm.people.models import Note, Person
from keepwarm.placements.models import Placement
from keepwarm.portal.tests.conftest import sign_in
from keepwarm.privacy.erasure import erase_person
from keepwarm.signals.models import Alert

READ_ONLY = "the record is read-only and nothing is sent to them"


@pytest.fixture
def erased(cast: Cast) -> Person:
    erase_person(cast.candidate, by=cast.manager, reason="Asked by email")
    cast.candidate.refresh_from_db()
    return cast.candidate


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_erased_persons_page_shows_what_remains_and_offers_no_edits(
    cast: Cast, erased: Person
) -> None:
    page = signed_in(cast.manager).get(reverse("person", args=[erased.pk])).content.decode()
    assert "This record is read-only and nothing is sent to them" in page
    assert "What remains" in page
    assert "Check-ins and questionnaires still go" not in page
    for action in (
        reverse("person_edit", args=[erased.pk]),
        reverse("log_call", args=[erased.pk]),
        reverse("person_note", args=[erased.pk]),
        f"{reverse('placement_new')}?person={erased.pk}",
    ):
        assert f'"{action}"' not in page


def test_editing_an_erased_person_answers_why_and_changes_nothing(
    cast: Cast, erased: Person
) -> None:
    client = signed_in(cast.manager)
    person_page = reverse("person", args=[erased.pk])
    edit = reverse("person_edit", args=[erased.pk])
    response = client.get(edit, headers={"referer": f"http://testserver{person_page}"})
    assert response.status_code == 303 and response["Location"].endswith(person_page)
    response = client.post(
        edit, {"first_name": "Priya", "last_name": "Patel", "email": "priya@example.net"}
    )
    assert response.status_code in (200, 303)
    followed = client.get(person_page).content.decode()
    assert READ_ONLY in followed or READ_ONLY in response.content.decode()
    erased.refresh_from_db()
    assert erased.first_name == "Erased" and erased.email == ""


def test_notes_and_calls_on_an_erased_person_are_refused_with_a_message(
    cast: Cast, erased: Person
) -> None:
    client = signed_in(cast.owner)
    person_page = reverse("person", args=[erased.pk])
    back = {"referer": f"http://testserver{person_page}"}
    note = client.post(reverse("person_note", args=[erased.pk]), {"text": "Rang"}, headers=back)
    call = client.post(
        reverse("log_call", args=[erased.pk]),
        {"kind": "call", "outcome": "reached", "direction": "outbound"},
        headers=back,
    )
    assert note.status_code == 303 and call.status_code in (200, 303)
    assert not Note.objects.filter(person=erased).exists()
    assert not Touchpoint.objects.filter(person=erased, state=Touchpoint.State.DONE).exists()
    assert READ_ONLY in client.get(person_page).content.decode() or READ_ONLY in (
        call.content.decode()
    )


def test_a_new_placement_for_an_erased_person_is_refused(cast: Cast, erased: Person) -> None:
    response = signed_in(cast.owner).post(
        reverse("placement_new"),
        {
            "person": erased.pk,
            "company": cast.company.pk,
            "owner": cast.owner.pk,
            "kind": "permanent",
            "role_title": "Sales Lead",
            "start_date": "2026-12-14",
            "currency": "GBP",
            "targets-TOTAL_FORMS": "0",
            "targets-INITIAL_FORMS": "0",
        },
    )
    assert READ_ONLY in response.content.decode()
    assert Placement.objects.filter(person=erased).count() == 1


def test_nothing_is_queued_for_an_erased_person(cast: Cast, erased: Person) -> None:
    queued = queue_email(
        key="reminder-1",
        to_email="priya@example.net",
        subject="A reminder",
        body_text="Please answer",
        from_email="agency@example.com",
        send_after=timezone.now(),
        person=erased,
    )
    assert queued is None


def test_an_open_personal_page_closes_when_the_person_is_erased(client: Client, cast: Cast) -> None:
    sign_in(client, cast.candidate)
    erase_person(cast.candidate, by=cast.manager, reason="Asked on the phone")
    client.post("/me/problem/", {"text": "Still here?"})
    assert not Alert.objects.exists()
    assert "Erased" not in client.get("/me/", follow=True).content.decode()


def test_the_daily_readiness_run_passes_over_an_erased_person(cast: Cast, erased: Person) -> None:
    Placement.objects.filter(pk=cast.placement.pk).update(status=Placement.Status.SETTLED)
    StatusStatement.objects.create(person=erased, status="actively_looking", source="consultant")
    readiness.refresh_all()
    assert not Touchpoint.objects.filter(person=erased, state=Touchpoint.State.PLANNED).exists()
