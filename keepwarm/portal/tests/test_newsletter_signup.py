"""Public sign-up with double opt-in: nothing counts until a POST from the emailed link."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client

from keepwarm.conftest import Cast
from keepwarm.mail.models import OutboxMessage, Suppression
from keepwarm.mail.services.consent import may_market_to
from keepwarm.mail.suppressions import suppress
from keepwarm.people.models import Consent, Person
from keepwarm.portal import services
from keepwarm.portal.views import SIGNUPS_PER_ADDRESS, SIGNUPS_PER_CONNECTION

FORM = {
    "name": "Nadia Newcomer",
    "email": "nadia@example.org",
    "frequency": "weekly",
    "topics": ["cv_tips", "open_roles"],
    "website": "",
}


def _confirm_path() -> str:
    message = OutboxMessage.objects.get(key__startswith="signup:")
    match = re.search(r"http://127\.0\.0\.1:8000(/subscribe/confirm/\S+/)", message.body_text)
    assert match, message.body_text
    return match.group(1)


@pytest.mark.django_db
def test_signup_page_works_without_login_and_keeps_nothing() -> None:
    response = Client().get("/subscribe/")
    assert response.status_code == 200
    assert b"Sign up for our newsletter" in response.content
    assert b"Training and certification courses" in response.content
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert b'name="viewport"' in response.content
    assert b"<script" not in response.content
    assert b"https://" not in response.content  # no third-party assets


@pytest.mark.django_db
def test_signing_up_emails_a_confirmation_and_records_no_consent() -> None:
    response = Client(enforce_csrf_checks=True).post("/subscribe/", FORM)

    assert response.status_code == 302
    assert response["Location"] == "/subscribe/?sent=1"
    message = OutboxMessage.objects.get()
    assert message.to_email == "nadia@example.org"
    assert message.purpose == OutboxMessage.Purpose.SERVICE
    assert "confirm" in message.subject.lower()
    assert not Consent.objects.exists()
    assert not Person.objects.exists()
    assert b"Check your inbox" in Client().get("/subscribe/?sent=1").content


@pytest.mark.django_db
def test_confirm_link_get_shows_a_button_and_post_confirms() -> None:
    Client().post("/subscribe/", FORM)
    path = _confirm_path()

    for _ in range(2):  # a mail scanner opens it first
        page = Client().get(path)
        assert page.status_code == 200
        assert b"Confirm</button>" in page.content
        assert page["Referrer-Policy"] == "no-referrer"
    assert not Consent.objects.exists()

    done = Client(enforce_csrf_checks=True).post(path)

    assert done.status_code == 200
    assert b"You are subscribed" in done.content
    consent = Consent.objects.get()
    person = consent.person
    assert (person.first_name, person.last_name, person.email) == (
        "Nadia",
        "Newcomer",
        "nadia@example.org",
    )
    assert consent.basis == Consent.Basis.CONSENT
    assert consent.frequency == "weekly"
    assert consent.topics == ["cv_tips", "open_roles"]
    assert consent.wording == services.SIGNUP_WORDING
    assert consent.wording_version == services.SIGNUP_WORDING_VERSION
    assert "confirmed" in consent.method
    assert may_market_to(person, today=dt.date.today())


@pytest.mark.django_db
def test_confirming_twice_records_one_consent() -> None:
    Client().post("/subscribe/", FORM)
    path = _confirm_path()
    Client().post(path)
    Client().post(path)
    assert Consent.objects.count() == 1


def test_confirming_attaches_to_the_person_the_agency_knows(cast: Cast) -> None:
    Client().post("/subscribe/", {**FORM, "email": "PRIYA@example.net"})
    Client().post(_confirm_path())
    assert Consent.objects.get().person == cast.candidate
    assert Person.objects.filter(email__iexact="priya@example.net").count() == 1


def test_a_fresh_confirmation_clears_an_old_complaint(cast: Cast) -> None:
    suppress(cast.candidate.email, reason=Suppression.Reason.COMPLAINT)
    Client().post("/subscribe/", {**FORM, "email": cast.candidate.email})
    Client().post(_confirm_path())
    assert not Suppression.objects.exists()
    assert may_market_to(cast.candidate, today=dt.date.today())


@pytest.mark.django_db
def test_an_expired_confirmation_link_gets_410() -> None:
    asked = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    with time_machine.travel(asked, tick=False):
        Client().post("/subscribe/", FORM)
    path = _confirm_path()
    with time_machine.travel(asked + dt.timedelta(days=services.CONFIRM_DAYS + 1), tick=False):
        assert Client().get(path).status_code == 410
        assert Client().post(path).status_code == 410
    assert not Consent.objects.exists()


@pytest.mark.django_db
def test_a_tampered_confirmation_link_gets_400() -> None:
    Client().post("/subscribe/", FORM)
    path = _confirm_path()
    token = path.split("/")[-2]
    changed = path.replace(token, token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB"))
    response = Client().post(changed)
    assert response.status_code == 400
    assert b"This link does not work" in response.content
    assert Client().post("/subscribe/confirm/x/").status_code == 400
    assert not Consent.objects.exists()


@pytest.mark.django_db
def test_bad_form_is_shown_again_with_errors() -> None:
    response = Client().post("/subscribe/", {**FORM, "email": "not an address"})
    assert response.status_code == 400
    assert b"errorlist" in response.content
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_the_honeypot_sends_nothing() -> None:
    response = Client().post("/subscribe/", {**FORM, "website": "http://spam.example"})
    assert response.status_code == 302
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_signups_for_one_address_are_rate_limited() -> None:
    client = Client()
    moment = dt.datetime(2026, 3, 1, 12, 0, 1, tzinfo=dt.UTC)
    for second in range(SIGNUPS_PER_ADDRESS):
        with time_machine.travel(moment + dt.timedelta(seconds=second), tick=False):
            assert client.post("/subscribe/", FORM).status_code == 302
    with time_machine.travel(moment + dt.timedelta(seconds=10), tick=False):
        response = client.post("/subscribe/", FORM)
    assert response.status_code == 429
    assert response["Retry-After"] == "600"
    assert OutboxMessage.objects.count() == SIGNUPS_PER_ADDRESS


@pytest.mark.django_db
def test_behind_a_proxy_many_people_signing_up_are_counted_apart(settings: Any) -> None:
    settings.KEEPWARM_PROXY_COUNT = 1
    statuses = [
        Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        .post("/subscribe/", {**FORM, "email": f"reader{n}@example.org"})
        .status_code
        for n in range(SIGNUPS_PER_CONNECTION + 10)
    ]
    assert statuses == [302] * (SIGNUPS_PER_CONNECTION + 10)


def test_a_confirmation_link_cannot_resubscribe_someone_who_left_after_it_was_sent(
    cast: Cast,
) -> None:
    asked = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    with time_machine.travel(asked, tick=False):
        Client().post("/subscribe/", {**FORM, "email": cast.candidate.email})
    path = _confirm_path()
    with time_machine.travel(asked + dt.timedelta(hours=1), tick=False):
        Client().post(path)  # confirmed: subscribed
        services.unsubscribe(person=cast.candidate, purpose=None, how="Unsubscribe link")

    with time_machine.travel(asked + dt.timedelta(hours=2), tick=False):
        shown = Client().get(path)
        confirmed_again = Client().post(path)

    for response in (shown, confirmed_again):
        assert response.status_code == 409
        page = response.content.decode()
        assert "You left after this link was sent" in page
        assert "you stay unsubscribed" in page
        assert "Confirm</button>" not in page
    assert not Consent.objects.filter(withdrawn_at__isnull=True).exists()
    assert not may_market_to(cast.candidate, today=dt.date(2026, 3, 1))


@pytest.mark.django_db
def test_a_confirmation_link_cannot_undo_a_complaint_made_after_it_was_sent() -> None:
    asked = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    with time_machine.travel(asked, tick=False):
        Client().post("/subscribe/", FORM)
    with time_machine.travel(asked + dt.timedelta(hours=1), tick=False):
        suppress(FORM["email"], reason=Suppression.Reason.COMPLAINT)  # type: ignore[arg-type]
        response = Client().post(_confirm_path())

    assert response.status_code == 409
    assert not Consent.objects.exists()
    assert Suppression.objects.filter(reason=Suppression.Reason.COMPLAINT).exists()


def test_signing_up_again_after_leaving_works_from_the_new_link(cast: Cast) -> None:
    services.unsubscribe(person=cast.candidate, purpose=None, how="Unsubscribe link")
    Client().post("/subscribe/", {**FORM, "email": cast.candidate.email})

    response = Client().post(_confirm_path())

    assert response.status_code == 200
    assert may_market_to(cast.candidate, today=dt.date.today())
