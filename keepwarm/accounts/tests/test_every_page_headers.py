"""Every HTML page, staff and public, carries the security headers and runs no stray script.

The crawl reads the URL patterns themselves, so a page added later is crawled too: each
`<int:…>` is filled with the ids of objects that exist (the cast plus a small demo
agency, so every kind of object is there), trying the model the route names first;
token routes get a made-up token and show their "link problem" page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from keepwarm.conftest import Cast, pass_second_factor
from keepwarm.demo import agency

PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
# Not pages: provider webhooks, the API's JSON (its docs page is crawled), and the monitors'
# health check (JSON, 503 until a worker ticks; keepwarm/ops/tests/test_healthz.py).
SKIP_PREFIXES = ("anymail/", "healthz")


def routes(patterns: list[Any] | None = None, prefix: str = "") -> Iterator[tuple[str, str]]:
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            if not route.startswith("^") and not route.startswith(SKIP_PREFIXES):
                yield route, entry.name or ""


def ids_by_model() -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for model in apps.get_models():
        if model.__module__.startswith("keepwarm."):
            pks = list(model._default_manager.order_by("pk").values_list("pk", flat=True)[:3])
            if pks:
                found[model.__name__.lower()] = [int(pk) for pk in pks]
    return found


def real_tokens() -> dict[str, str]:
    """Working tokens for the public pages reached from emails, from the demo's objects."""
    from keepwarm.mail.unsubscribe import preferences_token, unsubscribe_token
    from keepwarm.newsletters.models import Issue
    from keepwarm.newsletters.render import view_url
    from keepwarm.people.models import Person
    from keepwarm.surveys.models import Invitation
    from keepwarm.surveys.services import sign_invitation

    person = Person.objects.order_by("pk").first()
    invitation = Invitation.objects.order_by("-pk").first()
    issue = Issue.objects.exclude(state=Issue.State.DRAFT).order_by("pk").first()
    assert person and invitation and issue
    view = view_url(issue_id=issue.pk, person_id=person.pk).rstrip("/").rsplit("/", 1)[1]
    return {
        "q/<str:token>/": sign_invitation(invitation),
        "u/<str:token>/": unsubscribe_token(person=person, purpose="newsletter"),
        "email-preferences/<str:token>/": preferences_token(person=person),
        "newsletters/view/<str:token>/": view,
        # The open pixel, which mail clients load without signing in.
        "newsletters/open/<str:token>.gif": view,
    }


def candidate_ids(route: str, known: dict[str, list[int]]) -> list[int]:
    """Ids to try for a route's number: the model its words name first, then any."""
    words = re.sub(r"<[^>]+>", "", route).replace("-", "").lower()
    # Plurals that do not contain their model's name ("companies" is not "company" + s):
    # without them a company page is tried only with whatever ids other models have, and
    # whether one of those is a company's depends on how far the id sequences have moved.
    synonyms = {
        "people": "person",
        "team": "user",
        "mail": "outboxmessage",
        "plans": "careplan",
        "companies": "company",
        "vacancies": "vacancy",
    }
    named = [
        m for m in known if m in words or any(w in words and m == v for w, v in synonyms.items())
    ]
    ordered: list[int] = []
    for model in sorted(named, key=len, reverse=True) + sorted(known):
        ordered += [pk for pk in known[model] if pk not in ordered]
    return ordered[:12]


class Scripts(HTMLParser):
    """Collects what a CSP must block: inline scripts without the nonce, on* handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[str] = []
        self.js_urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes)
        # hx-on and hx-vars evaluate JavaScript, which the policy (no 'unsafe-eval') stops.
        self.handlers += [
            f"<{tag} {name}>"
            for name, _ in attrs
            if name.startswith(("on", "hx-on", "data-hx-on", "hx-vars", "data-hx-vars"))
        ]
        self.js_urls += [
            f"<{tag} {name}>"
            for name, value in attrs
            if name in ("href", "src", "action")
            and (value or "").strip().lower().startswith("javascript:")
        ]


def check_page(url: str, response: Any, problems: list[str]) -> None:
    csp = response.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    nonce = next(
        (
            s[len("'nonce-") : -1]
            for s in directives.get("script-src", [])
            if s.startswith("'nonce-")
        ),
        "",
    )
    # script-src and object-src fall back to default-src when a page leaves them out.
    for fallback in ("script-src", "object-src"):
        if fallback not in directives and "default-src" in directives:
            directives[fallback] = directives["default-src"]
    expected = {
        "object-src": [["'none'"]],
        "frame-ancestors": [["'none'"]],
        "base-uri": [["'self'"], ["'none'"]],
        "form-action": [["'self'"]],
    }
    for name, allowed in expected.items():
        if directives.get(name) not in allowed:
            problems.append(f"{url}: CSP {name} is {directives.get(name)}")
    # Scripts from this server only, or inline with this response's nonce; never any
    # inline script without it. Public token pages allow no inline script at all.
    script_src = directives.get("script-src", [])
    if not script_src or {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(script_src):
        problems.append(f"{url}: CSP script-src is {script_src}")
    hsts = response.get("Strict-Transport-Security", "")
    if (
        not re.search(r"max-age=(3153[6-9]\d{3}|[4-9]\d{7,})", hsts)
        or "includeSubDomains" not in hsts
    ):
        problems.append(f"{url}: HSTS is {hsts!r}")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"{url}: X-Content-Type-Options missing")
    if response.get("Referrer-Policy") not in (
        "same-origin",
        "no-referrer",
        "strict-origin-when-cross-origin",
    ):
        problems.append(f"{url}: Referrer-Policy is {response.get('Referrer-Policy')!r}")
    parser = Scripts()
    parser.feed(response.content.decode())
    for script in parser.scripts:
        data_block = (script.get("type") or "").endswith("json")
        local = (script.get("src") or "").startswith("/")
        if not (data_block or local or (nonce and script.get("nonce") == nonce)):
            problems.append(f"{url}: a script runs without the nonce: {script}")
    problems += [f"{url}: inline handler {h}" for h in parser.handlers + parser.js_urls]


@pytest.fixture
def production_headers(settings: Any) -> None:
    """What settings.py turns on for an https:// KEEPWARM_BASE_URL."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True


def crawl(
    client: Client, known: dict[str, list[int]], tokens: dict[str, str], problems: list[str]
) -> dict[str, int]:
    """GET every route; returns the status reached per route (200 if any URL gave it)."""
    reached: dict[str, int] = {}
    for route, _name in routes():
        params = PARAM.findall(route)
        if not params:
            urls = ["/" + route]
        elif all(kind == "int" for kind, _ in params):
            urls = ["/" + PARAM.sub(str(pk), route) for pk in candidate_ids(route, known)]
        else:
            # A working token and a made-up one: the page, and its "link problem" page.
            urls = ["/" + PARAM.sub(t, route) for t in (tokens.get(route), "made-up") if t]
        for url in urls:
            response = client.get(url, secure=True)
            if reached.get(route) != 200:
                reached[route] = response.status_code
            if response.get("Content-Type", "").startswith("text/html"):
                check_page(url, response, problems)
            if response.status_code not in (400, 404) and route not in tokens:
                break  # found, or refused whatever the id: another id shows nothing new
    return reached


@pytest.mark.usefixtures("production_headers")
def test_every_staff_and_public_page_carries_the_security_headers(cast: Cast):
    agency.load(people=24, placements=10, companies=4)
    known = ids_by_model()
    tokens = real_tokens()
    problems: list[str] = []

    admin = Client()
    pass_second_factor(admin, cast.admin)
    staff = crawl(admin, known, tokens, problems)
    public = crawl(Client(), known, tokens, problems)
    consultant = Client()
    pass_second_factor(consultant, cast.owner)
    crawl(consultant, known, tokens, problems)

    assert problems == []
    pages = [route for route, status in staff.items() if status == 200]
    # The crawl must really reach pages, or it proves nothing.
    for route in (
        "",
        "people/",
        "people/<int:pk>/",
        "placements/<int:pk>/",
        "companies/<int:pk>/",
        "team/",
        "team/<int:pk>/",
        "account/",
        "newsletters/",
        "api/v1/docs",
    ):
        assert staff.get(route) == 200, route
    assert len(pages) >= 40, sorted(pages)
    assert public["login/"] == 200
    for route in ("subscribe/", *tokens):
        assert public[route] == 200, route


def test_the_second_factor_pages_carry_them_too(
    cast: Cast, settings: Any, production_headers: None
):
    settings.KEEPWARM_REQUIRE_SECOND_FACTOR = True
    client = Client()
    client.post(
        "/login/", {"username": "olivia_owner", "password": "correct-horse-battery"}, secure=True
    )
    problems: list[str] = []
    enrol = client.get("/login/second-factor/set-up/", secure=True)
    assert enrol.status_code == 200
    check_page("set-up", enrol, problems)
    assert problems == []


def test_the_nonce_is_new_on_every_response_and_reaches_htmx(cast: Cast):
    client = Client()
    client.force_login(cast.owner)
    first, second = client.get("/people/"), client.get("/people/")
    nonces = [
        re.findall(r"'nonce-([^']+)'", r["Content-Security-Policy"])[0] for r in (first, second)
    ]
    assert nonces[0] != nonces[1]
    # django-htmx's script tag carries it (a local file needs no nonce, but it is harmless).
    assert f'nonce="{nonces[0]}"' in first.content.decode()


def test_http_pages_get_no_hsts_but_every_other_header(cast: Cast):
    """The local demo runs on plain http: HSTS there would break it, so only https sends it."""
    response = Client().get("/login/")
    assert "Strict-Transport-Security" not in response
    assert "object-src 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_views_own_stricter_policy_keeps_the_protective_directives():
    from keepwarm.lib.headers import tightened

    merged = tightened("script-src 'none'", "abc")
    assert merged.startswith("script-src 'none'; ")
    assert "'nonce-abc'" not in merged  # the view's script-src stands
    for directive in ("object-src 'none'", "base-uri 'self'", "frame-ancestors 'none'"):
        assert directive in merged

    # A page allowing nothing by default gets no script-src that would allow more.
    strict = tightened("default-src 'none'; style-src 'self'", "abc")
    assert "script-src" not in strict
    assert "object-src 'none'" in strict
    assert "frame-ancestors 'none'" in strict
