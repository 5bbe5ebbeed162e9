"""A Content-Security-Policy with a fresh script nonce on every response.

Scripts run only from this server or with the request's nonce: no inline `<script>` or
`on*=` attribute runs, so an injected one is inert. Templates get the nonce as
`{{ csp_nonce }}` (django-htmx's `{% htmx_script %}` adds it by itself). Styles allow
inline `style=""` attributes, which templates and htmx's indicator use; styles cannot
run code. The other security headers (HSTS in production, X-Content-Type-Options,
Referrer-Policy, X-Frame-Options) come from Django's SecurityMiddleware and settings.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


def policy(nonce: str, *, form_targets: Iterable[str] = ()) -> str:
    """The policy; `form_targets` are origins besides this one that a form here may lead
    to, through a redirect too (the sign-in page's single sign-on buttons)."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            " ".join(["form-action 'self'", *form_targets]),
            "frame-ancestors 'none'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = policy(nonce)
        else:
            response[HEADER] = tightened(response[HEADER], nonce)
        return response


# A view may set its own, stricter policy (public token pages allow no inline script at
# all); these directives, which never stop a page loading what it shows, are added to it
# when it leaves them out.
ALWAYS = ("script-src", "object-src", "base-uri", "form-action", "frame-ancestors")


def tightened(existing: str, nonce: str) -> str:
    named = {part.split()[0] for part in existing.split(";") if part.strip()}
    if "default-src" in named:
        # script-src falls back to the view's default-src: adding ours could loosen it
        # (default-src 'none' allows no script at all). object-src 'none' never loosens.
        named.add("script-src")
    extra = [
        part
        for part in policy(nonce).split("; ")
        if part.split()[0] in ALWAYS and part.split()[0] not in named
    ]
    return "; ".join([existing.strip().rstrip(";"), *extra]) if extra else existing


def allow_form_targets(
    request: HttpRequest, response: HttpResponse, origins: Iterable[str]
) -> None:
    """Let this page's forms lead to `origins` as well as here: a form's POST that Keepwarm
    answers with a redirect elsewhere is held to form-action all the way."""
    origins = sorted(set(origins))
    if origins:
        response[HEADER] = policy(getattr(request, "csp_nonce", ""), form_targets=origins)


def csp_nonce(request: HttpRequest) -> dict[str, object]:
    """Template context: `csp_nonce` for the rare script that must be inline."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
