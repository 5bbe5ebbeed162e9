"""Titles with meaning: ESCO's occupation labels bring together titles that share no
letters ("bookkeeper", "accounts clerk"); without the data file matching is lexical."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from keepwarm.conftest import Cast
from keepwarm.network import matching, occupations
from keepwarm.network.models import Vacancy
from keepwarm.network.similarity import TitleIndex
from keepwarm.network.tests.test_matching import candidate


@pytest.fixture
def without_occupations(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """As on an install whose data file is missing."""
    monkeypatch.setattr(occupations, "DATA", tmp_path / "absent.tsv.gz")
    monkeypatch.setattr(occupations, "_loaded", [])
    occupations.concepts.cache_clear()
    yield
    occupations.concepts.cache_clear()


def test_titles_that_share_no_letters_meet_through_their_occupation() -> None:
    bookkeeper = occupations.concepts("Bookkeeper")
    assert occupations.overlap(bookkeeper, occupations.concepts("Accounts clerk")) > 0.1
    assert occupations.overlap(bookkeeper, occupations.concepts("Welder")) == 0
    assert (
        occupations.overlap(
            occupations.concepts("HGV driver"), occupations.concepts("Lorry driver")
        )
        > 0.5
    )


def test_a_bookkeeper_ranks_above_a_welder_for_an_accounts_clerk(cast: Cast) -> None:
    # The welder was recorded first: with nothing else between them, they would lead.
    welder = candidate(cast.owner, "Wes", headline="Welder")
    bookkeeper = candidate(cast.owner, "Bea", headline="Bookkeeper")
    vacancy = Vacancy.objects.create(company=cast.company, title="Accounts Clerk")
    ranked = [m.person_id for m in matching.match_people(vacancy)]
    assert ranked.index(bookkeeper.pk) < ranked.index(welder.pk)
    [match] = [m for m in matching.match_people(vacancy) if m.person_id == bookkeeper.pk]
    assert match.parts["title"] > 0
    assert "Title: Bookkeeper is close in meaning to Accounts Clerk" in [
        r.text for r in match.reasons
    ]


def test_without_the_data_file_matching_is_lexical_and_still_works(
    cast: Cast, without_occupations: None
) -> None:
    assert occupations.occupations() is None
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
