"""Leads become companies and vacancies in one action; intel shows as "what we know"."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse

from keepwarm.conftest import Cast
from keepwarm.network.models import IntelNote, Lead, Vacancy
from keepwarm.network.services import receive_lead
from keepwarm.people.models import Company, Person, Role


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_lead_is_recorded_from_the_sources_page(cast: Cast) -> None:
    client = _client(cast.owner)
    response = client.post(
        reverse("lead_new"),
        {
            "source": "Priya Patel",
            "company_name": "Globex",
            "contact_name": "Gina Gold",
            "contact_email": "gina@globex.example",
            "role_hint": "Head of Sales",
        },
    )
    lead = Lead.objects.get()
    assert response["Location"] == lead.get_absolute_url()
    assert lead.source == cast.candidate
    assert "Passed on a lead" in client.get(cast.candidate.get_absolute_url()).content.decode()


def test_converting_a_lead_makes_company_vacancy_and_contact_in_one_action(cast: Cast) -> None:
    lead = receive_lead(
        source=cast.candidate,
        company_name="Globex",
        contact_name="Gina Gold",
        contact_email="gina@globex.example",
        role_hint="Head of Sales",
        notes="Expanding into the north.",
    )
    client = _client(cast.owner)
    response = client.post(
        reverse("lead_convert", args=[lead.pk]),
        {
            "company_name": "Globex",
            "title": "Head of Sales",
            "sector": "Logistics",
            "add_contact": "on",
        },
    )

    vacancy = Vacancy.objects.get()
    assert response["Location"] == vacancy.get_absolute_url()
    assert (vacancy.company.name, vacancy.company.sector, vacancy.status) == (
        "Globex",
        "Logistics",
        "open",
    )
    gina = Person.objects.get(email="gina@globex.example")
    assert gina.roles.get().kind == Role.Kind.CLIENT_CONTACT
    assert gina.roles.get().company == vacancy.company
    lead.refresh_from_db()
    assert (lead.status, lead.company, lead.vacancy, lead.contact) == (
        "converted",
        vacancy.company,
        vacancy,
        gina,
    )
    page = client.get(vacancy.get_absolute_url()).content.decode()
    assert "passed on by" in page and "Priya Patel" in page
    assert "Came to us through" in client.get(vacancy.company.get_absolute_url()).content.decode()


def test_converting_twice_makes_nothing_more(cast: Cast) -> None:
    lead = receive_lead(source=cast.candidate, company_name="Acme widgets", role_hint="Buyer")
    client = _client(cast.owner)
    data = {"company_name": "Acme widgets", "title": "Buyer"}
    client.post(reverse("lead_convert", args=[lead.pk]), data)
    again = client.post(reverse("lead_convert", args=[lead.pk]), data)
    assert again.status_code == 400
    assert "already converted" in again.content.decode()
    # The known company was reused (any case), not duplicated.
    assert Company.objects.count() == 1
    assert Vacancy.objects.get().company == cast.company


def test_convert_form_explains_a_missing_title_and_keeps_the_company(cast: Cast) -> None:
    lead = receive_lead(source=cast.candidate, company_name="Globex")
    response = _client(cast.owner).post(
        reverse("lead_convert", args=[lead.pk]), {"company_name": "Globex Group", "title": ""}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in page and 'value="Globex Group"' in page
    assert not Company.objects.filter(name="Globex Group").exists()


def test_doubtful_contact_must_be_settled_before_conversion(cast: Cast) -> None:
    Person.objects.create(first_name="Harry", last_name="Hughes", email="h2@else.example")
    lead = receive_lead(source=cast.candidate, company_name="Globex", contact_name="Harry Hughes")
    assert lead.contact is None and lead.contact_candidates.count() == 2
    client = _client(cast.manager)
    refused = client.post(
        reverse("lead_convert", args=[lead.pk]),
        {"company_name": "Globex", "title": "Buyer", "add_contact": "on"},
    )
    assert "say who it is first" in refused.content.decode()
    assert not Vacancy.objects.exists()

    client.post(reverse("lead_resolve", args=[lead.pk]), {"choice": str(cast.client_contact.pk)})
    client.post(
        reverse("lead_convert", args=[lead.pk]),
        {"company_name": "Globex", "title": "Buyer", "add_contact": "on"},
    )
    lead.refresh_from_db()
    assert lead.contact == cast.client_contact
    # Harry keeps one record, now a contact at both companies.
    assert set(cast.client_contact.roles.values_list("company__name", flat=True)) == {
        "Acme Widgets",
        "Globex",
    }


def test_outsider_cannot_open_or_convert_someone_elses_lead(cast: Cast) -> None:
    lead = receive_lead(source=cast.candidate, company_name="Globex")
    client = _client(cast.outsider)
    assert client.get(lead.get_absolute_url()).status_code == 404
    assert (
        client.post(
            reverse("lead_convert", args=[lead.pk]), {"company_name": "X", "title": "Y"}
        ).status_code
        == 404
    )
    assert client.post(reverse("lead_discard", args=[lead.pk])).status_code == 404
    lead.refresh_from_db()
    assert lead.status == "new"


def test_discarded_lead_leaves_the_new_list(cast: Cast) -> None:
    lead = receive_lead(source=cast.candidate, company_name="Globex")
    client = _client(cast.owner)
    assert client.get(reverse("lead_discard", args=[lead.pk])).status_code == 405
    client.post(reverse("lead_discard", args=[lead.pk]))
    assert "Globex" not in client.get(reverse("leads") + "?status=new").content.decode()
    assert "Globex" in client.get(reverse("leads") + "?status=discarded").content.decode()


def test_intel_about_a_company_and_its_sector_shows_on_its_page(cast: Cast) -> None:
    client = _client(cast.colleague)
    response = client.post(
        reverse("intel"),
        {
            "kind": "client_plans",
            "company": "acme widgets",
            "sector": "",
            "noted_on": "2026-03-10",
            "body": "Opening a second plant in Hull next spring.",
            "source": "Harry, on a call",
        },
    )
    assert response["Location"] == cast.company.get_absolute_url()
    IntelNote.objects.create(
        kind="industry_news",
        sector="Manufacturing",
        body="Steel prices up 20%.",
        noted_on=dt.date(2026, 3, 1),
    )
    IntelNote.objects.create(
        kind="competitor", sector="Retail", body="Not about Acme.", noted_on=dt.date(2026, 3, 1)
    )
    page = client.get(cast.company.get_absolute_url()).content.decode()
    assert "What we know" in page
    assert "Opening a second plant in Hull" in page and "from Harry, on a call" in page
    assert "Steel prices up 20%." in page
    assert "Not about Acme." not in page


def test_intel_must_be_tagged_and_keeps_the_text(cast: Cast) -> None:
    response = _client(cast.owner).post(
        reverse("intel"),
        {
            "kind": "other",
            "company": "",
            "sector": "",
            "noted_on": "2026-03-10",
            "body": "Rumour of a merger.",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Tag the note with a company, a sector, or both." in page
    assert "Rumour of a merger." in page
    unknown = _client(cast.owner).post(
        reverse("intel"),
        {"kind": "other", "company": "Nowhere Ltd", "noted_on": "2026-03-10", "body": "x"},
    )
    assert "No company called “Nowhere Ltd”" in unknown.content.decode()
    assert not IntelNote.objects.exists()


def test_intel_can_name_the_person_it_came_from(cast: Cast) -> None:
    client = _client(cast.owner)
    client.post(
        reverse("intel"),
        {
            "kind": "client_plans",
            "company": "Acme Widgets",
            "noted_on": "2026-03-10",
            "body": "Budget for two more.",
            "source_person": "harry@acme.example",
        },
    )
    assert IntelNote.objects.get().source_person == cast.client_contact
    page = client.get(cast.company.get_absolute_url()).content.decode()
    assert "(Harry Hughes)" in page


def test_consultant_notes_how_things_are_on_the_person_page(cast: Cast) -> None:
    client = _client(cast.owner)
    response = client.post(
        reverse("person_statement", args=[cast.candidate.pk]),
        {"statement-status": "actively_looking", "statement-contract_end_on": "2026-09-30"},
    )
    assert response["Location"] == cast.candidate.get_absolute_url()
    statement = cast.candidate.statements.get()
    assert (statement.status, statement.source) == ("actively_looking", "consultant")
    page = client.get(cast.candidate.get_absolute_url()).content.decode()
    assert "Actively looking" in page and "contract ends 30 Sep 2026" in page
    refused = client.post(
        reverse("person_statement", args=[cast.candidate.pk]), {"statement-status": "bored"}
    )
    assert refused.status_code == 302
    assert cast.candidate.statements.count() == 1
    assert (
        _client(cast.outsider)
        .post(reverse("person_statement", args=[cast.candidate.pk]), {"statement-status": "happy"})
        .status_code
        == 404
    )
