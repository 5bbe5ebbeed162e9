"""Subject access requests: a manager logs one, downloads everything, and answers in time."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from keepwarm.conftest import Cast
from keepwarm.people.models import Note
from keepwarm.privacy.models import AccessRequest, one_month_after
from keepwarm.privacy.services import log_access_request

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (dt.date(2026, 3, 14), dt.date(2026, 4, 14)),
        (dt.date(2026, 1, 31), dt.date(2026, 2, 28)),  # no 31 February: the month's last day
        (dt.date(2027, 12, 15), dt.date(2028, 1, 15)),
    ],
)
def test_the_deadline_is_one_calendar_month_after_receipt(received: dt.date, due: dt.date) -> None:
    assert one_month_after(received) == due


def _log(client: Client, cast: Cast, **data: str) -> AccessRequest:
    client.force_login(cast.manager)
    response = client.post(
        reverse("access_request_new", args=[cast.candidate.pk]),
        {"received_on": "2026-11-20", "channel": "email", "notes": "Asked by email", **data},
    )
    assert response.status_code == 302, response.content.decode()
    return AccessRequest.objects.get()


def test_a_manager_logs_a_request_and_sees_its_deadline(client: Client, cast: Cast) -> None:
    logged = _log(client, cast)

    assert logged.due_on == dt.date(2026, 12, 20)
    page = client.get(reverse("access_requests")).content.decode()
    assert "Priya Patel" in page


def test_a_request_dated_in_the_future_is_refused_with_a_reason(client: Client, cast: Cast) -> None:
    client.force_login(cast.manager)
    response = client.post(
        reverse("access_request_new", args=[cast.candidate.pk]),
        {"received_on": "2099-01-01", "channel": "email"},
    )

    assert response.status_code == 200
    assert "cannot have arrived after today" in response.content.decode()
    assert not AccessRequest.objects.exists()


def test_the_json_holds_the_profile_placements_notes_and_calls(client: Client, cast: Cast) -> None:
    Note.objects.create(person=cast.candidate, author=cast.owner, text="Loves the new team")
    logged = _log(client, cast)

    response = client.get(reverse("access_request_json", args=[logged.pk]))

    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    sections = {s["model"]: s["records"] for s in data["sections"]}
    assert sections["people.person"][0]["email"] == "priya@example.net"
    assert sections["placements.placement"][0]["role title"] == "Account Manager"
    assert sections["placements.target"][0]["name"] == "New business"
    assert any(n["text"] == "Loves the new team" for n in sections["people.note"])
    assert "people.role" in sections


def test_records_mainly_about_someone_else_are_named_not_copied(client: Client, cast: Cast) -> None:
    # Harry is the hiring manager: Priya's placement concerns him but is about her.
    client.force_login(cast.manager)
    logged = log_access_request(
        person=cast.client_contact,
        received_on=dt.date(2026, 11, 20),
        channel="email",
        notes="",
        by=cast.manager,
    )

    data = json.loads(client.get(reverse("access_request_json", args=[logged.pk])).content)

    models = {s["model"] for s in data["sections"]}
    assert "placements.placement" not in models
    assert any("Account Manager" in r["record"] for r in data["records_about_other_people"])
    assert "38000" not in json.dumps(data)


def test_secrets_never_leave_in_an_export(client: Client, cast: Cast) -> None:
    logged = _log(client, cast)
    text = client.get(reverse("access_request_json", args=[logged.pk])).content.decode()

    assert "password" not in text.lower()
    assert "pbkdf2" not in text


def test_the_readable_document_lists_every_category(client: Client, cast: Cast) -> None:
    logged = _log(client, cast)

    page = client.get(reverse("access_request_document", args=[logged.pk])).content.decode()

    assert "The personal data we hold about Priya Patel" in page
    assert "Placements" in page and "Account Manager" in page


def test_marking_answered_records_who_and_when_and_only_by_post(client: Client, cast: Cast) -> None:
    logged = _log(client, cast)
    url = reverse("access_request_answer", args=[logged.pk])

    assert client.get(url).status_code == 405
    client.post(url)

    logged.refresh_from_db()
    assert logged.answered_on is not None and logged.answered_by == cast.manager


@pytest.mark.parametrize("who", ["owner", "outsider"])
def test_consultants_cannot_see_or_log_requests(client: Client, cast: Cast, who: str) -> None:
    logged = log_access_request(
        person=cast.candidate,
        received_on=dt.date(2026, 11, 20),
        channel="email",
        notes="",
        by=cast.manager,
    )
    client.force_login(getattr(cast, who))

    for url in (
        reverse("access_requests"),
        reverse("access_request", args=[logged.pk]),
        reverse("access_request_json", args=[logged.pk]),
        reverse("access_request_document", args=[logged.pk]),
        reverse("access_request_new", args=[cast.candidate.pk]),
    ):
        assert client.get(url).status_code == 403, url


def test_the_request_form_comes_up_with_today_and_takes_a_uk_date(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.manager)
    url = reverse("access_request_new", args=[cast.candidate.pk])
    today = timezone.localdate()  # the form's default, whatever day the test runs

    page = client.get(url).content.decode()

    assert f'type="date" name="received_on" value="{today.isoformat()}"' in page
    logged = _log(client, cast, received_on="20/11/2026")
    assert logged.received_on == dt.date(2026, 11, 20)


def test_the_document_reads_as_a_report_without_fees_or_bookkeeping(
    client: Client, cast: Cast
) -> None:
    logged = _log(client, cast)

    page = client.get(reverse("access_request_document", args=[logged.pk])).content.decode()
    data = client.get(reverse("access_request_json", args=[logged.pk])).content.decode()

    for heading in ("Your details", "Placements", "Who has seen or changed your data"):
        assert heading in page
    assert "38,000" in page  # their own salary is theirs
    # The client's fee and terms are the client's business; the app's bookkeeping is ours.
    for left_out in ("7,600", "Rebate scale", "Guarantee length", "Version", ">ID<"):
        assert left_out not in page
    assert "7600" not in data and "rebate" not in data.lower() and '"version"' not in data
    # Times on the agency's clock, to the minute: no "2026-11-20 09:14:03.123456+00:00".
    assert ".000" not in page and "+00:00" not in page
