"""People whose details came from elsewhere are told within a month, and it is recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from keepwarm.conftest import Cast
from keepwarm.lib.dates import local_time
from keepwarm.mail.models import OutboxMessage
from keepwarm.people.models import Person
from keepwarm.worker.tick import tick

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 26)


def _sourced(**extra: object) -> Person:
    fields: dict[str, object] = {
        "first_name": "Sam",
        "last_name": "Sourced",
        "email": "sam@example.org",
        "source": Person.Source.SOURCED,
        "source_detail": "CV-Library search",
        "obtained_on": DAY,
    }
    fields.update(extra)
    return Person.objects.create(**fields)


def test_the_worker_emails_a_sourced_person_a_privacy_notice_once(cast: Cast) -> None:
    sam = _sourced(owner=cast.owner)
    morning = local_time(DAY, 10)

    tick(now=morning)
    tick(now=morning + dt.timedelta(hours=1))
    tick(now=local_time(DAY + dt.timedelta(days=1), 10))

    notices = OutboxMessage.objects.filter(key__startswith="privacy-notice:")
    assert notices.count() == 1
    notice = notices.get()
    assert notice.person == sam and notice.purpose == "service"
    assert "CV-Library search" in notice.body_text
    assert "erase" in notice.body_text and "ico.org.uk" in notice.body_text
    sam.refresh_from_db()
    assert sam.privacy_notice_sent_at is not None


def test_people_who_gave_their_own_details_get_no_notice(cast: Cast) -> None:
    _sourced(source=Person.Source.APPLIED)

    tick(now=local_time(DAY, 10))

    assert not OutboxMessage.objects.filter(key__startswith="privacy-notice:").exists()


def test_someone_without_email_is_listed_for_a_notice_by_hand(client: Client, cast: Cast) -> None:
    nomail = _sourced(email="", first_name="Nia", phone="07700 900777")
    tick(now=local_time(DAY, 10))
    client.force_login(cast.manager)

    page = client.get(reverse("access_requests")).content.decode()
    assert "Nia Sourced" in page and "26 Dec 2026" in page

    client.post(reverse("privacy_notice_given", args=[nomail.pk]))
    nomail.refresh_from_db()
    assert nomail.privacy_notice_sent_at is not None
    assert (
        "Nobody is waiting for a notice" in client.get(reverse("access_requests")).content.decode()
    )


def test_recording_a_notice_by_hand_needs_a_post(client: Client, cast: Cast) -> None:
    nomail = _sourced(email="")
    client.force_login(cast.manager)

    assert client.get(reverse("privacy_notice_given", args=[nomail.pk])).status_code == 405
    nomail.refresh_from_db()
    assert nomail.privacy_notice_sent_at is None
