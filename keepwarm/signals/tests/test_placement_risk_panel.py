"""The placement page (and the placed person's page) show the fall-off risk: score,
reasons in plain words, the fitted score when there is one, and the open alert."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.conftest import START, Cast
from keepwarm.placements.models import Placement
from keepwarm.signals.models import Alert, FittedModel, Risk
from keepwarm.signals.services.alerts import open_alert
from keepwarm.signals.services.concerns import close_alert
from keepwarm.signals.services.risk import recompute_risk
from keepwarm.signals.tests.conftest import UNHAPPY, Answering, at

NOW = at(START + dt.timedelta(days=40))


def page(user: User, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def started(cast: Cast) -> Placement:
    Placement.objects.filter(pk=cast.placement.pk).update(status=Placement.Status.IN_GUARANTEE)
    cast.placement.refresh_from_db()
    return cast.placement


def test_a_placement_not_scored_yet_says_so(cast: Cast) -> None:
    html = page(cast.owner, cast.placement.get_absolute_url())

    assert "Fall-off risk" in html
    assert "Not scored yet" in html


def test_the_placement_page_shows_score_reasons_and_the_open_alert(
    cast: Cast, answer: Answering
) -> None:
    placement = started(cast)
    answer(UNHAPPY, on=NOW - dt.timedelta(days=2))
    risk = recompute_risk(placement=placement, now=NOW)
    alert = Alert.objects.get(placement=placement)  # the answers opened it
    assert risk.reasons

    html = page(cast.owner, placement.get_absolute_url())

    assert f">{risk.score}</span>" in html
    for reason in risk.reasons:
        assert reason.replace("'", "&#x27;").replace('"', "&quot;") in html
    assert "Open alert" in html
    assert f'href="/alerts/{alert.pk}/"' in html
    assert "Overdue" in html  # due a working day after NOW; the page is read today
    assert "Fitted on" not in html


def test_the_fitted_score_shows_beside_the_default_one(cast: Cast) -> None:
    placement = started(cast)
    FittedModel.objects.create(
        coefficients={"long_silence": 1.0},
        intercept=-2.0,
        fitted_at=NOW,
        n_outcomes=64,
        n_left=30,
        n_stayed=34,
        auc=0.71,
    )
    risk = recompute_risk(placement=placement, now=NOW)
    assert risk.fitted_score is not None

    html = page(cast.owner, placement.get_absolute_url())

    assert f"Fitted on your own 64 outcomes: <strong>{risk.fitted_score}</strong>" in html


def test_a_closed_alert_shows_what_was_done(cast: Cast) -> None:
    placement = started(cast)
    Risk.objects.create(placement=placement, score=20, reasons=["Made up"], computed_at=NOW)
    alert = open_alert(placement=placement, reason="Worried", now=NOW)
    assert alert is not None
    close_alert(alert=alert, by=cast.owner, note="Called her; the manager sorted the rota.")

    html = page(cast.owner, placement.get_absolute_url())

    assert "Open alert" not in html
    assert "the manager sorted the rota." in html
    assert Alert.objects.get().state == Alert.State.CLOSED


def test_the_placed_persons_page_shows_their_current_placements_risk(cast: Cast) -> None:
    placement = started(cast)
    Risk.objects.create(
        placement=placement,
        score=42,
        reasons=["No contact for 45 days (never contacted)"],
        computed_at=timezone.now(),
    )

    mine = page(cast.owner, cast.candidate.get_absolute_url())
    hiring_manager = page(cast.owner, cast.client_contact.get_absolute_url())

    assert "No contact for 45 days (never contacted)" in mine
    assert ">42</span>" in mine
    assert "Fall-off risk" not in hiring_manager  # their hire's risk is on the placement
