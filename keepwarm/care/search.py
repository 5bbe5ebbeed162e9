"""What the search page lists: the people the user may open and the companies that match
what was typed, read as the columns shown by statements written once.

Measured at agency size (bench/bench_lists.py --profile search): building and compiling
the people's union through the ORM, and 25 people and 10 companies as model instances,
cost more of the request's CPU than the statements themselves. The match is lib.search's
condition, as the person picker's ORM filter asks it; care/tests/test_search_finds.py
holds the two, and Django's own lookups, to the same people and companies."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Value
from django.db.models.functions import Concat

from keepwarm.accounts.models import User
from keepwarm.care.queries import covered_owner_ids, placed_among_sql
from keepwarm.lib.bulk import fetch_all
from keepwarm.lib.search import index_match, match_sql, selective
from keepwarm.lib.urls import pk_url
from keepwarm.people.models import Company, Person
from keepwarm.people.rows import PersonBrief


@dataclass(frozen=True, slots=True)
class FoundCompany:
    """A company as the search page lists them; `pk` and `get_absolute_url` as a Company's."""

    pk: int
    name: str
    sector: str
    location: str

    def get_absolute_url(self) -> str:
        return pk_url(self.pk, "company")


# The same two parts as care.queries.first_visible_people's, each narrowed by what was
# typed and merged in name order; a manager's search narrows everyone.
_PEOPLE = (
    "SELECT id, first_name, last_name, headline, email, phone FROM {person}{indexed} WHERE {where}"
)
_PEOPLE_ORDER = " ORDER BY last_name, first_name, id LIMIT %s"
# The same order from an expression no index holds (see from_trigrams).
_PEOPLE_ORDER_OFF_INDEX = " ORDER BY last_name || '', first_name, id LIMIT %s"
# Every signed-in user sees every client; by name, as the model orders them.
_COMPANIES = (
    "SELECT id, name, sector, location FROM {company}{indexed} WHERE {where} ORDER BY name LIMIT %s"
)
# On SQLite, indexes that hold every column the match reads beside the owner and the
# company's name (people migration 0017), so the match is tested on the index and only the
# rows that pass are read: without statistics SQLite picks the narrower owner and name
# indexes and reads every row (a consultant's 4,022, all 5,000 companies). PostgreSQL asks
# its trigram indexes (0016) and needs no naming.
_SQLITE_INDEX = {
    "owned": " INDEXED BY person_owner_search",
    "companies": " INDEXED BY company_search",
}


def search_people(user: User, query: str, limit: int) -> list[PersonBrief]:
    """The first `limit` people `user` may open that match `query` (stripped, not empty),
    by name then id: first_visible_people narrowed by the picker's match."""
    person = connection.ops.quote_name(Person._meta.db_table)
    names = ("first_name", "last_name")
    if user.sees_whole_team:
        match, matched = match_sql(query, person, names)
        gathered = from_search_index(user, query)
        if gathered is not None:
            match, matched = f"{match} AND id IN ({SEARCH_INDEX_IDS})", [*matched, gathered]
        order = _PEOPLE_ORDER_OFF_INDEX if from_trigrams(user, query) else _PEOPLE_ORDER
        sql = _PEOPLE.format(person=person, indexed="", where=match) + order
        return [PersonBrief(*row) for row in fetch_all(sql, [*matched, limit], plan_each_run=True)]
    # Their book, by the owner's index, and those seen through placements, by id.
    match, matched = match_sql(query, person, names, among_few=True)
    owner_ids = [user.pk, *covered_owner_ids(user)]
    owners = ", ".join(["%s"] * len(owner_ids))
    owned = _PEOPLE.format(
        person=person, indexed=_indexed("owned"), where=f"owner_id IN ({owners}) AND {match}"
    )
    placed = _PEOPLE.format(
        person=person, indexed="", where=f"{placed_among_sql(owners)} AND {match}"
    )
    # No ORDER BY or LIMIT inside the parts: SQLite takes none in a compound statement.
    sql = f"{owned} UNION ALL {placed}{_PEOPLE_ORDER}"
    params = [*owner_ids, *matched, *owner_ids, *owner_ids, *owner_ids, *matched, limit]
    return [PersonBrief(*row) for row in fetch_all(sql, params, plan_each_run=True)]


def from_trigrams(user: User, query: str) -> bool:
    """Whether `user`'s search for `query` gathers its people from PostgreSQL's trigram
    indexes and sorts them, rather than walking names in order until enough match: a
    manager's (the whole agency) for a text whose words are few there (lib.search.selective).
    Its order is then written as an expression no index holds, so the planner cannot walk."""
    return user.sees_whole_team and connection.vendor == "postgresql" and selective(query)


def from_search_index(user: User, query: str) -> str | None:
    """On SQLite, what a manager's search for `query` asks of the search index (people
    migration 0019), to gather the people it may match (SEARCH_INDEX_IDS) instead of
    reading the whole agency's in name order; None to read them so: a consultant's book
    is read from its owner's index (0017), a few thousand people at most, and text that
    too many people hold is found sooner in name order (GATHERED_AT_MOST)."""
    if not user.sees_whole_team or connection.vendor != "sqlite":
        return None
    match = index_match(query)
    if match is None or _gathers_more_than(match, GATHERED_AT_MOST):
        return None
    return match


# The ids of the people a MATCH of the search index (a parameter) finds.
SEARCH_INDEX_IDS = "SELECT rowid FROM people_person_search WHERE people_person_search MATCH %s"
# The most people a search gathers from the index to test each: ~30 ms at agency size.
# Text more of them hold ("+4477", "@example", in every number or address of a generated
# agency) matches many in name order, whose first page the name index finds in a
# millisecond; gathering them all took 115-255 ms. Counting that far takes ~10 ms.
GATHERED_AT_MOST = 20_000


def _gathers_more_than(match: str, most: int) -> bool:
    sql = f"SELECT count(*) FROM ({SEARCH_INDEX_IDS} LIMIT %s)"  # noqa: S608 - from code
    return int(fetch_all(sql, [match, most + 1])[0][0]) > most


# A person picker's order in from_trigrams' case, for the ORM.
PICKER_ORDER_OFF_INDEX = (Concat("last_name", Value("")), "first_name", "id")


def search_companies(query: str, limit: int) -> list[FoundCompany]:
    """The first `limit` companies whose name or email match `query` (stripped, not
    empty), by name."""
    company = connection.ops.quote_name(Company._meta.db_table)
    match, matched = match_sql(query, company, ("name",))
    sql = _COMPANIES.format(company=company, indexed=_indexed("companies"), where=match)
    return [FoundCompany(*row) for row in fetch_all(sql, [*matched, limit], plan_each_run=True)]


def _indexed(read: str) -> str:
    return _SQLITE_INDEX[read] if connection.vendor == "sqlite" else ""
