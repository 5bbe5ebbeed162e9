"""People and company pages: search, access, the person's page, forms that explain themselves."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from keepwarm.accounts.models import ApiToken
from keepwarm.audit.models import AuditEntry
from keepwarm.care.models import Touchpoint
from keepwarm.conftest import START, Cast, oscar_places_sam
from keepwarm.mail.models import OutboxMessage
from keepwarm.people.forms import role_company_names
from keepwarm.people.models import Company, Note, Person, Role
from keepwarm.portal.personal import raise_concern


def logged_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


@pytest.mark.parametrize("typed", ["07700900123", "07700 900123", "900 123", "+07700-900123"])
def test_search_finds_person_by_phone(cast: Cast, typed: str) -> None:
    page = logged_in(cast.owner).get(reverse("search"), {"q": typed}).content.decode()
    assert "Priya Patel" in page


def test_search_finds_people_by_name_and_email_and_companies_by_name(cast: Cast) -> None:
    client = logged_in(cast.owner)
    assert "Priya Patel" in client.get(reverse("search"), {"q": "priya pat"}).content.decode()
    assert "Harry Hughes" in client.get(reverse("search"), {"q": "harry@acme"}).content.decode()
    assert "Acme Widgets" in client.get(reverse("search"), {"q": "acme"}).content.decode()


def test_search_matches_names_from_the_start_of_a_word(cast: Cast) -> None:
    client = logged_in(cast.owner)
    assert "Priya Patel" in client.get(reverse("search"), {"q": "pat"}).content.decode()
    assert "Priya Patel" not in client.get(reverse("search"), {"q": "riya"}).content.decode()


def test_live_search_answers_with_a_short_list(cast: Cast) -> None:
    response = logged_in(cast.owner).get(
        reverse("search"),
        {"q": "Priya"},
        headers={"HX-Request": "true", "HX-Target": "live-results"},
    )
    body = response.content.decode()
    assert "Priya Patel" in body and "<html" not in body


def test_search_never_shows_people_outside_reach(cast: Cast) -> None:
    page = logged_in(cast.outsider).get(reverse("search"), {"q": "Priya"}).content.decode()
    assert "Priya Patel" not in page
    assert "No people match" in page


def test_outsider_gets_404_for_someone_elses_person(cast: Cast) -> None:
    client = logged_in(cast.outsider)
    response = client.get(reverse("person", args=[cast.candidate.pk]))
    assert response.status_code == 404
    assert "Not found" in response.content.decode()
    assert "Priya" not in response.content.decode()
    assert client.get(reverse("person_edit", args=[cast.candidate.pk])).status_code == 404
    response = client.post(reverse("person_note", args=[cast.candidate.pk]), {"text": "x"})
    assert response.status_code == 404
    assert not Note.objects.exists()


def test_people_list_filters_by_role(cast: Cast) -> None:
    client = logged_in(cast.owner)
    placed = client.get(reverse("people"), {"role": "placed"}).content.decode()
    assert "Priya Patel" in placed and "Harry Hughes" not in placed
    contacts = client.get(reverse("people"), {"role": "client_contact"}).content.decode()
    assert "Harry Hughes" in contacts and "Priya Patel" not in contacts


def test_person_page_shows_roles_placement_countdown_and_timeline(cast: Cast) -> None:
    Note.objects.create(person=cast.candidate, author=cast.owner, text="Prefers calls after 5")
    page = logged_in(cast.owner).get(reverse("person", args=[cast.candidate.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Placed candidate" in body
    assert "Account Manager at Acme Widgets" in body
    assert "Prefers calls after 5" in body


@pytest.mark.parametrize("address_failed", [False, True])
def test_coming_up_reads_as_the_row_template_wrote_it(cast: Cast, address_failed: bool) -> None:
    """Coming up is written as Today's rows are (care.rows): a call to make, a colleague's
    covered call, and a check-in email and a questionnaire the worker sends (or that become
    calls, the address not working), with names needing escaping."""
    cast.candidate.first_name = 'Priya "P" <b>'
    if address_failed:
        cast.candidate.email_failed_at = timezone.now()
    cast.candidate.save()
    today = timezone.localdate()
    for n, (kind, title, owner) in enumerate(
        [
            ("call", "Week one call & <more>", cast.owner),
            ("call", "Olivia's call", cast.colleague),
            ("email", "Month one check-in", cast.owner),
            ("questionnaire", "Month three questions", cast.colleague),
        ]
    ):
        Touchpoint.objects.create(
            person=cast.candidate,
            placement=cast.placement,
            kind=kind,
            title=title,
            due_on=today + dt.timedelta(days=n),
            owner=owner,
        )
    url = reverse("person", args=[cast.candidate.pk])

    page = logged_in(cast.owner).get(url).content.decode()

    shown = page.split('<h2 id="next-heading">Coming up</h2>')[1].split("</ul>")[0]
    upcoming = Touchpoint.objects.filter(person=cast.candidate, state="planned")
    context = {"today": today, "user": cast.owner, "covering_ids": set(), "next_param": url}
    template = "".join(
        render_to_string("care/_touchpoint.html", {**context, "t": t})
        for t in upcoming.order_by("due_on", "id")
    )
    assert " ".join(shown.split()) == " ".join(f'<ul class="worklist"> {template}'.split())
    sent_by_us = "their address is not working" if address_failed else "Keepwarm sends this"
    assert "Log call" in shown and shown.count(sent_by_us) == 2


def test_logging_a_call_from_the_person_page_updates_timeline(cast: Cast) -> None:
    client = logged_in(cast.owner)
    response = client.post(
        reverse("log_call", args=[cast.candidate.pk]),
        {"kind": "call", "outcome": "reached", "notes": "All good, loves the team"},
    )
    assert response.status_code == 302
    done = Touchpoint.objects.get(person=cast.candidate, state=Touchpoint.State.DONE)
    assert done.notes == "All good, loves the team"
    cast.candidate.refresh_from_db()
    assert cast.candidate.last_contacted_at is not None
    page = client.get(reverse("person", args=[cast.candidate.pk])).content.decode()
    assert "All good, loves the team" in page


def test_log_call_form_explains_bad_input(cast: Cast) -> None:
    response = logged_in(cast.owner).post(
        reverse("log_call", args=[cast.candidate.pk]),
        {"kind": "call", "outcome": "telepathy", "notes": "typed this"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Select a valid choice" in body
    assert "typed this" in body
    assert not Touchpoint.objects.exists()


def test_adding_a_note_puts_it_on_the_timeline(cast: Cast) -> None:
    client = logged_in(cast.owner)
    client.post(reverse("person_note", args=[cast.candidate.pk]), {"text": "Moving to York"})
    assert Note.objects.get(person=cast.candidate).author == cast.owner


def test_new_person_gets_a_role_and_duplicate_email_is_refused(cast: Cast) -> None:
    client = logged_in(cast.owner)
    response = client.post(
        reverse("person_new"),
        {
            "first_name": "Sam",
            "last_name": "Smith",
            "email": "sam@example.net",
            "role": "candidate",
        },
    )
    sam = Person.objects.get(email="sam@example.net")
    assert response["Location"] == sam.get_absolute_url()
    assert sam.owner == cast.owner
    assert sam.roles.get().kind == Role.Kind.CANDIDATE

    again = client.post(
        reverse("person_new"),
        {
            "first_name": "Samuel",
            "last_name": "Smith",
            "email": "SAM@example.net",
            "role": "candidate",
        },
    )
    assert "already recorded" in again.content.decode()
    assert "Samuel" in again.content.decode()
    assert Person.objects.filter(last_name="Smith").count() == 1


def test_client_contact_needs_a_company(cast: Cast) -> None:
    response = logged_in(cast.owner).post(
        reverse("person_new"), {"first_name": "Cat", "last_name": "Cole", "role": "client_contact"}
    )
    assert "Choose the company" in response.content.decode()


def test_company_rebate_scale_is_validated_and_saved(cast: Cast) -> None:
    client = logged_in(cast.owner)
    url = reverse("company_edit", args=[cast.company.pk])
    form = client.get(url).content.decode()
    assert "30:100, 60:50, 90:25" in form
    fields = {
        "name": "Acme Widgets",
        "guarantee_length": "90",
        "guarantee_unit": "calendar",
        "guarantee_remedy": "refund",
    }
    bad = client.post(url, {**fields, "rebate_scale": "30:100, sixty:50"})
    assert "is not “day:percent”" in bad.content.decode()
    assert "sixty:50" in bad.content.decode()
    late = client.post(url, {**fields, "rebate_scale": "30:100, 120:50"})
    assert "after the end of the 90-day guarantee" in late.content.decode()

    client.post(url, {**fields, "rebate_scale": "45:100; 90:40"})
    cast.company.refresh_from_db()
    assert cast.company.rebate_scale == [
        {"up_to_day": 45, "percent": 100},
        {"up_to_day": 90, "percent": 40},
    ]


def test_company_page_shows_terms_contacts_and_placements(cast: Cast) -> None:
    body = logged_in(cast.owner).get(reverse("company", args=[cast.company.pk])).content.decode()
    assert "50% to day 60" in body
    assert "Harry Hughes" in body
    assert "Priya Patel" in body


def test_new_company(cast: Cast) -> None:
    client = logged_in(cast.owner)
    response = client.post(
        reverse("company_new"),
        {
            "name": "Bolt Ltd",
            "guarantee_length": "60",
            "guarantee_unit": "working",
            "guarantee_remedy": "replacement",
            "website": "bolt.example",
        },
    )
    bolt = Company.objects.get(name="Bolt Ltd")
    assert response["Location"] == bolt.get_absolute_url()
    assert bolt.website == "https://bolt.example"


def test_adding_a_role_takes_a_typed_company_name_and_suggests_only_a_few(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("keepwarm.people.forms.ROLE_COMPANIES_OFFERED", 3)
    Company.objects.bulk_create(Company(name=f"Other Co {n}") for n in range(10))
    client = logged_in(cast.owner)

    page = client.get(reverse("person", args=[cast.candidate.pk])).content.decode()
    assert f'<option value="{cast.company.name}">' in page  # where they were placed
    assert "Other Co 9" in page and "Other Co 0" not in page  # the newest few, not all

    response = client.post(
        reverse("person_role", args=[cast.candidate.pk]),
        {"kind": Role.Kind.CLIENT_CONTACT, "company": " other co 4 ", "started_on": "2026-01-05"},
    )
    assert response.status_code == 302
    role = cast.candidate.roles.get(kind=Role.Kind.CLIENT_CONTACT)
    assert role.company == Company.objects.get(name="Other Co 4")

    unknown = client.post(
        reverse("person_role", args=[cast.candidate.pk]),
        {"kind": Role.Kind.CLIENT_CONTACT, "company": "Nobody Ltd", "started_on": "2026-01-05"},
    )
    assert "No company called “Nobody Ltd”" in unknown.content.decode()


def test_role_suggestions_put_their_own_companies_first_then_the_newest_once_each(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("keepwarm.people.forms.ROLE_COMPANIES_OFFERED", 3)
    zed = Company.objects.create(name="Zed & Sons")
    Role.objects.create(
        person=cast.candidate, kind=Role.Kind.CANDIDATE, company=zed, started_on=START
    )
    Company.objects.bulk_create(Company(name=f"Other Co {n}") for n in range(5))
    Company.objects.create(name="Acme Widgets")  # the same name as their client: said once

    assert role_company_names(cast.candidate) == [
        *sorted([cast.company.name, "Zed & Sons"]),
        *("Other Co 4", "Other Co 3"),
    ]
    # A hiring manager is offered the company they hire for.
    assert role_company_names(cast.client_contact)[0] == cast.company.name


def test_a_person_page_view_is_recorded_naming_the_person_it_read_once(cast: Cast) -> None:
    client = logged_in(cast.owner)
    url = reverse("person", args=[cast.candidate.pk])
    client.get(url)

    statements: list[str] = []

    def seen(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)  # statements prepared on PostgreSQL too, which the log misses
        return execute(sql, params, many, context)

    with connection.execute_wrapper(seen):
        client.get(url)

    entry = AuditEntry.objects.filter(action="viewed").latest("id")
    assert (entry.object_repr, entry.person_id) == (cast.candidate.full_name, cast.candidate.pk)
    # The person's whole row (their headline among it), read once for the page and the entry.
    assert len([sql for sql in statements if '."headline"' in sql]) == 1


@pytest.fixture
def shared_hiring_manager(cast: Cast) -> Cast:
    """Oscar places Sam at Acme under Harry, who is also hiring manager of Olivia's placement,
    and Olivia has called Harry about Priya, planned another call and sent a check-in."""
    oscar_places_sam(cast)
    for state, title, notes in (
        (Touchpoint.State.DONE, "Client call", "Harry worries Priya misses her targets"),
        (Touchpoint.State.PLANNED, "Client review call", ""),
    ):
        Touchpoint.objects.create(
            person=cast.client_contact,
            placement=cast.placement,
            kind="call",
            audience="client",
            title=title,
            notes=notes,
            owner=cast.owner,
            due_on=START,
            state=state,
        )
    check_in = Touchpoint.objects.create(
        person=cast.client_contact,
        placement=cast.placement,
        kind="email",
        title="Client check-in",
        owner=cast.owner,
        due_on=START,
        state=Touchpoint.State.DONE,
    )
    OutboxMessage.objects.create(
        key="touchpoint:shared",
        person=cast.client_contact,
        touchpoint=check_in,
        to_email=cast.client_contact.email,
        from_email="olivia@agency.example",
        subject="How is Priya getting on?",
        body_text="Hi Harry",
        send_after=dt.datetime(2026, 3, 9, 9, tzinfo=dt.UTC),
    )
    return cast


def test_a_shared_hiring_managers_page_hides_a_colleagues_placement_calls(
    shared_hiring_manager: Cast,
) -> None:
    cast = shared_hiring_manager
    oscar = logged_in(cast.outsider)

    page = oscar.get(reverse("person", args=[cast.client_contact.pk]))

    body = page.content.decode()
    assert page.status_code == 200 and "Harry Hughes" in body
    for leak in ("Priya", "misses her targets", "Client review call", "Account Manager"):
        assert leak not in body
    assert reverse("placement", args=[cast.placement.pk]) not in body
    olivias = Touchpoint.objects.filter(placement=cast.placement)
    for t in olivias:
        assert oscar.get(reverse("log_touchpoint", args=[t.pk])).status_code == 404
    message = OutboxMessage.objects.get()
    assert oscar.get(reverse("sent_message", args=[message.pk])).status_code == 404
    assert (
        "misses her targets"
        in logged_in(cast.owner)
        .get(reverse("person", args=[cast.client_contact.pk]))
        .content.decode()
    )


def test_the_api_gives_a_shared_hiring_managers_colleague_none_of_the_others_calls(
    shared_hiring_manager: Cast,
) -> None:
    cast = shared_hiring_manager
    _, token = ApiToken.issue(user=cast.outsider)
    client = Client(headers={"Authorization": f"Bearer {token}"})

    listed = client.get("/api/v1/touchpoints", {"person": cast.client_contact.pk}).json()

    assert listed["count"] == 0
    for t in Touchpoint.objects.filter(placement=cast.placement):
        assert client.get(f"/api/v1/touchpoints/{t.pk}").status_code == 404


def test_a_shared_hiring_managers_concern_about_a_colleagues_placement_stays_theirs(
    shared_hiring_manager: Cast,
) -> None:
    cast = shared_hiring_manager
    raise_concern(person=cast.client_contact, placement=cast.placement, text="Often late")
    url = reverse("person", args=[cast.client_contact.pk])

    oscars = logged_in(cast.outsider).get(url).content.decode()
    olivias = logged_in(cast.owner).get(url).content.decode()

    assert "Often late" not in oscars and "Priya" not in oscars
    assert "Raised a concern about Priya Patel: Often late" in olivias


def test_the_log_form_offers_their_own_placements_and_not_the_hires_they_manage(
    cast: Cast,
) -> None:
    # The hiring manager's page shows the placement they hire for, but a call logged there
    # is about them, not about that placement; the candidate's page offers it.
    manager_page = logged_in(cast.owner).get(reverse("person", args=[cast.client_contact.pk]))
    candidate_page = logged_in(cast.owner).get(reverse("person", args=[cast.candidate.pk]))
    option = f'<option value="{cast.placement.pk}">{cast.placement}</option>'
    assert "Account Manager at Acme Widgets" in manager_page.content.decode()
    assert option not in manager_page.content.decode()
    assert option in candidate_page.content.decode()
