"""One-click unsubscribe (RFC 8058): a cookieless POST unsubscribes at once, GET never does."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import signing
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from keepwarm.conftest import Cast
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.services.consent import may_market_to, record_consent
from keepwarm.mail.services.outbox import queue_email
from keepwarm.mail.unsubscribe import (
    LINK_DAYS,
    UNSUBSCRIBE_SALT,
    BadLink,
    ExpiredLink,
    list_unsubscribe_headers,
    open_unsubscribe_token,
    unsubscribe_token,
    unsubscribe_url,
)
from keepwarm.people.models import Consent, Person

TODAY = dt.date(2026, 5, 1)


@pytest.fixture
def subscribed(cast: Cast) -> Person:
    record_consent(
        person=cast.candidate,
        basis=Consent.Basis.SOFT_OPT_IN,
        subscriber_type=Consent.SubscriberType.INDIVIDUAL,
        method="Placed at Acme; opt-out offered",
    )
    return cast.candidate


def _path(person: Person) -> str:
    return unsubscribe_url(person=person, purpose="newsletter").removeprefix(
        "http://127.0.0.1:8000"
    )


def test_one_click_post_without_cookie_or_csrf_unsubscribes_with_200(subscribed: Person) -> None:
    client = Client(enforce_csrf_checks=True)  # as a mailbox provider: no cookie, no token

    response = client.post(
        _path(subscribed),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200  # not a redirect: providers do not follow one
    assert not response.cookies
    assert not may_market_to(subscribed, today=TODAY)
    consent = Consent.objects.get(person=subscribed)
    assert consent.withdrawn_how == "Unsubscribe link"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"


def test_the_header_url_is_the_one_that_works(subscribed: Person) -> None:
    header = list_unsubscribe_headers(person=subscribed, purpose="newsletter")["List-Unsubscribe"]
    path = header.strip("<>").removeprefix("http://127.0.0.1:8000")

    Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})

    assert not may_market_to(subscribed, today=TODAY)


def test_get_shows_a_button_and_never_unsubscribes(subscribed: Person) -> None:
    client = Client()
    for _ in range(3):  # a mail scanner, a link preview, the person
        response = client.get(_path(subscribed))
        assert response.status_code == 200
        assert b'<form method="post"' in response.content
        assert b"Unsubscribe</button>" in response.content
    assert client.head(_path(subscribed)).status_code == 200
    assert may_market_to(subscribed, today=TODAY)


def test_unsubscribing_twice_is_calm(subscribed: Person) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post(_path(subscribed)).status_code == 200
    assert client.post(_path(subscribed)).status_code == 200
    assert Consent.objects.filter(person=subscribed, withdrawn_at__isnull=True).count() == 0


def test_the_issue_that_carried_the_link_counts_the_unsubscribe(subscribed: Person) -> None:
    message = queue_email(
        key="newsletter:1:1",
        to_email=subscribed.email,
        subject="News",
        body_text="News",
        from_email="news@agency.example",
        send_after=dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
        person=subscribed,
        purpose="marketing",
    )
    assert message is not None

    Client().post(_path(subscribed))

    message.refresh_from_db()
    assert message.outcome == OutboxMessage.Outcome.UNSUBSCRIBED


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        "x" * 400,
        "eyJwIjoxLCJ1IjoibmV3c2xldHRlciJ9:1xWYKU:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        signing.TimestampSigner(salt="keepwarm.preferences").sign_object({"p": 1, "u": "n"}),
        signing.TimestampSigner(salt=UNSUBSCRIBE_SALT).sign_object(["not", "a", "dict"]),
        signing.TimestampSigner(salt=UNSUBSCRIBE_SALT).sign_object({"p": "1", "u": "n"}),
    ],
)
def test_a_tampered_link_gets_a_clear_400_and_changes_nothing(
    subscribed: Person, token: str
) -> None:
    for method in ("get", "post"):
        response = getattr(Client(), method)(f"/u/{token}/")
        assert response.status_code == 400
        assert b"This link does not work" in response.content
    assert may_market_to(subscribed, today=TODAY)


def test_an_expired_link_gets_410(subscribed: Person) -> None:
    sent = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    with time_machine.travel(sent, tick=False):
        token = unsubscribe_token(person=subscribed, purpose="newsletter")
    with time_machine.travel(sent + dt.timedelta(days=LINK_DAYS - 1), tick=False):
        assert Client().get(f"/u/{token}/").status_code == 200  # still works after a year
    with time_machine.travel(sent + dt.timedelta(days=LINK_DAYS + 1), tick=False):
        response = Client().post(f"/u/{token}/")
    assert response.status_code == 410
    assert may_market_to(subscribed, today=TODAY)


def test_a_link_for_an_erased_person_says_there_is_nothing_to_do(cast: Cast) -> None:
    ghost = Person.objects.create(first_name="Gone", last_name="Away", email="gone@x.example")
    path = _path(ghost)
    ghost.delete()
    assert Client().post(path).status_code == 200


def test_other_methods_are_refused(subscribed: Person) -> None:
    assert Client().put(_path(subscribed)).status_code == 405


@settings(max_examples=50, deadline=None)
@given(
    person_id=st.integers(min_value=1, max_value=2**53),
    purpose=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", max_size=30),
)
def test_unsubscribe_token_round_trips(person_id: int, purpose: str) -> None:
    token = unsubscribe_token(person=Person(pk=person_id), purpose=purpose)
    link = open_unsubscribe_token(token)
    assert (link.person_id, link.purpose) == (person_id, purpose)


@settings(max_examples=50, deadline=None)
@given(person_id=st.integers(min_value=1, max_value=2**31), flip=st.integers(min_value=0))
def test_any_changed_character_breaks_the_token(person_id: int, flip: int) -> None:
    token = unsubscribe_token(person=Person(pk=person_id), purpose="newsletter")
    index = flip % len(token)
    changed = token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]
    with pytest.raises(BadLink):
        open_unsubscribe_token(changed)


def test_expired_is_its_own_problem() -> None:
    assert issubclass(ExpiredLink, BadLink) and ExpiredLink.status == 410
