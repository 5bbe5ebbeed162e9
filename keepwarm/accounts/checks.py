"""`check --deploy` warnings and errors for settings a production server must not have."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def second_factor_required(**kwargs: Any) -> list[CheckMessage]:
    if settings.KEEPWARM_REQUIRE_SECOND_FACTOR:
        return []
    return [
        Warning(
            "Staff sign in without a second factor.",
            hint="Unset KEEPWARM_REQUIRE_SECOND_FACTOR (it defaults to on); "
            "turn it off only for a local demo.",
            id="keepwarm.W001",
        )
    ]


@register(Tags.security, deploy=True)
def security_headers_installed(**kwargs: Any) -> list[CheckMessage]:
    needed = (
        "keepwarm.accounts.middleware.SignInMiddleware",
        "keepwarm.lib.headers.ContentSecurityPolicyMiddleware",
    )
    missing = [name for name in needed if name not in settings.MIDDLEWARE]
    return [
        Warning(
            f"{name} is not in MIDDLEWARE.",
            hint="It enforces the second factor and session time-outs, or sends the CSP.",
            id="keepwarm.W002",
        )
        for name in missing
    ]


@register(Tags.security, deploy=True)
def own_secret_key(**kwargs: Any) -> list[CheckMessage]:
    # Even on a loopback base URL: a server being checked for deployment may be behind a
    # proxy on the same machine, and the built-in key is in the public source code.
    if settings.SECRET_KEY != settings.BUILT_IN_SECRET_KEY:
        return []
    return [
        Error(
            "The built-in secret key is in use: anyone can forge sessions and emailed links.",
            hint="Set KEEPWARM_SECRET_KEY to 50 random characters "
            '(python3 -c "import secrets; print(secrets.token_urlsafe(50))").',
            id="keepwarm.E001",
        )
    ]


@register(Tags.security, deploy=True)
def single_sign_on_keeps_a_second_factor(**kwargs: Any) -> list[CheckMessage]:
    if not settings.KEEPWARM_SSO_PROVIDERS or settings.KEEPWARM_SSO_SECOND_FACTOR != "provider":
        return []
    return [
        Warning(
            "Single sign-on skips Keepwarm's second factor whatever the provider did.",
            hint="Keep KEEPWARM_SSO_SECOND_FACTOR=provider only if the provider enforces MFA "
            "for every account that can reach Keepwarm; provider-mfa skips it only when the "
            "ID token says MFA was used.",
            id="keepwarm.W020",
        )
    ]
