"""Repeated failed sign-ins pause sign-in for that username and for that address."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyotp
import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from keepwarm.accounts import services
from keepwarm.accounts.models import SignInFailure
from keepwarm.conftest import Cast
from keepwarm.lib.net import client_address

PASSWORD = "correct-horse-battery"  # the cast's
PAUSED = "Too many failed sign-ins for this account or from this address."


def attempt(username: str, password: str, address: str = "192.0.2.10") -> str:
    response = Client().post(
        "/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )
    if response.status_code == 302:
        return "signed in"
    return response.content.decode()


def test_five_wrong_passwords_pause_the_account_even_for_the_right_one(cast: Cast):
    for _ in range(5):
        assert "do not match" in attempt("olivia_owner", "wrong-password-123")
    paused = attempt("olivia_owner", PASSWORD)
    assert PAUSED in paused
    assert "for 15 minutes" in paused
    # Another address is paused for this account too: the account is what is guessed at.
    assert PAUSED in attempt("olivia_owner", PASSWORD, address="198.51.100.7")
    # Colleagues are not affected.
    assert attempt("colin_cover", PASSWORD) == "signed in"


def test_the_pause_ends_after_the_window_and_a_success_clears_the_count(cast: Cast):
    for _ in range(5):
        attempt("olivia_owner", "wrong-password-123")
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        assert attempt("olivia_owner", PASSWORD) == "signed in"
        assert not SignInFailure.objects.filter(username="olivia_owner").exists()


def test_a_made_up_username_is_paused_the_same_way(cast: Cast):
    """The replies never tell which usernames exist."""
    real = [attempt("olivia_owner", "wrong-password-123") for _ in range(6)]
    made_up = [attempt("nobody_here", "wrong-password-123") for _ in range(6)]
    assert [PAUSED in page for page in real] == [PAUSED in page for page in made_up]
    assert [PAUSED in page for page in real] == [False] * 5 + [True]


def test_usernames_are_counted_whatever_their_case(cast: Cast):
    for name in ("OLIVIA_OWNER", "Olivia_Owner", "olivia_owner ", "olivia_OWNER", "olivia_owner"):
        attempt(name, "wrong-password-123")
    assert PAUSED in attempt("olivia_owner", PASSWORD)


def test_many_failures_from_one_address_pause_that_address(cast: Cast, settings: Any):
    settings.KEEPWARM_LOCKOUT_ADDRESS_FAILURES = 8
    for n in range(8):
        attempt(f"guess_{n}", "wrong-password-123", address="203.0.113.9")
    assert PAUSED in attempt("olivia_owner", PASSWORD, address="203.0.113.9")
    assert attempt("olivia_owner", PASSWORD, address="203.0.113.10") == "signed in"


def test_wrong_second_factor_codes_count_too(cast: Cast, settings: Any):
    settings.KEEPWARM_REQUIRE_SECOND_FACTOR = True
    secret = services.new_totp_secret()
    services.confirm_enrolment(user=cast.owner, secret=secret, code=pyotp.TOTP(secret).now())
    client = Client()
    client.post("/login/", {"username": "olivia_owner", "password": PASSWORD})
    for _ in range(5):
        client.post("/login/second-factor/", {"code": "000000"})
    totp = pyotp.TOTP(secret)
    right = totp.generate_otp(totp.timecode(timezone.now()) + 1)
    page = client.post("/login/second-factor/", {"code": right}).content.decode()
    assert PAUSED in page
    assert client.get("/people/").status_code == 302


def test_the_address_comes_through_the_configured_proxies_only(settings: Any):
    from django.test import RequestFactory

    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4"
    )
    assert client_address(request) == "10.0.0.2"
    settings.KEEPWARM_PROXY_COUNT = 1
    assert client_address(request) == "198.51.100.4"  # the spoofed 6.6.6.6 is ignored


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short-pass", "at least 12 characters"),
        ("password1234", "too common"),
        ("keepwarm-is-great", "“keepwarm”"),
        ("abababababababab", "repeats one or two characters"),
        ("nina.new.agency", "too similar"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(cast: Cast, password: str, problem: str):
    admin = Client()
    admin.force_login(cast.admin)
    response = admin.post(
        "/team/new/",
        {
            "username": "nina_new",
            "first_name": "Nina",
            "last_name": "New",
            "email": "nina.new@agency.example",
            "role": "consultant",
            "password": password,
        },
    )
    assert response.status_code == 200
    assert problem in response.content.decode()


def test_a_long_passphrase_without_symbols_is_fine(cast: Cast):
    admin = Client()
    admin.force_login(cast.admin)
    response = admin.post(
        "/team/new/",
        {
            "username": "nina_new",
            "email": "nina@agency.example",
            "role": "consultant",
            "password": "plum kettle orbit tuesday",
        },
    )
    assert response.status_code == 302
