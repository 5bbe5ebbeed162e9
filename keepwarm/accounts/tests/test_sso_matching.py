"""Who a provider's ID token lets in: one active colleague, by an address it verified."""

from __future__ import annotations

from typing import Any

import pytest

from keepwarm.accounts.sso import Provider, SignInRefused, passes_second_factor, staff_member
from keepwarm.conftest import Cast

pytestmark = pytest.mark.django_db

GOOGLE = Provider("google", "Google", "https://accounts.google.com", "id", "secret")
MICROSOFT = Provider(
    "microsoft",
    "Microsoft",
    "https://login.microsoftonline.com/agency.example/v2.0",
    "id",
    "secret",
    verified_claims=("email_verified", "xms_edov"),
)


def test_the_address_matches_whatever_its_case(cast: Cast) -> None:
    claims = {"email": "OLIVIA_OWNER@Agency.Example", "email_verified": True}
    assert staff_member(GOOGLE, claims) == cast.owner


def test_a_verified_flag_sent_as_text_counts(cast: Cast) -> None:
    claims = {"email": cast.owner.email, "email_verified": "true"}
    assert staff_member(GOOGLE, claims) == cast.owner


def test_microsoft_vouches_for_an_address_through_xms_edov(cast: Cast) -> None:
    claims = {"email": cast.owner.email, "xms_edov": True}
    assert staff_member(MICROSOFT, claims) == cast.owner
    with pytest.raises(SignInRefused, match="did not confirm"):
        staff_member(GOOGLE, claims)  # only Microsoft's preset reads that claim


def test_a_deactivated_colleague_is_refused(cast: Cast) -> None:
    cast.owner.is_active = False
    cast.owner.save()
    with pytest.raises(SignInRefused, match="is not the address of anyone"):
        staff_member(GOOGLE, {"email": cast.owner.email, "email_verified": True})


def test_a_token_without_an_address_is_refused(cast: Cast) -> None:
    with pytest.raises(SignInRefused, match="did not share an email address"):
        staff_member(GOOGLE, {"sub": "123", "email_verified": True})


@pytest.mark.parametrize(
    ("mode", "claims", "passes"),
    [
        ("keepwarm", {"amr": ["pwd", "mfa"]}, False),
        ("provider-mfa", {"amr": ["pwd", "mfa"]}, True),
        ("provider-mfa", {"amr": ["pwd"]}, False),
        ("provider-mfa", {"amr": "mfa"}, False),  # not the list RFC 8176 says
        ("provider-mfa", {}, False),
        ("provider", {}, True),
    ],
)
def test_when_single_sign_on_counts_as_the_second_factor(
    settings: Any, mode: str, claims: dict[str, Any], passes: bool
) -> None:
    settings.KEEPWARM_SSO_SECOND_FACTOR = mode
    assert passes_second_factor(claims) is passes
