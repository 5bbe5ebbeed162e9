"""Pages for people without an account: sign up, confirm, preferences, unsubscribe.

Every page here is reached from an email or the agency's website by someone who never
logged in. A GET only shows a page (mail scanners open every link); a POST changes
something, authorised by the signed token in the URL rather than a session or a CSRF
cookie. With Referrer-Policy: no-referrer, browsers send "Origin: null" on those POSTs,
which Django's CSRF check would refuse, so the token-carrying views are csrf_exempt.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from keepwarm.lib.net import client_address
from keepwarm.lib.ratelimit import RATE_WINDOW, over_limit
from keepwarm.mail.models import email_hash
from keepwarm.mail.services.consent import current_consent, update_preferences
from keepwarm.mail.unsubscribe import (
    BadLink,
    open_preferences_token,
    open_unsubscribe_token,
    preferences_url,
    unsubscribe_url,
)
from keepwarm.people.models import Consent, Person
from keepwarm.portal import services
from keepwarm.portal.forms import PreferencesForm, SignupForm

# Our own stylesheet only: no third-party assets, no script at all.
PUBLIC_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
ALLOWED = ("GET", "HEAD", "POST")
# Sign-ups per address and per connection in RATE_WINDOW (ten minutes).
SIGNUPS_PER_ADDRESS = 3
SIGNUPS_PER_CONNECTION = 20


def _public(response: HttpResponse) -> HttpResponse:
    # The token is in the URL: never leak it in a Referer, never keep the page in a cache.
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = PUBLIC_CSP
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _page(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    return _public(render(request, f"portal/{template}", context or {}, status=status))


def _not_allowed() -> HttpResponse:
    return _public(HttpResponse(status=405, headers={"Allow": ", ".join(ALLOWED)}))


def _problem(request: HttpRequest, problem: Any) -> HttpResponse:
    return _page(request, "link_problem.html", {"problem": problem}, status=problem.status)


def _too_many(request: HttpRequest) -> HttpResponse:
    response = _page(request, "too_many.html", status=429)
    response["Retry-After"] = str(int(RATE_WINDOW.total_seconds()))
    return response


# --- One-click unsubscribe (RFC 8058) -----------------------------------------------------


@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """POST unsubscribes at once and answers 200 with no redirect: a mailbox provider's
    one-click POST carries no cookie and follows nothing. GET shows a button that posts
    here, because a scanner opening the link must not unsubscribe anyone."""
    if request.method not in ALLOWED:
        return _not_allowed()
    try:
        link = open_unsubscribe_token(token)
    except BadLink as problem:
        return _problem(request, problem)
    person = Person.objects.filter(pk=link.person_id).first()
    context: dict[str, Any] = {"person": person, "purpose": link.purpose}
    if person is None:
        # Erased or merged away: there is nobody left to mail.
        return _page(request, "unsubscribed.html", context)
    if request.method == "POST":
        services.unsubscribe(person=person, purpose=link.purpose, how="Unsubscribe link")
        context["preferences_url"] = preferences_url(person=person, purpose=link.purpose)
        return _page(request, "unsubscribed.html", context)
    return _page(request, "unsubscribe.html", context)


# --- Preferences ----------------------------------------------------------------------------


@csrf_exempt
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    if request.method not in ALLOWED:
        return _not_allowed()
    try:
        link = open_preferences_token(token)
    except BadLink as problem:
        return _problem(request, problem)
    person = Person.objects.filter(pk=link.person_id).first()
    consent = current_consent(person, link.purpose) if person else None
    if person is None or consent is None:
        return _page(request, "not_subscribed.html", {"person": person})
    if request.method == "POST" and request.POST.get("action") == "leave":
        services.unsubscribe(person=person, purpose=None, how="Preferences page: left everything")
        return _page(request, "unsubscribed.html", {"person": person, "everything": True})
    today = timezone.localdate()
    initial = {
        "frequency": consent.frequency,
        "topics": consent.topics,
        "paused_until": consent.paused_until,
    }
    form = PreferencesForm(
        request.POST if request.method == "POST" else None, initial=initial, today=today
    )
    if request.method == "POST" and form.is_valid():
        update_preferences(
            consent=consent,
            frequency=form.cleaned_data["frequency"],
            topics=form.cleaned_data["topics"],
            paused_until=form.cleaned_data["paused_until"],
        )
        return _public(redirect(f"{request.path}?saved=1"))
    context = {
        "person": person,
        "consent": consent,
        "form": form,
        "saved": request.GET.get("saved") == "1",
        "paused": consent.is_paused(today),
        "unsubscribe_url": unsubscribe_url(person=person, purpose=link.purpose),
    }
    return _page(request, "preferences.html", context)


# --- Sign-up with double opt-in ---------------------------------------------------------------


@csrf_exempt  # anonymous form; rate limits and the confirmation email are the guard
def signup(request: HttpRequest) -> HttpResponse:
    if request.method not in ALLOWED:
        return _not_allowed()
    if request.method != "POST":
        if request.GET.get("sent") == "1":
            return _page(request, "signup_sent.html")
        return _page(request, "signup.html", _signup_context(SignupForm()))
    now = timezone.now()
    if over_limit(
        key=f"signup-ip:{client_address(request)}", limit=SIGNUPS_PER_CONNECTION, now=now
    ):
        return _too_many(request)
    form = SignupForm(request.POST)
    if not form.is_valid():
        return _page(request, "signup.html", _signup_context(form), status=400)
    if form.cleaned_data["website"]:
        # A bot filled in the hidden field: look successful, send nothing.
        return _public(redirect(reverse("newsletter_signup") + "?sent=1"))
    email = form.cleaned_data["email"]
    if over_limit(key=f"signup:{email_hash(email)[:32]}", limit=SIGNUPS_PER_ADDRESS, now=now):
        return _too_many(request)
    services.request_signup(
        name=form.cleaned_data["name"],
        email=email,
        frequency=form.cleaned_data["frequency"],
        topics=form.cleaned_data["topics"],
        now=now,
    )
    # The same answer whether or not the address is known: the form reveals nothing.
    return _public(redirect(reverse("newsletter_signup") + "?sent=1"))


def _signup_context(form: SignupForm) -> dict[str, Any]:
    return {"form": form, "wording": services.SIGNUP_WORDING}


@csrf_exempt
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what is being confirmed and a button; only the button's POST confirms."""
    if request.method not in ALLOWED:
        return _not_allowed()
    try:
        signup = services.open_signup_token(token)
        services.check_not_left_since(signup)
    except services.SignupLinkProblem as problem:
        return _problem(request, problem)
    topics = dict(Consent.Topic.choices)
    context: dict[str, Any] = {
        "signup": signup,
        "frequency": dict(Consent.Frequency.choices).get(signup.frequency, signup.frequency),
        "topics": [topics[t] for t in signup.topics if t in topics],
        "wording": services.SIGNUP_WORDING,
    }
    if request.method == "POST":
        try:
            consent = services.confirm_signup(signup)
        except services.SignupLinkProblem as problem:
            return _problem(request, problem)
        context["preferences_url"] = preferences_url(person=consent.person)
        return _page(request, "confirmed.html", context)
    return _page(request, "confirm.html", context)
