"""The ranking pool: everyone who can be placed is in it however they were recorded, and
the profiles a process keeps between rankings never hide a change: an edit, a new role,
skills, readiness or a placement shows on the very next ranking, whatever wrote it."""

from __future__ import annotations

import importlib
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keepwarm.api.tests.conftest import Api
from keepwarm.conftest import START, Cast
from keepwarm.network import matching, pool
from keepwarm.network.models import Readiness, Vacancy
from keepwarm.network.tests.test_matching import candidate, logged_in
from keepwarm.people.models import Person, Role
from keepwarm.people.services import update_person
from keepwarm.placements.models import Placement

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_process() -> None:
    pool.forget()


@pytest.fixture
def vacancy(cast: Cast) -> Vacancy:
    return Vacancy.objects.create(
        company=cast.company, title="Payroll Administrator", skills="Sage, payroll"
    )


def ranked(vacancy: Vacancy) -> dict[int, matching.Match]:
    return {m.person_id: m for m in matching.match_people(vacancy, limit=100)}


def reads_profiles(fn: object) -> bool:
    """Whether a ranking read the people's and roles' rows (rather than its kept copy)."""
    with CaptureQueriesContext(connection) as queries:
        fn()  # type: ignore[operator]
    return any('"people_role"' in q["sql"] for q in queries.captured_queries)


# --- However they were recorded -----------------------------------------------------------


def test_a_person_added_through_the_api_is_in_the_pool(cast: Cast, vacancy: Vacancy) -> None:
    made = Api(cast.owner).post(
        "/people", {"first_name": "Ana", "last_name": "Api", "headline": "Payroll Administrator"}
    )
    assert made.status_code == 201, made.json()
    assert made.json()["id"] in ranked(vacancy)


def test_a_person_added_on_the_page_is_in_the_pool(cast: Cast, vacancy: Vacancy) -> None:
    page = logged_in(cast.owner).post(
        reverse("person_new"),
        {
            "first_name": "Wes",
            "last_name": "Web",
            "role": Role.Kind.CANDIDATE,
            "headline": "Payroll Administrator",
        },
    )
    assert page.status_code == 302
    wes = Person.objects.get(last_name="Web")
    assert wes.pk in ranked(vacancy)


def test_people_imported_from_a_csv_file_are_in_the_pool(
    cast: Cast, vacancy: Vacancy, tmp_path: Path, settings: object
) -> None:
    settings.DATA_DIR = tmp_path / "data"  # type: ignore[attr-defined]
    path = tmp_path / "people.csv"
    path.write_text(
        "Forename,Surname,E-mail address,Job title,Skills\r\n"
        "Ann,Lee,ann@example.org,Payroll Administrator,Sage\r\n"
        "Bo,Ray,bo@example.org,Payroll Clerk,payroll\r\n",
        encoding="utf-8",
    )
    call_command("import", "csv", str(path), "--entity", "candidate", stdout=io.StringIO())
    imported = Person.objects.filter(email__in=["ann@example.org", "bo@example.org"])
    assert len(imported) == 2
    found = ranked(vacancy)
    assert {p.pk for p in imported} <= found.keys()
    ann = next(p for p in imported if p.first_name == "Ann")
    assert "Title: Payroll Administrator" in " ".join(r.text for r in found[ann.pk].reasons)


def test_everyone_in_the_demo_who_can_be_placed_is_in_the_pool() -> None:
    call_command("demo_data", "--people", "60", "--placements", "30", stdout=io.StringIO())
    contacts_only = Person.objects.exclude(
        roles__kind__in=(Role.Kind.CANDIDATE, Role.Kind.PLACED)
    ).filter(roles__kind=Role.Kind.CLIENT_CONTACT)
    can_be_placed = set(Person.objects.exclude(pk__in=contacts_only).values_list("pk", flat=True))
    assert can_be_placed
    assert {p.id for p in pool.pool().profiles} == can_be_placed
    vacancy = Vacancy.objects.filter(status=Vacancy.Status.OPEN).first()
    assert vacancy is not None
    assert matching.match_people(vacancy)


# --- What a process keeps, and when it reads again ------------------------------------------


def test_a_second_ranking_with_nothing_changed_reads_no_profiles(
    cast: Cast, vacancy: Vacancy
) -> None:
    candidate(cast.owner, "Pat", headline="Payroll Administrator")
    assert reads_profiles(lambda: ranked(vacancy))
    assert not reads_profiles(lambda: ranked(vacancy))
    # Nor does another vacancy: only its comparisons are new.
    other = Vacancy.objects.create(company=cast.company, title="Bookkeeper")
    assert not reads_profiles(lambda: matching.match_people(other))


def test_an_edited_headline_shows_on_the_next_ranking(cast: Cast, vacancy: Vacancy) -> None:
    pat = candidate(cast.owner, "Pat", headline="Welder")
    before = ranked(vacancy)[pat.pk].score
    update_person(person=pat, expected_version=None, headline="Payroll Administrator")
    after = ranked(vacancy)[pat.pk]
    assert after.score > before
    assert any(r.text.startswith("Title: Payroll Administrator") for r in after.reasons)


def test_edited_skills_show_on_the_next_ranking(cast: Cast, vacancy: Vacancy) -> None:
    pat = candidate(cast.owner, "Pat", headline="Payroll Administrator")
    assert "skills" not in {r.code for r in ranked(vacancy)[pat.pk].reasons}
    update_person(person=pat, expected_version=None, skills="Sage, payroll")
    [skills] = [r for r in ranked(vacancy)[pat.pk].reasons if r.code == "skills"]
    assert skills.text == "Skills: Sage, payroll (2 of 2)"


def test_a_new_role_title_shows_on_the_next_ranking(cast: Cast, vacancy: Vacancy) -> None:
    pat = candidate(cast.owner, "Pat", headline="Welder")
    before = ranked(vacancy)[pat.pk].score
    Role.objects.create(
        person=pat, kind=Role.Kind.CANDIDATE, title="Payroll Administrator", started_on=START
    )
    assert ranked(vacancy)[pat.pk].score > before


def test_someone_who_becomes_a_candidate_joins_at_once_and_leaves_when_deleted(
    cast: Cast, vacancy: Vacancy
) -> None:
    assert cast.client_contact.pk not in ranked(vacancy)
    role = Role.objects.create(
        person=cast.client_contact, kind=Role.Kind.CANDIDATE, started_on=START
    )
    assert cast.client_contact.pk in ranked(vacancy)
    role.delete()
    assert cast.client_contact.pk not in ranked(vacancy)


def test_a_change_in_readiness_shows_on_the_next_ranking(cast: Cast, vacancy: Vacancy) -> None:
    pat = candidate(cast.owner, "Pat", headline="Payroll Administrator")
    assert "readiness" not in {r.code for r in ranked(vacancy)[pat.pk].reasons}
    ready = Readiness.objects.create(person=pat, score=0.9, reasons=[], computed_at=timezone.now())
    assert "Readiness to move 90%" in [r.text for r in ranked(vacancy)[pat.pk].reasons]
    # A bulk update, as the worker's recompute writes, is seen as well.
    Readiness.objects.filter(pk=ready.pk).update(score=0.4)
    assert "Readiness to move 40%" in [r.text for r in ranked(vacancy)[pat.pk].reasons]


def test_a_new_placement_takes_its_person_off_the_ranking_at_once(
    cast: Cast, vacancy: Vacancy
) -> None:
    pat = candidate(cast.owner, "Pat", headline="Payroll Administrator")
    assert pat.pk in ranked(vacancy)
    Placement.objects.create(
        person=pat,
        company=cast.company,
        owner=cast.owner,
        role_title="Payroll Administrator",
        start_date=timezone.localdate(),
        status=Placement.Status.STARTED,
    )
    ranking = matching.rank_people(vacancy, limit=100)
    assert pat.pk not in {m.person_id for m in ranking.matches}
    assert pat.pk in {h.person_id for h in ranking.held_back}


def test_a_write_in_raw_sql_shows_on_the_next_ranking(cast: Cast, vacancy: Vacancy) -> None:
    pat = candidate(cast.owner, "Pat", headline="Welder")
    before = ranked(vacancy)[pat.pk].score
    # As an import's bulk path writes: no model, no save(), no queryset.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE people_person SET headline = %s WHERE id = %s",
            ["Payroll Administrator", pat.pk],
        )
    assert ranked(vacancy)[pat.pk].score > before


def test_a_rolled_back_change_never_shows_even_after_later_changes(
    cast: Cast, vacancy: Vacancy
) -> None:
    ranked(vacancy)
    with pytest.raises(RuntimeError), transaction.atomic():
        ghost = candidate(cast.owner, "Ghost", headline="Payroll Administrator")
        assert ghost.pk in ranked(vacancy)
        raise RuntimeError("the request failed")
    real = candidate(cast.owner, "Real", headline="Payroll Administrator")
    found = ranked(vacancy)
    assert real.pk in found
    assert not any(m.person_name == "Ghost Test" for m in found.values())


def test_the_cheap_pass_scores_as_the_full_score_does(cast: Cast, vacancy: Vacancy) -> None:
    cast.placement.status = Placement.Status.SETTLED
    cast.placement.save(update_fields=["status"])
    candidate(cast.owner, "A", headline="Payroll Administrator", skills="Sage", location="Leeds")
    candidate(cast.owner, "B", headline="Payroll Clerk", skills="payroll; SAGE", sector="Finance")
    candidate(cast.owner, "C", headline="", skills="")
    Readiness.objects.create(
        person=cast.candidate, score=0.35, reasons=[], computed_at=timezone.now()
    )
    found = pool.pool()
    for wanted in (vacancy, Vacancy.objects.create(company=cast.company, title="Clerk")):
        scorer, rough = found.scored(wanted)
        full = [scorer.score(wanted, p, explain=False).score for p in found.profiles]
        assert rough == full


def test_an_edited_vacancy_is_ranked_for_what_it_asks_now(cast: Cast, vacancy: Vacancy) -> None:
    pat = candidate(cast.owner, "Pat", headline="Payroll Administrator", skills="Xero")
    assert "skills" not in {r.code for r in ranked(vacancy)[pat.pk].reasons}
    vacancy.skills = "Xero"
    vacancy.save(update_fields=["skills"])
    assert "Skills: Xero (1 of 1)" in [r.text for r in ranked(vacancy)[pat.pk].reasons]


def test_writing_a_persons_other_columns_keeps_the_pool_and_profile_columns_drop_it(
    cast: Cast, vacancy: Vacancy
) -> None:
    pat = candidate(cast.owner, "Pat", headline="Payroll Administrator")
    ranked(vacancy)
    Person.objects.filter(pk=pat.pk).update(email="pat@example.org", version=7)
    assert not reads_profiles(lambda: ranked(vacancy))
    Person.objects.filter(pk=pat.pk).update(last_contacted_at=timezone.now())
    assert reads_profiles(lambda: ranked(vacancy))


def test_the_stamps_trigger_watches_every_column_a_profile_reads() -> None:
    migration = importlib.import_module("keepwarm.network.migrations.0004_pool_stamp")
    columns = {f.column for f in Person._meta.concrete_fields if f.attname in pool.PERSON_FIELDS}
    assert columns == set(migration.PERSON_COLUMNS)
