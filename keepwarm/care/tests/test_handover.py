import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from keepwarm.care.models import Touchpoint
from keepwarm.care.queries import today_for
from keepwarm.care.services import hand_over, lay_out_care_plan, log_touchpoint
from keepwarm.conftest import START, Cast
from keepwarm.people.models import Person
from keepwarm.placements.models import Placement

DAY = START + dt.timedelta(days=40)


def test_handover_moves_future_calls_but_keeps_history(cast: Cast) -> None:
    placement = cast.placement
    lay_out_care_plan(placement=placement, today=START - dt.timedelta(days=5))
    week_one = placement.touchpoints.get(title="Week-one call")
    log_touchpoint(
        person=cast.candidate,
        by=cast.owner,
        kind="call",
        outcome="reached",
        touchpoint=week_one,
        now=dt.datetime(2026, 3, 5, 10, tzinfo=dt.UTC),
    )
    planned_before = placement.touchpoints.filter(state="planned").count()

    moved = hand_over(from_user=cast.owner, to_user=cast.colleague, by=cast.manager, today=DAY)

    assert moved == 1
    placement.refresh_from_db()
    week_one.refresh_from_db()
    cast.candidate.refresh_from_db()
    assert placement.owner == cast.colleague
    assert cast.candidate.owner == cast.colleague
    assert placement.touchpoints.filter(state="planned", owner=cast.colleague).count() == (
        planned_before
    )
    assert not placement.touchpoints.filter(state="planned", owner=cast.owner).exists()
    # History keeps who did it.
    assert week_one.owner == cast.owner
    assert week_one.done_by == cast.owner
    # Nothing lost or duplicated: the overdue calls are now on the new owner's Today.
    # (Today lists the calls and counts the check-in emails the worker sends.)
    old_owner, new_owner = today_for(cast.owner, today=DAY), today_for(cast.colleague, today=DAY)
    assert (old_owner.due, old_owner.emails_due) == ([], 0)
    assert len(new_owner.due) + new_owner.emails_due == planned_due(placement, DAY)


def planned_due(placement: Placement, day: dt.date) -> int:
    return placement.touchpoints.filter(state="planned", due_on__lte=day).count()


def test_handing_over_some_placements_leaves_the_rest(cast: Cast) -> None:
    other_person = Person.objects.create(first_name="Sam", last_name="Stays", owner=cast.owner)
    other = Placement.objects.create(
        person=other_person,
        company=cast.company,
        owner=cast.owner,
        role_title="Clerk",
        start_date=START,
    )
    lay_out_care_plan(placement=cast.placement, today=START)
    lay_out_care_plan(placement=other, today=START)

    moved = hand_over(
        from_user=cast.owner,
        to_user=cast.colleague,
        by=cast.manager,
        placements=Placement.objects.filter(pk=cast.placement.pk),
    )

    assert moved == 1
    other.refresh_from_db()
    other_person.refresh_from_db()
    assert other.owner == cast.owner
    assert other_person.owner == cast.owner
    assert not other.touchpoints.filter(owner=cast.colleague).exists()
    assert not cast.placement.touchpoints.filter(state="planned", owner=cast.owner).exists()


def test_full_handover_moves_hand_booked_follow_ups(cast: Cast) -> None:
    follow_up = Touchpoint.objects.create(
        person=cast.candidate, kind="call", title="Follow-up call", due_on=DAY, owner=cast.owner
    )
    hand_over(from_user=cast.owner, to_user=cast.colleague, by=cast.manager)
    follow_up.refresh_from_db()
    assert follow_up.owner == cast.colleague


def test_cannot_hand_over_to_yourself(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        hand_over(from_user=cast.owner, to_user=cast.owner, by=cast.owner)
