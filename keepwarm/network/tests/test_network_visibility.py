"""Referrals, leads, rewards due and the network parts of person and company pages name
nobody the user may not open: no link, id, name or email of a colleague's people or
placements, even on a record the user may see through someone else."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from keepwarm.conftest import START, Cast
from keepwarm.network.models import IntelNote, Lead, Referral, RewardRule
from keepwarm.network.services import receive_lead, receive_referral
from keepwarm.people.models import Person, Role
from keepwarm.placements.models import Placement


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


@pytest.fixture
def sam(cast: Cast) -> Person:
    """Oscar's candidate, placed by him at Acme: nobody of Olivia's."""
    person = Person.objects.create(
        first_name="Sam", last_name="Stone", email="sam@example.net", owner=cast.outsider
    )
    Placement.objects.create(
        person=person,
        company=cast.company,
        owner=cast.outsider,
        role_title="Buyer",
        start_date=START,
    )
    return person


def _paid_out_referral(*, referrer: Person, referred: Person, placement: Placement) -> Referral:
    """A reward due now for `referrer` referring `referred`, who was placed."""
    rule = RewardRule.objects.create(
        name="Friend bonus", kind="candidate", amount=Decimal("500"), due_when="on_win"
    )
    referral = receive_referral(referrer=referrer, kind="candidate", name=referred.full_name)
    Referral.objects.filter(pk=referral.pk).update(
        referred=referred,
        placement=placement,
        rule=rule,
        reward_amount=rule.amount,
        status=Referral.Status.REWARD_DUE,
        reward_due_on=dt.date(2026, 3, 1),
    )
    return referral


def test_a_referral_by_a_colleagues_contact_does_not_name_or_link_them(
    cast: Cast, sam: Person
) -> None:
    # Sam (Oscar's) referred Priya (Olivia's): Olivia sees the referral through Priya.
    referral = _paid_out_referral(referrer=sam, referred=cast.candidate, placement=cast.placement)
    olivia = _client(cast.owner)

    pages = {
        "referral": olivia.get(referral.get_absolute_url()),
        "referrals": olivia.get(reverse("referrals")),
        "rewards due": olivia.get(reverse("rewards_due")),
        "Priya's page": olivia.get(cast.candidate.get_absolute_url()),
    }

    for name, page in pages.items():
        body = page.content.decode()
        assert page.status_code == 200, name
        assert "Sam Stone" not in body and "sam@example.net" not in body, name
        assert sam.get_absolute_url() not in body, name
    assert "a colleague’s contact" in pages["rewards due"].content.decode()
    assert "Sam Stone" in _client(cast.manager).get(reverse("rewards_due")).content.decode()


def test_a_referral_of_a_colleagues_person_offers_and_names_none_of_their_placements(
    cast: Cast, sam: Person
) -> None:
    # Priya (Olivia's) referred Sam, whom Oscar placed: Olivia sees the referral via Priya.
    referral = receive_referral(referrer=cast.candidate, kind="candidate", name="Sam Stone")
    Referral.objects.filter(pk=referral.pk).update(referred=sam)
    theirs = sam.placements.get()
    olivia = _client(cast.owner)

    page = olivia.get(referral.get_absolute_url()).content.decode()

    assert sam.get_absolute_url() not in page
    assert f'value="{theirs.pk}"' not in page and "Buyer" not in page
    refused = olivia.post(
        reverse("referral_advance", args=[referral.pk]), {"to": "placed", "placement": theirs.pk}
    )
    assert refused.status_code == 400
    referral.refresh_from_db()
    assert (referral.status, referral.placement) == ("received", None)


def test_a_placed_referral_does_not_show_a_colleagues_placement(cast: Cast, sam: Person) -> None:
    referral = _paid_out_referral(
        referrer=cast.candidate, referred=sam, placement=sam.placements.get()
    )

    for url in (referral.get_absolute_url(), reverse("rewards_due")):
        page = _client(cast.owner).get(url).content.decode()
        assert "Buyer" not in page
        assert reverse("placement", args=[sam.placements.get().pk]) not in page


def test_a_lead_from_a_colleagues_contact_does_not_name_them_or_its_contact(
    cast: Cast, sam: Person
) -> None:
    # Sam (Oscar's) passed on a lead whose contact is Priya (Olivia's); Olivia handles it.
    lead = receive_lead(source=sam, company_name="Globex", contact_email="priya@example.net")
    Lead.objects.filter(pk=lead.pk).update(owner=cast.owner)
    olivia = _client(cast.owner)

    for url in (lead.get_absolute_url(), reverse("leads")):
        page = olivia.get(url).content.decode()
        assert "Sam Stone" not in page and sam.get_absolute_url() not in page
    oscar_sees = _client(cast.outsider).get(lead.get_absolute_url()).content.decode()
    assert "Sam Stone" in oscar_sees
    assert cast.candidate.get_absolute_url() not in oscar_sees
    assert "Priya Patel" not in oscar_sees


def test_a_converted_lead_names_its_source_to_nobody_who_cannot_see_them(cast: Cast) -> None:
    # Priya (Olivia's) passed on a lead; Olivia converted it into a vacancy and a contact.
    lead = receive_lead(source=cast.candidate, company_name="Globex", contact_name="Gina Green")
    olivia = _client(cast.owner)
    olivia.post(
        reverse("lead_convert", args=[lead.pk]),
        {"company_name": "Globex", "title": "Buyer", "add_contact": "on"},
    )
    lead.refresh_from_db()
    assert lead.vacancy is not None and lead.contact is not None
    # Oscar later places someone under Gina, so he may open her page.
    Placement.objects.create(
        person=Person.objects.create(first_name="Ravi", last_name="Rao", owner=cast.outsider),
        company=lead.vacancy.company,
        hiring_manager=lead.contact,
        owner=cast.outsider,
        role_title="Driver",
        start_date=START,
    )
    oscar = _client(cast.outsider)

    pages = {
        "vacancy": oscar.get(lead.vacancy.get_absolute_url()),
        "company": oscar.get(lead.vacancy.company.get_absolute_url()),
        "Gina's page": oscar.get(lead.contact.get_absolute_url()),
    }

    for name, page in pages.items():
        body = page.content.decode()
        assert page.status_code == 200, name
        assert "Priya" not in body and cast.candidate.get_absolute_url() not in body, name
        assert lead.get_absolute_url() not in body, name
    assert "Priya Patel" in olivia.get(lead.vacancy.get_absolute_url()).content.decode()


def test_a_companys_hiring_managers_once_placed_are_only_those_the_user_may_see(
    cast: Cast,
) -> None:
    Role.objects.create(
        person=cast.candidate,
        kind=Role.Kind.CLIENT_CONTACT,
        company=cast.company,
        started_on=START,
    )

    page = _client(cast.outsider).get(cast.company.get_absolute_url()).content.decode()

    assert "Priya Patel" not in page and cast.candidate.get_absolute_url() not in page
    owners = _client(cast.owner).get(cast.company.get_absolute_url()).content.decode()
    assert "Priya Patel" in owners


def test_intel_names_the_person_it_came_from_only_to_those_who_may_see_them(cast: Cast) -> None:
    IntelNote.objects.create(
        kind=IntelNote.Kind.CLIENT_PLANS,
        company=cast.company,
        body="Budget for two more.",
        source_person=cast.client_contact,
        noted_on=START,
        author=cast.owner,
    )

    for url in (reverse("intel"), cast.company.get_absolute_url()):
        oscars = _client(cast.outsider).get(url).content.decode()
        assert "Budget for two more." in oscars and "Harry Hughes" not in oscars
        assert "(Harry Hughes)" in _client(cast.owner).get(url).content.decode()
