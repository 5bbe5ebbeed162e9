"""Who may see what, for every URL that names a person or a placement.

The matrix reads the URL patterns themselves (as the header crawl does), so a page added
later is covered without anyone listing it: each route whose path names a person or a
placement is opened, by GET and by POST, as every role. A consultant who neither owns nor
covers the candidate must never see her data, nor change anything; anonymous visitors are
sent to sign in; the owner, managers and admins get the page.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from keepwarm.accounts.tests.test_every_page_headers import routes
from keepwarm.audit.models import AuditEntry
from keepwarm.care.models import Touchpoint
from keepwarm.conftest import Cast
from keepwarm.mail.models import OutboxMessage
from keepwarm.network.models import Referral
from keepwarm.people.models import Note, Person, Role
from keepwarm.placements.models import Placement
from keepwarm.signals.models import Alert

pytestmark = pytest.mark.django_db

PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
REPORT_SLUGS = ("retention", "fall-offs", "check-ins", "nps", "alerts", "network", "clients")
EXPORT_LISTS = ("people", "companies", "placements", "due", "alerts", "referrals", "leads")
SECRET = "Priya"  # the candidate's name: on every page about her


def _her_records(cast: Cast) -> dict[str, int]:
    """Records about the candidate, by the start of the routes that name them."""
    now = timezone.now()
    call = Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        owner=cast.owner,
        kind="call",
        title="Call Priya about week one",
        due_on=cast.placement.start_date,
    )
    message = OutboxMessage.objects.create(
        key="matrix-1",
        person=cast.candidate,
        to_email=cast.candidate.email,
        subject="How is week one, Priya?",
        body_text="Hi Priya",
        send_after=now,
    )
    alert = Alert.objects.create(
        placement=cast.placement,
        owner=cast.owner,
        reason="Priya says the role is not as described",
        opened_at=now,
        due_at=now + dt.timedelta(days=1),
    )
    referral = Referral.objects.create(
        referrer=cast.candidate, kind="candidate", name="Sam Friend", owner=cast.owner
    )
    return {
        "people": cast.candidate.pk,
        "placements": cast.placement.pk,
        "touchpoints": call.pk,
        "mail": message.pk,
        "alerts": alert.pk,
        "network/referrals": referral.pk,
        "reports/rebates": cast.placement.pk,
    }


def object_routes(cast: Cast) -> list[tuple[str, str]]:
    """(route, url) for every route about the cast's candidate and her records."""
    records = _her_records(cast)
    found = []
    for route, _name in routes():
        if route.startswith("api/"):
            continue  # the API has its own access tests per endpoint
        if len(PARAM.findall(route)) != 1:
            continue
        head = route.split("<", 1)[0].rstrip("/")
        # "privacy/people/<…>" and "network/people/<…>" are about a person too.
        key = next((k for k in records if head == k or head.endswith("/" + k)), None)
        if key is None:
            continue
        found.append((route, "/" + PARAM.sub(str(records[key]), route)))
    return found


def _state() -> tuple[int, ...]:
    return (
        Touchpoint.objects.filter(state="planned").count(),
        Alert.objects.filter(state="open").count(),
        Referral.objects.filter(status="received").count(),
        Note.objects.count(),
        Role.objects.count(),
        AuditEntry.objects.filter(action__in=["changed", "created", "deleted", "erased"]).count(),
        Person.objects.filter(erased_at__isnull=False).count(),
        Placement.objects.exclude(status="offer_accepted").count(),
    )


def test_the_matrix_covers_the_person_and_placement_pages(cast: Cast) -> None:
    covered = {route for route, _ in object_routes(cast)}
    for page in ("people/<int:pk>/", "placements/<int:pk>/", "alerts/<int:pk>/", "mail/<int:pk>/"):
        assert page in covered
    assert len(covered) >= 25, sorted(covered)


def test_a_consultant_who_does_not_look_after_her_sees_and_changes_nothing(cast: Cast) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(cast.outsider)
    pages = object_routes(cast)
    before = _state()
    leaks = []
    for route, url in pages:
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            status = response.status_code
            raw = b"".join(response.streaming_content) if response.streaming else response.content
            body = raw.decode(errors="replace") if status == 200 else ""
            if status >= 500 or (status == 200 and SECRET in body):
                leaks.append(f"{method.upper()} {url} ({route}): {status}")
            if 200 <= status < 400 and method == "post" and status != 200:
                leaks.append(f"POST {url} ({route}) was accepted: {status}")
    assert not leaks, "\n".join(leaks)
    assert _state() == before


def test_anonymous_visitors_are_sent_to_sign_in(cast: Cast) -> None:
    client = Client(raise_request_exception=False)
    wrong = []
    for route, url in object_routes(cast):
        response = client.get(url)
        if response.status_code == 200 or response.status_code >= 500:
            wrong.append(f"GET {url} ({route}): {response.status_code}")
        elif response.status_code == 302 and "/login/" not in response["Location"]:
            wrong.append(f"GET {url} ({route}): redirected to {response['Location']}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("who", ["owner", "manager", "admin"])
def test_the_owner_managers_and_admins_open_every_page_about_her(cast: Cast, who: str) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(getattr(cast, who))
    failed = []
    for route, url in object_routes(cast):
        status = client.get(url).status_code
        # 403 is right for an admin-only or manager-only page a consultant opens; 405 for a
        # POST-only action; everything else must open.
        allowed = {200, 302, 405} | ({403} if who == "owner" else set())
        if status not in allowed:
            failed.append(f"{who} GET {url} ({route}): {status}")
    assert not failed, "\n".join(failed)


def test_an_unrelated_consultant_finds_her_on_no_page_at_all(cast: Cast) -> None:
    """Every route of the app, every kind of id, as a consultant who does not look after her."""
    from keepwarm.accounts.tests.test_every_page_headers import candidate_ids, ids_by_model

    _her_records(cast)
    known = ids_by_model()
    client = Client(raise_request_exception=False)
    client.force_login(cast.outsider)
    her = ("Priya", "priya@example.net", "900123")
    leaks = []
    opened = 0
    for route, _name in routes():
        params = PARAM.findall(route)
        if "<str:" in route or route.startswith("api/"):
            continue  # emailed-link pages and the API have token and access tests of their own
        if not params:
            urls = ["/" + route]
        elif "<slug:" in route:
            slugs = EXPORT_LISTS if route.startswith("reports/export/") else REPORT_SLUGS
            urls = ["/" + PARAM.sub(slug, route) + "?format=csv" for slug in slugs]
        else:
            urls = ["/" + PARAM.sub(str(pk), route) for pk in candidate_ids(route, known)]
        for url in urls:
            response = client.get(url)
            opened += 1
            raw = (
                b"".join(response.streaming_content)  # type: ignore[attr-defined]
                if response.streaming
                else response.content
            )
            body = raw.decode(errors="replace")
            if response.status_code >= 500 or any(value in body for value in her):
                leaks.append(f"GET {url}: {response.status_code}")
    assert opened > 100
    assert not leaks, "\n".join(leaks)
