"""Signing in with the agency's own accounts, against a real OpenID Connect provider.

django-oauth-toolkit runs as the identity provider in its own process on loopback, with
RS256 keys made here; Chromium walks the whole authorization-code flow: Keepwarm's button,
the provider's sign-in page, the code's return and its exchange for a signed ID token.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from django.test import Client

from keepwarm.accounts import services
from keepwarm.accounts.tests.oidc_provider.running import RunningProvider, running_provider
from keepwarm.conftest import Cast, _free_port
from keepwarm.web_tests.browser import MARKS, serious_violations


def browser(test: Any) -> Any:
    """The browser tests' marks (MARKS), for the tests here that drive Chromium."""
    for mark in MARKS:
        test = mark(test)
    return test


PASSWORD = "provider-password-1"  # the provider's, never Keepwarm's


def _user(email: str, **claims: Any) -> dict[str, Any]:
    return {"password": PASSWORD, "claims": {"email": email, "email_verified": True, **claims}}


USERS = {
    "maggie": _user("Maggie_Manager@agency.example", name="Maggie Manager"),
    "olivia": _user("olivia_owner@agency.example"),
    "ada": _user("ada_admin@agency.example", amr=["pwd", "mfa"]),
    "stranger": _user("stranger@elsewhere.example"),
    "colin": _user("colin_cover@agency.example", email_verified=False),
}


@pytest.fixture(scope="module")
def identity_provider(live_server: Any, tmp_path_factory: Any) -> Iterator[RunningProvider]:
    with running_provider(
        folder=tmp_path_factory.mktemp("identity-provider"),
        port=_free_port(),
        redirect_uri=f"{live_server.url}/login/sso/oidc/callback/",
        users=USERS,
    ) as provider:
        yield provider


@pytest.fixture
def sso_on(settings: Any, live_server: Any, identity_provider: RunningProvider) -> str:
    settings.BASE_URL = live_server.url
    settings.KEEPWARM_SSO_PROVIDERS = [identity_provider.keepwarm_config()]
    return str(live_server.url)


def _sign_in_at_provider(page: Any, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_role("button", name="Sign in with Agency ID").click()
    page.get_by_role("heading", name="Agency ID").wait_for()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()


@pytest.mark.django_db(transaction=True)
@browser
def test_manager_signs_in_with_the_agency_account_and_lands_on_today_as_manager(
    cast: Cast, sso_on: str, browser_page: Any
) -> None:
    page = browser_page
    page.goto(f"{sso_on}/login/")
    assert serious_violations(page) == []
    _sign_in_at_provider(page, sso_on, "maggie")

    page.get_by_role("heading", name="Today", exact=True).wait_for()
    assert page.url == f"{sso_on}/"
    # Her role came with her: managers see the Team page in the menu.
    page.get_by_role("navigation").get_by_text("Admin", exact=True).click()
    page.get_by_role("navigation").get_by_role("link", name="Team").wait_for()
    page.goto(f"{sso_on}/team/")
    page.get_by_role("heading", name="Team").first.wait_for()


@pytest.mark.django_db(transaction=True)
@browser
def test_someone_not_on_the_team_is_refused_with_a_message_and_not_signed_in(
    cast: Cast, sso_on: str, browser_page: Any
) -> None:
    page = browser_page
    _sign_in_at_provider(page, sso_on, "stranger")

    page.get_by_text(
        "stranger@elsewhere.example is not the address of anyone on this Keepwarm's team"
    ).wait_for()
    page.goto(f"{sso_on}/")
    page.get_by_role("heading", name="Log in to Keepwarm").wait_for()


@pytest.mark.django_db(transaction=True)
@browser
def test_an_address_the_provider_did_not_verify_is_refused(
    cast: Cast, sso_on: str, browser_page: Any
) -> None:
    page = browser_page
    _sign_in_at_provider(page, sso_on, "colin")

    page.get_by_text(
        "Agency ID did not confirm that colin_cover@agency.example is verified"
    ).wait_for()
    page.goto(f"{sso_on}/")
    page.get_by_role("heading", name="Log in to Keepwarm").wait_for()


def _enrol(user: Any) -> str:
    secret = pyotp.random_base32()
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    services.confirm_enrolment(
        user=user, secret=secret, code=pyotp.TOTP(secret).at(earlier), now=earlier
    )
    return secret


@pytest.mark.django_db(transaction=True)
@browser
def test_staff_who_must_use_the_second_factor_still_type_their_code(
    cast: Cast, sso_on: str, browser_page: Any, settings: Any
) -> None:
    settings.KEEPWARM_REQUIRE_SECOND_FACTOR = True
    secret = _enrol(cast.owner)
    page = browser_page
    _sign_in_at_provider(page, sso_on, "olivia")

    page.get_by_role("heading", name="Your code").wait_for()
    page.goto(f"{sso_on}/people/")  # nothing opens before the code
    page.get_by_role("heading", name="Your code").wait_for()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="People", exact=True).wait_for()


@pytest.mark.django_db(transaction=True)
@browser
def test_an_agency_that_trusts_its_providers_mfa_skips_the_code_when_the_token_says_mfa(
    cast: Cast, sso_on: str, browser_page: Any, settings: Any
) -> None:
    settings.KEEPWARM_REQUIRE_SECOND_FACTOR = True
    settings.KEEPWARM_SSO_SECOND_FACTOR = "provider-mfa"
    _enrol(cast.admin)
    _enrol(cast.owner)
    page = browser_page
    _sign_in_at_provider(page, sso_on, "ada")  # her token says amr: pwd, mfa
    page.get_by_role("heading", name="Today", exact=True).wait_for()

    page.context.clear_cookies()
    _sign_in_at_provider(page, sso_on, "olivia")  # hers says nothing of MFA
    page.get_by_role("heading", name="Your code").wait_for()


def test_the_sign_in_page_offers_single_sign_on_only_when_configured(
    db: None, settings: Any
) -> None:
    settings.KEEPWARM_SSO_PROVIDERS = []
    assert "Sign in with" not in Client().get("/login/").content.decode()

    settings.KEEPWARM_SSO_PROVIDERS = [
        {
            "slug": "microsoft",
            "name": "Microsoft",
            "issuer": "https://login.microsoftonline.com/agency.example/v2.0",
            "client_id": "id",
            "client_secret": "secret",
        }
    ]
    page = Client().get("/login/").content.decode()
    assert "Sign in with Microsoft" in page
    assert "Sign in with Google" not in page


OKTA = {
    "slug": "oidc",
    "name": "Okta",
    "issuer": "https://agency.okta.example",
    "client_id": "id",
    "client_secret": "secret",
}


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("error=access_denied&state=abc", "Signing in with Okta did not work (you cancelled"),
        ("code=stolen&state=abc", "the sign-in started in another browser or took too long"),
    ],
)
def test_a_cancelled_or_replayed_return_signs_nobody_in(
    cast: Cast, settings: Any, query: str, said: str
) -> None:
    settings.KEEPWARM_SSO_PROVIDERS = [OKTA]
    client = Client()
    response = client.get(f"/login/sso/oidc/callback/?{query}", follow=True)
    assert response.redirect_chain[-1][0] == "/login/"
    assert said in response.content.decode()
    assert client.get("/").status_code == 302


def test_a_provider_not_configured_is_not_found(db: None, settings: Any) -> None:
    settings.KEEPWARM_SSO_PROVIDERS = [OKTA]
    assert Client().post("/login/sso/google/").status_code == 404
    assert Client().get("/login/sso/google/callback/").status_code == 404
    # Starting needs the button's POST: a link or a prefetch starts nothing.
    assert Client().get("/login/sso/oidc/").status_code == 405


def test_a_provider_that_does_not_answer_gets_a_message_not_an_error_page(
    db: None, settings: Any
) -> None:
    settings.KEEPWARM_SSO_PROVIDERS = [
        {**OKTA, "issuer": f"http://127.0.0.1:{_free_port()}/nobody-listens"}
    ]
    response = Client().post("/login/sso/oidc/", follow=True)
    assert response.redirect_chain[-1][0] == "/login/"
    assert "Signing in with Okta did not work (it could not be reached or did not answer)" in (
        response.content.decode()
    )


def _form_action(response: Any) -> str:
    policy: str = response["Content-Security-Policy"]
    return next(p.strip() for p in policy.split(";") if p.strip().startswith("form-action"))


def test_the_sign_in_pages_forms_may_lead_only_to_the_configured_providers(
    db: None, settings: Any
) -> None:
    settings.KEEPWARM_SSO_PROVIDERS = []
    assert _form_action(Client().get("/login/")) == "form-action 'self'"

    settings.KEEPWARM_SSO_PROVIDERS = [OKTA]
    assert _form_action(Client().get("/login/")) == (
        "form-action 'self' https://agency.okta.example"
    )
    # Every other page keeps forms to Keepwarm itself.
    assert _form_action(Client().get("/login/forgot/")) == "form-action 'self'"
