"""Vacancies, and the people the agency placed who now hire."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from keepwarm.conftest import START, Cast
from keepwarm.network.models import Vacancy
from keepwarm.people.models import Company, Role


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _form(**extra: str) -> dict[str, str]:
    return {
        "company": "Acme Widgets",
        "title": "Buyer",
        "skills": "SAP, negotiation",
        "sector": "Manufacturing",
        "location": "Leeds",
        "salary_min": "30000",
        "salary_max": "36000",
        "status": "open",
        "notes": "",
        **extra,
    }


def test_consultant_adds_and_edits_a_vacancy(cast: Cast) -> None:
    client = _client(cast.owner)
    response = client.post(reverse("vacancy_new"), _form())
    vacancy = Vacancy.objects.get()
    assert response["Location"] == vacancy.get_absolute_url()
    assert vacancy.company == cast.company
    page = client.get(vacancy.get_absolute_url()).content.decode()
    assert "Buyer" in page and "£30,000 – £36,000" in page

    client.post(
        reverse("vacancy_edit", args=[vacancy.pk]), _form(status="filled", title="Senior Buyer")
    )
    vacancy.refresh_from_db()
    assert (vacancy.title, vacancy.status) == ("Senior Buyer", "filled")
    row = "<strong>Senior Buyer</strong>"
    assert row not in client.get(reverse("vacancies")).content.decode()
    assert row in client.get(reverse("vacancies") + "?status=filled").content.decode()


def test_vacancy_form_explains_mistakes_and_keeps_input(cast: Cast) -> None:
    response = _client(cast.owner).post(
        reverse("vacancy_new"), _form(company="Nowhere Ltd", salary_min="50000", salary_max="40000")
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "No company called “Nowhere Ltd”" in page
    assert "The top of the range is below its bottom." in page
    assert 'value="SAP, negotiation"' in page or "SAP, negotiation</textarea>" in page
    assert not Vacancy.objects.exists()


def test_salary_range_is_hidden_from_colleagues_who_do_not_own_the_vacancy(cast: Cast) -> None:
    vacancy = Vacancy.objects.create(
        company=cast.company, title="Buyer", salary_min=30000, salary_max=36000, owner=cast.owner
    )
    url = vacancy.get_absolute_url()
    assert "36,000" not in _client(cast.outsider).get(url).content.decode()
    assert "£30,000 – £36,000" in _client(cast.manager).get(url).content.decode()


def test_vacancy_salary_reads_as_people_say_it(cast: Cast) -> None:
    client = _client(cast.owner)
    shown = {}
    for low, high in ((28000, None), (None, 40000), (32000, 32000), (None, None)):
        vacancy = Vacancy.objects.create(
            company=cast.company, title="Buyer", salary_min=low, salary_max=high, owner=cast.owner
        )
        page = client.get(vacancy.get_absolute_url()).content.decode()
        shown[(low, high)] = page.split("<dt>Salary</dt><dd>")[1].split("</dd>")[0]
    assert shown == {
        (28000, None): "from £28,000",
        (None, 40000): "up to £40,000",
        (32000, 32000): "£32,000",
        (None, None): "—",
    }


def test_placed_person_who_now_hires_is_listed_and_shown_on_the_company_page(cast: Cast) -> None:
    globex = Company.objects.create(name="Globex")
    Role.objects.create(
        person=cast.candidate, kind=Role.Kind.CLIENT_CONTACT, company=globex, started_on=START
    )
    client = _client(cast.owner)
    listing = client.get(reverse("placed_who_hire")).content.decode()
    assert "Priya Patel" in listing and "Globex" in listing
    # Harry hires but was never placed by the agency.
    assert "Harry Hughes" not in listing
    company_page = client.get(globex.get_absolute_url()).content.decode()
    assert "Hiring managers we once placed" in company_page and "Priya Patel" in company_page
    assert (
        "Priya Patel" not in _client(cast.outsider).get(reverse("placed_who_hire")).content.decode()
    )


def test_searching_with_odd_characters_is_not_an_error(cast: Cast) -> None:
    client = _client(cast.owner)
    for name in ("vacancies", "intel", "referrals", "leads"):
        response = client.get(reverse(name), {"q": "Acme\x00", "status": "\x00", "page": "x"})
        assert response.status_code == 200, name


def _olivias_vacancy(cast: Cast, **extra: object) -> Vacancy:
    fields: dict[str, object] = {
        "company": cast.company,
        "title": "Buyer",
        "salary_min": 30000,
        "salary_max": 36000,
        "owner": cast.owner,
        **extra,
    }
    return Vacancy.objects.create(**fields)


def test_a_colleague_editing_a_vacancy_neither_sees_nor_changes_its_salary(cast: Cast) -> None:
    vacancy = _olivias_vacancy(cast)
    oscar = _client(cast.outsider)
    url = reverse("vacancy_edit", args=[vacancy.pk])

    form = oscar.get(url).content.decode()
    saved = oscar.post(url, _form(title="Lead Buyer", owner=str(cast.owner.pk), salary_min="1"))

    assert 'name="salary_min"' not in form and "36000" not in form and "30000" not in form
    assert saved.status_code == 302
    vacancy.refresh_from_db()
    assert (vacancy.title, vacancy.salary_min, vacancy.salary_max) == ("Lead Buyer", 30000, 36000)
    assert 'value="36000"' in _client(cast.owner).get(url).content.decode()


def test_a_vacancy_nobody_owns_shows_its_salary_to_managers_only(cast: Cast) -> None:
    vacancy = _olivias_vacancy(cast, owner=None)

    for user in (cast.owner, cast.outsider):
        page = _client(user).get(vacancy.get_absolute_url()).content.decode()
        assert "36,000" not in page
        form = _client(user).get(reverse("vacancy_edit", args=[vacancy.pk])).content.decode()
        assert "36000" not in form
    page = _client(cast.manager).get(vacancy.get_absolute_url()).content.decode()
    assert "£30,000 – £36,000" in page


def test_a_new_vacancy_with_no_consultant_named_is_its_authors(cast: Cast) -> None:
    client = _client(cast.outsider)
    client.post(reverse("vacancy_new"), _form(owner=""))

    vacancy = Vacancy.objects.get()
    assert vacancy.owner == cast.outsider
    assert "£30,000 – £36,000" in client.get(vacancy.get_absolute_url()).content.decode()


def test_only_its_consultant_or_a_manager_gives_a_vacancy_to_someone_else(cast: Cast) -> None:
    vacancy = _olivias_vacancy(cast)
    url = reverse("vacancy_edit", args=[vacancy.pk])

    refused = _client(cast.outsider).post(url, _form(owner=str(cast.outsider.pk)))

    assert refused.status_code == 400
    assert "Only the vacancy&#x27;s consultant or a manager can give it to someone else." in (
        refused.content.decode()
    )
    vacancy.refresh_from_db()
    assert vacancy.owner == cast.owner
    _client(cast.owner).post(url, _form(owner=str(cast.colleague.pk)))
    vacancy.refresh_from_db()
    assert vacancy.owner == cast.colleague
    _client(cast.manager).post(url, _form(owner=str(cast.outsider.pk)))
    vacancy.refresh_from_db()
    assert vacancy.owner == cast.outsider
