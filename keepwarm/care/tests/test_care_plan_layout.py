import datetime as dt

import pytest

from keepwarm.care.models import CarePlan, Kind, PlanStep, Touchpoint
from keepwarm.care.services import ENTERED_LATE, default_plan, lay_out_care_plan
from keepwarm.conftest import START, Cast
from keepwarm.people.models import GuaranteeUnit
from keepwarm.placements.models import Placement

BEFORE_START = START - dt.timedelta(days=10)


def lay_out(placement: Placement, today: dt.date = BEFORE_START) -> list[Touchpoint]:
    return lay_out_care_plan(placement=placement, today=today)


def test_default_permanent_plan_calls_before_start_and_in_week_one(cast: Cast) -> None:
    lay_out(cast.placement)
    calls = cast.placement.touchpoints.filter(kind=Kind.CALL).order_by("due_on")
    # Two days before a Monday start is a Saturday: the call comes the Friday before.
    assert [c.due_on for c in calls[:2]] == [START - dt.timedelta(days=3), START + dt.timedelta(3)]
    assert {c.owner for c in calls} == {cast.owner}
    assert {c.person for c in calls} == {cast.candidate}


def test_candidate_check_ins_at_week_one_and_months_1_3_6_12(cast: Cast) -> None:
    lay_out(cast.placement)
    check_ins = cast.placement.touchpoints.filter(
        kind=Kind.QUESTIONNAIRE, person=cast.candidate
    ).order_by("due_on")
    assert [t.due_on for t in check_ins] == [
        dt.date(2026, 3, 9),
        dt.date(2026, 4, 2),
        dt.date(2026, 6, 2),
        dt.date(2026, 9, 2),
        dt.date(2027, 3, 2),
    ]
    first = check_ins[0]
    assert "{{ first_name }}" in first.email_body
    assert "{{ owner_name }}" in first.email_body
    assert first.email_subject


def test_client_check_ins_go_to_the_hiring_manager_a_week_before_guarantee_ends(
    cast: Cast,
) -> None:
    lay_out(cast.placement)
    client = cast.placement.touchpoints.filter(person=cast.client_contact).order_by("due_on")
    assert [t.due_on for t in client] == [
        dt.date(2026, 4, 2),
        # A week before the guarantee ends is Sunday 24 May: the Friday before.
        dt.date(2026, 5, 22),
        dt.date(2026, 6, 2),
    ]
    assert cast.placement.guarantee_ends_on - dt.timedelta(days=7) == dt.date(2026, 5, 24)
    assert {t.audience for t in client} == {"client"}


def test_working_day_guarantee_moves_the_guarantee_check_in(cast: Cast) -> None:
    placement = cast.placement
    placement.guarantee_unit = GuaranteeUnit.WORKING
    placement.guarantee_length = 60
    placement.save()
    lay_out(placement)
    step_title = "Client check-in before the guarantee ends"
    touchpoint = placement.touchpoints.get(title=step_title)
    # 60 working days from Monday 2 March is Monday 25 May; a week before is the 18th.
    assert touchpoint.due_on == dt.date(2026, 5, 18)


def test_keep_in_touch_monthly_in_year_one_then_quarterly_for_five_years(cast: Cast) -> None:
    lay_out(cast.placement)
    monthly = cast.placement.touchpoints.filter(title="Keep-in-touch call").order_by("due_on")
    quarterly = cast.placement.touchpoints.filter(title="Quarterly keep-in-touch call")
    assert [t.due_on for t in monthly][:3] == [
        dt.date(2026, 4, 2),
        dt.date(2026, 5, 5),  # 2 May is a Saturday and Monday 4 May a bank holiday
        dt.date(2026, 6, 2),
    ]
    assert monthly.count() == 12
    assert monthly.last().due_on == dt.date(2027, 3, 2)  # type: ignore[union-attr]
    dates = sorted(t.due_on for t in quarterly)
    assert dates[0] == dt.date(2027, 6, 2)
    assert dates[-1] == dt.date(2031, 3, 3)  # 2 March 2031 is a Sunday
    assert len(dates) == 16


def test_back_dated_placement_skips_past_steps_instead_of_firing_them(cast: Cast) -> None:
    entered_on = START + dt.timedelta(days=45)
    lay_out(cast.placement, today=entered_on)
    touchpoints = list(cast.placement.touchpoints.all())
    past = [t for t in touchpoints if t.due_on < entered_on]
    future = [t for t in touchpoints if t.due_on >= entered_on]
    # Two calls around the start, the week-one check-in and three month-one steps.
    assert len(past) == 6
    assert {t.state for t in past} == {Touchpoint.State.SKIPPED}
    assert {t.skip_reason for t in past} == {ENTERED_LATE}
    assert future
    assert {t.state for t in future} == {Touchpoint.State.PLANNED}


def test_step_due_today_still_fires(cast: Cast) -> None:
    lay_out(cast.placement, today=START + dt.timedelta(days=3))
    week_one = cast.placement.touchpoints.get(title="Week-one call")
    assert week_one.state == Touchpoint.State.PLANNED


def test_client_steps_are_left_out_without_a_hiring_manager(cast: Cast) -> None:
    cast.placement.hiring_manager = None
    cast.placement.save()
    lay_out(cast.placement)
    assert not cast.placement.touchpoints.filter(audience="client").exists()
    assert cast.placement.touchpoints.filter(audience="candidate").count() == 35


def test_laying_out_twice_duplicates_nothing(cast: Cast) -> None:
    first = lay_out(cast.placement)
    again = lay_out(cast.placement)
    assert len(first) == 38
    assert again == []
    assert cast.placement.touchpoints.count() == 38


def test_editing_a_plan_never_rewrites_laid_out_touchpoints(cast: Cast) -> None:
    lay_out(cast.placement)
    plan = default_plan()
    assert plan is not None
    step = plan.steps.get(title="One-month check-in")
    step.email_subject = "Changed later"
    step.offset_months = 2
    step.save()
    touchpoint = cast.placement.touchpoints.get(title="One-month check-in")
    assert touchpoint.email_subject == "A month in at {{ company }}"
    assert touchpoint.due_on == dt.date(2026, 4, 2)


def test_placement_remembers_its_plan(cast: Cast) -> None:
    lay_out(cast.placement)
    cast.placement.refresh_from_db()
    assert cast.placement.care_plan == default_plan("permanent")


def contract(cast: Cast, end_date: dt.date | None) -> Placement:
    placement = cast.placement
    placement.kind = Placement.Kind.CONTRACT
    placement.guarantee_length = 0
    placement.end_date = end_date
    placement.save()
    return placement


def test_contractor_gets_mid_assignment_check_in_and_a_call_before_the_end(cast: Cast) -> None:
    placement = contract(cast, START + dt.timedelta(days=180))
    lay_out(placement)
    due = {t.title: t.due_on for t in placement.touchpoints.all()}
    assert due == {
        # Weekend dates move: before the anchor to the Friday, after it to the Monday.
        "Call before they start": START - dt.timedelta(days=3),
        "Week-one call": START + dt.timedelta(days=3),
        "Client check-in": dt.date(2026, 4, 2),
        "Mid-assignment check-in": START + dt.timedelta(days=91),
        "Call about what's next": START + dt.timedelta(days=165),
    }
    assert placement.care_plan is not None
    assert placement.care_plan.name == "Contractor"


def test_rolling_contract_without_end_date_skips_end_steps(cast: Cast) -> None:
    placement = contract(cast, None)
    lay_out(placement)
    titles = set(placement.touchpoints.values_list("title", flat=True))
    assert titles == {"Call before they start", "Week-one call", "Client check-in"}


def test_short_contract_drops_steps_after_its_end(cast: Cast) -> None:
    placement = contract(cast, START + dt.timedelta(days=20))
    lay_out(placement)
    titles = set(placement.touchpoints.values_list("title", flat=True))
    assert "Client check-in" not in titles  # a month in is after the end
    assert "Mid-assignment check-in" in titles


@pytest.mark.parametrize("kind", ["permanent", "contract"])
def test_each_kind_ships_one_default_plan(db: None, kind: str) -> None:
    assert CarePlan.objects.filter(placement_kind=kind, is_default=True).count() == 1


def test_every_shipped_email_step_has_subject_and_signed_body(db: None) -> None:
    steps = PlanStep.objects.filter(kind__in=(Kind.EMAIL, Kind.QUESTIONNAIRE))
    assert steps.count() == 10
    for step in steps:
        assert step.email_subject, step.title
        assert step.email_body.rstrip().endswith("{{ owner_name }}"), step.title
        assert "{{ first_name }}" in step.email_body, step.title


def test_no_plan_lays_out_nothing(cast: Cast) -> None:
    CarePlan.objects.all().delete()
    assert lay_out(cast.placement) == []


def test_an_import_lays_out_the_same_future_dates_as_a_placement_entered_by_hand(
    db: None,
) -> None:
    # An import works out only the dates from today on; it skips a series' past members
    # without computing each, and must land on exactly the dates the full series has.
    from keepwarm.care.services import step_due_dates

    starts = [dt.date(2018, 1, 31), dt.date(2020, 2, 29), dt.date(2023, 12, 31), START]
    todays = [dt.date(2019, 3, 1), dt.date(2021, 2, 28), dt.date(2024, 1, 30), START]
    todays += [START + dt.timedelta(days=n) for n in (-400, -3, 1, 27, 95, 2000)]
    steps = [
        PlanStep(offset_months=months, offset_days=days, repeat_every_months=every,
                 repeat_until_months=until, anchor=PlanStep.Anchor.START)
        for months, days, every, until in [
            (1, 0, 1, 12), (15, 0, 3, 60), (0, -2, None, None), (0, 7, None, None),
            (2, -45, 2, 30), (0, 31, 1, 24), (12, 0, None, None),
        ]
    ]  # fmt: skip
    for start in starts:
        placement = Placement(start_date=start)
        for step in steps:
            every_date = step_due_dates(step, placement)
            for today in todays:
                ahead = [d for d in every_date if d >= today]
                assert step_due_dates(step, placement, not_before=today) == ahead
