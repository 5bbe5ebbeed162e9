"""Choosing the person, the company and the hiring manager on the placement form."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from keepwarm.conftest import START, Cast
from keepwarm.people.models import Company, Person, Role
from keepwarm.placements.models import Placement
from keepwarm.placements.tests.test_placement_pages import logged_in, new_placement_data


def labels(client: Client, name: str, **params: str | int) -> list[str]:
    response = client.get(reverse(name), params)
    assert response.status_code == 200
    return [r["label"] for r in response.json()["results"]]


def contact_elsewhere(cast: Cast) -> Company:
    """Hazel Hunt, a client contact at Brown & Whitehouse, another of Olivia's clients."""
    other = Company.objects.create(name="Brown & Whitehouse")
    hazel = Person.objects.create(first_name="Hazel", last_name="Hunt", owner=cast.owner)
    Role.objects.create(
        person=hazel, kind=Role.Kind.CLIENT_CONTACT, company=other, started_on=START
    )
    return other


def test_typing_part_of_a_name_offers_only_people_the_consultant_may_see(cast: Cast) -> None:
    assert labels(logged_in(cast.owner), "pick_people", q="pri") == [
        "Patel, Priya (priya@example.net)"
    ]
    # Oscar has none of Olivia's people: the search finds nobody, not even by email.
    assert labels(logged_in(cast.outsider), "pick_people", q="pri") == []
    assert labels(logged_in(cast.outsider), "pick_people", q="priya@example.net") == []


def test_hiring_managers_offered_are_the_chosen_companys_contacts(cast: Cast) -> None:
    other = contact_elsewhere(cast)
    client = logged_in(cast.owner)

    assert labels(client, "pick_people", q="h", company=cast.company.pk) == [
        "Hughes, Harry (harry@acme.example)"
    ]
    assert labels(client, "pick_people", q="h", company=other.pk) == ["Hunt, Hazel"]
    assert labels(client, "pick_companies", q="brown") == ["Brown & Whitehouse"]


def test_a_contact_from_another_company_is_refused_as_hiring_manager(cast: Cast) -> None:
    other = Company.objects.create(name="Brown & Whitehouse")
    client = logged_in(cast.owner)
    data = new_placement_data(cast, company=str(other.pk))

    page = client.post(reverse("placement_new"), data).content.decode()

    assert "Harry Hughes is not a client contact at Brown &amp; Whitehouse" in page
    assert not Placement.objects.filter(role_title="Sales Lead").exists()


def test_without_javascript_typed_names_are_looked_up(cast: Cast) -> None:
    client = logged_in(cast.owner)
    data = new_placement_data(
        cast,
        person="",
        person_text="Priya Patel",
        company="",
        company_text="acme widgets",
        hiring_manager="",
        hiring_manager_text="Hughes, Harry (harry@acme.example)",
    )

    assert client.post(reverse("placement_new"), data).status_code == 302

    made = Placement.objects.get(role_title="Sales Lead")
    assert (made.person, made.company, made.hiring_manager) == (
        cast.candidate,
        cast.company,
        cast.client_contact,
    )


def test_a_typed_name_that_fits_nobody_or_several_says_what_to_do(cast: Cast) -> None:
    Person.objects.create(first_name="Priya", last_name="Patel", owner=cast.owner)
    client = logged_in(cast.owner)

    several = client.post(
        reverse("placement_new"), new_placement_data(cast, person="", person_text="priya patel")
    ).content.decode()
    nobody = client.post(
        reverse("placement_new"), new_placement_data(cast, person="", person_text="Zed Zolo")
    ).content.decode()
    no_company = client.post(
        reverse("placement_new"), new_placement_data(cast, company="", company_text="Nowhere Ltd")
    ).content.decode()

    assert "More than one person is called “priya patel”" in several
    assert "Nobody called “Zed Zolo” can be chosen here." in nobody
    assert "No company called “Nowhere Ltd”" in no_company
    assert not Placement.objects.filter(role_title="Sales Lead").exists()


def test_editing_keeps_the_hiring_manager_among_the_placements_company(cast: Cast) -> None:
    contact_elsewhere(cast)
    client = logged_in(cast.owner)
    url = reverse("placement_edit", args=[cast.placement.pk])

    page = client.get(url).content.decode()
    assert f"search/people.json?company={cast.company.pk}" in page
    assert 'value="Hughes, Harry (harry@acme.example)"' in page


def test_a_phone_number_typed_as_dialled_finds_the_stored_number(cast: Cast) -> None:
    Person.objects.filter(pk=cast.candidate.pk).update(phone="+447911123456")

    found = labels(logged_in(cast.owner), "pick_people", q="07911 123456")

    assert found == ["Patel, Priya (priya@example.net)"]
