import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from keepwarm.care.models import Touchpoint
from keepwarm.care.queries import today_for
from keepwarm.care.services import lay_out_care_plan, log_touchpoint
from keepwarm.care.services.placements import PLACEMENT_ENDED, record_placement_outcome
from keepwarm.conftest import START, Cast
from keepwarm.people.models import Role
from keepwarm.placements.models import Placement

LEFT_ON = START + dt.timedelta(days=40)


@pytest.fixture
def laid_out(cast: Cast) -> Placement:
    lay_out_care_plan(placement=cast.placement, today=START - dt.timedelta(days=7))
    return cast.placement


def test_leaving_early_computes_the_rebate_from_the_scale(cast: Cast, laid_out: Placement) -> None:
    placement = record_placement_outcome(
        placement=laid_out,
        status="left",
        left_on=LEFT_ON,
        reason="counter_offer",
        notes="Took a counter-offer",
        by=cast.owner,
    )
    placement.refresh_from_db()
    assert placement.status == Placement.Status.LEFT
    assert placement.rebate_owed == Decimal("3800.00")  # day 41: 50% of 7,600
    assert placement.leave_reason == "counter_offer"
    assert placement.left_on == LEFT_ON


def test_ended_placement_stops_future_contact_but_keeps_history(
    cast: Cast, laid_out: Placement
) -> None:
    week_one = laid_out.touchpoints.get(title="Week-one call")
    log_touchpoint(
        person=cast.candidate,
        by=cast.owner,
        kind="call",
        outcome="reached",
        touchpoint=week_one,
    )
    record_placement_outcome(
        placement=laid_out, status="fell_off", left_on=LEFT_ON, reason="manager", by=cast.owner
    )
    assert not laid_out.touchpoints.filter(state="planned").exists()
    assert laid_out.touchpoints.filter(state="skipped", skip_reason=PLACEMENT_ENDED).count() == (
        laid_out.touchpoints.count() - 1
    )
    week_one.refresh_from_db()
    assert week_one.state == Touchpoint.State.DONE
    assert today_for(cast.owner, today=LEFT_ON + dt.timedelta(days=60)).due == []


def test_placed_role_ends_on_the_leaving_date(cast: Cast, laid_out: Placement) -> None:
    record_placement_outcome(
        placement=laid_out, status="left", left_on=LEFT_ON, reason="pay", by=cast.owner
    )
    role = cast.candidate.roles.get(kind=Role.Kind.PLACED)
    assert role.ended_on == LEFT_ON


def test_leaving_after_the_guarantee_owes_nothing(cast: Cast, laid_out: Placement) -> None:
    placement = record_placement_outcome(
        placement=laid_out,
        status="left",
        left_on=START + dt.timedelta(days=200),
        reason="relocation",
        by=cast.owner,
    )
    assert placement.rebate_owed == Decimal("0.00")


@pytest.mark.parametrize(("status", "reason"), [("settled", "pay"), ("left", "bored")])
def test_outcome_must_be_an_ending_with_a_known_reason(
    cast: Cast, status: str, reason: str
) -> None:
    with pytest.raises(ValidationError):
        record_placement_outcome(
            placement=cast.placement,
            status=status,
            left_on=LEFT_ON,
            reason=reason,
            by=cast.owner,
        )
    cast.placement.refresh_from_db()
    assert cast.placement.status == Placement.Status.OFFER_ACCEPTED
