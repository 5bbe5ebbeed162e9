"""KEEPWARM_SSO_* turn into the providers whose buttons show, and nonsense stops start-up."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from keepwarm.settings import _sso_providers


def test_nothing_set_means_no_single_sign_on(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MICROSOFT", "GOOGLE", "OIDC"):
        monkeypatch.delenv(f"KEEPWARM_SSO_{name}_CLIENT_ID", raising=False)
    monkeypatch.delenv("KEEPWARM_SSO_OIDC_ISSUER", raising=False)
    assert _sso_providers() == []


def test_microsoft_google_and_a_named_provider_by_issuer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEEPWARM_SSO_MICROSOFT_TENANT", "agency.example")
    monkeypatch.setenv("KEEPWARM_SSO_MICROSOFT_CLIENT_ID", "ms-id")
    monkeypatch.setenv("KEEPWARM_SSO_MICROSOFT_CLIENT_SECRET", "ms-secret")
    monkeypatch.setenv("KEEPWARM_SSO_GOOGLE_CLIENT_ID", "g-id")
    monkeypatch.setenv("KEEPWARM_SSO_GOOGLE_CLIENT_SECRET", "g-secret")
    monkeypatch.setenv("KEEPWARM_SSO_OIDC_ISSUER", "https://agency.okta.com/")
    monkeypatch.setenv("KEEPWARM_SSO_OIDC_CLIENT_ID", "o-id")
    monkeypatch.setenv("KEEPWARM_SSO_OIDC_CLIENT_SECRET", "o-secret")
    monkeypatch.setenv("KEEPWARM_SSO_OIDC_NAME", "Okta")

    found = {p["slug"]: (p["name"], p["issuer"]) for p in _sso_providers()}

    assert found == {
        "microsoft": ("Microsoft", "https://login.microsoftonline.com/agency.example/v2.0"),
        "google": ("Google", "https://accounts.google.com"),
        "oidc": ("Okta", "https://agency.okta.com"),
    }


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"KEEPWARM_SSO_MICROSOFT_CLIENT_ID": "x", "KEEPWARM_SSO_MICROSOFT_CLIENT_SECRET": "y"},
            "KEEPWARM_SSO_MICROSOFT_TENANT must be your directory",
        ),
        (
            {
                "KEEPWARM_SSO_MICROSOFT_TENANT": "common",
                "KEEPWARM_SSO_MICROSOFT_CLIENT_ID": "x",
                "KEEPWARM_SSO_MICROSOFT_CLIENT_SECRET": "y",
            },
            "not 'common'",
        ),
        ({"KEEPWARM_SSO_GOOGLE_CLIENT_ID": "x"}, "set KEEPWARM_SSO_GOOGLE_CLIENT_SECRET too"),
        ({"KEEPWARM_SSO_OIDC_CLIENT_ID": "x"}, "set KEEPWARM_SSO_OIDC_ISSUER"),
        (
            {
                "KEEPWARM_SSO_OIDC_ISSUER": "http://idp.agency.example",
                "KEEPWARM_SSO_OIDC_CLIENT_ID": "x",
                "KEEPWARM_SSO_OIDC_CLIENT_SECRET": "y",
            },
            "must be an https:// issuer URL",
        ),
    ],
)
def test_a_half_configured_or_unsafe_provider_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        _sso_providers()
