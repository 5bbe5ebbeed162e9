import datetime as dt

from keepwarm.care.models import Touchpoint
from keepwarm.care.services import (
    MOVED_INTO_PAST,
    default_plan,
    lay_out_care_plan,
    lay_out_new_placements,
    move_start_date,
)
from keepwarm.conftest import START, Cast
from keepwarm.lib.dates import add_months
from keepwarm.lib.working_days import on_or_after_working_day as working
from keepwarm.placements.models import Placement

BEFORE_START = START - dt.timedelta(days=10)


def test_changing_start_date_moves_future_steps_never_done_ones(cast: Cast) -> None:
    placement = cast.placement
    lay_out_care_plan(placement=placement, today=BEFORE_START)
    before = placement.touchpoints.get(title="Call before they start")
    before.state = Touchpoint.State.DONE
    before.save()

    moved = move_start_date(
        placement=placement,
        new_start=START + dt.timedelta(days=14),
        by=cast.owner,
        today=BEFORE_START,
    )

    placement.refresh_from_db()
    assert placement.start_date == START + dt.timedelta(days=14)
    before.refresh_from_db()
    assert before.due_on == START - dt.timedelta(days=3)  # the Friday; done: history stays put
    week_one = placement.touchpoints.get(title="Week-one call")
    assert week_one.due_on == START + dt.timedelta(days=17)
    assert placement.touchpoints.get(title="One-month check-in").due_on == dt.date(2026, 4, 16)
    assert moved == placement.touchpoints.count() - 1


def test_each_keep_in_touch_call_keeps_its_place_in_the_series(cast: Cast) -> None:
    placement = cast.placement
    lay_out_care_plan(placement=placement, today=BEFORE_START)
    move_start_date(
        placement=placement, new_start=dt.date(2026, 3, 9), by=cast.owner, today=BEFORE_START
    )
    dates = list(
        placement.touchpoints.filter(title="Keep-in-touch call")
        .order_by("due_on")
        .values_list("due_on", flat=True)
    )
    assert dates == [
        working(day)
        for day in [dt.date(2026, 3 + m, 9) for m in range(1, 10)]
        + [dt.date(2027, 1, 9), dt.date(2027, 2, 9), dt.date(2027, 3, 9)]
    ]


def test_an_imported_placement_keeps_each_call_in_its_place_in_the_series(cast: Cast) -> None:
    # Imported five months after it started: the keep-in-touch calls of months 1-4 were
    # never laid out, so the series begins at month 5.
    placement = cast.placement
    placement.care_plan = default_plan(placement.kind)
    placement.save(update_fields=["care_plan"])
    imported_on = add_months(START, 5)
    lay_out_new_placements(placements=[placement], today=imported_on, past_steps=False)
    calls = placement.touchpoints.filter(title="Keep-in-touch call").order_by("due_on")
    assert [t.due_on for t in calls] == [working(add_months(START, m)) for m in range(5, 13)]

    new_start = START + dt.timedelta(days=14)
    move_start_date(placement=placement, new_start=new_start, by=cast.owner, today=imported_on)

    assert [t.due_on for t in calls.all()] == [
        working(add_months(new_start, m)) for m in range(5, 13)
    ]
    assert not placement.touchpoints.filter(state=Touchpoint.State.SKIPPED).exists()


def test_steps_moved_into_the_past_are_skipped_not_fired(cast: Cast) -> None:
    placement = cast.placement
    lay_out_care_plan(placement=placement, today=BEFORE_START)
    # They actually started three weeks earlier than recorded; we learn this on START.
    move_start_date(
        placement=placement, new_start=START - dt.timedelta(days=21), by=cast.owner, today=START
    )
    week_one = placement.touchpoints.get(title="Week-one call")
    assert week_one.state == Touchpoint.State.SKIPPED
    assert week_one.skip_reason == MOVED_INTO_PAST
    month_one = placement.touchpoints.get(title="One-month check-in")
    assert month_one.state == Touchpoint.State.PLANNED
    assert month_one.due_on == dt.date(2026, 3, 9)


def test_skipped_and_missed_touchpoints_never_move(cast: Cast) -> None:
    placement = cast.placement
    lay_out_care_plan(placement=placement, today=START + dt.timedelta(days=5))
    skipped = placement.touchpoints.get(title="Call before they start")
    assert skipped.state == Touchpoint.State.SKIPPED
    missed = placement.touchpoints.get(title="Week-one check-in")
    missed.state = Touchpoint.State.MISSED
    missed.save()

    move_start_date(
        placement=placement,
        new_start=START + dt.timedelta(days=30),
        by=cast.owner,
        today=START + dt.timedelta(days=5),
    )
    skipped.refresh_from_db()
    missed.refresh_from_db()
    assert skipped.due_on == START - dt.timedelta(days=3)
    assert missed.due_on == START + dt.timedelta(days=7)
    assert missed.state == Touchpoint.State.MISSED


def test_delayed_start_puts_placement_back_to_offer_accepted(cast: Cast) -> None:
    placement = cast.placement
    placement.status = Placement.Status.IN_GUARANTEE
    placement.save()
    move_start_date(
        placement=placement,
        new_start=START + dt.timedelta(days=30),
        by=cast.owner,
        today=START + dt.timedelta(days=1),
    )
    placement.refresh_from_db()
    assert placement.status == Placement.Status.OFFER_ACCEPTED


def test_hand_logged_follow_ups_do_not_move(cast: Cast) -> None:
    placement = cast.placement
    follow_up = Touchpoint.objects.create(
        person=cast.candidate,
        placement=placement,
        kind="call",
        title="Follow-up call",
        due_on=START + dt.timedelta(days=20),
        owner=cast.owner,
    )
    move_start_date(
        placement=placement,
        new_start=START + dt.timedelta(days=7),
        by=cast.owner,
        today=BEFORE_START,
    )
    follow_up.refresh_from_db()
    assert follow_up.due_on == START + dt.timedelta(days=20)
