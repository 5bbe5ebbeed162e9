"""Sign-in links to the personal page: asked for by address, signed, short-lived, single
use, confirmed by POST; the session they open is the outsider's alone."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keepwarm.conftest import Cast
from keepwarm.mail.models import OutboxMessage
from keepwarm.people.links import SALT
from keepwarm.people.models import Person
from keepwarm.portal.models import PortalSession, UsedLink
from keepwarm.portal.signin import COOKIE, LinkProblem, open_link, person_of_old_link
from keepwarm.portal.tests.conftest import link_path, sign_in
from keepwarm.portal.views_personal import LINKS_PER_ADDRESS, LINKS_PER_CONNECTION

SIGN_IN = "/me/sign-in/"


def _emailed_link(to: str) -> str:
    message = OutboxMessage.objects.get(to_email=to)
    found = re.search(r"https?://\S+(/me/link/\S+/)", message.body_text)
    assert found, message.body_text
    return found.group(1)


def test_asking_for_a_link_emails_a_known_outsider_and_answers_the_same_for_anyone(
    client: Client, cast: Cast
) -> None:
    known = client.post(SIGN_IN, {"email": "PRIYA@example.net"})
    unknown = client.post(SIGN_IN, {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == SIGN_IN + "?sent=1"
    assert client.get(known["Location"]).text == client.get(unknown["Location"]).text
    message = OutboxMessage.objects.get()
    assert message.to_email == "priya@example.net"
    assert "works once, for the next 15 minutes" in message.body_text
    assert message.purpose == OutboxMessage.Purpose.SERVICE


def test_someone_who_was_never_placed_or_a_client_gets_no_link(client: Client, cast: Cast) -> None:
    Person.objects.create(first_name="Cara", last_name="Cand", email="cara@example.net")
    assert client.post(SIGN_IN, {"email": "cara@example.net"}).status_code == 302
    assert not OutboxMessage.objects.exists()


def test_opening_the_emailed_link_shows_a_button_and_changes_nothing(
    client: Client, cast: Cast
) -> None:
    client.post(SIGN_IN, {"email": "priya@example.net"})
    path = _emailed_link("priya@example.net")
    for _ in range(3):  # a mail scanner, a preview, the person
        page = client.get(path)
        assert page.status_code == 200
        assert "Open my page" in page.text
        assert page["Referrer-Policy"] == "no-referrer"
        assert page["Cache-Control"] == "no-store"
    assert COOKIE not in client.cookies
    assert not UsedLink.objects.exists()
    assert not PortalSession.objects.exists()
    assert client.get("/me/").status_code == 302


def test_the_button_signs_in_and_the_page_shows_the_consultant(client: Client, cast: Cast) -> None:
    cast.owner.phone = "0113 496 0000"
    cast.owner.available_hours = "Mon–Fri 8:30–18:00"
    cast.owner.save()
    client.post(SIGN_IN, {"email": "priya@example.net"})
    opened = client.post(_emailed_link("priya@example.net"))
    assert opened.status_code == 302 and opened["Location"] == "/me/"
    cookie = opened.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    page = client.get("/me/")
    assert page.status_code == 200
    assert "Hello Priya" in page.text
    assert "Olivia Owner" in page.text
    assert 'href="tel:01134960000"' in page.text
    assert "mailto:olivia_owner@agency.example" in page.text
    assert "Available Mon–Fri 8:30–18:00" in page.text
    assert "Something not right at work?" in page.text


def test_a_replayed_link_does_not_sign_in_again(cast: Cast) -> None:
    path = link_path(cast.candidate)
    first, second = Client(), Client()
    assert first.post(path).status_code == 302
    again = second.post(path)
    assert again.status_code == 410
    assert "already been used" in again.text
    assert COOKIE not in second.cookies or not second.cookies[COOKIE].value
    assert second.get("/me/").status_code == 302
    assert PortalSession.objects.count() == 1
    # Opening it again afterwards shows the same, and offers a fresh link by email.
    shown = second.get(path)
    assert shown.status_code == 410
    assert "Email me a new link" in shown.text


def test_a_tampered_link_is_refused_and_offers_no_resend(client: Client, cast: Cast) -> None:
    path = link_path(cast.candidate)
    token = path.split("/")[3]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for method in (client.get, client.post):
        page = method(reverse("portal_link", args=[tampered]))
        assert page.status_code == 400
        assert "This link does not work" in page.text
        assert "Email me a new link" not in page.text
    resend = client.post(reverse("portal_link", args=[tampered]), {"action": "resend"})
    assert resend.status_code == 400
    assert not PortalSession.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_token_for_another_purpose_or_person_is_refused(client: Client, cast: Cast) -> None:
    payload = {"p": cast.candidate.pk, "n": "abc", "k": "signin"}
    for salt in ("keepwarm.unsubscribe", "keepwarm.questionnaire", "django.core.signing"):
        token = signing.TimestampSigner(salt=salt).sign_object(payload)
        assert client.get(reverse("portal_link", args=[token])).status_code == 400
    # Signed right, but for somebody without a personal page (a consultant's lead, say).
    stranger = Person.objects.create(first_name="Stan", last_name="Ger")
    token = signing.TimestampSigner(salt=SALT).sign_object({**payload, "p": stranger.pk})
    assert client.post(reverse("portal_link", args=[token])).status_code == 400
    odd = signing.TimestampSigner(salt=SALT).sign_object({**payload, "k": "forever"})
    assert client.get(reverse("portal_link", args=[odd])).status_code == 400
    assert not PortalSession.objects.exists()


def test_a_sign_in_link_expires_in_minutes_and_can_be_renewed(client: Client, cast: Cast) -> None:
    path = link_path(cast.candidate)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16), tick=False):
        assert client.get(path).status_code == 410
        page = client.post(path)
        assert page.status_code == 410
        assert "This link has expired" in page.text
        assert not PortalSession.objects.exists()
        renewed = client.post(path, {"action": "resend"})
    assert renewed.status_code == 302
    # The new link goes to the address on the record.
    assert OutboxMessage.objects.get().to_email == "priya@example.net"


def test_the_minutes_are_configurable(client: Client, cast: Cast, settings: Any) -> None:
    settings.KEEPWARM_PORTAL_LINK_MINUTES = 60
    path = link_path(cast.candidate)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=45), tick=False):
        assert client.get(path).status_code == 200


def test_the_link_in_a_check_in_email_works_for_days_then_expires(cast: Cast) -> None:
    path = link_path(cast.candidate, kind="email")
    with time_machine.travel(timezone.now() + dt.timedelta(days=3), tick=False):
        assert Client().get(path).status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=31), tick=False):
        assert Client().post(path).status_code == 410


def test_signing_out_ends_the_session_on_the_server(client: Client, cast: Cast) -> None:
    sign_in(client, cast.candidate)
    raw = client.cookies[COOKIE].value
    assert client.get("/me/").status_code == 200
    out = client.post("/me/sign-out/")
    assert out.status_code == 302
    assert client.get("/me/").status_code == 302
    # The old cookie, kept by someone, opens nothing either.
    stolen = Client()
    stolen.cookies[COOKIE] = raw
    assert stolen.get("/me/").status_code == 302
    assert PortalSession.objects.get().ended_at is not None


def test_a_session_ends_after_the_configured_hours(client: Client, cast: Cast) -> None:
    sign_in(client, cast.candidate)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=13), tick=False):
        assert client.get("/me/").status_code == 302


def test_an_outsider_session_opens_no_staff_page_and_staff_have_no_personal_page(
    client: Client, cast: Cast
) -> None:
    sign_in(client, cast.candidate)
    for staff_page in ("/", "/people/", f"/people/{cast.candidate.pk}/"):
        response = client.get(staff_page)
        assert response.status_code == 302 and "/login/" in response["Location"]
    staff = Client()
    staff.force_login(cast.owner)
    assert staff.get("/me/").status_code == 302


def test_sign_in_requests_are_rate_limited_per_address(client: Client, cast: Cast) -> None:
    for _ in range(LINKS_PER_ADDRESS):
        assert client.post(SIGN_IN, {"email": "priya@example.net"}).status_code == 302
    refused = client.post(SIGN_IN, {"email": "priya@example.net"})
    assert refused.status_code == 429
    assert refused["Retry-After"] == "600"
    assert OutboxMessage.objects.count() == LINKS_PER_ADDRESS


def test_a_bad_address_keeps_what_was_typed_and_says_why(client: Client, db: None) -> None:
    page = client.post(SIGN_IN, {"email": "priya-at-example"})
    assert page.status_code == 400
    assert 'value="priya-at-example"' in page.text
    assert "Enter a valid email address" in page.text


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    person_id=st.integers(min_value=1, max_value=2**62),
    position=st.integers(min_value=0),
    replacement=st.characters(codec="ascii", categories=["L", "N"]),
)
@pytest.mark.django_db
def test_any_changed_character_in_a_link_is_refused(
    person_id: int, position: int, replacement: str
) -> None:
    token = signing.TimestampSigner(salt=SALT).sign_object(
        {"p": person_id, "n": "nonce", "k": "signin"}
    )
    index = position % len(token)
    if token[index] == replacement:
        return
    changed = token[:index] + replacement + token[index + 1 :]
    with pytest.raises(LinkProblem) as refused:
        open_link(changed)
    assert type(refused.value) is LinkProblem  # not "expired" or "used": plainly broken


@settings(max_examples=200, deadline=None)
@given(token=st.text(max_size=400))
@pytest.mark.django_db
def test_any_text_as_a_token_is_a_link_problem_never_a_crash(token: str) -> None:
    with pytest.raises(LinkProblem):
        open_link(token)
    assert person_of_old_link(token) is None


def test_one_connection_asking_for_many_links_gets_429(cast: Cast) -> None:
    office = Client(REMOTE_ADDR="203.0.113.9")
    statuses = [
        office.post(SIGN_IN, {"email": f"person{i}@example.org"}).status_code
        for i in range(LINKS_PER_CONNECTION + 1)
    ]
    assert statuses[:-1] == [302] * LINKS_PER_CONNECTION
    assert statuses[-1] == 429
    # Another connection is not affected, and nothing was sent to unknown addresses.
    assert Client(REMOTE_ADDR="198.51.100.7").post(SIGN_IN, {"email": "x@y.org"}).status_code == 302
    assert not OutboxMessage.objects.exists()


def test_a_consultant_emails_someone_a_link_that_works_for_days(cast: Cast) -> None:
    olivia = Client()
    olivia.force_login(cast.owner)
    page = olivia.get(f"/people/{cast.candidate.pk}/")
    assert "Email them a link to their personal page" in page.text
    done = olivia.post(f"/people/{cast.candidate.pk}/send-page-link/")
    assert done.status_code == 302
    message = OutboxMessage.objects.get()
    assert message.to_email == "priya@example.net"
    assert message.from_email.startswith("Olivia Owner at Keepwarm")
    assert "works once, for the next 30 days" in message.body_text
    with time_machine.travel(timezone.now() + dt.timedelta(days=2), tick=False):
        assert Client().post(_emailed_link("priya@example.net")).status_code == 302
    # Oscar cannot reach Priya, so he cannot send her anything.
    oscar = Client()
    oscar.force_login(cast.outsider)
    assert oscar.post(f"/people/{cast.candidate.pk}/send-page-link/").status_code == 404
    assert OutboxMessage.objects.count() == 1


def test_the_worker_forgets_spent_sessions_and_links_only_once_they_cannot_matter(
    client: Client, cast: Cast
) -> None:
    from keepwarm.worker.tick import tick

    path = link_path(cast.candidate, kind="email")
    sign_in(client, cast.candidate)
    Client().post(path)
    assert (PortalSession.objects.count(), UsedLink.objects.count()) == (2, 2)
    tick(now=timezone.now() + dt.timedelta(days=2))
    assert PortalSession.objects.count() == 0
    assert UsedLink.objects.count() == 2  # the email link could still be replayed
    with time_machine.travel(timezone.now() + dt.timedelta(days=2), tick=False):
        assert Client().post(path).status_code == 410
    tick(now=timezone.now() + dt.timedelta(days=32))
    assert UsedLink.objects.count() == 0


def test_a_consultant_opening_someones_link_does_not_use_it_up(cast: Cast) -> None:
    path = link_path(cast.candidate, kind="email")
    olivia = Client()
    olivia.force_login(cast.owner)
    for method in (olivia.get, olivia.post):
        page = method(path)
        assert page.status_code == 200
        assert "You are signed in to Keepwarm as staff, so it was not used" in page.text
    assert not UsedLink.objects.exists() and not PortalSession.objects.exists()
    assert Client().post(path).status_code == 302  # still works for Priya


def test_behind_a_proxy_many_people_asking_for_links_are_counted_apart(
    db: None, settings: Any
) -> None:
    settings.KEEPWARM_PROXY_COUNT = 1
    statuses = [
        Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        .post(SIGN_IN, {"email": f"person{n}@example.org"})
        .status_code
        for n in range(LINKS_PER_CONNECTION + 10)
    ]
    assert statuses == [302] * (LINKS_PER_CONNECTION + 10)
