"""Titles with meaning: ESCO's occupation labels and a word embedding bring together
titles that share no letters ("bookkeeper", "accounts assistant"); without their data
files matching is lexical and still works."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from keepwarm.conftest import Cast
from keepwarm.network import matching, meaning, occupations
from keepwarm.network.models import Vacancy
from keepwarm.network.similarity import TitleIndex
from keepwarm.network.tests.test_matching import candidate


def _forget() -> None:
    occupations.concepts.cache_clear()
    meaning.vector.cache_clear()


@pytest.fixture
def without_meaning(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """As on an install whose data files are missing."""
    monkeypatch.setattr(occupations, "DATA", tmp_path / "absent.tsv.gz")
    monkeypatch.setattr(occupations, "_loaded", [])
    monkeypatch.setattr(meaning, "DATA", tmp_path / "absent.npz")
    monkeypatch.setattr(meaning, "_loaded", [])
    _forget()
    yield
    _forget()


def close(a: str, b: str) -> float:
    return occupations.overlap(occupations.concepts(a), occupations.concepts(b))


def test_titles_that_share_no_letters_are_close_in_meaning() -> None:
    assert close("Bookkeeper", "Accounts clerk") > close("Bookkeeper", "Welder") + 0.2
    assert close("Bookkeeper", "Accounts assistant") > close("Bookkeeper", "Chef")
    assert close("Bookkeeper", "Accounts assistant") > close("Bookkeeper", "Welder") + 0.2
    assert close("Care worker", "Support worker") > close("Care worker", "Sheet metal worker")
    assert close("HGV driver", "Lorry driver") > 0.5


def test_a_word_the_table_lacks_is_spelt_out_from_word_pieces() -> None:
    table = meaning.words()
    assert table is not None
    assert "bookkeepers" not in table.rows
    assert meaning.vector("Bookkeepers") is not None


def test_a_bookkeeper_meets_an_accounts_assistant_vacancy_with_no_skills_typed(
    cast: Cast,
) -> None:
    # The others were recorded first: with nothing else between them, they would lead.
    welder = candidate(cast.owner, "Wes", headline="Welder")
    chef = candidate(cast.owner, "Chas", headline="Chef")
    bookkeeper = candidate(cast.owner, "Bea", headline="Bookkeeper")
    vacancy = Vacancy.objects.create(company=cast.company, title="Accounts Assistant")
    ours = {welder.pk, chef.pk, bookkeeper.pk}
    matches = [m for m in matching.match_people(vacancy) if m.person_id in ours]
    assert len(matches) == 3
    assert matches[0].person_id == bookkeeper.pk
    assert matches[0].parts["title"] > 0


def test_the_reason_says_when_meaning_found_what_letters_missed(cast: Cast) -> None:
    bookkeeper = candidate(cast.owner, "Bea", headline="Bookkeeper")
    vacancy = Vacancy.objects.create(company=cast.company, title="Accounts Clerk")
    [match] = [m for m in matching.match_people(vacancy) if m.person_id == bookkeeper.pk]
    assert "Title: Bookkeeper is close in meaning to Accounts Clerk" in [
        r.text for r in match.reasons
    ]


def test_a_faint_likeness_in_meaning_gives_no_reason(cast: Cast) -> None:
    # A bookkeeper and a librarian both keep records; that does not make them alike.
    bookkeeper = candidate(cast.owner, "Bea", headline="Bookkeeper")
    vacancy = Vacancy.objects.create(company=cast.company, title="Librarian")
    [match] = [m for m in matching.match_people(vacancy) if m.person_id == bookkeeper.pk]
    assert not [r for r in match.reasons if r.code == "title"]


def test_a_care_worker_meets_a_support_worker_vacancy_with_no_skills_typed(cast: Cast) -> None:
    # Both share "worker"; only the meaning tells care from sheet metal.
    metal = candidate(cast.owner, "Mo", headline="Sheet Metal Worker")
    carer = candidate(cast.owner, "Cat", headline="Care Worker")
    vacancy = Vacancy.objects.create(company=cast.company, title="Support Worker")
    ranked = [m.person_id for m in matching.match_people(vacancy)]
    assert ranked.index(carer.pk) < ranked.index(metal.pk)


def test_without_the_data_files_matching_is_lexical_and_still_works(
    cast: Cast, without_meaning: None
) -> None:
    assert occupations.occupations() is None
    assert meaning.words() is None
    assert occupations.concepts("Bookkeeper") == {}
    bookkeeper = candidate(cast.owner, "Bea", headline="Bookkeeper")
    same = candidate(cast.owner, "Sam", headline="Accounts Clerk")
    vacancy = Vacancy.objects.create(company=cast.company, title="Accounts Clerk")
    matches = {m.person_id: m for m in matching.match_people(vacancy)}
    assert matches[same.pk].parts["title"] == pytest.approx(1.0)
    assert matches[bookkeeper.pk].parts["title"] == 0


def test_title_index_with_meaning_finds_the_synonym() -> None:
    titles = ["welder", "lorry driver", "bookkeeper"]
    assert TitleIndex(titles).nearest("accounts clerk") is None
    assert TitleIndex(titles, meaning=True).nearest("accounts clerk") == 2
    assert TitleIndex(titles, meaning=True).nearest("hgv driver") == 1
