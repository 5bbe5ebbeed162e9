"""Staff see and record a person's newsletter consent on the person page."""

from __future__ import annotations

import pytest
from django.test import Client

from keepwarm.conftest import Cast
from keepwarm.people.models import Consent


@pytest.fixture
def owner_client(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.owner)
    return client


def test_person_page_says_there_is_no_basis(cast: Cast, owner_client: Client) -> None:
    page = owner_client.get(f"/people/{cast.candidate.pk}/")
    assert page.status_code == 200
    assert b"Newsletter consent" in page.content
    assert b"No basis to send newsletters" in page.content


def test_recording_consent_shows_its_evidence(cast: Cast, owner_client: Client) -> None:
    response = owner_client.post(
        f"/people/{cast.candidate.pk}/consent/",
        {
            "action": "record",
            "basis": "consent",
            "subscriber_type": "individual",
            "method": "Phone call, 3 March",
            "wording": "Would you like our monthly newsletter?",
            "wording_version": "phone-1",
            "frequency": "monthly",
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert consent.recorded_by == cast.owner
    page = owner_client.get(f"/people/{cast.candidate.pk}/")
    assert b"Phone call, 3 March" in page.content
    assert "“Would you like our monthly newsletter?”".encode() in page.content


def test_a_basis_that_does_not_fit_is_refused_with_the_reason(
    cast: Cast, owner_client: Client
) -> None:
    response = owner_client.post(
        f"/people/{cast.candidate.pk}/consent/",
        {
            "action": "record",
            "basis": "legitimate_interest",
            "subscriber_type": "individual",
            "method": "Imported",
            "frequency": "monthly",
        },
        follow=True,
    )
    assert not Consent.objects.exists()
    assert b"only for corporate addresses" in response.content


def test_withdrawing_is_one_button(cast: Cast, owner_client: Client) -> None:
    owner_client.post(
        f"/people/{cast.candidate.pk}/consent/",
        {
            "action": "record",
            "basis": "soft_opt_in",
            "subscriber_type": "individual",
            "method": "Placed at Acme",
            "frequency": "monthly",
        },
    )
    page = owner_client.get(f"/people/{cast.candidate.pk}/")
    assert b"Withdraw</button>" in page.content

    owner_client.post(
        f"/people/{cast.candidate.pk}/consent/", {"action": "withdraw", "note": "asked by phone"}
    )

    consent = Consent.objects.get()
    assert consent.withdrawn_at is not None
    assert consent.withdrawn_how == "Recorded by Olivia Owner: asked by phone"


def test_someone_elses_person_is_404(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.outsider)
    response = client.post(f"/people/{cast.candidate.pk}/consent/", {"action": "withdraw"})
    assert response.status_code == 404


def test_get_is_not_allowed(cast: Cast, owner_client: Client) -> None:
    assert owner_client.get(f"/people/{cast.candidate.pk}/consent/").status_code == 405
