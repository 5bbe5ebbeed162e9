"""The graded score on plain inputs: every answer by its value, tenure and pay as inputs,
reasons in words, and learning that compares leavers and stayers at the same tenure."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from keepwarm.signals import features, learning
from keepwarm.signals.scoring import AnswerInput, ResponseInput

DAY = dt.date(2026, 6, 1)
_ids = iter(range(1, 10_000))


def check_in(*answers: AnswerInput, on: dt.date = DAY, context: str = "Month 3") -> ResponseInput:
    return ResponseInput(next(_ids), "candidate", on, context, tuple(answers))


def rating(code: str, value: float, label: str = "") -> AnswerInput:
    return AnswerInput(next(_ids), code, "rating", label or code, number=value)


def yes_no(code: str, text: str) -> AnswerInput:
    return AnswerInput(next(_ids), code, "yes_no", code, text=text)


def scored(*answers: AnswerInput, start: dt.date = DAY - dt.timedelta(days=90)) -> int:
    factors = [*features.answer_factors(check_in(*answers), None)]
    factors += features.tenure_factors(start, DAY)
    return features.score(factors).score


@pytest.mark.parametrize("code", ["satisfaction_job", "satisfaction_manager", "worklife"])
def test_each_rating_step_moves_the_score(code: str) -> None:
    scores = [scored(rating(code, v)) for v in (5, 4, 3, 2, 1)]
    assert scores == sorted(scores)
    assert len(set(scores)) == 5  # "OK", "Good" and "Excellent" no longer look the same


def test_a_question_the_agency_added_still_counts_by_its_value() -> None:
    assert scored(rating("parking", 1)) > scored(rating("parking", 4))


def test_not_sure_sits_between_yes_and_no() -> None:
    yes, unsure, no = (scored(yes_no("see_in_a_year", t)) for t in ("yes", "not sure", "no"))
    assert yes < unsure < no


def test_tenure_is_an_input_not_a_gate() -> None:
    same = rating("satisfaction_job", 3)
    two_weeks = scored(same, start=DAY - dt.timedelta(days=14))
    eleven_months = scored(same, start=DAY - dt.timedelta(days=330))
    three_years = scored(same, start=DAY - dt.timedelta(days=3 * 365))
    assert two_weeks > eleven_months > three_years > 0


def test_the_trend_since_the_last_check_in_is_said_in_words() -> None:
    before = check_in(rating("satisfaction_manager", 4, "the manager"), on=DAY - dt.timedelta(30))
    now = check_in(rating("satisfaction_manager", 2, "the manager"))
    factors = features.answer_factors(now, before)
    result = features.score([*factors, *features.tenure_factors(DAY, DAY)])
    assert "Rated “the manager” 2 of 5 after 4 (Month 3, 1 Jun)" in result.reasons[:2]
    assert {f.name: f.value for f in factors}["trend:rating"] == -1.0


def test_pay_is_compared_with_the_agencys_own_placements() -> None:
    medians = features.medians([("sales executive", 40_000.0)] * 3 + [("buyer", 30_000.0)] * 2)
    assert medians == {"sales executive": 40_000.0}  # fewer than three say nothing
    facts = features.PlacementFacts(start_date=DAY, salary=34_400.0, role_median=40_000.0)
    (gap,) = features.record_factors(facts)
    assert (gap.name, gap.value, gap.words) == (
        "pay:below_role",
        0.14,
        "paid 14% below similar roles",
    )
    assert features.role_key("  Sales   Executive ") == "sales executive"


def test_unanswered_and_late_answers_count() -> None:
    quiet = features.behaviour_factors(features.Behaviour(), DAY)
    late = features.behaviour_factors(features.Behaviour(unanswered=2, days_late=10), DAY)
    assert quiet == []
    assert {f.name for f in late} == {"response:unanswered", "response:late"}
    assert features.score(late).score > features.score(quiet).score


def test_context_alone_is_listed_after_the_news() -> None:
    factors = [
        *features.tenure_factors(DAY, DAY),
        *features.answer_factors(check_in(yes_no("hours_as_agreed", "no")), None),
    ]
    result = features.score(factors)
    assert result.reasons[0].startswith("Answered no to “hours_as_agreed”")
    assert result.reasons[-1] == "New in the job (0 days in)"


def _examples(n: int, seed: int) -> list[learning.Example]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        values = {"yes:expectations_met": -1.0 if rng.random() < 0.3 else 0.0}
        values["tenure:early"] = rng.random()
        z = -2.0 - 1.5 * values["yes:expectations_met"] + 1.0 * values["tenure:early"]
        out.append(learning.Example(values, rng.random() < 1 / (1 + 2.718281828**-z)))
    return out


def test_the_fit_is_calibrated_and_measured_on_held_out_folds() -> None:
    fit = learning.fit(_examples(1500, seed=3))
    assert 0.6 < fit.auc < 0.9
    assert sum(int(d["n"]) for d in fit.deciles) == 1500
    for d in fit.deciles:
        assert d["predicted"] == pytest.approx(d["observed"], abs=0.12)
    top = learning.at_share(fit.precision, share=0.2)
    assert top is not None and top["precision"] > (fit.n_left / 1500)


def test_with_few_outcomes_the_fit_stays_near_the_built_in_weights() -> None:
    fit = learning.fit(_examples(40, seed=5), ridge=20.0)
    prior = features.PRIORS["yes:expectations_met"]
    assert fit.coefficients["yes:expectations_met"] / prior > 0.3


def test_a_clients_concern_is_quoted_from_its_follow_up() -> None:
    concern = AnswerInput(next(_ids), "has_concerns", "yes_no", "Any concerns?", text="yes")
    detail = AnswerInput(
        next(_ids), "client_concerns", "text", "What?", text="Late three days this week"
    )
    response = ResponseInput(next(_ids), "client", DAY, "Client month 1", (concern, detail))
    result = features.score(features.answer_factors(response, None))
    assert (
        result.reasons[0] == "The client wrote “Late three days this week” (Client month 1, 1 Jun)"
    )
    assert result.values["client:concern"] == 1.0
