"""Each signal fires from the answers that should fire it, and not from others."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from keepwarm.signals import scoring
from keepwarm.signals.models import SignalKind as K
from keepwarm.signals.scoring import AnswerInput, Found, Missed, ResponseInput

DAY = dt.date(2026, 3, 3)
_ids = iter(range(1, 10_000))


def ans(
    code: str, kind: str, number: float | None = None, text: str = "", **kw: object
) -> AnswerInput:
    return AnswerInput(id=next(_ids), code=code, kind=kind, number=number, text=text, **kw)  # type: ignore[arg-type]


def resp(*answers: AnswerInput, audience: str = "candidate", on: dt.date = DAY) -> ResponseInput:
    return ResponseInput(
        id=next(_ids),
        audience=audience,
        submitted_on=on,
        context="Month 1 check-in",
        answers=answers,
    )


def kinds(found: list[Found]) -> list[str]:
    return [f.kind for f in found]


@pytest.mark.parametrize(("nps", "fires"), [(0, True), (6, True), (7, False), (10, False)])
def test_detractor_nps_fires_from_0_to_6(nps: int, fires: bool) -> None:
    found = scoring.signals_from_response(resp(ans("nps", "nps", nps)))
    assert kinds(found) == ([K.DETRACTOR_NPS] if fires else [])


def test_client_nps_on_hiring_again_is_its_own_signal() -> None:
    found = scoring.signals_from_response(
        resp(ans("would_hire_again", "nps", 4), audience="client")
    )
    assert kinds(found) == [K.WOULD_NOT_HIRE_AGAIN]
    assert found[0].reason == "Client would hire through us again 4/10 (Month 1 check-in, 3 Mar)"


@pytest.mark.parametrize(("rating", "fires"), [(1, True), (2, True), (3, False), (5, False)])
def test_low_ratings_are_1_and_2(rating: int, fires: bool) -> None:
    answer = ans("satisfaction_manager", "rating", rating, label="Your manager and team")
    found = scoring.signals_from_response(resp(answer))
    assert kinds(found) == ([K.LOW_RATING] if fires else [])
    if fires:
        assert found[0].reason.startswith(f"Rated “Your manager and team” {rating} of 5")


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("expectations_met", K.EXPECTATIONS_NOT_MET),
        ("hours_as_agreed", K.TERMS_NOT_AS_AGREED),
        ("duties_as_agreed", K.TERMS_NOT_AS_AGREED),
        ("see_in_a_year", K.NOT_IN_A_YEAR),
    ],
)
def test_a_no_fires_and_a_yes_does_not(code: str, kind: str) -> None:
    assert kinds(scoring.signals_from_response(resp(ans(code, "yes_no", 0)))) == [kind]
    assert kinds(scoring.signals_from_response(resp(ans(code, "yes_no", text="No")))) == [kind]
    assert scoring.signals_from_response(resp(ans(code, "yes_no", 1))) == []
    assert scoring.signals_from_response(resp(ans(code, "yes_no", text="yes"))) == []


def test_expectations_reason_reads_in_plain_words() -> None:
    found = scoring.signals_from_response(resp(ans("expectations_met", "yes_no", 0)))
    assert found[0].reason == ("Said the job does not meet expectations (Month 1 check-in, 3 Mar)")


@pytest.mark.parametrize("code", ["terms_kept_candidate", "terms_kept_client"])
def test_a_breach_of_terms_by_either_side(code: str) -> None:
    found = scoring.signals_from_response(resp(ans(code, "yes_no", 0), audience="client"))
    assert kinds(found) == [K.TERMS_BREACH]
    side = "candidate" if code.endswith("candidate") else "employer"
    assert f"Client says the {side} is not keeping to the agreed terms" in found[0].reason
    assert scoring.signals_from_response(resp(ans(code, "yes_no", 1), audience="client")) == []


def test_targets_behind_name_the_target() -> None:
    behind = ans("target:7", "choice", choices=("behind",), label="New business")
    on_track = ans("target:8", "choice", choices=("on_track",), label="Calls")
    found = scoring.signals_from_response(resp(behind, on_track, audience="client"))
    assert kinds(found) == [K.TARGETS_BEHIND]
    assert found[0].reason.startswith("Client says “New business” is behind")


@pytest.mark.parametrize(
    ("answer", "fires"),
    [
        ("The new starter is often late and misses handovers.", True),
        ("None", False),
        ("No concerns.", False),
        ("", False),
    ],
)
def test_client_concerns_in_text(answer: str, fires: bool) -> None:
    found = scoring.signals_from_response(
        resp(ans("concerns", "text", text=answer), audience="client")
    )
    assert kinds(found) == ([K.CLIENT_CONCERN] if fires else [])


def test_a_follow_up_explains_its_signal_instead_of_counting_twice() -> None:
    found = scoring.signals_from_response(
        resp(
            ans("expectations_met", "yes_no", text="no"),
            ans("expectations_detail", "text", text="The role is awful, nothing like the advert."),
        )
    )
    assert kinds(found) == [K.EXPECTATIONS_NOT_MET]
    assert found[0].reason == (
        "Said the job does not meet expectations: “The role is awful, nothing like the advert.”"
        " (Month 1 check-in, 3 Mar)"
    )


def test_a_follow_up_saying_they_might_leave_still_counts() -> None:
    found = scoring.signals_from_response(
        resp(
            ans("expectations_met", "yes_no", text="no"),
            ans("expectations_detail", "text", text="I am looking for another job already."),
        )
    )
    assert kinds(found) == [K.EXPECTATIONS_NOT_MET, K.MIGHT_LEAVE]


def test_client_concerns_with_their_follow_up() -> None:
    found = scoring.signals_from_response(
        resp(
            ans("has_concerns", "yes_no", text="yes"),
            ans("client_concerns", "text", text="Keeps missing the Monday stand-up."),
            audience="client",
        )
    )
    assert kinds(found) == [K.CLIENT_CONCERN]
    assert found[0].reason.startswith(
        "Client raised a concern: “Keeps missing the Monday stand-up.”"
    )


def test_client_concern_as_yes_no() -> None:
    yes = scoring.signals_from_response(resp(ans("concerns", "yes_no", 1), audience="client"))
    no = scoring.signals_from_response(resp(ans("concerns", "yes_no", 0), audience="client"))
    assert (kinds(yes), kinds(no)) == ([K.CLIENT_CONCERN], [])


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I hate it here, the team is rude and I feel miserable.", K.NEGATIVE_TEXT),
        ("Honestly I'm thinking about leaving if this carries on.", K.MIGHT_LEAVE),
        ("I have interviews elsewhere next week.", K.MIGHT_LEAVE),
        ("Loving it, great team and a lovely manager.", None),
        ("All fine, nothing to add.", None),
    ],
)
def test_free_text_is_read_offline(text: str, kind: str | None) -> None:
    found = scoring.signals_from_response(resp(ans("anything_else", "text", text=text)))
    assert kinds(found) == ([kind] if kind else [])


def test_a_drop_of_two_against_the_previous_answers() -> None:
    before = resp(ans("nps", "nps", 9), ans("satisfaction_job", "rating", 5), on=DAY)
    small = resp(ans("nps", "nps", 8), ans("satisfaction_job", "rating", 4), on=DAY)
    big = resp(ans("nps", "nps", 7), ans("satisfaction_job", "rating", 3), on=DAY)
    assert scoring.signals_from_response(small, before) == []
    reasons = [f.reason for f in scoring.signals_from_response(big, before)]
    assert reasons == [
        "NPS fell from 9 to 7 (Month 1 check-in, 3 Mar)",
        "Average rating fell from 5.0 to 3.0 (Month 1 check-in, 3 Mar)",
    ]


def test_unanswered_check_ins_and_missed_calls_each_count() -> None:
    missed = [
        Missed(1, "invitation", "Did not answer the month 1 check-in (expired)", DAY),
        Missed(2, "touchpoint", "Week one call missed", DAY),
    ]
    found = scoring.signals_from_record(
        missed=missed, last_contact=DAY, start_date=DAY, today=DAY, silence_days=30
    )
    assert kinds(found) == [K.UNANSWERED, K.UNANSWERED]


@pytest.mark.parametrize(("days", "fires"), [(29, False), (30, True)])
def test_long_silence_from_the_last_contact(days: int, fires: bool) -> None:
    found = scoring.signals_from_record(
        missed=[],
        last_contact=DAY,
        start_date=DAY - dt.timedelta(days=100),
        today=DAY + dt.timedelta(days=days),
        silence_days=30,
    )
    assert kinds(found) == ([K.LONG_SILENCE] if fires else [])


def test_no_silence_before_the_start() -> None:
    found = scoring.signals_from_record(
        missed=[],
        last_contact=None,
        start_date=DAY,
        today=DAY - dt.timedelta(days=40),
        silence_days=30,
    )
    assert found == []


def test_a_happy_response_has_no_signals() -> None:
    happy = resp(
        ans("nps", "nps", 9),
        ans("satisfaction_job", "rating", 4),
        ans("expectations_met", "yes_no", 1),
        ans("see_in_a_year", "yes_no", 1),
        ans("anything_else", "text", text="Really enjoying the role, thanks for checking in!"),
    )
    assert scoring.signals_from_response(happy) == []


# --- The fitted model ------------------------------------------------------------------


def test_auc_counts_ties_as_half() -> None:
    assert scoring.roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75
    assert scoring.roc_auc([0.5, 0.5], [0, 1]) == 0.5
    with pytest.raises(ValueError):
        scoring.roc_auc([0.1, 0.2], [1, 1])


def test_logistic_fit_recovers_known_coefficients() -> None:
    rng = random.Random(7)
    rows, labels = [], []
    for _ in range(4000):
        x = [rng.random() < 0.3, rng.random() < 0.5]
        z = -2.0 + 2.0 * x[0] + 0.5 * x[1]
        labels.append(1 if rng.random() < scoring._sigmoid(z) else 0)
        rows.append([float(v) for v in x])
    intercept, coefs = scoring.fit_logistic(rows, labels, ridge=0.0)
    assert intercept == pytest.approx(-2.0, abs=0.2)
    assert coefs[0] == pytest.approx(2.0, abs=0.2)
    assert coefs[1] == pytest.approx(0.5, abs=0.2)


def test_ridge_keeps_a_separating_feature_finite() -> None:
    rows = [[1.0]] * 5 + [[0.0]] * 50
    labels = [1] * 5 + [0] * 50
    _intercept, coefs = scoring.fit_logistic(rows, labels)
    assert 0 < coefs[0] < 20


def test_the_penalty_pulls_towards_the_prior_not_zero() -> None:
    # Ten examples that say nothing about the factor: the fit keeps the prior.
    rows = [[0.0]] * 5 + [[1.0]] * 5
    labels = [0, 1, 0, 1, 0, 0, 1, 0, 1, 0]
    _intercept, coefs = scoring.fit_logistic(rows, labels, ridge=5.0, centre=[1.5])
    assert coefs[0] == pytest.approx(1.5, abs=0.3)
