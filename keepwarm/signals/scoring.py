"""Pure functions: answers and records in, warning signs and a fall-off risk out.

Nothing here touches the database, so the rules can be read and tested on plain inputs
(and benchmarked on public attrition data, see bench/risk_validation.py).

How a score is made
-------------------
Every warning sign ("signal") has a default weight between 0 and 1, which reads as "on
its own, this makes a fall-off about this likely". Signals combine like independent
chances, a noisy-OR:

    score = 100 × (1 − Π (1 − weight_i))

so one strong sign (0.5) gives 50, two give 75, and the score never passes 100 however
many small signs pile up. Unlike a weighted sum it needs no scaling, and each reason's
share is easy to explain. Only the latest answers of each side (candidate, client)
count; older answers matter through the "scores dropped" signal.

When the agency has recorded enough outcomes, `fit_logistic` fits a logistic regression
on the same inputs (the number of signals of each kind) and `fitted_probability` gives its
view next to the default one.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from keepwarm.signals import text as text_reading
from keepwarm.signals.models import Signal, SignalKind

Kind = SignalKind
Source = Signal.Source

# Defaults shipped in the RiskWeight table (admins may change them there).
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


@dataclass
class Score:
    score: int
    reasons: list[str] = field(default_factory=list)


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


@lru_cache(maxsize=1)
def _analyser() -> Any:
    # Imported lazily: loading the lexicon costs ~0.1 s, and most processes never score text.
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment(text: str) -> float:
    """VADER's compound score, −1 (very negative) to 1; the lexicon ships in the package."""
    if not text.strip():
        return 0.0
    return float(_analyser().polarity_scores(text)["compound"])


def says_might_leave(text: str) -> bool:
    return text_reading.leaving_intent(text) is not None


def leaving_reason(text: str, *, explains: bool = False, reported: bool = False) -> str:
    """ "Leaving intent (another agency called): “…”", or "" when the text shows none.

    A text that `explains` a "no" to expectations or terms already counts there: saying
    it is not what was promised is the same worry, not a second one. `reported`: a
    consultant's note of what the person said.
    """
    found = text_reading.leaving_intent(text, reported=reported)
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
    """The warning signs in one response, compared with the same side's previous one."""
    found: list[Found] = []
    tail = when(response.context, response.submitted_on)
    client = response.audience == "client"
    says = "Client says" if client else "Said"
    by_code = {a.code: a for a in response.answers}
    explained: set[str] = set()

    def add(kind: str, reason: str, answer: AnswerInput) -> None:
        detail = by_code.get(DETAIL_OF.get(answer.code, ""))
        if detail is not None and detail.text.strip():
            reason = f"{reason}: {_quote(detail.text)}"
            explained.add(detail.code)
        found.append(
            Found(kind, f"{reason} {tail}", Source.ANSWER, answer.id, response.submitted_on)
        )

    for a in response.answers:
        code = a.code
        if a.kind == "nps" and a.number is not None and a.number <= 6:
            if code == "would_hire_again":
                add(
                    Kind.WOULD_NOT_HIRE_AGAIN,
                    f"Client would hire through us again {a.number:g}/10",
                    a,
                )
            else:
                subject = "Client" if client else "Candidate"
                add(Kind.DETRACTOR_NPS, f"{subject} would recommend us {a.number:g}/10", a)
        elif a.kind == "rating" and a.number is not None and a.number <= 2:
            about = a.label or code.replace("_", " ")
            subject = "Client rated" if client else "Rated"
            add(Kind.LOW_RATING, f"{subject} “{about}” {a.number:g} of 5", a)
        elif code == "expectations_met" and says_no(a):
            add(Kind.EXPECTATIONS_NOT_MET, "Said the job does not meet expectations", a)
        elif code == "hours_as_agreed" and says_no(a):
            add(Kind.TERMS_NOT_AS_AGREED, "Said the hours are not as agreed", a)
        elif code == "duties_as_agreed" and says_no(a):
            add(Kind.TERMS_NOT_AS_AGREED, "Said the duties are not as agreed", a)
        elif code == "see_in_a_year" and says_no(a):
            add(Kind.NOT_IN_A_YEAR, "Does not see themselves there in a year", a)
        elif code == "terms_kept_candidate" and says_no(a):
            add(Kind.TERMS_BREACH, f"{says} the candidate is not keeping to the agreed terms", a)
        elif code == "terms_kept_client" and says_no(a):
            add(Kind.TERMS_BREACH, f"{says} the employer is not keeping to the agreed terms", a)
        elif code.startswith("target:") and "behind" in _values(a):
            add(Kind.TARGETS_BEHIND, f"Client says “{a.label or 'a target'}” is behind", a)
        elif client and code in CONCERN_CODES and code not in explained and _is_concern(a):
            if code == "client_concerns" and "has_concerns" in by_code:
                continue  # quoted in the "has concerns" signal
            quoted = f": {_quote(a.text)}" if a.kind == "text" else ""
            add(Kind.CLIENT_CONCERN, f"Client raised a concern{quoted}", a)
            continue  # the concern itself is the signal; its tone would count it twice

    for a in response.answers:
        if a.kind == "text" and a.text.strip() and not (client and a.code in CONCERN_CODES):
            found.extend(_text_signals(a, response, tail, client, explained=a.code in explained))

    if previous is not None:
        found.extend(_drops(response, previous, tail))
    return found


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
            said = f"last contact {last_contact:%d %b %Y}" if last_contact else "never contacted"
            found.append(
                Found(
                    Kind.LONG_SILENCE,
                    f"No contact for {days} days ({said})",
                    Source.RECORD,
                    0,
                    today,
                )
            )
    return found


# --- Scoring ---------------------------------------------------------------------------


def combine(found: Sequence[Found], weights: Mapping[str, float]) -> Score:
    """Noisy-OR of the signals' weights, 0–100, with reasons strongest first."""
    keep = 1.0
    ranked = sorted(found, key=lambda f: (-weights.get(f.kind, 0.0), -f.on.toordinal()))
    for f in ranked:
        keep *= 1.0 - min(max(weights.get(f.kind, 0.0), 0.0), 1.0)
    return Score(score=percent(1.0 - keep), reasons=[f.reason for f in ranked])


def percent(probability: float) -> int:
    """0–100, halves rounded up (57.5 -> 58), as people round."""
    # Rounded to 6 places first: 1 - 0.5 * 0.85 is 0.57499999… in binary.
    return min(100, max(0, math.floor(round(100 * probability, 6) + 0.5)))


def features_of(found: Iterable[Found]) -> dict[str, int]:
    """The fitted model's inputs: how many signals of each kind are present (absent kinds
    are left out, i.e. 0). Counts, not presence: three low ratings say more than one."""
    counts: dict[str, int] = {}
    for f in found:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return counts


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def fitted_probability(
    features: Mapping[str, float], coefficients: Mapping[str, float], intercept: float
) -> float:
    z = intercept + sum(coefficients.get(k, 0.0) * v for k, v in features.items())
    return _sigmoid(z)


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
) -> tuple[float, list[float]]:
    """Logistic regression by IRLS (Newton's method) with an L2 penalty; returns
    (intercept, coefficients).

    The penalty (not on the intercept) keeps coefficients finite when a rare signal
    perfectly separates a handful of outcomes, which small agencies' data often does.
    """
    if not rows:
        raise ValueError("No rows to fit.")
    p = len(rows[0]) + 1
    x = [[1.0, *map(float, r)] for r in rows]
    y = [float(v) for v in labels]
    beta = [0.0] * p
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
                grad[j] -= ridge * beta[j]
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


def cross_validated_auc(
    rows: Sequence[Sequence[float]], labels: Sequence[int], *, folds: int = 5, ridge: float = 1.0
) -> float:
    """ROC AUC of `fit_logistic` scored on held-out folds (row i goes to fold i mod k)."""
    predictions = [0.0] * len(rows)
    for fold in range(folds):
        train = [i for i in range(len(rows)) if i % folds != fold]
        test = [i for i in range(len(rows)) if i % folds == fold]
        intercept, coefs = fit_logistic(
            [rows[i] for i in train], [labels[i] for i in train], ridge=ridge
        )
        for i in test:
            z = intercept + sum(c * v for c, v in zip(coefs, rows[i], strict=True))
            predictions[i] = _sigmoid(z)
    return roc_auc(predictions, labels)
