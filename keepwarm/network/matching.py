"""Matching: the people the agency knows for a vacancy, and open vacancies for a person.

Everything runs in this process, from the database's rows: no network, no model.
Titles and skills are compared as TF-IDF vectors of character 3-grams ("acc", "cco", …
from " account "), which forgive plurals, word order and spelling variants
("programmer"/"programming") that whole words miss. On the ONS SOC occupation titles
this put the nearest held-out title in its true occupation group more often than fuzzy
string matching (bench/bench_matching.py; figures in bench/README.md).

A match's score (0–100) is a weighted sum of parts, each with its reason in words:
title, skills, sector, location, salary, readiness to move, the client's view of their
performance, and how an earlier placement with this client went. People are scored in
two passes so 10k of them take well under a second: a cheap pass over everyone (text,
sector, location, salary, readiness), then the histories for the best few only.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db.models import Avg, Count, Exists, OuterRef, QuerySet
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.care.queries import visible_people
from keepwarm.network.models import Readiness, Vacancy
from keepwarm.people.models import Person, Role
from keepwarm.placements.models import Placement

WORD = re.compile(r"[a-z0-9+#]+")
SKILL_SPLIT = re.compile(r"[,;\n]+")

WEIGHTS: dict[str, float] = {
    "title": 35.0,
    "skills": 25.0,
    "sector": 10.0,
    "location": 10.0,
    "salary": 10.0,
    "readiness": 10.0,
}
# Added to (or taken from) the score after the cheap pass, for the best few.
PERFORMANCE_POINTS = 5.0
HISTORY_POINTS = 5.0
HISTORY_FELL_OFF_POINTS = -15.0
# How many of the cheap pass's best get the full treatment, per match asked for.
SHORTLIST_FACTOR = 4
# A skill counts as held when this share of its grams (by weight) is in the person's skills.
SKILL_SIMILAR = 0.8
PERFORMANCE_CODE = "performance"


# --- Text similarity ---------------------------------------------------------------------


@lru_cache(maxsize=200_000)
def grams(text: str) -> frozenset[str]:
    """Character 3-grams of each word, padded with spaces so word starts and ends count."""
    out: set[str] = set()
    for word in WORD.findall(text.lower()):
        padded = f" {word} "
        out.update(map("".join, zip(padded, padded[1:], padded[2:], strict=False)))
    return frozenset(out)


class _Squared(dict[str, float]):
    """gram -> idf², filled in on first use (a dict lookup is C-fast in map/sum)."""

    def __init__(self, df: Counter[str], n: int) -> None:
        super().__init__()
        self.df = df
        self.log_n = math.log(n + 1)

    def __missing__(self, gram: str) -> float:
        weight = (self.log_n - math.log(self.df.get(gram, 0) + 1) + 1.0) ** 2
        self[gram] = weight
        return weight


class Idf:
    """Inverse document frequencies of grams over a pool of texts (smoothed, like sklearn).

    Binary term frequencies: a title says "manager" once. Norms are cached per gram set,
    since the same titles recur across thousands of people.
    """

    def __init__(self, docs: Iterable[frozenset[str]]) -> None:
        # Each distinct gram set counted once, times how often it occurs: titles repeat.
        counts: Counter[str] = Counter()
        n = 0
        for doc, times in Counter(docs).items():
            n += times
            if times == 1:
                counts.update(doc)
            else:
                for gram in doc:
                    counts[gram] += times
        self.n = n
        self.df = counts
        self.squared = _Squared(counts, n)
        self._norms: dict[frozenset[str], float] = {}

    def __call__(self, gram: str) -> float:
        return math.sqrt(self.squared[gram])

    def mass(self, doc: Iterable[str]) -> float:
        """Sum of idf² over `doc`: the dot product when `doc` is an intersection."""
        return sum(map(self.squared.__getitem__, doc))

    def norm(self, doc: frozenset[str]) -> float:
        found = self._norms.get(doc)
        if found is None:
            found = self._norms[doc] = math.sqrt(self.mass(doc))
        return found

    def cosine(self, a: frozenset[str], b: frozenset[str]) -> float:
        common = a & b
        if not common:
            return 0.0
        return self.mass(common) / (self.norm(a) * self.norm(b))

    def covered(self, part: frozenset[str], whole: frozenset[str]) -> float:
        """How much of `part` (by idf² mass) appears in `whole`: 1.0 when all of it."""
        total = self.norm(part) ** 2
        return self.mass(part & whole) / total if total else 0.0


class TitleIndex:
    """Nearest texts to a query by TF-IDF cosine over 3-grams, via an inverted index.

    Used by the benchmark on the taxonomy's ~29k titles; the page's pools are small
    enough to score directly.
    """

    # Grams in more than this share of texts (" ma", "er ") only add work, not ranking.
    COMMON = 0.05

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = list(texts)
        self.docs = [grams(t) for t in self.texts]
        self.idf = Idf(self.docs)
        self.norms = [self.idf.norm(d) or 1.0 for d in self.docs]
        self.postings: dict[str, list[int]] = defaultdict(list)
        # (Only on a big pool: in a handful of texts every gram is "common".)
        limit = self.COMMON * len(self.docs) if len(self.docs) >= 1000 else len(self.docs)
        for i, doc in enumerate(self.docs):
            for gram in doc:
                if self.idf.df[gram] <= limit:
                    self.postings[gram].append(i)

    def nearest(self, text: str, *, exclude: int = -1) -> int | None:
        """Index of the most similar text (not `exclude`), or None when nothing shares a gram."""
        scores: dict[int, float] = defaultdict(float)
        for gram in grams(text):
            postings = self.postings.get(gram)
            if postings:
                weight = self.idf.squared[gram]
                for i in postings:
                    scores[i] += weight
        scores.pop(exclude, None)
        if not scores:
            return None
        norms = self.norms
        return max(scores, key=lambda i: scores[i] / norms[i])


def split_skills(text: str) -> list[str]:
    seen: dict[str, str] = {}
    for part in SKILL_SPLIT.split(text or ""):
        skill = " ".join(part.split())
        if skill and skill.lower() not in seen:
            seen[skill.lower()] = skill
    return list(seen.values())


# --- What is compared -------------------------------------------------------------------


@dataclass
class Profile:
    """A person as matching sees them, read in bulk."""

    id: int
    name: str
    owner_id: int | None
    titles: list[str]
    skills: str
    sector: str
    location: str
    salary: Decimal | None = None
    readiness: float | None = None
    readiness_reason: str = ""
    placed: bool = False


@dataclass
class Reason:
    code: str
    text: str
    points: float

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text, "points": round(self.points, 1)}


@dataclass
class Match:
    score: float
    reasons: list[Reason]
    person_id: int
    person_name: str
    vacancy_id: int
    vacancy_title: str
    company_name: str
    placed: bool = False
    parts: dict[str, float] = field(default_factory=dict)

    @property
    def score_display(self) -> int:
        return round(self.score)


@lru_cache(maxsize=50_000)
def _norm(text: str) -> str:
    return " ".join(WORD.findall((text or "").lower()))


@dataclass
class _Scored:
    score: float
    parts: dict[str, float]
    reasons: list[Reason]


@dataclass
class _Wanted:
    """A vacancy's side of the comparison, worked out once per ranking."""

    title: frozenset[str]
    skills: list[tuple[str, str, frozenset[str]]]  # (as written, normalised, grams)
    sector: str
    location: str


def _wanted(vacancy: Vacancy) -> _Wanted:
    return _Wanted(
        title=grams(vacancy.title),
        skills=[(s, f" {_norm(s)} ", grams(s)) for s in split_skills(vacancy.skills)],
        sector=_norm(vacancy.sector),
        location=_norm(vacancy.location),
    )


def _fits(wanted: str, have: str) -> bool:
    """Same place or sector, or one names the other ("Leeds" in "Leeds, West Yorkshire")."""
    have = _norm(have)
    return bool(wanted and have) and (
        wanted == have or f" {wanted} " in f" {have} " or f" {have} " in f" {wanted} "
    )


class _Scorer:
    """Scores (vacancy, profile) pairs against IDF weights from the pool being ranked."""

    def __init__(self, idf: Idf) -> None:
        self.idf = idf
        self._wanted: dict[int, _Wanted] = {}
        # Titles and skill lists recur across thousands of people: each is compared once.
        self._titles: dict[tuple[int, str], float] = {}
        self._skills: dict[tuple[int, str], frozenset[int]] = {}

    def _title_sim(self, want: _Wanted, title: str) -> float:
        key = (id(want), title)
        sim = self._titles.get(key)
        if sim is None:
            sim = self._titles[key] = self.idf.cosine(want.title, grams(title))
        return sim

    def _skills_held(self, want: _Wanted, skills: str) -> list[str]:
        """The vacancy's skills found in `skills`, item by item (items recur across people)."""
        held: set[int] = set()
        for item in SKILL_SPLIT.split(skills):
            key = (id(want), item)
            found = self._skills.get(key)
            if found is None:
                have = grams(item)
                text = f" {_norm(item)} "
                found = self._skills[key] = frozenset(
                    i
                    for i, (_, normal, skill) in enumerate(want.skills)
                    if normal in text or self.idf.covered(skill, have) >= SKILL_SIMILAR
                )
            held |= found
        return [want.skills[i][0] for i in sorted(held)]

    def score(self, vacancy: Vacancy, profile: Profile, *, explain: bool) -> _Scored:
        want = self._wanted.get(vacancy.pk)
        if want is None:
            want = self._wanted[vacancy.pk] = _wanted(vacancy)
        parts: dict[str, float] = {}
        reasons: list[Reason] = []

        best_title, best_sim = "", 0.0
        for title in profile.titles:
            sim = self._title_sim(want, title)
            if sim > best_sim:
                best_title, best_sim = title, sim
        parts["title"] = best_sim
        if explain and best_sim >= 0.2:
            reasons.append(
                Reason(
                    "title",
                    f"Title: {best_title} is {_closeness(best_sim)} {vacancy.title}",
                    best_sim * WEIGHTS["title"],
                )
            )

        if want.skills:
            held = self._skills_held(want, profile.skills)
            parts["skills"] = len(held) / len(want.skills)
            if explain and held:
                reasons.append(
                    Reason(
                        "skills",
                        f"Skills: {', '.join(held)} ({len(held)} of {len(want.skills)})",
                        parts["skills"] * WEIGHTS["skills"],
                    )
                )
        else:
            # No skills listed: the title stands for them.
            parts["skills"] = best_sim

        parts["sector"] = 1.0 if _fits(want.sector, profile.sector) else 0.0
        if explain and parts["sector"]:
            reasons.append(Reason("sector", f"Same sector: {profile.sector}", WEIGHTS["sector"]))
        parts["location"] = 1.0 if _fits(want.location, profile.location) else 0.0
        if explain and parts["location"]:
            reasons.append(Reason("location", f"Based in {profile.location}", WEIGHTS["location"]))

        salary_part, salary_text = _salary_fit(vacancy, profile.salary)
        parts["salary"] = salary_part
        if explain and salary_text:
            reasons.append(Reason("salary", salary_text, salary_part * WEIGHTS["salary"]))

        ready = profile.readiness or 0.0
        parts["readiness"] = ready
        if explain and ready >= 0.3:
            text = f"Readiness to move {round(ready * 100)}%"
            if profile.readiness_reason:
                text += f": {profile.readiness_reason}"
            reasons.append(Reason("readiness", text, ready * WEIGHTS["readiness"]))

        score = sum(parts[k] * WEIGHTS[k] for k in WEIGHTS)
        return _Scored(score, parts, reasons)


def _closeness(sim: float) -> str:
    if sim >= 0.95:
        return "the same as"
    if sim >= 0.6:
        return "close to"
    return "like"


SAME_SALARY = 0.05  # a last salary this close to a single salary offered fits it


def _salary_fit(vacancy: Vacancy, salary: Decimal | None) -> tuple[float, str]:
    """How the person's last salary sits against the range, without saying the figure
    (salaries are for the owner and managers; a match list is seen more widely)."""
    low, high = vacancy.salary_min, vacancy.salary_max
    if salary is None or (low is None and high is None):
        return 0.0, ""
    pay = float(salary)
    low_f = float(low) if low is not None else None
    high_f = float(high) if high is not None else None
    what = "the range"
    if low_f is not None and low_f == high_f:
        # One salary offered (a job order gives one amount): nobody's last salary is
        # exactly it, so within 5% either side counts as a fit.
        what = "the salary offered"
        if abs(pay - low_f) <= SAME_SALARY * low_f:
            return 1.0, "Last salary close to the salary offered"
    elif (low_f is None or pay >= low_f) and (high_f is None or pay <= high_f):
        return 1.0, "Last salary within the range"
    if low_f is not None and pay < low_f:
        gap = (low_f - pay) / low_f
        if gap <= 0.2:
            return 0.8, f"Last salary {round(gap * 100)}% below {what}: a step up"
        return 0.3, f"Last salary {round(gap * 100)}% below {what}"
    assert high_f is not None
    gap = (pay - high_f) / high_f
    if gap <= 0.1:
        return 0.5, f"Last salary {round(gap * 100)}% above {what}"
    return 0.0, f"Last salary {round(gap * 100)}% above {what}"


# --- Reading profiles in bulk -----------------------------------------------------------


def candidates(user: User | None = None) -> QuerySet[Person]:
    """The people matching considers: anyone who has been a candidate or placed with us,
    that `user` may see (everyone when None)."""
    people = visible_people(user) if user is not None else Person.objects.all()
    seeking = Role.objects.filter(
        person_id=OuterRef("pk"), kind__in=(Role.Kind.CANDIDATE, Role.Kind.PLACED)
    )
    return people.filter(Exists(seeking))


def profiles(people: QuerySet[Person]) -> list[Profile]:
    """Profiles of `people` in four queries: people, their roles, placements, readiness."""
    rows = people.values_list(
        "id", "first_name", "last_name", "owner_id", "headline", "skills", "sector", "location"
    )
    by_id: dict[int, Profile] = {}
    for pk, first, last, owner_id, headline, skills, sector, location in rows:
        by_id[pk] = Profile(
            id=pk,
            name=f"{first} {last}".strip(),
            owner_id=owner_id,
            titles=[headline] if headline else [],
            skills=skills,
            sector=sector,
            location=location,
        )
    ids = people.values("id")
    for person_id, title in (
        Role.objects.filter(person_id__in=ids).exclude(title="").values_list("person_id", "title")
    ):
        profile = by_id.get(person_id)
        if profile is not None and title not in profile.titles:
            profile.titles.append(title)
    placements = (
        Placement.objects.filter(person_id__in=ids)
        .order_by("person_id", "start_date", "id")
        .values_list("person_id", "role_title", "salary", "company__sector")
    )
    for person_id, title, salary, sector in placements:
        profile = by_id.get(person_id)
        if profile is None:
            continue
        profile.placed = True
        if title and title not in profile.titles:
            profile.titles.append(title)
        if salary is not None:
            profile.salary = salary  # the latest start wins
        if sector and not profile.sector:
            profile.sector = sector
    for person_id, score, reasons in Readiness.objects.filter(person_id__in=ids).values_list(
        "person_id", "score", "reasons"
    ):
        profile = by_id.get(person_id)
        if profile is not None:
            profile.readiness = score
            positive = [r.get("text", "") for r in reasons or [] if r.get("weight", 0) > 0]
            profile.readiness_reason = positive[0] if positive else ""
    return list(by_id.values())


# --- Histories for the shortlist ---------------------------------------------------------


def _performance(person_ids: Sequence[int]) -> dict[int, tuple[float, int]]:
    """Average of the clients' "performance overall" ratings per person, and how many."""
    from keepwarm.surveys.models import Answer  # surveys depends on care; imported late

    rows = (
        Answer.objects.filter(
            response__placement__person_id__in=person_ids,
            question__code=PERFORMANCE_CODE,
            response__questionnaire__audience="client",
            value_number__isnull=False,
        )
        .values("response__placement__person_id")
        .annotate(avg=Avg("value_number"), n=Count("id"))
    )
    return {r["response__placement__person_id"]: (float(r["avg"]), r["n"]) for r in rows}


def _history_with(company_id: int, person_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    rows = (
        Placement.objects.filter(company_id=company_id, person_id__in=person_ids)
        .order_by("person_id", "-start_date")
        .values("person_id", "role_title", "start_date", "status", "leave_reason")
    )
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        out[row["person_id"]].append(dict(row))
    return out


def _history_reason(rows: list[dict[str, Any]], company: str) -> Reason:
    latest = rows[0]
    year = latest["start_date"].year
    status = latest["status"]
    if status in Placement.ENDED:
        why = dict(Placement.LeaveReason.choices).get(latest["leave_reason"], "")
        what = "fell off" if status == Placement.Status.FELL_OFF else "left early"
        text = f"Placed at {company} before ({year}) and {what}" + (f": {why}" if why else "")
        return Reason("history", text, HISTORY_FELL_OFF_POINTS)
    if status == Placement.Status.SETTLED:
        return Reason(
            "history",
            f"Placed at {company} before ({year}); stayed past the guarantee",
            HISTORY_POINTS,
        )
    return Reason("history", f"Placed at {company} now ({year})", 0.0)


def _performance_reason(avg: float, n: int) -> Reason:
    answers = f"{n} client check-in{'s' if n != 1 else ''}"
    if avg >= 4:
        return Reason(
            "performance", f"Performance rated {avg:.1f} of 5 ({answers})", PERFORMANCE_POINTS
        )
    if avg <= 2.5:
        return Reason(
            "performance", f"Performance rated only {avg:.1f} of 5 ({answers})", -PERFORMANCE_POINTS
        )
    return Reason("performance", f"Performance rated {avg:.1f} of 5 ({answers})", 0.0)


def _finish(
    scored: Sequence[tuple[_Scored, Profile, Vacancy]],
    *,
    performance: Mapping[int, tuple[float, int]],
    histories: Mapping[tuple[int, int], list[dict[str, Any]]],
) -> list[Match]:
    matches = []
    for s, profile, vacancy in scored:
        reasons = list(s.reasons)
        score = s.score
        perf = performance.get(profile.id)
        if perf is not None:
            reason = _performance_reason(*perf)
            reasons.append(reason)
            score += reason.points
        history = histories.get((vacancy.company_id, profile.id))
        if history:
            reason = _history_reason(history, vacancy.company.name)
            reasons.append(reason)
            score += reason.points
        reasons.sort(key=lambda r: -abs(r.points))
        matches.append(
            Match(
                score=max(0.0, min(100.0, score)),
                reasons=reasons,
                person_id=profile.id,
                person_name=profile.name,
                vacancy_id=vacancy.pk,
                vacancy_title=vacancy.title,
                company_name=vacancy.company.name,
                placed=profile.placed,
                parts=s.parts,
            )
        )
    matches.sort(key=lambda m: (-m.score, m.person_name, m.vacancy_id))
    return matches


# --- The two directions -----------------------------------------------------------------


def _pool_idf(profiles_: Sequence[Profile], vacancies: Sequence[Vacancy]) -> Idf:
    titles = Counter(t for p in profiles_ for t in p.titles)
    titles.update(v.title for v in vacancies)
    docs: Counter[frozenset[str]] = Counter()
    for title, times in titles.items():
        docs[grams(title)] += times
    return Idf(docs.elements())


def match_people(
    vacancy: Vacancy,
    *,
    user: User | None = None,
    limit: int = 25,
    people: QuerySet[Person] | None = None,
) -> list[Match]:
    """The people best fitted to `vacancy`, best first, with reasons.

    `user` limits the pool to the people they may see (consultants: their own and those
    they cover); `people` replaces the pool (the benchmark passes its own).
    """
    pool = profiles(people if people is not None else candidates(user))
    if not pool:
        return []
    scorer = _Scorer(_pool_idf(pool, [vacancy]))
    rough = [(scorer.score(vacancy, p, explain=False).score, i) for i, p in enumerate(pool)]
    rough.sort(key=lambda t: -t[0])
    shortlist = [pool[i] for _, i in rough[: max(limit * SHORTLIST_FACTOR, limit)]]
    ids = [p.id for p in shortlist]
    histories = {
        (vacancy.company_id, pid): rows
        for pid, rows in _history_with(vacancy.company_id, ids).items()
    }
    scored = [(scorer.score(vacancy, p, explain=True), p, vacancy) for p in shortlist]
    return _finish(scored, performance=_performance(ids), histories=histories)[:limit]


def open_vacancies() -> QuerySet[Vacancy]:
    return Vacancy.objects.filter(status=Vacancy.Status.OPEN).select_related("company")


def match_vacancies(person: Person, *, limit: int = 25) -> list[Match]:
    """Open vacancies that best fit `person`, best first, with reasons."""
    found = profiles(Person.objects.filter(pk=person.pk))
    vacancies = list(open_vacancies())
    if not found or not vacancies:
        return []
    profile = found[0]
    scorer = _Scorer(_pool_idf([profile], vacancies))
    scored = [(scorer.score(v, profile, explain=True), profile, v) for v in vacancies]
    companies = {v.company_id for v in vacancies}
    rows = (
        Placement.objects.filter(person=person, company_id__in=companies)
        .order_by("-start_date")
        .values("company_id", "person_id", "role_title", "start_date", "status", "leave_reason")
    )
    histories: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        histories[(row["company_id"], person.pk)].append(dict(row))
    matches = _finish(scored, performance=_performance([person.pk]), histories=histories)
    return matches[:limit]


def client_record(vacancy: Vacancy, *, today: dt.date | None = None) -> str:
    """How the agency's placements with this client have gone, in one line."""
    today = today or timezone.localdate()
    rows = Placement.objects.filter(company_id=vacancy.company_id, start_date__lte=today)
    total = rows.count()
    if not total:
        return f"No placements with {vacancy.company.name} yet."
    ended = rows.filter(status__in=Placement.ENDED).count()
    settled = rows.filter(status=Placement.Status.SETTLED).count()
    return (
        f"{total} placement{'s' if total != 1 else ''} with {vacancy.company.name}: "
        f"{settled} stayed past the guarantee, {ended} fell off or left early."
    )
