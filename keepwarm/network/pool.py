"""The pool matching ranks: every candidate's profile, kept by each process between requests.

Reading 10k people's rows and building their profiles costs more than ranking them, so a
process keeps them, with what it worked out for each vacancy ranked against them (the
IDF weights, each distinct title's and skill item's similarity, everyone's cheap-pass
score), until one of the rows they were read from changes. Triggers (migration network
0004) write a new stamp whenever a role, company, placement or readiness row, or a
person's profile columns, are written, by any path (a form, the API, a raw import);
a ranking reads that stamp first and the rows only when it has moved. Read before the
rows, a write landing between the two is at worst read twice, never missed, and every
process sees it on its next ranking. A stamp is never reused, so a rolled-back write
cannot make an old copy look current.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet

from keepwarm.accounts.models import User
from keepwarm.care.queries import visible_people
from keepwarm.network.match_scoring import Profile, Scorer
from keepwarm.network.models import Readiness, Vacancy
from keepwarm.network.similarity import Idf, grams
from keepwarm.people.models import Person, Role
from keepwarm.placements.models import Placement
from keepwarm.placements.queries import off_limits

# Vacancies' scores kept per pool (by what the vacancy asks for), the oldest dropped: each
# is a float per person, and the vacancy's comparison with every distinct title and skill.
SCORERS_KEPT = 16


# What a profile reads of the person's own row. Writing any other column of it leaves the
# kept pool alone (the stamp's trigger watches these: migration network 0004).
PERSON_FIELDS = (
    "id",
    "first_name",
    "last_name",
    "owner_id",
    "headline",
    "skills",
    "sector",
    "location",
    "last_contacted_at",
)


def candidates(user: User | None = None) -> QuerySet[Person]:
    """The people matching considers: anyone who has been a candidate or placed with us,
    that `user` may see (everyone when None)."""
    people = visible_people(user) if user is not None else Person.objects.all()
    seeking = Role.objects.filter(
        person_id=OuterRef("pk"), kind__in=(Role.Kind.CANDIDATE, Role.Kind.PLACED)
    )
    return people.filter(Exists(seeking))


def _rows(query: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """A values_list query's rows straight from the cursor: Django's per-value converters
    cost a third of reading 10k profiles, and only three columns need one (below)."""
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _moment(value: Any) -> dt.datetime | None:
    if isinstance(value, str):  # SQLite keeps UTC as text
        return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
    return cast(dt.datetime | None, value)


def _money(value: Any) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def profiles(people: QuerySet[Person]) -> list[Profile]:
    """Profiles of `people` in four queries: people, their roles, placements, readiness.
    Read as tuples from the cursor, not model instances; repeated words stored once."""
    intern = sys.intern
    rows = people.order_by().values_list(*PERSON_FIELDS)
    by_id: dict[int, Profile] = {}
    titles: dict[int, list[str]] = {}
    for pk, first, last, owner_id, headline, skills, sector, location, contact in _rows(rows):
        titles[pk] = [intern(headline)] if headline else []
        by_id[pk] = Profile(
            id=pk,
            name=f"{first} {last}".strip(),
            owner_id=owner_id,
            titles=(),
            skills=intern(skills),
            sector=intern(sector),
            location=intern(location),
            last_contact=_moment(contact),
        )
    ids = people.order_by().values("id")
    for person_id, title in _rows(
        Role.objects.filter(person_id__in=ids)
        .exclude(title="")
        .order_by("-started_on", "id")  # the latest role's title first, as the page lists them
        .values_list("person_id", "title")
    ):
        held = titles.get(person_id)
        if held is not None and title not in held:
            held.append(intern(title))
    placements = (
        Placement.objects.filter(person_id__in=ids)
        .order_by("person_id", "start_date", "id")
        .values_list("person_id", "role_title", "salary", "company__sector")
    )
    for person_id, title, salary, sector in _rows(placements):
        profile = by_id.get(person_id)
        if profile is None:
            continue
        profile.placed = True
        held = titles[person_id]
        if title and title not in held:
            held.append(intern(title))
        if salary is not None:
            profile.salary = _money(salary)  # the latest start wins
        if sector and not profile.sector:
            profile.sector = intern(sector)
    for person_id, score, reasons in _rows(
        Readiness.objects.filter(person_id__in=ids)
        .order_by()
        .values_list("person_id", "score", "reasons")
    ):
        profile = by_id.get(person_id)
        if profile is not None:
            if isinstance(reasons, str):
                reasons = json.loads(reasons)
            profile.readiness = score
            positive = [r.get("text", "") for r in reasons or [] if r.get("weight", 0) > 0]
            profile.readiness_reason = positive[0] if positive else ""
    for pk, profile in by_id.items():
        profile.titles = tuple(titles[pk])
    return list(by_id.values())


def idf_for(profiles_: Sequence[Profile], vacancies: Sequence[Vacancy]) -> Idf:
    """IDF weights of title grams over the pool's titles and the vacancies'."""
    titles = Counter(t for p in profiles_ for t in p.titles)
    titles.update(v.title for v in vacancies)
    return _idf(titles)


def _idf(titles: Counter[str]) -> Idf:
    docs: Counter[frozenset[str]] = Counter()
    for title, times in titles.items():
        docs[grams(title)] += times
    return Idf(docs.elements())


@dataclass
class Pool:
    """Everyone matching considers, as read under one stamp."""

    stamp: tuple[tuple[int, int], ...]
    profiles: list[Profile]
    titles: Counter[str]
    _barred: tuple[dt.date, dict[int, dt.date]] | None = None
    _scored: OrderedDict[tuple[object, ...], tuple[Scorer, list[float]]] = field(
        default_factory=OrderedDict
    )

    def barred(self, today: dt.date) -> dict[int, dt.date]:
        """Who is off-limits `today`, with the last day they are (placements are among
        the rows the stamp watches, so only the day can make this stale)."""
        if self._barred is None or self._barred[0] != today:
            self._barred = (today, off_limits(candidates().values("id"), today=today))
        return self._barred[1]

    def scored(self, vacancy: Vacancy) -> tuple[Scorer, list[float]]:
        """The scorer for `vacancy` and the cheap pass's score of everyone in the pool, in
        the pool's order. Its IDF weights come from the pool's titles and the vacancy's, so
        both are kept per what the vacancy asks, until the pool is read again."""
        key = (
            vacancy.title,
            vacancy.skills,
            vacancy.sector,
            vacancy.location,
            _amount(vacancy.salary_min),
            _amount(vacancy.salary_max),
        )
        with _lock:
            found = self._scored.get(key)
            if found is not None:
                self._scored.move_to_end(key)
                return found
        titles = self.titles.copy()
        titles[vacancy.title] += 1
        scorer = Scorer(_idf(titles))
        found = (scorer, scorer.rough(vacancy, self.profiles))
        with _lock:  # a threaded server's requests share the pool
            self._scored[key] = found
            if len(self._scored) > SCORERS_KEPT:
                self._scored.popitem(last=False)
        return found


def _amount(value: Decimal | int | None) -> Decimal | None:
    return None if value is None else Decimal(value)


_lock = threading.Lock()
# One pool per database this process talks to (tests and the benchmark switch databases).
_pools: dict[str, Pool] = {}


def current_stamp() -> tuple[tuple[int, int], ...]:
    """The pool's stamp as the database holds it now (empty: not known, keep nothing)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT shard, stamp FROM network_poolstamp ORDER BY shard")
        return tuple(cursor.fetchall())


def pool() -> Pool:
    """Everyone matching considers, read again only when a row they come from has changed."""
    stamp = current_stamp()
    key = connection.settings_dict["NAME"]
    found = _pools.get(key)
    if found is not None and stamp and found.stamp == stamp:
        return found
    everyone = profiles(candidates())
    found = Pool(stamp, everyone, Counter(t for p in everyone for t in p.titles))
    if stamp:
        _pools[key] = found
    else:
        _pools.pop(key, None)
    return found


def forget() -> None:
    """Drop every kept pool: the next ranking reads the rows again (a new process)."""
    _pools.clear()
