"""Matching: people for a vacancy and vacancies for a person, ranked with reasons in words,
within what the user may see; the pages and the API."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.api.tests.conftest import Api
from keepwarm.conftest import START, Cast
from keepwarm.network import matching
from keepwarm.network.match_scoring import salary_fit
from keepwarm.network.models import Readiness, Vacancy
from keepwarm.network.performance import month_of
from keepwarm.network.similarity import Idf, TitleIndex, grams
from keepwarm.people.models import Company, Person, Role
from keepwarm.placements.models import Placement
from keepwarm.surveys.models import Answer, Invitation, Question, Questionnaire, Response


def candidate(
    owner: User, first: str, *, headline: str = "", skills: str = "", **extra: str
) -> Person:
    person = Person.objects.create(
        first_name=first, last_name="Test", headline=headline, skills=skills, owner=owner, **extra
    )
    Role.objects.create(person=person, kind=Role.Kind.CANDIDATE, started_on=START)
    return person


@pytest.fixture
def vacancy(cast: Cast) -> Vacancy:
    return Vacancy.objects.create(
        company=cast.company,
        title="Senior Account Manager",
        skills="Salesforce, negotiation, B2B sales",
        sector="Manufacturing",
        location="Leeds",
        salary_min=36000,
        salary_max=45000,
        owner=cast.owner,
    )


def rate_performance(placement: Placement, rating: int) -> None:
    questionnaire = Questionnaire.objects.get(code="client-check-in")
    invitation = Invitation.objects.create(
        placement=placement,
        person=placement.hiring_manager or placement.person,
        questionnaire=questionnaire,
        expires_at=timezone.now() + dt.timedelta(days=30),
    )
    response = Response.objects.create(
        invitation=invitation,
        placement=placement,
        person=invitation.person,
        questionnaire=questionnaire,
        submitted_at=timezone.now(),
    )
    Answer.objects.create(
        response=response,
        question=Question.objects.get(questionnaire=questionnaire, code="performance"),
        value_number=Decimal(rating),
    )


def test_title_similarity_forgives_word_order_and_variants() -> None:
    idf = Idf([grams(t) for t in ("Account manager", "Welder", "Nurse")])
    close = idf.cosine(grams("Senior Account Manager"), grams("Manager, accounts"))
    far = idf.cosine(grams("Senior Account Manager"), grams("Staff nurse"))
    assert close > 0.5 > far


def test_title_index_finds_the_nearest_other_title() -> None:
    index = TitleIndex(
        ["software developer", "software engineer", "staff nurse", "nurse practitioner"]
    )
    assert index.nearest("software developer", exclude=0) == 1
    assert index.nearest("registered nurse") in (2, 3)
    assert index.nearest("zzz") is None


def test_vacancy_ranks_the_fitting_person_first_with_reasons(cast: Cast, vacancy: Vacancy) -> None:
    fit = candidate(
        cast.owner,
        "Fiona",
        headline="Account Manager",
        skills="Salesforce, negotiation, key accounts",
        sector="Manufacturing",
        location="Leeds",
    )
    candidate(cast.owner, "Wes", headline="Welder", skills="MIG welding", location="Hull")
    matches = matching.match_people(vacancy)
    assert matches[0].person_id == fit.pk
    texts = [r.text for r in matches[0].reasons]
    assert "Title: Account Manager is close to Senior Account Manager" in texts
    assert "Skills: Salesforce, negotiation (2 of 3)" in texts
    assert "Same sector: Manufacturing" in texts
    assert "Based in Leeds" in texts
    assert matches[0].score > matches[-1].score


def test_placed_people_count_with_salary_readiness_performance_and_history(
    cast: Cast, vacancy: Vacancy
) -> None:
    cast.placement.status = Placement.Status.SETTLED
    cast.placement.save(update_fields=["status"])
    Readiness.objects.create(
        person=cast.candidate,
        score=0.8,
        reasons=[{"code": "statement", "text": "Actively looking", "weight": 0.8}],
        computed_at=timezone.now(),
    )
    rate_performance(cast.placement, 5)
    [match] = [m for m in matching.match_people(vacancy) if m.person_id == cast.candidate.pk]
    texts = [r.text for r in match.reasons]
    assert match.placed
    assert "Last salary within the range" in texts  # never the figure itself
    assert "Readiness to move 80%: Actively looking" in texts
    month = month_of(START, timezone.localdate())
    assert f"Client rated 5/5 at month {month} (Acme Widgets, Account Manager)" in texts
    assert f"Acme Widgets rated them 5/5 at month {month} (Account Manager)" in texts
    assert f"Placed at Acme Widgets before ({START.year}); stayed past the guarantee" in texts


def test_falling_off_with_this_client_counts_against(cast: Cast, vacancy: Vacancy) -> None:
    cast.placement.status = Placement.Status.FELL_OFF
    cast.placement.leave_reason = Placement.LeaveReason.MANAGER
    cast.placement.save(update_fields=["status", "leave_reason"])
    twin = candidate(cast.owner, "Twin", headline="Account Manager")
    Placement.objects.create(
        person=twin,
        company=Company.objects.create(name="Elsewhere Ltd"),
        owner=cast.owner,
        role_title="Account Manager",
        start_date=START,
        salary=Decimal("38000"),
        status=Placement.Status.SETTLED,
    )
    scores = {m.person_id: m for m in matching.match_people(vacancy)}
    fell = scores[cast.candidate.pk]
    assert "Placed at Acme Widgets before (2026) and fell off: Manager" in [
        r.text for r in fell.reasons
    ]
    assert scores[twin.pk].score > fell.score


def test_salary_far_above_the_range_is_said_without_the_figure() -> None:
    vacancy = Vacancy(title="x", salary_min=30000, salary_max=35000)
    part, text = salary_fit(vacancy, Decimal("50000"))
    assert part == 0 and text == "Last salary 43% above the range"
    part, text = salary_fit(vacancy, Decimal("27000"))
    assert part == 0.8 and text == "Last salary 10% below the range: a step up"


def test_consultant_sees_only_their_own_people_in_matches(cast: Cast, vacancy: Vacancy) -> None:
    mine = candidate(cast.owner, "Mine", headline="Account Manager")
    theirs = candidate(cast.outsider, "Theirs", headline="Account Manager")
    for_owner = {m.person_id for m in matching.match_people(vacancy, user=cast.owner)}
    assert mine.pk in for_owner and theirs.pk not in for_owner
    for_manager = {m.person_id for m in matching.match_people(vacancy, user=cast.manager)}
    assert {mine.pk, theirs.pk} <= for_manager


def test_client_contacts_who_never_sought_work_are_not_matched(
    cast: Cast, vacancy: Vacancy
) -> None:
    cast.client_contact.headline = "Senior Account Manager"
    cast.client_contact.save(update_fields=["headline"])
    assert cast.client_contact.pk not in {m.person_id for m in matching.match_people(vacancy)}


def test_person_gets_open_vacancies_ranked(cast: Cast, vacancy: Vacancy) -> None:
    cast.candidate.headline = "Account Manager"
    cast.candidate.skills = "Salesforce"
    cast.candidate.save(update_fields=["headline", "skills"])
    Vacancy.objects.create(company=cast.company, title="Forklift driver")
    Vacancy.objects.create(
        company=cast.company, title="Account Manager", status=Vacancy.Status.FILLED
    )
    matches = matching.match_vacancies(cast.candidate)
    assert [m.vacancy_title for m in matches] == ["Senior Account Manager", "Forklift driver"]
    assert "Skills: Salesforce (1 of 3)" in [r.text for r in matches[0].reasons]


def test_nobody_to_match_is_an_empty_list(cast: Cast, vacancy: Vacancy) -> None:
    Role.objects.all().delete()
    assert matching.match_people(vacancy) == []
    Vacancy.objects.all().delete()
    assert matching.match_vacancies(cast.candidate) == []


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_vacancy_matches_page_lists_people_with_reasons(cast: Cast, vacancy: Vacancy) -> None:
    candidate(cast.owner, "Fiona", headline="Account Manager", skills="Salesforce")
    page = logged_in(cast.owner).get(reverse("vacancy_matches", args=[vacancy.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Matches for Senior Account Manager" in body
    assert "Fiona Test" in body
    assert "Skills: Salesforce (1 of 3)" in body
    # Each reason says what it weighed: its points beside the words.
    assert re.search(r"Skills: Salesforce \(1 of 3\) <span[^>]*>\+\d+</span>", body)
    assert logged_in(cast.owner).get(reverse("vacancy_matches", args=[9999])).status_code == 404


def test_person_vacancies_page_is_only_for_those_who_may_see_the_person(
    cast: Cast, vacancy: Vacancy
) -> None:
    url = reverse("person_matches", args=[cast.candidate.pk])
    body = logged_in(cast.owner).get(url).content.decode()
    assert "Vacancies for Priya Patel" in body and "Senior Account Manager" in body
    assert logged_in(cast.outsider).get(url).status_code == 404


def test_api_gives_matches_with_scores_and_reasons(cast: Cast, vacancy: Vacancy) -> None:
    fit = candidate(cast.owner, "Fiona", headline="Account Manager", skills="Salesforce")
    api = Api(cast.owner)
    response = api.get(f"/matches/vacancies/{vacancy.pk}", limit=5)
    assert response.status_code == 200
    first = next(m for m in response.json() if m["person"] == fit.pk)
    assert first["person_name"] == "Fiona Test"
    assert 0 < first["score"] <= 100
    skills = next(r for r in first["reasons"] if r["code"] == "skills")
    assert skills["text"] == "Skills: Salesforce (1 of 3)"
    assert skills["points"] > 0

    response = api.get(f"/matches/people/{cast.candidate.pk}")
    assert response.status_code == 200
    assert response.json()[0]["vacancy"] == vacancy.pk
    assert Api(cast.outsider).get(f"/matches/people/{cast.candidate.pk}").status_code == 404
    assert api.get("/matches/vacancies/9999").status_code == 404
    assert api.get(f"/matches/vacancies/{vacancy.pk}", limit=0).status_code == 422


def test_api_ready_to_move(cast: Cast) -> None:
    Readiness.objects.create(
        person=cast.candidate,
        score=0.9,
        reasons=[{"code": "statement", "text": "Actively looking", "weight": 0.8}],
        computed_at=timezone.now(),
    )
    body = Api(cast.owner).get("/matches/ready-to-move").json()
    assert body["count"] == 1
    assert body["results"][0]["person_name"] == "Priya Patel"
    assert body["results"][0]["reasons"][0]["text"] == "Actively looking"
    assert Api(cast.outsider).get("/matches/ready-to-move").json()["count"] == 0


def test_a_single_salary_offered_fits_last_salaries_close_to_it() -> None:
    # A Bullhorn job order gives one salary; it becomes a range of one amount.
    vacancy = Vacancy(title="x", salary_min=30000, salary_max=30000)
    assert salary_fit(vacancy, Decimal("31200")) == (
        1.0,
        "Last salary close to the salary offered",
    )
    assert salary_fit(vacancy, Decimal("28800"))[0] == 1.0
    assert salary_fit(vacancy, Decimal("26000")) == (
        0.8,
        "Last salary 13% below the salary offered: a step up",
    )
    assert salary_fit(vacancy, Decimal("33000")) == (
        0.5,
        "Last salary 10% above the salary offered",
    )


def test_a_person_added_through_the_api_is_matched_like_one_added_on_the_page(
    cast: Cast, vacancy: Vacancy
) -> None:
    profile = {"headline": "Account Manager", "skills": "Salesforce, negotiation"}
    api = Api(cast.owner).post("/people", {"first_name": "Ana", "last_name": "Api", **profile})
    assert api.status_code == 201, api.json()
    page = logged_in(cast.owner).post(
        reverse("person_new"),
        {"first_name": "Wes", "last_name": "Web", "role": Role.Kind.CANDIDATE, **profile},
    )
    assert page.status_code == 302

    matched = {m.person_name: m.score for m in matching.match_people(vacancy, user=cast.owner)}

    assert "Ana Api" in matched and "Wes Web" in matched
    assert matched["Ana Api"] == matched["Wes Web"]
