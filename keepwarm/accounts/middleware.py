"""Staff sessions: the second factor after the password, and idle and absolute time-outs.

Django's `login()` proves the password. Until the session also holds this user's id
under SECOND_FACTOR (set by the second-factor page, or by enrolment on a first sign-in),
every staff page redirects there and the API answers 403. Tests turn the requirement
off with KEEPWARM_REQUIRE_SECOND_FACTOR (keepwarm/conftest.py); its own tests turn it on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.cache import patch_vary_headers

from keepwarm.accounts.models import SecondFactor

SECOND_FACTOR = "keepwarm_second_factor"  # the user id whose second factor this session passed
SIGNED_IN_AT = "keepwarm_signed_in_at"  # epoch seconds of the password sign-in
SEEN_AT = "keepwarm_seen_at"  # epoch seconds of the last request, to the minute
# Writing the session on every request would turn each page view into a write.
SEEN_RESOLUTION = 60

# Reachable between the password and the second factor.
OPEN_URL_NAMES = ("login", "logout", "second_factor", "second_factor_enrol", "recovery_codes")
# Never signed in, and a session there is not touched: the monitors' health check and
# Prometheus' metrics.
UNGUARDED_URL_NAMES = ("healthz", "metrics")


def mark_second_factor_passed(request: HttpRequest) -> None:
    request.session.cycle_key()  # a new session id once fully signed in
    request.session[SECOND_FACTOR] = request.user.pk


def mark_signed_in(request: HttpRequest) -> None:
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now
    request.session.pop(SECOND_FACTOR, None)


class SessionKeptMiddleware(SessionMiddleware):
    """Django's session middleware, except that a request whose session id was not found
    leaves the browser's cookie alone.

    Signing in, and the second factor, give the session a new id and delete the old one.
    A request the browser sent just before (the favicon, another tab) still carries the
    old id; Django answers it by deleting the session cookie, and when that answer comes
    back after the one that set the new id, the browser drops the new id and is signed
    out. A session ended on purpose (sign-out, a time-out) is flushed by the request that
    ends it, so that answer still deletes the cookie; an id that is not found is worth
    nothing, so keeping it is safe."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if (
            session is not None
            and settings.SESSION_COOKIE_NAME in request.COOKIES
            and session.accessed
            and not session.modified
            and session.is_empty()
        ):
            patch_vary_headers(response, ("Cookie",))
            return response
        return super().process_response(request, response)


def second_factor_passed(request: HttpRequest) -> bool:
    return bool(request.session.get(SECOND_FACTOR) == request.user.pk)


def _reversible(names: Iterable[str]) -> Iterator[str]:
    """The paths of the named pages this site has: a URLconf without one (a test's own)
    has no such path to let through."""
    for name in names:
        try:
            yield reverse(name)
        except NoReverseMatch:
            continue


def _public(path: str) -> bool:
    """Whether the path's view is marked `login_not_required`: the favicon and the agency's
    brand, which every page asks for, are the same for everyone (a page asked for half way
    through signing in would otherwise get the second-factor page as its icon)."""
    try:
        view = resolve(path).func
    except Resolver404:
        return False
    return getattr(view, "login_required", True) is False


class SignInMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @cached_property
    def open_paths(self) -> frozenset[str]:
        return frozenset(reverse(name) for name in OPEN_URL_NAMES)

    @cached_property
    def unguarded_paths(self) -> frozenset[str]:
        return frozenset(_reversible(UNGUARDED_URL_NAMES))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info in self.unguarded_paths:
            return self.get_response(request)
        if request.user.is_authenticated:
            expired = self._expired(request)
            if expired:
                logout(request)
                messages.info(request, expired)
                return self._to(request, reverse("login"), keep_next=True)
            if (
                settings.KEEPWARM_REQUIRE_SECOND_FACTOR
                and not second_factor_passed(request)
                and request.path_info not in self.open_paths
                and not request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/"))
                and not _public(request.path_info)
            ):
                if request.path_info.startswith("/api/"):
                    return JsonResponse(
                        {"detail": "Finish signing in with your second factor first."},
                        status=403,
                    )
                enrolled = SecondFactor.objects.filter(
                    user_id=request.user.pk, confirmed_at__isnull=False
                ).exists()
                target = reverse("second_factor" if enrolled else "second_factor_enrol")
                return self._to(request, target, keep_next=True)
        return self.get_response(request)

    def _expired(self, request: HttpRequest) -> str:
        """Why this session ends now ("" if it does not); refreshes the last-seen time."""
        now = time.time()
        session = request.session
        signed_in_at = session.setdefault(SIGNED_IN_AT, now)
        seen_at = session.get(SEEN_AT, now)
        if now - signed_in_at > settings.KEEPWARM_SESSION_MAX_HOURS * 3600:
            return (
                f"You were signed out after {settings.KEEPWARM_SESSION_MAX_HOURS} hours; "
                "sign in again to carry on."
            )
        if now - seen_at > settings.KEEPWARM_SESSION_IDLE_MINUTES * 60:
            return (
                f"You were signed out after {settings.KEEPWARM_SESSION_IDLE_MINUTES} minutes "
                "without activity; sign in again to carry on."
            )
        if SEEN_AT not in session or now - seen_at >= SEEN_RESOLUTION:
            session[SEEN_AT] = now
        return ""

    def _to(self, request: HttpRequest, target: str, *, keep_next: bool) -> HttpResponse:
        if keep_next and request.method == "GET" and not request.headers.get("HX-Request"):
            target = f"{target}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request"):
            # htmx would swap the sign-in page into a fragment; have it load the page.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)


def second_factor_status(request: HttpRequest) -> dict[str, bool]:
    """Template context: `second_factor_off` shows a banner while the requirement is off."""
    return {"second_factor_off": not settings.KEEPWARM_REQUIRE_SECOND_FACTOR}
