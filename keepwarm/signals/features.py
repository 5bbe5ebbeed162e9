"""Pure functions: what we know about a placement, as graded numbers, a score and its words.

Nothing here touches the database, so the model can be read, tested and benchmarked on
plain inputs (bench/risk_validation.py runs it on the IBM HR attrition data).

How a score is made
-------------------
Every answer enters as its value, not as a yes/no "warning sign": a rating of 3 counts
less than a 2 and more than a 4. Each input becomes a *factor*, a number near −1…1 (0 is
"nothing known, or neutral"), with the words that explain it. The score is a logistic
model over the factors,

    score = 100 × sigmoid(intercept + Σ coefficient_f × value_f)

read as "the chance, in %, that this placement ends within the next six months". The
coefficients are the built-in PRIORS until the agency has recorded enough outcomes; then
the coefficients fitted to its own history (signals/learning.py) take over. A factor's
contribution (coefficient × value) says how much it moved the score, so the reasons shown
are the largest contributions, in words.

Factor names are "<family>:<detail>": "rating:satisfaction_manager", "yes:see_in_a_year",
"pay:below_role". The families fix how an unknown detail (a question an agency added)
is priored: a rating nobody has priced yet still counts, lower being worse.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median

from keepwarm.lib import humane
from keepwarm.signals.scoring import (
    DETAIL_OF,
    AnswerInput,
    ResponseInput,
    is_nothing,
    leaving_reason,
    sentiment,
)

# --- Priors ------------------------------------------------------------------------------
#
# Where they come from: the direction and rough size of each effect are those reported in
# the employee-turnover literature and visible in public attrition data (low job and
# manager satisfaction, overtime, early tenure and pay below peers raise the chance of
# leaving; see bench/README.md, "Fall-off risk"). They were set by hand on that basis,
# rounded, and kept small so that no single answer decides a score; they are not fitted to
# the benchmark data. Signals that public data lacks (a consultant's concern, "I might
# leave", a client's concern) are priced as a strong answer would be.
INTERCEPT = -2.0

PRIORS: dict[str, float] = {
    # Candidate ratings, (value − 4) / 2: −1.5 at 1 of 5, +0.5 at 5 of 5.
    "rating:satisfaction_job": -0.55,
    "rating:satisfaction_manager": -0.45,
    "rating:environment": -0.45,
    "rating:worklife": -0.45,
    "rating:involvement": -0.45,
    # Yes/no: 0 yes, −1 no.
    "yes:expectations_met": -1.0,
    "yes:see_in_a_year": -1.2,
    "yes:hours_as_agreed": -1.0,
    "yes:duties_as_agreed": -0.7,
    "yes:terms_kept_client": -0.8,
    "yes:terms_kept_candidate": -0.6,
    # NPS, (value − 8) / 3.
    "nps:candidate": -0.3,
    # Trend since the previous check-in, in rating points / 2 and NPS points / 3.
    "trend:rating": -0.5,
    "trend:nps": -0.3,
    # Text: VADER's compound (−1 … 1) of the most negative comment; leaving intent.
    "text:sentiment": -0.6,
    "text:leaving": 1.6,
    # Response behaviour.
    "response:unanswered": 0.3,
    "response:late": 0.2,
    "response:since_answer": 0.15,
    "response:silence": 0.5,
    # The placement record: tenure and pay (against the agency's own placements).
    "tenure:early": 1.0,
    "tenure:years": -0.3,
    "pay:below_role": 1.2,
    "pay:below_client": 0.8,
    "pay:below_agency": 0.6,
    "terms:no_benefits": 0.4,
    "terms:long_hours": 0.3,
    # What people say: a consultant's concern, a call, the person's own report.
    "consultant:concern": 1.4,
    "call:sentiment": -0.6,
    "reported:problem": 1.2,
    # The client's side.
    "client:concern": 0.9,
    "client:targets_behind": 0.7,
    "client:hire_again": -0.3,
    "client:nps": -0.2,
    "client:rating": -0.4,
    "client:terms_breach": 0.6,
}

FACTOR_LABELS: dict[str, str] = {
    "rating:satisfaction_job": "Rating: the job itself",
    "rating:satisfaction_manager": "Rating: manager and team",
    "rating:environment": "Rating: the work environment",
    "rating:worklife": "Rating: work–life balance",
    "rating:involvement": "Rating: involvement in the work",
    "yes:expectations_met": "The job lives up to expectations",
    "yes:see_in_a_year": "Sees themselves there in a year",
    "yes:hours_as_agreed": "Hours as agreed",
    "yes:duties_as_agreed": "Duties as agreed",
    "yes:terms_kept_client": "Employer keeps the agreed terms (candidate's view)",
    "yes:terms_kept_candidate": "Candidate keeps the agreed terms (their view)",
    "nps:candidate": "Would recommend us (NPS)",
    "trend:rating": "Average rating since the last check-in",
    "trend:nps": "NPS since the last check-in",
    "text:sentiment": "Tone of the most negative comment (VADER)",
    "text:leaving": "Says they might leave (comment or call note)",
    "response:unanswered": "Check-ins and calls unanswered",
    "response:late": "Days taken to answer the last check-in",
    "response:since_answer": "Time since the last answer",
    "response:silence": "No contact beyond the silence period",
    "tenure:early": "New in the job (fades over the first year)",
    "tenure:years": "Years in the job",
    "pay:below_role": "Pay below the median for the role",
    "pay:below_client": "Pay below the median at this client",
    "pay:below_agency": "Pay below the agency's median",
    "terms:no_benefits": "No benefits on the agreed terms",
    "terms:long_hours": "Agreed hours over 40 a week",
    "consultant:concern": "A consultant raised a concern",
    "call:sentiment": "Tone of the most negative call note",
    "reported:problem": "Reported a problem on their personal page",
    "client:concern": "The client has a concern",
    "client:targets_behind": "Share of targets behind",
    "client:hire_again": "The client would hire through us again",
    "client:nps": "The client would recommend us",
    "client:rating": "The client's ratings",
    "client:terms_breach": "The client says terms are not kept",
}

# A question an agency added that no prior names: ratings and NPS still count (lower is
# worse); a yes/no counts only once fitted, as we cannot know which answer is the worry.
FAMILY_PRIORS: dict[str, float] = {"rating": -0.35, "nps": -0.2}

HORIZON_DAYS = 182  # the score is the chance of ending within about six months
MIN_CONTRIBUTION = 0.1  # smaller nudges are not worth a line of explanation
YES_NO_UNSURE = {"not sure", "not sure yet", "unsure", "maybe", "don't know"}


def prior_for(name: str) -> float:
    if name in PRIORS:
        return PRIORS[name]
    return FAMILY_PRIORS.get(name.split(":", 1)[0], 0.0)


# --- Inputs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlacementFacts:
    """The placement record, with the agency's own medians to compare pay against."""

    start_date: dt.date
    salary: float | None = None
    role_median: float | None = None
    client_median: float | None = None
    agency_median: float | None = None
    hours_per_week: float | None = None
    has_benefits: bool = True


@dataclass(frozen=True)
class Behaviour:
    """How the placed person has (not) answered and been reached."""

    unanswered: int = 0  # check-ins expired and calls missed since they last answered
    days_late: float = 0.0  # how long the latest check-in took to answer
    last_answer_on: dt.date | None = None
    last_contact_on: dt.date | None = None
    silence_days: int = 30
    ever_contacted: bool = True
    # last_contact_on is the start date: nobody was reached since the placement began.
    since_start: bool = False


@dataclass(frozen=True)
class Said:
    """What consultants, calls and the person's own reports say."""

    concerns: tuple[str, ...] = ()  # concerns raised: "Olivia Owner: unhappy about commute"
    call_notes: tuple[str, ...] = ()  # notes of calls since the last check-in, newest first
    latest_call_before_start: bool = False  # the newest of them was before the placement began
    reported: tuple[str, ...] = ()  # problems reported on the personal page, as worded


@dataclass(frozen=True)
class Factor:
    name: str
    value: float
    words: str


@dataclass
class Scored:
    score: int
    probability: float
    factors: list[Factor] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    top: list[Factor] = field(default_factory=list)  # the factors behind `reasons`

    @property
    def values(self) -> dict[str, float]:
        return {f.name: round(f.value, 4) for f in self.factors}


# --- Answers as graded factors -----------------------------------------------------------


# Values are centred on the usual answer (4 of 5, NPS 8, "yes"), so what most people say
# moves nothing and only the unusual answer (and the strikingly good one) does.
def _rating_value(number: float) -> float:
    return max(-1.5, min(0.5, (number - 4.0) / 2.0))


def _nps_value(number: float) -> float:
    return (number - 8.0) / 3.0


def yes_no_value(answer: AnswerInput) -> float | None:
    """0 yes, −1 no, −0.5 not sure; None when it was not answered."""
    if answer.number is not None:
        return 0.0 if answer.number >= 1 else -1.0
    text = answer.text.strip().lower()
    if text in ("yes", "y", "true", "1"):
        return 0.0
    if text in ("no", "n", "false", "0"):
        return -1.0
    return -0.5 if text in YES_NO_UNSURE else None


def _label(answer: AnswerInput) -> str:
    return answer.label or answer.code.replace("_", " ")


def _ratings(response: ResponseInput) -> dict[str, AnswerInput]:
    return {a.code: a for a in response.answers if a.kind == "rating" and a.number is not None}


def _rating_factors(
    response: ResponseInput, previous: ResponseInput | None, prefix: str
) -> list[Factor]:
    before = _ratings(previous) if previous is not None else {}
    out = []
    for code, a in _ratings(response).items():
        assert a.number is not None
        then = before.get(code)
        after = f" after {then.number:g}" if then is not None and then.number != a.number else ""
        who = "the client rated" if prefix == "client" else "rated"
        name = "client:rating" if prefix == "client" else f"rating:{code}"
        words = f"{who} “{_label(a)}” {a.number:g} of 5{after}"
        out.append(Factor(name, _rating_value(a.number), words))
    return out


def _detail(response: ResponseInput, a: AnswerInput) -> str:
    """The follow-up that explains an answer ("What is different?"), quoted."""
    code = DETAIL_OF.get(a.code)
    for d in response.answers:
        if code is not None and d.code == code and d.text.strip():
            return f": {_quote(d.text)}"
    return ""


CLIENT_CONCERNS = ("has_concerns", "concerns")


def _yes_no_factors(response: ResponseInput, client: bool) -> list[Factor]:
    out = []
    for a in response.answers:
        if a.kind != "yes_no":
            continue
        value = yes_no_value(a)
        if value is None:
            continue
        # The follow-up explains the worrying answer: a "no", or a client's "yes, a concern".
        worry = value == 0.0 if a.code in CLIENT_CONCERNS else value < 0
        said = {0.0: "yes", -1.0: "no", -0.5: "not sure"}[value]
        said += f" to “{_label(a)}”{_detail(response, a) if worry else ''}"
        who = "the client answered" if client else "answered"
        if client and a.code.startswith("terms_kept"):
            out.append(Factor("client:terms_breach", -value, f"{who} {said}"))
        elif client and a.code in CLIENT_CONCERNS:
            out.append(Factor("client:concern", 1.0 + value, f"{who} {said}"))
        elif not client:
            out.append(Factor(f"yes:{a.code}", value, f"{who} {said}"))
    return out


def _nps(response: ResponseInput, code_filter: str | None = None) -> AnswerInput | None:
    for a in response.answers:
        if a.kind == "nps" and a.number is not None:
            if code_filter is None and a.code != "would_hire_again":
                return a
            if code_filter is not None and a.code == code_filter:
                return a
    return None


def _nps_factors(response: ResponseInput, client: bool) -> list[Factor]:
    out = []
    nps = _nps(response)
    if nps is not None and nps.number is not None:
        who = "the client" if client else "they"
        name = "client:nps" if client else "nps:candidate"
        words = f"{who} would recommend us {nps.number:g}/10"
        out.append(Factor(name, _nps_value(nps.number), words))
    again = _nps(response, "would_hire_again")
    if client and again is not None and again.number is not None:
        words = f"the client would hire through us again {again.number:g}/10"
        out.append(Factor("client:hire_again", _nps_value(again.number), words))
    return out


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _trend_factors(response: ResponseInput, previous: ResponseInput | None) -> list[Factor]:
    if previous is None:
        return []
    out = []
    now_avg = _mean([a.number for a in _ratings(response).values() if a.number is not None])
    then_avg = _mean([a.number for a in _ratings(previous).values() if a.number is not None])
    if now_avg is not None and then_avg is not None and now_avg != then_avg:
        way = "down" if now_avg < then_avg else "up"
        words = f"average rating {now_avg:.1f}, {way} from {then_avg:.1f} last time"
        out.append(Factor("trend:rating", (now_avg - then_avg) / 2.0, words))
    now = _nps(response)
    then = _nps(previous)
    a = now.number if now is not None else None
    b = then.number if then is not None else None
    if a is not None and b is not None and a != b:
        words = f"would recommend us {a:g}/10 after {b:g}"
        out.append(Factor("trend:nps", (a - b) / 3.0, words))
    return out


def _quote(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return f"“{text[: limit - 1]}…”" if len(text) > limit else f"“{text}”"


def _text_factors(response: ResponseInput, client: bool) -> list[Factor]:
    said = [
        a
        for a in response.answers
        if a.kind == "text" and len(a.text.strip()) >= 3 and not is_nothing(a.text)
    ]
    if not said or client:
        return []  # the client's comments count through their concern answers
    out = []
    # A follow-up explaining a "no" already counts there: "not what I was promised" in it
    # is the same worry, not a second one.
    details = set(DETAIL_OF.values())
    for a in said:
        reason = leaving_reason(a.text.strip(), explains=a.code in details)
        if reason:
            out.append(Factor("text:leaving", 1.0, reason))
            break
    tone = {a.text.strip(): sentiment(a.text) for a in said}
    worst = min(tone, key=lambda t: tone[t])
    out.append(Factor("text:sentiment", tone[worst], f"wrote {_quote(worst)}"))
    return out


def _target_factors(response: ResponseInput) -> list[Factor]:
    targets = [a for a in response.answers if a.code.startswith("target:")]
    if not targets:
        return []
    behind = [a for a in targets if "behind" in (a.text.lower(), *(c.lower() for c in a.choices))]
    if not behind:
        return [Factor("client:targets_behind", 0.0, "")]
    names = ", ".join(f"“{a.label or 'a target'}”" for a in behind)
    return [
        Factor(
            "client:targets_behind", len(behind) / len(targets), f"the client says {names} behind"
        )
    ]


def _client_concern_text(response: ResponseInput) -> list[Factor]:
    for a in response.answers:
        said = a.kind == "text" and a.text.strip() and not is_nothing(a.text)
        if a.code in ("client_concerns", "concerns") and said:
            return [Factor("client:concern", 1.0, f"the client wrote {_quote(a.text)}")]
    return []


def answer_factors(response: ResponseInput, previous: ResponseInput | None) -> list[Factor]:
    """One check-in's answers as graded factors, with the trend since the one before."""
    client = response.audience == "client"
    tail = f" ({response.context}, {response.submitted_on.day} {response.submitted_on:%b})"
    out = [
        *_rating_factors(response, previous, "client" if client else ""),
        *_yes_no_factors(response, client),
        *_nps_factors(response, client),
        *_text_factors(response, client),
    ]
    if client:
        out += [*_target_factors(response), *_client_concern_text(response)]
    else:
        out += _trend_factors(response, previous)
    return [Factor(f.name, f.value, f.words + tail if f.words else "") for f in out]


# --- The record, behaviour and what people said -------------------------------------------


def tenure_factors(start_date: dt.date, today: dt.date) -> list[Factor]:
    days = max(0, (today - start_date).days)
    words = f"new in the job ({days} days in)" if days < 365 else f"{days} days in the job"
    return [
        Factor("tenure:early", math.exp(-days / 365.0), words),
        Factor("tenure:years", math.log1p(days / 365.0), words),
    ]


def pay_gap(salary: float | None, peers: float | None) -> float | None:
    """How far below the peers' median the salary is, as a fraction (negative: above)."""
    if salary is None or not peers or salary <= 0:
        return None
    return max(-1.0, min(1.0, (peers - salary) / peers))


def _pay_words(gap: float, what: str) -> str:
    where = "below" if gap > 0 else "above"
    return f"paid {abs(gap):.0%} {where} {what}"


def record_factors(facts: PlacementFacts) -> list[Factor]:
    out = []
    for name, peers, what in (
        ("pay:below_role", facts.role_median, "similar roles"),
        ("pay:below_client", facts.client_median, "others placed at this client"),
    ):
        gap = pay_gap(facts.salary, peers)
        if gap is not None:
            out.append(Factor(name, gap, _pay_words(gap, what)))
    if facts.salary and facts.agency_median and facts.salary > 0:
        level = max(-2.0, min(2.0, math.log(facts.agency_median / facts.salary)))
        words = _pay_words(1 - facts.salary / facts.agency_median, "the agency's median salary")
        out.append(Factor("pay:below_agency", level, words))
    if not facts.has_benefits:
        out.append(Factor("terms:no_benefits", 1.0, "no benefits on the agreed terms"))
    if facts.hours_per_week and facts.hours_per_week > 40:
        over = (facts.hours_per_week - 40) / 10
        out.append(
            Factor("terms:long_hours", over, f"{facts.hours_per_week:g} hours a week agreed")
        )
    return out


def behaviour_factors(b: Behaviour, today: dt.date) -> list[Factor]:
    out = []
    if b.unanswered:
        things = "check-in or call" if b.unanswered == 1 else "check-ins or calls"
        words = f"{b.unanswered} {things} unanswered since they last answered"
        out.append(Factor("response:unanswered", min(b.unanswered, 3), words))
    if b.days_late >= 1:
        words = f"took {b.days_late:.0f} days to answer the last check-in"
        out.append(Factor("response:late", min(b.days_late / 7.0, 2.0), words))
    if b.last_answer_on is not None:
        days = (today - b.last_answer_on).days
        out.append(
            Factor(
                "response:since_answer",
                min(days / 90.0, 4.0),
                f"last answered {humane.days_ago(b.last_answer_on, today)}",
            )
        )
    if b.last_contact_on is not None:
        days = (today - b.last_contact_on).days
        if days >= b.silence_days:
            if not b.ever_contacted:
                words = f"no contact for {days} days (never contacted)"
            elif b.since_start:
                words = f"no contact since they started {days} days ago"
            else:
                words = f"no contact for {days} days"
            out.append(Factor("response:silence", min(days / b.silence_days, 3.0) - 1.0, words))
    return out


def said_factors(said: Said) -> list[Factor]:
    out = []
    if said.concerns:
        words = f"concern raised by {said.concerns[0]}"
        out.append(Factor("consultant:concern", min(len(said.concerns), 2), words))
    notes = [n for n in said.call_notes if len(n.strip()) >= 3]
    if notes:
        # Like answers, only the latest word counts: a later note settles an earlier one.
        latest = notes[0]
        out.append(Factor("call:sentiment", sentiment(latest), f"call note {_quote(latest)}"))
        # Notes are what the consultant reports the person said ("says she has an offer").
        reason = leaving_reason(latest, reported=True, before_start=said.latest_call_before_start)
        if reason:
            out.append(Factor("text:leaving", 1.0, reason))
    if said.reported:
        out.append(Factor("reported:problem", min(len(said.reported), 2), said.reported[0]))
    return out


# --- Scoring -----------------------------------------------------------------------------


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def percent(probability: float) -> int:
    """0–100, halves rounded up, as people round."""
    return min(100, max(0, math.floor(round(100 * probability, 6) + 0.5)))


def merge(factors: Iterable[Factor]) -> list[Factor]:
    """One factor per name: the later (newer) one wins, except that text and leaving
    intent keep their strongest reading from any source."""
    out: dict[str, Factor] = {}
    for f in factors:
        old = out.get(f.name)
        if old is not None and f.name == "text:leaving":
            continue
        if old is not None and f.name.endswith(":sentiment") and old.value <= f.value:
            continue
        out[f.name] = f
    return list(out.values())


def linear(values: Mapping[str, float], coefficients: Mapping[str, float] | None) -> float:
    if coefficients is None:
        return sum(prior_for(k) * v for k, v in values.items())
    return sum(coefficients.get(k, 0.0) * v for k, v in values.items())


def score(
    factors: Sequence[Factor],
    *,
    intercept: float = INTERCEPT,
    coefficients: Mapping[str, float] | None = None,
    top: int = 4,
) -> Scored:
    """The score and its top reasons; `coefficients` None means the built-in priors."""
    merged = merge(factors)
    values = {f.name: f.value for f in merged}
    probability = _sigmoid(intercept + linear(values, coefficients))
    weigh = prior_for if coefficients is None else (lambda k: coefficients.get(k, 0.0))
    # News (answers, calls, concerns) before context (tenure, pay), strongest first.
    pushes = sorted(
        ((weigh(f.name) * f.value, f) for f in merged if f.words),
        key=lambda t: (is_context(t[1].name), -t[0]),
    )
    chosen = [f for c, f in pushes if c >= MIN_CONTRIBUTION][:top]
    return Scored(
        percent(probability), probability, merged, [_capital(f.words) for f in chosen], chosen
    )


def score_values(
    values: Mapping[str, float],
    *,
    intercept: float = INTERCEPT,
    coefficients: Mapping[str, float] | None = None,
) -> int:
    """The score from stored factor values alone (the fast path of the daily rescore)."""
    return percent(_sigmoid(intercept + linear(values, coefficients)))


# Factors that are context, not news: they rank placements but never open an alert alone.
CONTEXT_FAMILIES = ("tenure", "pay", "terms")


def is_context(name: str) -> bool:
    return name.split(":", 1)[0] in CONTEXT_FAMILIES


def _capital(words: str) -> str:
    return words[:1].upper() + words[1:]


# --- Medians from the agency's own placements -------------------------------------------


def medians(rows: Iterable[tuple[str, float]]) -> dict[str, float]:
    """Median salary per key (a role or a client), from at least three placements."""
    by_key: dict[str, list[float]] = {}
    for key, salary in rows:
        by_key.setdefault(key, []).append(salary)
    return {k: float(median(v)) for k, v in by_key.items() if len(v) >= 3}


def role_key(title: str) -> str:
    """Roles compare by title, case and spacing aside ("Sales Executive" = "sales executive")."""
    return " ".join(title.lower().split())
