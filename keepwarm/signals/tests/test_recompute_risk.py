from __future__ import annotations

import datetime as dt

from django.utils import timezone

from keepwarm.conftest import START, Cast
from keepwarm.people.models import Person
from keepwarm.placements.models import Placement
from keepwarm.signals.models import Alert, Risk, RiskSettings, RiskWeight, SignalKind
from keepwarm.signals.services.responses import on_response
from keepwarm.signals.services.risk import recompute_risk, rescore_live


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def test_default_weights_ship_one_row_per_kind(db: None) -> None:
    assert set(RiskWeight.objects.values_list("kind", flat=True)) == set(SignalKind.values)


def test_a_quiet_new_placement_is_scored_on_its_tenure_alone_and_raises_nothing(
    cast: Cast,
) -> None:
    risk = recompute_risk(placement=cast.placement, now=at(START + dt.timedelta(days=3)))
    assert 0 < risk.score < RiskSettings.current().alert_threshold
    assert risk.reasons == ["New in the job (3 days in)"]
    assert risk.in_first_year
    assert not Alert.objects.exists()


def test_long_silence_counts_from_the_start_date(cast: Cast) -> None:
    risk = recompute_risk(placement=cast.placement, now=at(START + dt.timedelta(days=45)))
    assert risk.reasons[0] == "No contact for 45 days (never contacted)"
    assert risk.features["response:silence"] == 0.5
    quieter = recompute_risk(placement=cast.placement, now=at(START + dt.timedelta(days=60)))
    assert quieter.features["response:silence"] == 1.0


def test_placements_past_their_first_year_are_still_scored_with_their_tenure(
    cast: Cast,
) -> None:
    early = recompute_risk(placement=cast.placement, now=at(START + dt.timedelta(days=30)))
    late = recompute_risk(placement=cast.placement, now=at(START + dt.timedelta(days=400)))
    assert not late.in_first_year
    assert late.score > 0
    assert late.features["tenure:early"] < early.features["tenure:early"]


def test_on_response_ignores_an_unknown_response(db: None) -> None:
    on_response(response_id=999_999)


def test_the_daily_command_recomputes_first_year_placements(cast: Cast) -> None:
    from io import StringIO

    from django.core.management import call_command

    from keepwarm.placements.models import Placement

    Placement.objects.filter(pk=cast.placement.pk).update(status=Placement.Status.IN_GUARANTEE)
    out = StringIO()
    call_command("risk", "--fit", "--now", "2026-04-20T09:00", stdout=out)
    assert "Recomputed risk for 1 placement." in out.getvalue()
    assert "Not enough outcomes" in out.getvalue()
    assert Risk.objects.get().reasons[0] == "No contact for 49 days (never contacted)"


def test_the_daily_rescore_moves_tenure_on_as_a_full_recompute_would(cast: Cast) -> None:
    later = at(START + dt.timedelta(days=400))
    Person.objects.filter(pk=cast.candidate.pk).update(last_contacted_at=later)
    Placement.objects.filter(pk=cast.placement.pk).update(status=Placement.Status.SETTLED)
    cast.placement.refresh_from_db()
    early = recompute_risk(placement=cast.placement, now=at(START + dt.timedelta(days=10)))
    assert rescore_live(today=later.date()) == 1
    fast = Risk.objects.get()
    full = recompute_risk(placement=cast.placement, now=later)
    assert fast.score == full.score < early.score
    assert fast.features["tenure:early"] == full.features["tenure:early"]
