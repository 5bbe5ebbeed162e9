"""An integration feeds the model through the API: outcomes in, a refit, the model and its
quality out."""

from __future__ import annotations

import datetime as dt

from keepwarm.api.tests.conftest import Api
from keepwarm.conftest import START, Cast
from keepwarm.placements.models import Placement
from keepwarm.signals.models import FittedModel, Risk
from keepwarm.signals.tests.test_risk_pages import _outcomes


def test_an_integration_records_that_a_placement_fell_off(cast: Cast) -> None:
    api = Api(cast.owner)
    left_on = START + dt.timedelta(days=40)
    missing = api.post(
        "/risk/outcomes",
        {"placement": cast.placement.pk, "outcome": "fell_off", "on": left_on.isoformat()},
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "reason"
    cast.placement.refresh_from_db()
    assert cast.placement.status not in Placement.ENDED

    done = api.post(
        "/risk/outcomes",
        {
            "placement": cast.placement.pk,
            "outcome": "fell_off",
            "on": left_on.isoformat(),
            "reason": "role_not_as_described",
        },
    )
    assert done.status_code == 200, done.content
    cast.placement.refresh_from_db()
    assert (cast.placement.status, cast.placement.left_on) == ("fell_off", left_on)
    assert Risk.objects.get(placement=cast.placement).outcome == "left"


def test_an_integration_records_a_stay_and_cannot_touch_others_placements(cast: Cast) -> None:
    on = START + dt.timedelta(days=400)
    body = {"placement": cast.placement.pk, "outcome": "stayed", "on": on.isoformat()}
    assert Api(cast.outsider).post("/risk/outcomes", body).status_code == 404
    stayed = Api(cast.owner).post("/risk/outcomes", body)
    assert stayed.status_code == 200
    risk = Risk.objects.get(placement=cast.placement)
    assert (risk.outcome, risk.outcome_on) == ("stayed", on)


def test_a_refit_through_the_api_shows_its_held_out_quality(cast: Cast) -> None:
    before = Api(cast.owner).get("/risk/model").json()
    assert before["in_use"] == "priors"
    assert before["n_outcomes"] == 0
    assert before["alert"]["cutoff"] == 40
    assert before["coefficients"]["tenure:early"] > 0

    assert Api(cast.owner).post("/risk/model/fit", {}).status_code == 403
    too_few = Api(cast.manager).post("/risk/model/fit", {})
    assert too_few.status_code == 409
    assert "Not enough outcomes" in too_few.json()["detail"]

    _outcomes(cast, left=30, stayed=40)
    fitted = Api(cast.manager).post("/risk/model/fit", {})
    assert fitted.status_code == 200, fitted.content
    body = fitted.json()
    assert (body["n_outcomes"], body["n_left"], body["n_stayed"]) == (70, 30, 40)
    assert 0.5 < body["auc"] <= 1
    assert sum(d["n"] for d in body["deciles"]) == 70
    assert body["alert"]["expected_precision"] is not None
    assert FittedModel.objects.count() == 1
    assert Api(cast.owner).get("/risk/model").json()["n_outcomes"] == 70
