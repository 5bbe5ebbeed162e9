"""A placed candidate becomes a client contact in one action; calls are logged in two clicks."""

from __future__ import annotations

from django.test import Client

from keepwarm.care.models import Touchpoint
from keepwarm.conftest import Cast
from keepwarm.people.models import Company, Note, Role
from keepwarm.portal.tests.conftest import sign_in


def _as(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_the_person_page_offers_to_make_a_placed_candidate_a_client_contact(cast: Cast) -> None:
    page = _as(cast.owner).get(f"/people/{cast.candidate.pk}/")
    assert "Make client contact at Acme Widgets" in page.text
    # Harry was never placed: nothing to convert.
    harry = _as(cast.owner).get(f"/people/{cast.client_contact.pk}/")
    assert "Make client contact" not in harry.text


def test_making_a_client_contact_keeps_one_record_with_both_histories(cast: Cast) -> None:
    bolt = Company.objects.create(name="Bolt Ltd")
    olivia = _as(cast.owner)
    done = olivia.post(
        f"/people/{cast.candidate.pk}/client-contact/",
        {"client-company": "bolt ltd", "client-title": "Head of Sales"},
    )
    assert done.status_code == 302
    roles = {(r.kind, r.company_id) for r in Role.objects.filter(person=cast.candidate)}
    assert roles == {
        (Role.Kind.PLACED, cast.company.pk),
        (Role.Kind.CLIENT_CONTACT, bolt.pk),
    }
    assert Note.objects.get(person=cast.candidate).text.startswith(
        "Became a client contact at Bolt Ltd (Head of Sales)"
    )
    page = olivia.get(f"/people/{cast.candidate.pk}/")
    assert "Account Manager at Acme Widgets" in page.text  # the placement is still there
    assert "Client contact" in page.text
    # Her personal page now offers the client side too.
    priya = sign_in(Client(), cast.candidate)
    me = priya.get("/me/")
    assert "Something not right at work?" in me.text and "Tell us about a new role" in me.text
    assert "At Bolt Ltd." in me.text


def test_a_company_not_in_keepwarm_or_a_repeat_is_explained(cast: Cast) -> None:
    olivia = _as(cast.owner)
    page = olivia.post(
        f"/people/{cast.candidate.pk}/client-contact/", {"client-company": "Nowhere plc"}
    )
    assert page.status_code == 400
    assert "No company called “Nowhere plc”" in page.text
    assert 'value="Nowhere plc"' in page.text
    url = f"/people/{cast.candidate.pk}/client-contact/"
    assert olivia.post(url, {"client-company": "Acme Widgets"}).status_code == 302
    again = olivia.post(url, {"client-company": "Acme Widgets"})
    assert again.status_code == 400
    assert "already a client contact at Acme Widgets" in again.text
    assert Role.objects.filter(person=cast.candidate, kind=Role.Kind.CLIENT_CONTACT).count() == 1


def test_someone_outside_reach_cannot_convert(cast: Cast) -> None:
    url = f"/people/{cast.candidate.pk}/client-contact/"
    assert _as(cast.outsider).post(url, {"client-company": "Acme Widgets"}).status_code == 404
    assert not Role.objects.filter(person=cast.candidate, kind=Role.Kind.CLIENT_CONTACT).exists()


def test_a_call_is_logged_in_two_clicks_with_who_called_and_the_outcome(cast: Cast) -> None:
    olivia = _as(cast.owner)
    page = olivia.get(f"/people/{cast.candidate.pk}/")
    assert 'name="direction" value="inbound"' in page.text
    assert 'name="outcome" value="reached"' in page.text
    # Click 1: "They called me"; click 2: "Spoke to them". What the browser then sends:
    done = olivia.post(
        f"/people/{cast.candidate.pk}/log-call/",
        {"kind": "call", "direction": "inbound", "outcome": "reached"},
    )
    assert done.status_code == 302
    call = Touchpoint.objects.get(person=cast.candidate)
    assert (call.title, call.state, call.outcome) == ("Inbound call", "done", "reached")
    cast.candidate.refresh_from_db()
    assert cast.candidate.last_contacted_at is not None
    # One click for an outbound call that went to voicemail.
    olivia.post(
        f"/people/{cast.candidate.pk}/log-call/",
        {"kind": "call", "direction": "outbound", "outcome": "voicemail"},
    )
    titles = set(Touchpoint.objects.values_list("title", "outcome"))
    assert ("Outbound call", "voicemail") in titles
    assert "Inbound call" in olivia.get(f"/people/{cast.candidate.pk}/").text
