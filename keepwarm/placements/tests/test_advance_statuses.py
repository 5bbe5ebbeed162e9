import datetime as dt

from keepwarm.care.services.placements import advance_statuses
from keepwarm.conftest import START, Cast
from keepwarm.people.models import GuaranteeUnit, Person
from keepwarm.placements.models import Placement


def status_of(placement: Placement) -> str:
    placement.refresh_from_db()
    return placement.status


def test_offer_accepted_goes_into_guarantee_on_the_start_date(cast: Cast) -> None:
    assert advance_statuses(today=START - dt.timedelta(days=1)) == 0
    assert status_of(cast.placement) == Placement.Status.OFFER_ACCEPTED
    assert advance_statuses(today=START) == 1
    assert status_of(cast.placement) == Placement.Status.IN_GUARANTEE


def test_placement_without_guarantee_is_simply_started(cast: Cast) -> None:
    cast.placement.guarantee_length = 0
    cast.placement.save()
    advance_statuses(today=START)
    assert status_of(cast.placement) == Placement.Status.STARTED
    advance_statuses(today=START + dt.timedelta(days=400))
    assert status_of(cast.placement) == Placement.Status.STARTED


def test_settled_the_day_after_the_guarantee_ends(cast: Cast) -> None:
    advance_statuses(today=START)
    ends_on = cast.placement.guarantee_ends_on
    advance_statuses(today=ends_on)
    assert status_of(cast.placement) == Placement.Status.IN_GUARANTEE
    advance_statuses(today=ends_on + dt.timedelta(days=1))
    assert status_of(cast.placement) == Placement.Status.SETTLED


def test_working_day_guarantee_settles_after_its_last_working_day(cast: Cast) -> None:
    placement = cast.placement
    placement.guarantee_unit = GuaranteeUnit.WORKING
    placement.guarantee_length = 5
    placement.status = Placement.Status.IN_GUARANTEE
    placement.save()
    ends_on = placement.guarantee_ends_on  # the next Monday
    assert ends_on == START + dt.timedelta(days=7)
    advance_statuses(today=ends_on)
    assert status_of(placement) == Placement.Status.IN_GUARANTEE
    advance_statuses(today=ends_on + dt.timedelta(days=1))
    assert status_of(placement) == Placement.Status.SETTLED


def test_back_dated_offer_long_past_its_guarantee_settles_in_one_go(cast: Cast) -> None:
    advance_statuses(today=START + dt.timedelta(days=365))
    assert status_of(cast.placement) == Placement.Status.SETTLED


def test_ended_placements_are_left_alone(cast: Cast) -> None:
    cast.placement.status = Placement.Status.FELL_OFF
    cast.placement.save()
    assert advance_statuses(today=START + dt.timedelta(days=365)) == 0
    assert status_of(cast.placement) == Placement.Status.FELL_OFF


def test_advancing_is_set_based_whatever_the_number_of_placements(
    cast: Cast, django_assert_max_num_queries: object
) -> None:
    for i in range(30):
        Placement.objects.create(
            person=Person.objects.create(first_name="P", last_name=str(i)),
            company=cast.company,
            owner=cast.owner,
            role_title="Clerk",
            start_date=START - dt.timedelta(days=i * 10),
            guarantee_length=30 + 30 * (i % 3),
            status=Placement.Status.IN_GUARANTEE if i else Placement.Status.OFFER_ACCEPTED,
        )
    # Each UPDATE reads the ids it moves first, for the audit trail: a read and an UPDATE
    # for each kind of start, one read of distinct terms, a read and an UPDATE per term
    # (30/60/90), one INSERT of every move's audit entry, and the savepoint around it all.
    with django_assert_max_num_queries(13):  # type: ignore[operator]
        changed = advance_statuses(today=START + dt.timedelta(days=1))
    settled = Placement.objects.filter(status=Placement.Status.SETTLED)
    assert changed == 2 + settled.count()
    for placement in Placement.objects.all():
        expected = (
            Placement.Status.SETTLED
            if placement.guarantee_ends_on < START + dt.timedelta(days=1)
            else Placement.Status.IN_GUARANTEE
        )
        assert placement.status == expected, placement
