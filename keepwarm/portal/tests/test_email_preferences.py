"""The preference page from a signed link: frequency, topics, pause, leave everything."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from keepwarm.conftest import Cast
from keepwarm.mail.services.consent import may_market_to, record_consent
from keepwarm.mail.unsubscribe import preferences_url
from keepwarm.people.models import Consent, Person


@pytest.fixture
def subscribed(cast: Cast) -> Person:
    record_consent(
        person=cast.candidate,
        basis=Consent.Basis.CONSENT,
        subscriber_type=Consent.SubscriberType.INDIVIDUAL,
        method="Signup form",
        wording="Yes please",
        wording_version="t-1",
    )
    return cast.candidate


def _path(person: Person) -> str:
    return preferences_url(person=person).removeprefix("http://127.0.0.1:8000")


def test_preferences_page_shows_current_choices(subscribed: Person) -> None:
    response = Client().get(_path(subscribed))
    assert response.status_code == 200
    assert b"Your email preferences" in response.content
    checked = re.findall(
        r'<input type="(?:radio|checkbox)"[^>]*value="(\w+)"[^>]*checked', response.text
    )
    assert checked == ["monthly"]  # monthly, and no topic ticked (= every topic)
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"


def test_changing_frequency_topics_and_pausing(subscribed: Person) -> None:
    today = timezone.localdate()
    until = today + dt.timedelta(days=30)
    response = Client(enforce_csrf_checks=True).post(
        _path(subscribed),
        {
            "action": "save",
            "frequency": "weekly",
            "topics": ["courses", "forecasts"],
            "paused_until": until.isoformat(),
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get(person=subscribed)
    assert consent.frequency == "weekly"
    assert consent.topics == ["courses", "forecasts"]
    assert consent.paused_until == until
    assert not may_market_to(subscribed, today=today)
    assert may_market_to(subscribed, today=until)
    page = Client().get(response["Location"])
    assert b"Saved." in page.content


def test_a_pause_beyond_a_year_is_refused(subscribed: Person) -> None:
    far = timezone.localdate() + dt.timedelta(days=500)
    response = Client().post(
        _path(subscribed), {"action": "save", "frequency": "weekly", "paused_until": far}
    )
    assert response.status_code == 200
    assert b"within a year" in response.content
    assert Consent.objects.get(person=subscribed).paused_until is None


def test_leave_everything_withdraws_all_marketing(subscribed: Person) -> None:
    response = Client(enforce_csrf_checks=True).post(_path(subscribed), {"action": "leave"})
    assert response.status_code == 200
    assert b"You are unsubscribed" in response.content
    assert not may_market_to(subscribed, today=timezone.localdate())
    assert Consent.objects.get(person=subscribed).withdrawn_at is not None


def test_not_subscribed_person_is_told_so(cast: Cast) -> None:
    response = Client().get(_path(cast.client_contact))
    assert response.status_code == 200
    assert b"You are not subscribed" in response.content


@pytest.mark.django_db
def test_tampered_preferences_link_is_400() -> None:
    assert Client().get("/email-preferences/abc/").status_code == 400
