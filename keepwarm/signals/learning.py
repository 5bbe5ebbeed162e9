"""Pure functions: learning the score's coefficients from the agency's own outcomes.

An example is a placement seen at one check-in point (its factor values then) with what
happened in the following six months: it ended ("left", 1) or it was still going (0).
Leavers and stayers are therefore compared at the same tenure, on what was known at the
time, never a leaver's late answers against a stayer's early ones.

The fit is a logistic regression whose penalty pulls each coefficient towards its prior
(features.PRIORS), not towards zero: with a handful of outcomes the model stays close to
the built-in one and moves only as far as the agency's own history shows. It is then
calibrated (Platt scaling on held-out predictions), so a score of 30 means about 30 in 100
such placements ended. Written in plain Python on purpose: the problem is small (tens of
factors, thousands of examples), the solver is ~60 lines with tests, and a numerical stack
would add ~100 MB to every install for it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from keepwarm.signals import features
from keepwarm.signals.scoring import fit_logistic, roc_auc


@dataclass(frozen=True)
class Example:
    values: Mapping[str, float]
    left: bool


@dataclass
class Fit:
    intercept: float
    coefficients: dict[str, float]
    calibration_a: float  # calibrated probability = sigmoid(a + b × linear score)
    calibration_b: float
    auc: float  # held-out (5-fold) ROC AUC of the fitted score
    prior_auc: float  # ROC AUC of the built-in priors on the same examples
    deciles: list[dict[str, float]] = field(default_factory=list)
    precision: list[dict[str, float]] = field(default_factory=list)
    n_left: int = 0
    n_stayed: int = 0


def names_of(examples: Sequence[Example]) -> list[str]:
    """Every factor seen in the examples, with the priors' names first (a stable order)."""
    seen = {k for e in examples for k in e.values}
    return [k for k in features.PRIORS if k in seen] + sorted(seen - set(features.PRIORS))


def _rows(examples: Sequence[Example], names: Sequence[str]) -> list[list[float]]:
    return [[float(e.values.get(k, 0.0)) for k in names] for e in examples]


def fit_coefficients(
    examples: Sequence[Example], names: Sequence[str], *, ridge: float
) -> tuple[float, dict[str, float]]:
    centre = [features.prior_for(k) for k in names]
    intercept, coefs = fit_logistic(
        _rows(examples, names),
        [1 if e.left else 0 for e in examples],
        ridge=ridge,
        centre=centre,
        start_intercept=features.INTERCEPT,
    )
    return intercept, dict(zip(names, coefs, strict=True))


def _linear(values: Mapping[str, float], intercept: float, coefs: Mapping[str, float]) -> float:
    return intercept + sum(coefs.get(k, 0.0) * v for k, v in values.items())


def held_out_scores(
    examples: Sequence[Example],
    names: Sequence[str],
    *,
    ridge: float,
    folds: int = 5,
    seed: int = 0,
) -> list[float]:
    """Each example's linear score from a model fitted without its fold (stratified)."""
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    # Stratified: leavers and stayers dealt round the folds separately.
    ranked = [i for i in order if examples[i].left] + [i for i in order if not examples[i].left]
    fold_of = {i: n % folds for n, i in enumerate(ranked)}
    out = [0.0] * len(examples)
    for fold in range(folds):
        train = [examples[i] for i in range(len(examples)) if fold_of[i] != fold]
        intercept, coefs = fit_coefficients(train, names, ridge=ridge)
        for i in range(len(examples)):
            if fold_of[i] == fold:
                out[i] = _linear(examples[i].values, intercept, coefs)
    return out


def platt(scores: Sequence[float], labels: Sequence[int]) -> tuple[float, float]:
    """(a, b) so that sigmoid(a + b × score) matches the observed rate."""
    a, coefs = fit_logistic([[s] for s in scores], labels, ridge=1e-6)
    return a, coefs[0]


def deciles(probabilities: Sequence[float], labels: Sequence[int]) -> list[dict[str, float]]:
    """Calibration by decile of predicted risk: mean predicted vs observed share that left."""
    pairs = sorted(zip(probabilities, labels, strict=True))
    out = []
    for d in range(10):
        part = pairs[len(pairs) * d // 10 : len(pairs) * (d + 1) // 10]
        if part:
            out.append(
                {
                    "decile": d + 1,
                    "n": len(part),
                    "predicted": round(sum(p for p, _ in part) / len(part), 3),
                    "observed": round(sum(y for _, y in part) / len(part), 3),
                }
            )
    return out


def precision_table(scores: Sequence[int], labels: Sequence[int]) -> list[dict[str, float]]:
    """For each score cut-off: the share of examples at or above it, and among them the
    share that left (precision), and the share of all leavers caught (recall)."""
    total, left = len(scores), sum(labels)
    out = []
    for cut in sorted(set(scores), reverse=True):
        chosen = [y for s, y in zip(scores, labels, strict=True) if s >= cut]
        out.append(
            {
                "score": cut,
                "share": round(len(chosen) / total, 4),
                "precision": round(sum(chosen) / len(chosen), 4),
                "recall": round(sum(chosen) / left, 4) if left else 0.0,
            }
        )
    return out


def at_cutoff(table: Sequence[Mapping[str, float]], *, score: int) -> Mapping[str, float] | None:
    """The precision-table row for alerting at `score` and above."""
    rows = [r for r in table if r["score"] >= score]
    if rows:
        return rows[-1]
    # Nobody in the history scored this high: nothing would have alerted.
    return {"score": score, "share": 0.0, "precision": 0.0, "recall": 0.0} if table else None


def at_share(table: Sequence[Mapping[str, float]], *, share: float) -> Mapping[str, float] | None:
    """The row for alerting on the riskiest `share` (0–1) of placements."""
    rows = [r for r in table if r["share"] <= share]
    return rows[-1] if rows else (table[0] if table else None)


def fit(examples: Sequence[Example], *, ridge: float = 2.0) -> Fit:
    """Fit, calibrate and measure (held out) the model on labelled examples."""
    labels = [1 if e.left else 0 for e in examples]
    if not 0 < sum(labels) < len(labels):
        raise ValueError("Fitting needs both placements that ended and that stayed.")
    names = names_of(examples)
    held = held_out_scores(examples, names, ridge=ridge)
    a, b = platt(held, labels)
    calibrated = [features._sigmoid(a + b * z) for z in held]
    intercept, coefs = fit_coefficients(examples, names, ridge=ridge)
    prior = [features.linear(e.values, None) for e in examples]
    # The calibration folded into the coefficients: sigmoid(a + b × (c + Σ βx)) is a
    # logistic model with intercept a + b·c and coefficients b·β, scored like the priors.
    return Fit(
        intercept=a + b * intercept,
        coefficients={k: b * c for k, c in coefs.items()},
        calibration_a=a,
        calibration_b=b,
        auc=roc_auc(held, labels),
        prior_auc=roc_auc(prior, labels),
        deciles=deciles(calibrated, labels),
        precision=precision_table([features.percent(p) for p in calibrated], labels),
        n_left=sum(labels),
        n_stayed=len(labels) - sum(labels),
    )


def logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))
