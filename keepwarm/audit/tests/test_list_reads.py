"""Lists show personal data in bulk: who read which people is on the trail, as for one
person's page, written with one statement per page, and once an hour for the same list
read again from the same place."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from time_machine import TimeMachineFixture

from keepwarm.accounts.models import ApiToken, User
from keepwarm.audit.models import AuditEntry
from keepwarm.care.models import Touchpoint
from keepwarm.conftest import Cast
from keepwarm.people.models import Person

pytestmark = pytest.mark.django_db


def read_by(user: User) -> dict[tuple[str, str], AuditEntry]:
    return {
        (e.object_type, e.object_id): e
        for e in AuditEntry.objects.filter(action="viewed", actor=user)
    }


def trail_statements(context: CaptureQueriesContext) -> int:
    into = f"INSERT INTO {connection.ops.quote_name(AuditEntry._meta.db_table)}"
    return sum(1 for q in context.captured_queries if into in q["sql"])


def test_the_people_list_records_each_person_shown_with_one_statement(
    client: Client, cast: Cast
) -> None:
    for i in range(5):
        Person.objects.create(first_name="Sam", last_name=f"Reader {i}", owner=cast.owner)
    client.force_login(cast.owner)

    with CaptureQueriesContext(connection) as context:
        assert client.get(reverse("people"), REMOTE_ADDR="203.0.113.9").status_code == 200

    read = read_by(cast.owner)
    shown = Person.objects.filter(owner=cast.owner)
    assert set(read) == {("people.person", str(p.pk)) for p in shown}
    entry = read["people.person", str(cast.candidate.pk)]
    assert entry.person_id == cast.candidate.pk and entry.object_repr == "Priya Patel"
    assert entry.path == "/people/" and entry.ip == "203.0.113.9"
    assert trail_statements(context) <= 1  # PostgreSQL's COPY is not a captured query


def test_a_person_found_in_a_list_shows_on_their_trail(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    client.get(reverse("placements"))
    client.force_login(cast.manager)

    page = client.get(reverse("audit_trail"), {"person": cast.candidate.pk})

    entries = list(page.context["page_obj"])
    assert [(e.actor, e.path) for e in entries if e.action == "viewed"] == [
        (cast.owner, "/placements/")
    ]


def test_the_placements_list_records_each_placement_under_its_person(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.manager)

    client.get(reverse("placements"))

    entry = read_by(cast.manager)["placements.placement", str(cast.placement.pk)]
    assert entry.person_id == cast.candidate.pk
    assert entry.object_repr == str(cast.placement)


def test_search_results_record_the_people_found(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)

    client.get(reverse("search"), {"q": "Priya"})

    assert set(read_by(cast.owner)) == {("people.person", str(cast.candidate.pk))}


def test_a_page_that_shows_nobody_records_nothing(client: Client, cast: Cast) -> None:
    client.force_login(cast.outsider)

    client.get(reverse("people"))
    client.get(reverse("search"), {"q": "Priya"})

    assert not AuditEntry.objects.filter(action="viewed").exists()


def test_today_records_the_people_whose_calls_it_shows(client: Client, cast: Cast) -> None:
    Touchpoint.objects.create(
        person=cast.client_contact,
        placement=cast.placement,
        kind="call",
        title="Client check-in",
        due_on=timezone.localdate() - dt.timedelta(days=1),
        owner=cast.owner,
    )
    client.force_login(cast.owner)

    assert client.get(reverse("today")).status_code == 200

    read = read_by(cast.owner)
    assert ("people.person", str(cast.client_contact.pk)) in read
    assert read["people.person", str(cast.client_contact.pk)].object_repr == "Harry Hughes"


def test_api_lists_record_the_token_owner_reading_each_record(client: Client, cast: Cast) -> None:
    _, raw = ApiToken.issue(user=cast.manager)
    touchpoint = Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind="call",
        title="Week-one call",
        due_on=timezone.localdate(),
        owner=cast.owner,
    )
    for url in ("/api/v1/people", "/api/v1/placements", "/api/v1/touchpoints"):
        assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200

    read = read_by(cast.manager)
    assert {key for key in read if key[0] == "people.person"} == {
        ("people.person", str(p.pk)) for p in Person.objects.all()
    }
    assert read["placements.placement", str(cast.placement.pk)].person_id == cast.candidate.pk
    entry = read["care.touchpoint", str(touchpoint.pk)]
    assert entry.person_id == cast.candidate.pk and entry.path == "/api/v1/touchpoints"


def viewed_entries(user: User) -> list[tuple[str, str, str | None]]:
    return list(
        AuditEntry.objects.filter(action="viewed", actor=user)
        .order_by("at", "id")
        .values_list("object_id", "path", "ip")
    )


@pytest.mark.django_db(transaction=True)  # a page's own transactions, as in production
def test_going_back_to_a_list_within_the_hour_adds_nothing_to_the_trail(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.owner)
    client.get(reverse("people"), REMOTE_ADDR="203.0.113.9")
    first = viewed_entries(cast.owner)

    with CaptureQueriesContext(connection) as context:
        for _ in range(3):
            assert client.get(reverse("people"), REMOTE_ADDR="203.0.113.9").status_code == 200

    assert first and viewed_entries(cast.owner) == first
    assert trail_statements(context) == 0
    # Nor does it open a transaction for nothing: SQLite's BEGIN IMMEDIATE would take the
    # database's write lock.
    opened = [q["sql"] for q in context.captured_queries if q["sql"].startswith(("BEGIN", "SET"))]
    assert opened == []


def test_a_list_read_again_elsewhere_or_later_is_recorded_again(
    client: Client, cast: Cast, time_machine: TimeMachineFixture
) -> None:
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    client.force_login(cast.owner)
    client.get(reverse("people"), REMOTE_ADDR="203.0.113.9")
    once = len(viewed_entries(cast.owner))

    client.get(reverse("people"), {"q": "Patel"}, REMOTE_ADDR="203.0.113.9")  # another page
    client.get(reverse("people"), REMOTE_ADDR="198.51.100.7")  # from another address
    time_machine.move_to(start + dt.timedelta(minutes=61), tick=False)
    client.logout()  # an idle hour signs them out: they sign in again
    client.force_login(cast.owner)
    later = client.get(reverse("people"), REMOTE_ADDR="203.0.113.9")
    assert later.status_code == 200

    paths = [(path, ip) for object_id, path, ip in viewed_entries(cast.owner)
             if object_id == str(cast.candidate.pk)]  # fmt: skip
    assert paths == [
        ("/people/", "203.0.113.9"),
        ("/people/?q=Patel", "203.0.113.9"),
        ("/people/", "198.51.100.7"),
        ("/people/", "203.0.113.9"),
    ]
    assert len(viewed_entries(cast.owner)) > once


def test_someone_else_reading_the_same_list_is_recorded(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    client.get(reverse("placements"))
    client.force_login(cast.manager)
    client.get(reverse("placements"))

    readers = AuditEntry.objects.filter(
        action="viewed", object_type="placements.placement", object_id=str(cast.placement.pk)
    ).values_list("actor", flat=True)
    assert sorted(readers) == sorted([cast.owner.pk, cast.manager.pk])


def test_a_persons_own_page_is_recorded_every_time_it_is_opened(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    for _ in range(2):
        assert client.get(reverse("person", args=[cast.candidate.pk])).status_code == 200

    opened = AuditEntry.objects.filter(
        action="viewed", actor=cast.owner, path=f"/people/{cast.candidate.pk}/"
    )
    assert opened.count() == 2
