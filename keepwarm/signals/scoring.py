"""Pure functions: answers and records in, warning signs out; and the fitting arithmetic.

Nothing here touches the database, so the rules can be read and tested on plain inputs.

A warning sign ("signal") is a worrying thing said or seen, kept with its words so a
consultant can read what worried us: "Said the job does not meet expectations: …". Signs
are the placement's history and name the answers that open an alert on their own
(WORRYING). The score itself does not count signs: it weighs every answer by its value,
with tenure, pay and the rest (signals/features.py), and is fitted to the agency's own
outcomes (signals/learning.py) with `fit_logistic` and `roc_auc` below.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from keepwarm.signals import text as text_reading
from keepwarm.signals.models import Signal, SignalKind

Kind = SignalKind
Source = Signal.Source

# How much each kind of warning sign weighs when signs are listed (strongest first), shipped
# in the RiskWeight table. The score itself is made in signals/features.py.
DEFAULT_WEIGHTS: dict[str, float] = {
    Kind.MIGHT_LEAVE: 0.50,
    Kind.NOT_IN_A_YEAR: 0.40,
    Kind.EXPECTATIONS_NOT_MET: 0.35,
    Kind.TERMS_BREACH: 0.30,
    Kind.CLIENT_CONCERN: 0.30,
    Kind.TERMS_NOT_AS_AGREED: 0.25,
    Kind.DETRACTOR_NPS: 0.25,
    Kind.SCORE_DROP: 0.20,
    Kind.TARGETS_BEHIND: 0.20,
    Kind.WOULD_NOT_HIRE_AGAIN: 0.20,
    Kind.NEGATIVE_TEXT: 0.20,
    Kind.LOW_RATING: 0.15,
    Kind.LONG_SILENCE: 0.15,
    Kind.UNANSWERED: 0.10,
    Kind.MANUAL: 0.40,
    Kind.REPORTED_PROBLEM: 0.35,
}

EXPLANATIONS: dict[str, str] = {
    Kind.MIGHT_LEAVE: "A comment says they are thinking of leaving or looking elsewhere.",
    Kind.NOT_IN_A_YEAR: 'Answered "no" to seeing themselves there in a year.',
    Kind.EXPECTATIONS_NOT_MET: 'Answered "no" to the job living up to expectations.',
    Kind.TERMS_BREACH: "Either side says the other has not kept the agreed terms.",
    Kind.CLIENT_CONCERN: "The client raised a concern.",
    Kind.TERMS_NOT_AS_AGREED: "The candidate says hours or duties are not as agreed.",
    Kind.DETRACTOR_NPS: "Would recommend us 0 to 6 out of 10.",
    Kind.SCORE_DROP: "NPS or the average rating fell by 2 or more since the last answers.",
    Kind.TARGETS_BEHIND: "The client says a target is behind.",
    Kind.WOULD_NOT_HIRE_AGAIN: "The client would hire through us again 0 to 6 out of 10.",
    Kind.NEGATIVE_TEXT: "A free-text answer reads as negative (VADER sentiment).",
    Kind.LOW_RATING: "A rating of 1 or 2 out of 5, counted per question.",
    Kind.LONG_SILENCE: "No contact with the placed person for the silence period.",
    Kind.UNANSWERED: "A check-in expired unanswered or a call was missed, counted each.",
    Kind.MANUAL: "A consultant flagged the placement.",
    Kind.REPORTED_PROBLEM: (
        "The placed person reported a problem on their personal page (until the alert is closed)."
    ),
}

# Answers that open an alert on their own, whatever the total score.
WORRYING = frozenset(
    {
        Kind.MIGHT_LEAVE,
        Kind.NOT_IN_A_YEAR,
        Kind.EXPECTATIONS_NOT_MET,
        Kind.TERMS_BREACH,
        Kind.CLIENT_CONCERN,
    }
)

NEGATIVE_COMPOUND = -0.3  # VADER's compound score at or below which a comment is negative
DROP = 2.0  # points NPS or the average rating must fall by

_NO = {"no", "n", "false", "0", "not really", "not sure yet"}
_YES = {"yes", "y", "true", "1"}
_NOTHING = {"", "no", "none", "nothing", "n/a", "na", "-", "no concerns", "nothing at all", "nope"}


@dataclass(frozen=True)
class AnswerInput:
    """One answer, flattened from the surveys app."""

    id: int
    code: str  # the question's code: "nps", "expectations_met", "target:12", …
    kind: str  # nps, rating, yes_no, choice, multi_choice, text
    label: str = ""  # the question as asked (or the target's name for "target:" codes)
    number: float | None = None
    text: str = ""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResponseInput:
    id: int
    audience: str  # "candidate" or "client"
    submitted_on: dt.date
    context: str  # what was answered, e.g. "Month 1 check-in"
    answers: tuple[AnswerInput, ...]


@dataclass(frozen=True)
class Found:
    """A signal found in the inputs, before it is stored."""

    kind: str
    reason: str
    source: str
    source_id: int
    on: dt.date


@dataclass(frozen=True)
class Missed:
    """An invitation that expired unanswered, or a call or meeting that did not happen."""

    id: int
    source: str  # Source.INVITATION or Source.TOUCHPOINT
    what: str
    on: dt.date


def when(context: str, on: dt.date) -> str:
    """ "(month-1 check-in, 3 Mar)": the tail of every reason."""
    day = f"{on.day} {on:%b}"
    return f"({context}, {day})" if context else f"({day})"


# --- Reading answers -----------------------------------------------------------------


def _values(answer: AnswerInput) -> list[str]:
    values = [answer.text.strip().lower()] if answer.text.strip() else []
    values += [str(c).strip().lower() for c in answer.choices]
    return values


def says_no(answer: AnswerInput) -> bool:
    if answer.kind == "yes_no" and answer.number is not None:
        return answer.number == 0
    return any(v in _NO for v in _values(answer))


def says_yes(answer: AnswerInput) -> bool:
    if answer.kind == "yes_no" and answer.number is not None:
        return answer.number == 1
    return any(v in _YES for v in _values(answer))


def sentiment(text: str) -> float:
    """VADER's compound score, −1 (very negative) to 1, with the reader's lexicon
    (signals.text); the lexicon ships in the package."""
    return text_reading.compound(text)


def says_might_leave(text: str) -> bool:
    return text_reading.leaving_intent(text) is not None


# Before a placement starts, resigning and working notice are about the job the person is
# leaving for it: the step every start needs, not a sign they may leave this one. An offer
# elsewhere or another agency calling before the start is still a warning.
BEFORE_START_SAYS_NOTHING = frozenset({"notice"})


def leaving_reason(
    text: str, *, explains: bool = False, reported: bool = False, before_start: bool = False
) -> str:
    """ "Leaving intent (another agency called): “…”", or "" when the text shows none.

    A text that `explains` a "no" to expectations or terms already counts there: saying
    it is not what was promised is the same worry, not a second one. `reported`: a
    consultant's note of what the person said. `before_start`: said before the placement
    started (BEFORE_START_SAYS_NOTHING).
    """
    ignore = BEFORE_START_SAYS_NOTHING if before_start else frozenset()
    found = text_reading.leaving_intent(text, reported=reported, ignore=ignore)
    if found is None or (explains and found.category == "not_as_promised"):
        return ""
    return f"Leaving intent ({found.label}): {_quote(text)}"


def _quote(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return f"“{text[: limit - 1]}…”" if len(text) > limit else f"“{text}”"


def _rating_average(answers: Iterable[AnswerInput]) -> float | None:
    ratings = [a.number for a in answers if a.kind == "rating" and a.number is not None]
    return sum(ratings) / len(ratings) if ratings else None


def _nps(answers: Iterable[AnswerInput]) -> float | None:
    for a in answers:
        if a.kind == "nps" and a.code != "would_hire_again" and a.number is not None:
            return a.number
    return None


# Follow-up questions whose text explains the answer before them: the text is quoted in
# that signal's reason instead of being scored again as a negative comment.
DETAIL_OF = {
    "expectations_met": "expectations_detail",
    "hours_as_agreed": "hours_detail",
    "duties_as_agreed": "duties_detail",
    "terms_kept_candidate": "terms_candidate_detail",
    "terms_kept_client": "terms_client_detail",
    "has_concerns": "client_concerns",
}
CONCERN_CODES = ("has_concerns", "concerns", "client_concerns")


def signals_from_response(
    response: ResponseInput, previous: ResponseInput | None = None
) -> list[Found]:
    """The warning signs in one response, compared with the same side's previous one.

    Each answer goes through the rules in `_ANSWER_RULES` in turn; the first that finds a
    sign wins. The signs are what a consultant reads as "what worried us"; the score
    itself weighs every answer by its value (signals/features.py)."""
    reading = _Reading(response)
    for a in response.answers:
        for rule in _ANSWER_RULES:
            found = rule(reading, a)
            if found is not None:
                reading.add(*found, a)
                break
    for a in response.answers:
        if a.kind == "text" and a.text.strip() and not reading.concern_text(a):
            reading.found.extend(
                _text_signals(
                    a, response, reading.tail, reading.client, explained=a.code in reading.explained
                )
            )
    if previous is not None:
        reading.found.extend(_drops(response, previous, reading.tail))
    return reading.found


class _Reading:
    """One response being read: its answers by code, and the signs found so far."""

    def __init__(self, response: ResponseInput) -> None:
        self.response = response
        self.tail = when(response.context, response.submitted_on)
        self.client = response.audience == "client"
        self.by_code = {a.code: a for a in response.answers}
        self.explained: set[str] = set()
        self.found: list[Found] = []

    def add(self, kind: str, reason: str, answer: AnswerInput) -> None:
        detail = self.by_code.get(DETAIL_OF.get(answer.code, ""))
        if detail is not None and detail.text.strip():
            reason = f"{reason}: {_quote(detail.text)}"
            self.explained.add(detail.code)
        on = self.response.submitted_on
        self.found.append(Found(kind, f"{reason} {self.tail}", Source.ANSWER, answer.id, on))

    def concern_text(self, a: AnswerInput) -> bool:
        return self.client and a.code in CONCERN_CODES


Rule = Callable[[_Reading, AnswerInput], "tuple[str, str] | None"]


def _low_nps(r: _Reading, a: AnswerInput) -> tuple[str, str] | None:
    if a.kind != "nps" or a.number is None or a.number > 6:
        return None
    if a.code == "would_hire_again":
        return Kind.WOULD_NOT_HIRE_AGAIN, f"Client would hire through us again {a.number:g}/10"
    subject = "Client" if r.client else "Candidate"
    return Kind.DETRACTOR_NPS, f"{subject} would recommend us {a.number:g}/10"


def _low_rating(r: _Reading, a: AnswerInput) -> tuple[str, str] | None:
    if a.kind != "rating" or a.number is None or a.number > 2:
        return None
    subject = "Client rated" if r.client else "Rated"
    return Kind.LOW_RATING, f"{subject} “{a.label or a.code.replace('_', ' ')}” {a.number:g} of 5"


# Yes/no questions whose "no" is a sign: code -> (kind, reason; {says} is "Said" or
# "Client says").
_NO_MEANS = {
    "expectations_met": (Kind.EXPECTATIONS_NOT_MET, "Said the job does not meet expectations"),
    "hours_as_agreed": (Kind.TERMS_NOT_AS_AGREED, "Said the hours are not as agreed"),
    "duties_as_agreed": (Kind.TERMS_NOT_AS_AGREED, "Said the duties are not as agreed"),
    "see_in_a_year": (Kind.NOT_IN_A_YEAR, "Does not see themselves there in a year"),
    "terms_kept_candidate": (
        Kind.TERMS_BREACH,
        "{says} the candidate is not keeping to the agreed terms",
    ),
    "terms_kept_client": (
        Kind.TERMS_BREACH,
        "{says} the employer is not keeping to the agreed terms",
    ),
}


def _no_answer(r: _Reading, a: AnswerInput) -> tuple[str, str] | None:
    meaning = _NO_MEANS.get(a.code)
    if meaning is None or not says_no(a):
        return None
    kind, reason = meaning
    return kind, reason.format(says="Client says" if r.client else "Said")


def _target_behind(r: _Reading, a: AnswerInput) -> tuple[str, str] | None:
    if not a.code.startswith("target:") or "behind" not in _values(a):
        return None
    return Kind.TARGETS_BEHIND, f"Client says “{a.label or 'a target'}” is behind"


def _client_concern(r: _Reading, a: AnswerInput) -> tuple[str, str] | None:
    if not r.concern_text(a) or a.code in r.explained or not _is_concern(a):
        return None
    if a.code == "client_concerns" and "has_concerns" in r.by_code:
        return None  # quoted in the "has concerns" signal
    quoted = f": {_quote(a.text)}" if a.kind == "text" else ""
    return Kind.CLIENT_CONCERN, f"Client raised a concern{quoted}"


_ANSWER_RULES: tuple[Rule, ...] = (
    _low_nps,
    _low_rating,
    _no_answer,
    _target_behind,
    _client_concern,
)


def is_nothing(text: str) -> bool:
    """ "None", "n/a", "nothing at all": a comment that says nothing."""
    return text.strip().lower().rstrip(".!") in _NOTHING


def _is_concern(answer: AnswerInput) -> bool:
    if answer.kind == "yes_no" or answer.number is not None:
        return says_yes(answer)
    text = answer.text.strip().lower().rstrip(".!")
    return text not in _NOTHING and not says_no(answer)


def _text_signals(
    a: AnswerInput, response: ResponseInput, tail: str, client: bool, *, explained: bool
) -> list[Found]:
    text = a.text.strip()
    if len(text) < 3 or text.lower() in _NOTHING:
        return []
    out: list[Found] = []
    leaving = "" if client else leaving_reason(text, explains=explained)
    if leaving:
        out.append(
            Found(
                Kind.MIGHT_LEAVE,
                f"{leaving} {tail}",
                Source.ANSWER,
                a.id,
                response.submitted_on,
            )
        )
    elif not explained and sentiment(text) <= NEGATIVE_COMPOUND:
        who = "Client wrote" if client else "Wrote"
        out.append(
            Found(
                Kind.NEGATIVE_TEXT,
                f"{who} {_quote(text)} {tail}",
                Source.ANSWER,
                a.id,
                response.submitted_on,
            )
        )
    return out


def _drops(response: ResponseInput, previous: ResponseInput, tail: str) -> list[Found]:
    out: list[Found] = []
    now_nps, then_nps = _nps(response.answers), _nps(previous.answers)
    if now_nps is not None and then_nps is not None and then_nps - now_nps >= DROP:
        out.append(
            Found(
                Kind.SCORE_DROP,
                f"NPS fell from {then_nps:g} to {now_nps:g} {tail}",
                Source.RESPONSE,
                response.id,
                response.submitted_on,
            )
        )
    now_avg, then_avg = _rating_average(response.answers), _rating_average(previous.answers)
    if now_avg is not None and then_avg is not None and then_avg - now_avg >= DROP:
        out.append(
            Found(
                Kind.SCORE_DROP,
                f"Average rating fell from {then_avg:.1f} to {now_avg:.1f} {tail}",
                Source.RESPONSE,
                response.id,
                response.submitted_on,
            )
        )
    return out


# --- Reading the record --------------------------------------------------------------


def signals_from_record(
    *,
    missed: Sequence[Missed],
    last_contact: dt.date | None,
    start_date: dt.date,
    today: dt.date,
    silence_days: int,
) -> list[Found]:
    """Unanswered check-ins, missed calls and long silence with the placed person.

    `missed` should hold only what went unanswered since the person last answered or was
    reached; silence counts from the last contact, or from the start date if none.
    """
    found = [
        Found(
            Kind.UNANSWERED,
            f"{m.what} {when('', m.on)}",
            m.source,
            m.id,
            m.on,
        )
        for m in missed
    ]
    if start_date <= today:
        since = max(last_contact, start_date) if last_contact else start_date
        days = (today - since).days
        if days >= silence_days:
            if last_contact is None:
                reason = f"No contact for {days} days (never contacted)"
            elif last_contact < start_date:
                reason = (
                    f"No contact since they started {days} days ago "
                    f"(last contact {last_contact:%d %b %Y})"
                )
            else:
                reason = f"No contact for {days} days (last contact {last_contact:%d %b %Y})"
            found.append(
                Found(
                    Kind.LONG_SILENCE,
                    reason,
                    Source.RECORD,
                    0,
                    today,
                )
            )
    return found


# --- Scoring ---------------------------------------------------------------------------


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting; `a` is small and (ridge) well-conditioned."""
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        p = m[col][col]
        if abs(p) < 1e-12:
            continue
        for r in range(col + 1, n):
            factor = m[r][col] / p
            if factor:
                for c in range(col, n + 1):
                    m[r][c] -= factor * m[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        if abs(m[r][r]) < 1e-12:
            continue
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x


def fit_logistic(
    rows: Sequence[Sequence[float]],
    labels: Sequence[int],
    *,
    ridge: float = 1.0,
    iterations: int = 50,
    centre: Sequence[float] | None = None,
    start_intercept: float = 0.0,
) -> tuple[float, list[float]]:
    """Logistic regression by IRLS (Newton's method) with an L2 penalty; returns
    (intercept, coefficients).

    The penalty (not on the intercept) keeps coefficients finite when a rare signal
    perfectly separates a handful of outcomes, which small agencies' data often does.
    With `centre` (the priors) the penalty pulls each coefficient towards its prior
    instead of towards zero.
    """
    if not rows:
        raise ValueError("No rows to fit.")
    p = len(rows[0]) + 1
    x = [[1.0, *map(float, r)] for r in rows]
    y = [float(v) for v in labels]
    prior = [0.0, *(centre or [0.0] * (p - 1))]
    beta = [start_intercept, *prior[1:]]
    for _ in range(iterations):
        grad = [0.0] * p
        hess = [[0.0] * p for _ in range(p)]
        for xi, yi in zip(x, y, strict=True):
            mu = _sigmoid(sum(b * v for b, v in zip(beta, xi, strict=True)))
            w = max(mu * (1.0 - mu), 1e-9)
            for j in range(p):
                grad[j] += (yi - mu) * xi[j]
                if xi[j]:
                    wj = w * xi[j]
                    row = hess[j]
                    for k in range(j, p):
                        row[k] += wj * xi[k]
        for j in range(p):
            for k in range(j):
                hess[j][k] = hess[k][j]
            if j:
                grad[j] -= ridge * (beta[j] - prior[j])
                hess[j][j] += ridge
        step = _solve(hess, grad)
        beta = [b + s for b, s in zip(beta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-8:
            break
    return beta[0], beta[1:]


def roc_auc(scores: Sequence[float], labels: Sequence[int]) -> float:
    """Area under the ROC curve (Mann–Whitney, ties count half)."""
    pairs = sorted(zip(scores, labels, strict=True), key=lambda t: t[0])
    positives = sum(1 for _, y in pairs if y)
    negatives = len(pairs) - positives
    if not positives or not negatives:
        raise ValueError("AUC needs both outcomes.")
    rank_sum = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        mid_rank = (i + 1 + j) / 2  # ranks i+1..j share their average
        rank_sum += mid_rank * sum(1 for k in range(i, j) if pairs[k][1])
        i = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)
