"""The audit trail names what each entry is about as a person would, never by table name."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keepwarm.audit.models import AuditEntry
from keepwarm.audit.recording import Entry, brief_label, record_entries, record_read
from keepwarm.conftest import Cast
from keepwarm.people.models import Person
from keepwarm.privacy.erasure import erase_person

pytestmark = pytest.mark.django_db


def trail(client: Client, cast: Cast, **params: str | int) -> str:
    client.force_login(cast.manager)
    return client.get(reverse("audit_trail"), params).content.decode()


def test_entries_name_the_record_not_its_table(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    client.get(reverse("person", args=[cast.candidate.pk]))
    # A list page names its rows by number only (brief_label): the trail still names them.
    record_read([cast.client_contact], label=brief_label)

    page = trail(client, cast)

    assert "Person: Priya Patel" in page
    assert "Person: Harry Hughes" in page
    assert "people.person" not in page


def test_the_trail_names_a_page_of_entries_in_one_query(client: Client, cast: Cast) -> None:
    people = [Person(first_name=f"P{i}", last_name="Lee", owner=cast.owner) for i in range(30)]
    Person.objects.bulk_create(people)
    record_entries(
        AuditEntry.Action.VIEWED,
        (Entry("people.person", p.pk, f"person #{p.pk}", p.pk) for p in Person.objects.all()),
    )
    client.force_login(cast.manager)
    client.get(reverse("audit_trail"))  # sessions and the like settle first

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("audit_trail"))
    record_entries(
        AuditEntry.Action.VIEWED,
        (Entry("people.person", p.pk, f"person #{p.pk}", p.pk) for p in Person.objects.all()),
    )
    with CaptureQueriesContext(connection) as more:
        page = client.get(reverse("audit_trail")).content.decode()

    assert len(more.captured_queries) == len(few.captured_queries)
    assert "Person: P7 Lee" in page


def test_an_erased_person_is_not_named_again(client: Client, cast: Cast) -> None:
    someone = Person.objects.create(first_name="Amelia", last_name="Jones", owner=cast.owner)
    client.force_login(cast.owner)
    client.get(reverse("person", args=[someone.pk]))
    record_read([someone], label=brief_label)
    erase_person(someone, by=cast.admin, reason="Asked by email")

    page = trail(client, cast, person=someone.pk)

    assert "Amelia" not in page and "Jones" not in page
    assert "Erased person" in page
