"""A match's score (0–100): a weighted sum of parts, each with its reason in words.

Title, skills, sector, location, salary and readiness to move come from the person's
profile (the cheap pass, see matching.py); the client's view of their performance and
how an earlier placement with this client went are added for the best few.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from keepwarm.network import occupations
from keepwarm.network.models import Vacancy
from keepwarm.network.performance import ClientKnowledge, Record, pay_band_of, roles_of
from keepwarm.network.similarity import SKILL_SPLIT, Idf, grams, norm, split_skills
from keepwarm.placements.models import Placement

WEIGHTS: dict[str, float] = {
    "title": 35.0,
    "skills": 25.0,
    "sector": 10.0,
    "location": 10.0,
    "salary": 10.0,
    "readiness": 10.0,
}
# Added to (or taken from) the score after the cheap pass, for the best few.
PERFORMANCE_POINTS = 5.0  # the client's best rating: 5/5 gives all, 4/5 half
TARGET_POINTS = 3.0  # every agreed target met or on track (behind on most: taken off)
TENURE_POINTS = 2.0  # stayed a year or more somewhere
STAYED_MONTHS = 12
FELL_OFF_ELSEWHERE_POINTS = -3.0
CLIENT_RATED_POINTS = 5.0  # this vacancy's own client rated them 4/5 or more
CLIENT_HIRES_POINTS = 4.0  # like this client's successful hires (times the similarity)
LIKE_HIRES = 0.5
RELEVANT_HIRES = 0.3  # a successful hire's role this close to the vacancy's counts
CLIENT_PAY_POINTS = 2.0
HISTORY_POINTS = 5.0
HISTORY_FELL_OFF_POINTS = -15.0
# A title's reason is given from this similarity of letters; one found by meaning alone
# (a bookkeeper for an accounts clerk, 0.12) from this blended similarity. On the
# benchmark's labelled titles (bench/README.md) pairs from 0.1 are in the same occupation
# group about as often as pairs given the weakest reason of letters (blended 0.2–0.3),
# 1 in 6; from 0.05 it was 1 in 10 ("Bookkeeper is close in meaning to Librarian").
SAME_LETTERS = 0.2
MEANING_SHOWN = 0.1
# A skill counts as held when this share of its grams (by weight) is in the person's skills.
SKILL_SIMILAR = 0.8


@dataclass(slots=True)
class Profile:
    """A person as matching sees them, read in bulk (and kept between requests: pool.py)."""

    id: int
    name: str
    owner_id: int | None
    titles: tuple[str, ...]
    skills: str
    sector: str
    location: str
    salary: Decimal | None = None
    readiness: float | None = None
    readiness_reason: str = ""
    placed: bool = False
    last_contact: dt.datetime | None = None


@dataclass
class Reason:
    code: str
    text: str
    points: float

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text, "points": round(self.points, 1)}


@dataclass
class Scored:
    score: float
    parts: dict[str, float]
    reasons: list[Reason]


@dataclass
class _Wanted:
    """A vacancy's side of the comparison, worked out once per ranking."""

    title: frozenset[str]
    meaning: Mapping[int, float]  # the ESCO occupations the title names (empty: none)
    skills: list[tuple[str, str, frozenset[str]]]  # (as written, normalised, grams)
    sector: str
    location: str
    weights: dict[str, float]


def weights_for(has_skills: bool) -> dict[str, float]:
    """The parts' weights for a vacancy, summing to 100. With no skills listed there is no
    skills part: its weight is shared out among the others in proportion, so the title is
    counted once, not a second time in the skills' place."""
    if has_skills:
        return dict(WEIGHTS)
    rest = {k: w for k, w in WEIGHTS.items() if k != "skills"}
    scale = sum(WEIGHTS.values()) / sum(rest.values())
    return {k: w * scale for k, w in rest.items()}


def _wanted(vacancy: Vacancy) -> _Wanted:
    skills = [(s, f" {norm(s)} ", grams(s)) for s in split_skills(vacancy.skills)]
    return _Wanted(
        title=grams(vacancy.title),
        meaning=occupations.concepts(vacancy.title),
        skills=skills,
        sector=norm(vacancy.sector),
        location=norm(vacancy.location),
        weights=weights_for(bool(skills)),
    )


def _fits(wanted: str, have: str) -> bool:
    """Same place or sector, or one names the other ("Leeds" in "Leeds, West Yorkshire")."""
    have = norm(have)
    return bool(wanted and have) and (
        wanted == have or f" {wanted} " in f" {have} " or f" {have} " in f" {wanted} "
    )


class Scorer:
    """Scores (vacancy, profile) pairs against IDF weights from the pool being ranked."""

    def __init__(self, idf: Idf) -> None:
        self.idf = idf
        self._wanted: dict[int, _Wanted] = {}
        # Titles and skill lists recur across thousands of people: each is compared once.
        self._titles: dict[tuple[int, str], tuple[float, float]] = {}
        self._skills: dict[tuple[int, str], frozenset[int]] = {}
        # The cheap pass's parts per distinct value, per vacancy (see `rough`).
        self._parts: dict[tuple[int, str], dict[Any, float]] = {}

    def _title_sim(self, want: _Wanted, title: str) -> tuple[float, float]:
        """The title's similarity to the vacancy's (letters and meaning blended), and
        the letters' alone."""
        key = (id(want), title)
        found = self._titles.get(key)
        if found is None:
            lexical = self.idf.cosine(want.title, grams(title))
            meaning = (
                occupations.overlap(want.meaning, occupations.concepts(title))
                if want.meaning
                else None
            )
            found = self._titles[key] = (occupations.blend(lexical, meaning), lexical)
        return found

    def _skills_held(self, want: _Wanted, skills: str) -> list[str]:
        """The vacancy's skills found in `skills`."""
        return [want.skills[i][0] for i in sorted(self._held(want, skills))]

    def _held(self, want: _Wanted, skills: str) -> set[int]:
        """Which of the vacancy's skills `skills` holds, item by item (items recur across
        people)."""
        held: set[int] = set()
        for item in SKILL_SPLIT.split(skills):
            key = (id(want), item)
            found = self._skills.get(key)
            if found is None:
                have = grams(item)
                text = f" {norm(item)} "
                found = self._skills[key] = frozenset(
                    i
                    for i, (_, normal, skill) in enumerate(want.skills)
                    if normal in text or self.idf.covered(skill, have) >= SKILL_SIMILAR
                )
            held |= found
        return held

    def _want(self, vacancy: Vacancy) -> _Wanted:
        want = self._wanted.get(vacancy.pk)
        if want is None:
            want = self._wanted[vacancy.pk] = _wanted(vacancy)
        return want

    def rough(self, vacancy: Vacancy, profiles: Sequence[Profile]) -> list[float]:
        """Each profile's score, exactly as `score(explain=False)` gives it, summed from
        the parts each distinct value earns: titles, skill lists, sectors, places and
        salaries recur across thousands of people, so each is worked out once. The cheap
        pass over the whole pool (matching.py)."""
        want = self._want(vacancy)
        w = want.weights
        # Per person, nearly: a title list or skill list is kept for this pass only; the
        # titles and skill items in them are kept with the scorer (`_title_sim`, `_held`).
        titles: dict[tuple[str, ...], float] = {}
        skills: dict[str, float] = {}
        sectors = self._parts.setdefault((id(want), "sector"), {})
        places = self._parts.setdefault((id(want), "location"), {})
        pay = self._parts.setdefault((id(want), "salary"), {})
        title_w, sector_w, place_w = w["title"], w["sector"], w["location"]
        pay_w, ready_w, skills_w = w["salary"], w["readiness"], w.get("skills")
        out = []
        for p in profiles:
            t = titles.get(p.titles)
            if t is None:
                # As `_title_part` picks it: the best above nothing.
                t = titles[p.titles] = max(
                    [0.0, *(self._title_sim(want, title)[0] for title in p.titles)]
                )
            sector = sectors.get(p.sector)
            if sector is None:
                sector = sectors[p.sector] = 1.0 if _fits(want.sector, p.sector) else 0.0
            place = places.get(p.location)
            if place is None:
                place = places[p.location] = 1.0 if _fits(want.location, p.location) else 0.0
            salary = pay.get(p.salary)
            if salary is None:
                salary = pay[p.salary] = salary_fit(vacancy, p.salary)[0]
            # Summed in the weights' order, as `score` sums them: the same float.
            if skills_w is None:
                score = t * title_w
            else:
                held = skills.get(p.skills)
                if held is None:
                    held = skills[p.skills] = len(self._held(want, p.skills)) / len(want.skills)
                score = t * title_w + held * skills_w
            out.append(
                score
                + sector * sector_w
                + place * place_w
                + salary * pay_w
                + (p.readiness or 0.0) * ready_w
            )
        return out

    def score(self, vacancy: Vacancy, profile: Profile, *, explain: bool) -> Scored:
        want = self._want(vacancy)
        parts: dict[str, float] = {}
        # Reasons are only written out for the shortlist (`explain`); the first pass ranks.
        reasons: list[Reason] | None = [] if explain else None
        self._title_part(want, vacancy, profile, parts, reasons)
        if want.skills:
            self._skills_part(want, profile, parts, reasons)
        _place_parts(want, profile, parts, reasons)
        salary_part, salary_text = salary_fit(vacancy, profile.salary)
        parts["salary"] = salary_part
        if reasons is not None and salary_text:
            reasons.append(Reason("salary", salary_text, salary_part * want.weights["salary"]))
        _readiness_part(want, profile, parts, reasons)
        score = sum(parts[k] * weight for k, weight in want.weights.items())
        return Scored(score, parts, reasons if reasons is not None else [])

    def _title_part(
        self,
        want: _Wanted,
        vacancy: Vacancy,
        profile: Profile,
        parts: dict[str, float],
        reasons: list[Reason] | None,
    ) -> None:
        """The closest of the person's titles to the vacancy's."""
        best_title, best_sim, best_lexical = "", 0.0, 0.0
        for title in profile.titles:
            sim, lexical = self._title_sim(want, title)
            if sim > best_sim:
                best_title, best_sim, best_lexical = title, sim, lexical
        parts["title"] = best_sim
        if reasons is None:
            return
        # Said so when the meaning found what the letters alone would have missed.
        if best_lexical < SAME_LETTERS and best_sim >= MEANING_SHOWN:
            how = "close in meaning to"
        elif best_sim >= SAME_LETTERS:
            how = _closeness(best_sim)
        else:
            return
        reasons.append(
            Reason(
                "title",
                f"Title: {best_title} is {how} {vacancy.title}",
                best_sim * want.weights["title"],
            )
        )

    def _skills_part(
        self,
        want: _Wanted,
        profile: Profile,
        parts: dict[str, float],
        reasons: list[Reason] | None,
    ) -> None:
        held = self._skills_held(want, profile.skills)
        parts["skills"] = len(held) / len(want.skills)
        if reasons is not None and held:
            reasons.append(
                Reason(
                    "skills",
                    f"Skills: {', '.join(held)} ({len(held)} of {len(want.skills)})",
                    parts["skills"] * want.weights["skills"],
                )
            )


def _place_parts(
    want: _Wanted, profile: Profile, parts: dict[str, float], reasons: list[Reason] | None
) -> None:
    """Same sector, same location: each fits or not."""
    parts["sector"] = 1.0 if _fits(want.sector, profile.sector) else 0.0
    if reasons is not None and parts["sector"]:
        reasons.append(Reason("sector", f"Same sector: {profile.sector}", want.weights["sector"]))
    parts["location"] = 1.0 if _fits(want.location, profile.location) else 0.0
    if reasons is not None and parts["location"]:
        reasons.append(Reason("location", f"Based in {profile.location}", want.weights["location"]))


def _readiness_part(
    want: _Wanted, profile: Profile, parts: dict[str, float], reasons: list[Reason] | None
) -> None:
    ready = profile.readiness or 0.0
    parts["readiness"] = ready
    if reasons is not None and ready >= 0.3:
        text = f"Readiness to move {round(ready * 100)}%"
        if profile.readiness_reason:
            text += f": {profile.readiness_reason}"
        reasons.append(Reason("readiness", text, ready * want.weights["readiness"]))


def _closeness(sim: float) -> str:
    if sim >= 0.95:
        return "the same as"
    if sim >= 0.5:
        return "close to"
    return "like"


SAME_SALARY = 0.05  # a last salary this close to a single salary offered fits it


def salary_fit(vacancy: Vacancy, salary: Decimal | None) -> tuple[float, str]:
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


def history_reason(rows: list[dict[str, Any]], company: str) -> Reason:
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


def record_reasons(record: Record | None, *, company_id: int, company: str) -> list[Reason]:
    """What the agency watched of them in earlier placements, as reasons with points: the
    client's best rating, the agreed targets, how long they stayed, and, above all, how
    this vacancy's own client rated them."""
    if record is None:
        return []
    reasons = []
    best = record.best_rated()
    if best is not None and best.rating is not None:
        value = best.rating.value
        where = f"({best.company}, {best.role_title})"
        if value >= 4:
            points = PERFORMANCE_POINTS * (value - 3) / 2
            reasons.append(
                Reason("performance", f"Client rated {best.rating_text} {where}", points)
            )
        elif value <= 2:
            reasons.append(
                Reason(
                    "performance",
                    f"Client rated only {best.rating_text} {where}",
                    -PERFORMANCE_POINTS,
                )
            )
    reasons += _targets_reason(record)
    reasons += _tenure_reasons(record, company_id)
    here = record.best_rated(company_id)
    if here is not None and here.rating is not None and here.rating.value >= 4:
        reasons.append(
            Reason(
                "client_rated",
                f"{company} rated them {here.rating_text} ({here.role_title})",
                CLIENT_RATED_POINTS,
            )
        )
    return reasons


def _targets_reason(record: Record) -> list[Reason]:
    """The latest placement whose client answered on its agreed targets."""
    answered = [p for p in record.placements if p.targets]
    if not answered:
        return []
    latest = answered[0]
    share = latest.targets_met / len(latest.targets)
    text = f"{latest.targets_text} ({latest.company})"
    if share == 1:
        return [Reason("targets", text[0].upper() + text[1:], TARGET_POINTS)]
    if share < 0.5:
        return [Reason("targets", "Only " + text, -TARGET_POINTS)]
    return [Reason("targets", text[0].upper() + text[1:], 0.0)]


def _tenure_reasons(record: Record, company_id: int) -> list[Reason]:
    """Staying a year or more somewhere counts for them; falling off elsewhere against
    (with this client, the history reason says it)."""
    reasons = []
    stayed = [p for p in record.placements if p.stayed and p.months >= STAYED_MONTHS]
    if stayed:
        longest = max(stayed, key=lambda p: p.months)
        reasons.append(
            Reason("tenure", f"Stayed {longest.months} months at {longest.company}", TENURE_POINTS)
        )
    fell = [p for p in record.placements if p.ended_badly and p.company_id != company_id]
    if fell:
        reasons.append(
            Reason("tenure", f"{fell[0].outcome} ({fell[0].company})", FELL_OFF_ELSEWHERE_POINTS)
        )
    return reasons


def client_reasons(
    knowledge: ClientKnowledge | None, profile: Profile, idf: Idf, vacancy: Vacancy
) -> list[Reason]:
    """How they compare with this client's successful hires in roles like the vacancy's:
    the same kind of role, and pay within what those hires earned."""
    if knowledge is None or not knowledge.successes:
        return []
    company = vacancy.company.name
    wanted = grams(vacancy.title)
    reasons = []
    # Hires in other kinds of role say little about this one (an accountant's success
    # is no reason to offer a sales role to someone like them).
    relevant = [
        p for p in knowledge.successes if idf.cosine(grams(p.role_title), wanted) >= RELEVANT_HIRES
    ]
    best, sim = "", 0.0
    for role in roles_of(relevant):
        for title in profile.titles:
            found = idf.cosine(grams(role), grams(title))
            if found > sim:
                best, sim = role, found
    if sim >= LIKE_HIRES:
        reasons.append(
            Reason(
                "client_hires",
                f"Like {company}'s successful hires: {best}",
                CLIENT_HIRES_POINTS * sim,
            )
        )
    band = pay_band_of(relevant)
    if band is not None and profile.salary is not None and band[0] <= profile.salary <= band[1]:
        reasons.append(
            Reason(
                "client_pay",
                f"Last salary within the pay band of {company}'s successful hires",
                CLIENT_PAY_POINTS,
            )
        )
    return reasons
