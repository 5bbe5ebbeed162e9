"""Erasure on request: the person is gone everywhere, the agency's books stay."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from keepwarm.audit.models import AuditEntry
from keepwarm.care.models import Touchpoint
from keepwarm.conftest import Cast
from keepwarm.mail.models import OutboxMessage, OutboxTemplate, Suppression, email_hash
from keepwarm.mail.suppressions import is_suppressed
from keepwarm.people.models import Note, Person
from keepwarm.placements.models import Placement
from keepwarm.privacy.erasure import ErasureRefused, erase_person
from keepwarm.privacy.export import gather

pytestmark = pytest.mark.django_db

PII = ("Priya", "Patel", "priya@example.net", "07700 900123", "Loves the new team")


def _everything_in_the_database() -> str:
    """Every row of every table, as text: where a forgotten copy would hide."""
    out = io.StringIO()
    call_command("dumpdata", "--all", stdout=out)
    return out.getvalue()


def _seed(cast: Cast) -> None:
    Note.objects.create(person=cast.candidate, author=cast.owner, text="Loves the new team")
    Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        owner=cast.owner,
        kind="call",
        title="Call Priya Patel",
        due_on=cast.placement.start_date,
        notes="Priya said the commute is long",
    )
    cast.candidate.headline = "Account manager, Priya P."
    cast.candidate.save()


def test_after_erasure_no_personal_value_is_left_anywhere(client: Client, cast: Cast) -> None:
    _seed(cast)
    client.force_login(cast.manager)
    client.get(reverse("person", args=[cast.candidate.pk]))  # a view on the trail, by name

    erase_person(cast.candidate, by=cast.manager, reason="Asked by email")

    dump = _everything_in_the_database()
    for value in PII:
        assert value not in dump, value
    assert "commute" not in dump


def test_a_newsletter_copy_is_exported_as_sent_and_erased_with_its_values(cast: Cast) -> None:
    # A newsletter copy keeps the shared body and only its own values.
    template = OutboxTemplate.objects.create(
        key="newsletter:1:abc", body_text="Hi %%KW_FIRST_NAME%%, June news.", fields=["first_name"]
    )
    values = {"to_email": "priya@example.net", "subject": "June news", "body_text": ""}
    copy = OutboxMessage.objects.create(
        key="newsletter:1:1", person=cast.candidate, template=template,
        fills={"first_name": "Priya"}, send_after=cast.placement.created_at, **values,
    )  # fmt: skip
    records = gather(cast.candidate).sections["mail.outboxmessage"].records
    assert [r["body text"] for r in records] == ["Hi Priya, June news."]

    erase_person(cast.candidate, by=cast.manager, reason="Asked")

    assert "Priya" not in _everything_in_the_database()
    copy.refresh_from_db()
    assert copy.text == "Hi , June news."  # the issue's own words are nobody's data
    assert OutboxTemplate.objects.get().body_text == "Hi %%KW_FIRST_NAME%%, June news."


def test_the_agencys_financial_records_stay_under_a_pseudonym(cast: Cast) -> None:
    erase_person(cast.candidate, by=cast.manager, reason="Asked")

    person = Person.objects.get(pk=cast.candidate.pk)
    assert person.full_name == f"Erased #{person.pk}" and person.erased_at is not None
    placement = Placement.objects.get(pk=cast.placement.pk)
    assert placement.fee == Decimal("7600") and placement.person_id == person.pk
    assert placement.role_title == "Account Manager"


def test_planned_calls_stop_and_waiting_emails_are_cancelled(cast: Cast) -> None:
    _seed(cast)
    OutboxMessage.objects.create(
        key="checkin-1",
        person=cast.candidate,
        to_email="priya@example.net",
        subject="How is week one, Priya?",
        body_text="Hi Priya",
        send_after=cast.placement.created_at,
    )

    result = erase_person(cast.candidate, by=cast.manager, reason="Asked")

    assert result.calls_cancelled == 1 and result.emails_cancelled == 1
    assert not Touchpoint.objects.filter(person=cast.candidate, state="planned").exists()
    assert OutboxMessage.objects.get(key="checkin-1").state == "cancelled"


def test_the_erased_address_stays_suppressed_by_hash_only(cast: Cast) -> None:
    erase_person(cast.candidate, by=cast.manager, reason="Asked")

    assert is_suppressed("Priya@Example.net", purpose="service")
    row = Suppression.objects.get(reason="erasure")
    assert row.email == "" and row.email_hash == email_hash("priya@example.net")


def test_the_trail_records_the_erasure_without_the_name(cast: Cast) -> None:
    erase_person(cast.candidate, by=cast.manager, reason="Asked")

    entries = AuditEntry.objects.filter(person_id=cast.candidate.pk)
    assert entries.filter(action="erased").exists()
    assert all("Priya" not in e.object_repr for e in entries)
    assert all("Priya" not in json.dumps(e.changes) for e in entries)


def test_erasing_twice_is_refused(cast: Cast) -> None:
    erase_person(cast.candidate, by=cast.manager, reason="Asked")

    with pytest.raises(ErasureRefused):
        erase_person(Person.objects.get(pk=cast.candidate.pk), by=cast.manager, reason="Again")


def test_a_manager_erases_from_the_person_page_after_typing_the_name(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.manager)
    url = reverse("erase_person", args=[cast.candidate.pk])
    assert "cannot be undone" in client.get(url).content.decode()

    wrong = client.post(url, {"reason": "Asked", "confirm_name": "Priya Smith"})
    assert "not the name on this record" in wrong.content.decode()
    assert Person.objects.get(pk=cast.candidate.pk).erased_at is None

    done = client.post(url, {"reason": "Asked", "confirm_name": "priya  patel"})
    assert done.status_code == 302
    assert Person.objects.get(pk=cast.candidate.pk).erased_at is not None


def test_consultants_cannot_erase(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)

    response = client.post(
        reverse("erase_person", args=[cast.candidate.pk]),
        {"reason": "x", "confirm_name": "Priya Patel"},
    )

    assert response.status_code == 403
    assert Person.objects.get(pk=cast.candidate.pk).erased_at is None


@pytest.mark.django_db(transaction=True)
def test_a_restore_of_an_older_backup_re_applies_later_erasures(
    cast: Cast, tmp_path: Path, settings: Any
) -> None:
    archive = tmp_path / "before.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    erase_person(cast.candidate, by=cast.manager, reason="Asked")

    out = io.StringIO()
    call_command("restore", str(archive), "--yes", stdout=out)

    assert "Re-applied 1 erasure" in out.getvalue()
    assert Person.objects.get(pk=cast.candidate.pk).erased_at is not None
    assert not Person.objects.filter(first_name="Priya").exists()
