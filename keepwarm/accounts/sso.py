"""Single sign-on with the agency's accounts: OpenID Connect (Microsoft Entra ID, Google,
or any provider by issuer URL), configured by KEEPWARM_SSO_* settings.

Authlib's Django client does the protocol: discovery, the authorization-code flow with
state, nonce and PKCE, and checking the ID token (signature against the provider's keys,
issuer, audience, expiry, nonce). django-allauth was the other candidate; it brings its
own sign-in, sign-up and password pages, its own account middleware and email-address
table, which would run beside Keepwarm's sign-in (lockout, second factor, session
time-outs) instead of feeding it. Here a provider only proves who someone is: the user
must already be on the Team, matched by an address the provider says it verified, and
then signs in through the same `login()`, `mark_signed_in()` and second-factor step as
with a password, keeping their role.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.conf import settings

from keepwarm.accounts.models import User

logger = logging.getLogger(__name__)

# Seconds Keepwarm waits for the provider's discovery, keys and token endpoints.
PROVIDER_TIMEOUT = 10


@dataclass(frozen=True)
class Provider:
    slug: str  # in the URL: /login/sso/<slug>/
    name: str  # on the button: "Sign in with <name>"
    issuer: str
    client_id: str
    client_secret: str
    # The ID token claims any one of which, true, says the email address is verified.
    verified_claims: tuple[str, ...] = ("email_verified",)

    @property
    def origin(self) -> str:
        """Where its sign-in page is: the issuer's scheme and host (Microsoft's, Google's
        and the usual providers' authorization endpoints live beside their issuer)."""
        parts = urlsplit(self.issuer)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


class SignInRefused(Exception):
    """The provider vouched for someone who may not sign in here; the message says why."""


def providers() -> list[Provider]:
    """The configured providers, in the order their buttons show."""
    return [
        Provider(**{**config, "verified_claims": tuple(config.get("verified_claims", ()))})
        for config in settings.KEEPWARM_SSO_PROVIDERS
    ]


def provider(slug: str) -> Provider | None:
    return next((p for p in providers() if p.slug == slug), None)


@lru_cache(maxsize=8)
def client(provider: Provider) -> DjangoOAuth2App:
    """Authlib's client for `provider`; it keeps the discovery document and keys it read,
    so a sign-in costs the provider one token request once the first has run."""
    registry = OAuth()
    app: DjangoOAuth2App = registry.register(
        name=f"keepwarm-{provider.slug}",
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        server_metadata_url=provider.discovery_url,
        client_kwargs={
            "scope": "openid email profile",
            "code_challenge_method": "S256",
            "default_timeout": PROVIDER_TIMEOUT,
        },
    )
    return app


def _claim_true(value: Any) -> bool:
    # Some providers send booleans as strings.
    return value is True or (isinstance(value, str) and value.lower() == "true")


def verified_email(provider: Provider, claims: dict[str, Any]) -> str:
    """The address the ID token vouches for, or SignInRefused saying what is missing."""
    email = str(claims.get("email") or "").strip()
    if not email:
        raise SignInRefused(
            f"Your {provider.name} account did not share an email address with Keepwarm, so "
            "it cannot tell which colleague you are. Ask an admin to check the single sign-on "
            "set-up, or sign in with your password."
        )
    if not any(_claim_true(claims.get(name)) for name in provider.verified_claims):
        raise SignInRefused(
            f"{provider.name} did not confirm that {email} is verified, so Keepwarm cannot "
            "rely on it. Ask an admin to check the single sign-on set-up, or sign in with "
            "your password."
        )
    return email


def staff_member(provider: Provider, claims: dict[str, Any]) -> User:
    """The active colleague whose email the provider verified; otherwise SignInRefused.

    Nobody is created: single sign-on lets in only people an admin has added on Team.
    """
    email = verified_email(provider, claims)
    matches = list(User.objects.filter(email__iexact=email, is_active=True)[:2])
    if len(matches) != 1:
        logger.warning(
            "single sign-on via %s refused for %r: no one staff account", provider, email
        )
        raise SignInRefused(
            f"{email} is not the address of anyone on this Keepwarm's team, so you cannot "
            "sign in with it. Ask an admin to add you (or to correct your address on Team), "
            "then try again."
        )
    return matches[0]


def passes_second_factor(claims: dict[str, Any]) -> bool:
    """Whether this single sign-on also counts as the second factor (KEEPWARM_SSO_SECOND_FACTOR).

    By default it does not: staff type their authenticator code as after a password.
    """
    mode = settings.KEEPWARM_SSO_SECOND_FACTOR
    if mode == "provider":
        return True
    if mode == "provider-mfa":
        methods = claims.get("amr") or []
        return isinstance(methods, list) and "mfa" in methods
    return False
