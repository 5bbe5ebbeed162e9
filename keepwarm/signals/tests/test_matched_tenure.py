"""The model learns from placements seen at the same check-in points: what was known at
day 30 (or 91, 182 …) against whether the placement ended in the six months after."""

from __future__ import annotations

import datetime as dt

from keepwarm.conftest import START, Cast
from keepwarm.placements.models import Placement
from keepwarm.signals.models import RiskSnapshot
from keepwarm.signals.services.fitting import examples
from keepwarm.signals.services.risk import recompute_risk
from keepwarm.signals.tests.conftest import at


def test_a_snapshot_is_kept_once_at_each_check_in_point(cast: Cast) -> None:
    for day in (20, 31, 35, 92, 120):
        recompute_risk(placement=cast.placement, now=at(START + dt.timedelta(days=day)))
    points = list(RiskSnapshot.objects.values_list("checkpoint", "taken_on"))
    assert points == [
        (7, START + dt.timedelta(days=20)),
        (30, START + dt.timedelta(days=31)),
        (91, START + dt.timedelta(days=92)),
    ]


def test_leavers_and_stayers_are_labelled_by_the_six_months_after_each_point(
    cast: Cast,
) -> None:
    taken = START

    def seen(status: str, left_after: int | None) -> Placement:
        placement = Placement.objects.create(
            person=cast.candidate,
            company=cast.company,
            owner=cast.owner,
            role_title="Buyer",
            start_date=taken - dt.timedelta(days=30),
            status=status,
            left_on=taken + dt.timedelta(days=left_after) if left_after is not None else None,
        )
        RiskSnapshot.objects.create(
            placement=placement, checkpoint=30, taken_on=taken, features={"x": 1.0}, score=9
        )
        return placement

    seen(Placement.Status.FELL_OFF, 60)  # ended within six months: left
    seen(Placement.Status.IN_GUARANTEE, None)  # still there
    too_soon = examples(today=taken + dt.timedelta(days=100))
    assert [e.left for e in too_soon] == [True]  # the other's six months are not over
    seen(Placement.Status.LEFT, 300)  # ended, but after this window: stayed through it
    later = examples(today=taken + dt.timedelta(days=400))
    assert sorted(e.left for e in later) == [False, False, True]
