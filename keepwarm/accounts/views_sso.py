"""Signing in with the agency's accounts: the button's POST and the provider's return."""

from __future__ import annotations

import logging
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from joserfc.errors import JoseError

from keepwarm.accounts import services, sso
from keepwarm.accounts.middleware import mark_second_factor_passed, mark_signed_in
from keepwarm.lib.net import client_address

logger = logging.getLogger(__name__)

# Where to go once signed in, from the sign-in page's ?next=, kept across the round trip.
SSO_NEXT = "keepwarm_sso_next"

# What can go wrong between Keepwarm and the provider: no answer, an error answer, a state
# that does not match this browser's session, an ID token that does not check out.
PROVIDER_ERRORS = (AuthlibBaseError, JoseError, requests.RequestException, ValueError)


def _provider(slug: str) -> sso.Provider:
    found = sso.provider(slug)
    if found is None:
        raise Http404("No such single sign-on provider is configured.")
    return found


def _callback_url(provider: sso.Provider) -> str:
    # The address registered with the provider: the public base URL, whatever the proxy.
    return settings.BASE_URL + reverse("sso_callback", args=[provider.slug])


def _safe_next(request: HttpRequest, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _failed(request: HttpRequest, provider: sso.Provider, exc: Exception) -> HttpResponse:
    logger.warning("single sign-on via %s failed: %r", provider.slug, exc)
    messages.error(
        request,
        f"Signing in with {provider.name} did not work ({_reason(exc)}). Try again, or sign "
        "in with your username and password.",
    )
    return redirect("login")


def _reason(exc: Exception) -> str:
    if isinstance(exc, requests.RequestException):
        return "it could not be reached or did not answer"
    description = getattr(exc, "description", "") or getattr(exc, "error", "")
    if description == "access_denied":
        return "you cancelled, or it refused"
    if "state" in str(description).lower():
        return "the sign-in started in another browser or took too long"
    return str(description) or "its answer could not be checked"


@require_POST
def sso_start(request: HttpRequest, slug: str) -> HttpResponse:
    """Off to the provider: a POST from the sign-in page's button, so no link or prefetch
    starts a sign-in."""
    provider = _provider(slug)
    request.session[SSO_NEXT] = _safe_next(request, request.POST.get("next", ""))
    try:
        response: HttpResponse = sso.client(provider).authorize_redirect(
            request, _callback_url(provider)
        )
    except PROVIDER_ERRORS as exc:
        return _failed(request, provider, exc)
    return response


@require_GET
@never_cache
def sso_callback(request: HttpRequest, slug: str) -> HttpResponse:
    """The provider sends the browser back here with a one-time code. The code is worth
    something only with this session's state, nonce and PKCE verifier, so a GET from
    anywhere else signs nobody in."""
    provider = _provider(slug)
    try:
        token: dict[str, Any] = sso.client(provider).authorize_access_token(request)
    except PROVIDER_ERRORS as exc:
        return _failed(request, provider, exc)
    claims = token.get("userinfo")
    if not claims:
        return _failed(request, provider, ValueError("no ID token came back"))
    try:
        user = sso.staff_member(provider, dict(claims))
    except sso.SignInRefused as exc:
        messages.error(request, str(exc))
        return redirect("login")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    mark_signed_in(request)
    logger.info(
        "signed in with %s as %s from %s", provider.slug, user.username, client_address(request)
    )
    if sso.passes_second_factor(dict(claims)):
        mark_second_factor_passed(request)
        services.clear_sign_in_failures(username=user.username)
    elif not settings.KEEPWARM_REQUIRE_SECOND_FACTOR:
        services.clear_sign_in_failures(username=user.username)
    # The sign-in middleware asks for the second factor on the way, keeping this target.
    return redirect(_safe_next(request, request.session.pop(SSO_NEXT, "")))
