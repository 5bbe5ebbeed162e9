import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from keepwarm.care.models import Touchpoint
from keepwarm.care.queries import today_for
from keepwarm.care.services import covering_for, end_cover, set_cover
from keepwarm.conftest import START, Cast

AWAY_FROM = START + dt.timedelta(days=7)
AWAY_UNTIL = START + dt.timedelta(days=11)


@pytest.fixture
def owners_call(cast: Cast) -> Touchpoint:
    return Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind="call",
        title="Week-one call",
        due_on=AWAY_FROM,
        owner=cast.owner,
    )


def test_cover_colleague_sees_absent_owners_calls_with_owners_name(
    cast: Cast, owners_call: Touchpoint
) -> None:
    set_cover(
        absent=cast.owner,
        colleague=cast.colleague,
        starts_on=AWAY_FROM,
        ends_on=AWAY_UNTIL,
        by=cast.manager,
    )
    work = today_for(cast.colleague, today=AWAY_FROM)
    assert [t.pk for t in work.due] == [owners_call.pk]
    assert work.due[0].owner_name == "Olivia"
    assert work.covering == [cast.owner]
    # The owner still sees their own work: cover adds a pair of hands, it hides nothing.
    assert [t.pk for t in today_for(cast.owner, today=AWAY_FROM).due] == [owners_call.pk]


def test_cover_only_applies_between_its_dates(cast: Cast, owners_call: Touchpoint) -> None:
    set_cover(
        absent=cast.owner,
        colleague=cast.colleague,
        starts_on=AWAY_FROM,
        ends_on=AWAY_UNTIL,
        by=cast.manager,
    )
    assert today_for(cast.colleague, today=AWAY_FROM - dt.timedelta(days=1)).due == []
    assert today_for(cast.colleague, today=AWAY_UNTIL + dt.timedelta(days=1)).due == []
    assert covering_for(cast.colleague, day=AWAY_UNTIL) == [cast.owner]
    assert covering_for(cast.outsider, day=AWAY_UNTIL) == []


def test_nobody_covers_themselves(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        set_cover(
            absent=cast.owner,
            colleague=cast.owner,
            starts_on=AWAY_FROM,
            ends_on=AWAY_UNTIL,
            by=cast.owner,
        )


def test_cover_must_end_after_it_starts(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        set_cover(
            absent=cast.owner,
            colleague=cast.colleague,
            starts_on=AWAY_UNTIL,
            ends_on=AWAY_FROM,
            by=cast.owner,
        )


def test_ending_cover_early_hands_the_work_back_from_today(
    cast: Cast, owners_call: Touchpoint
) -> None:
    cover = set_cover(
        absent=cast.owner,
        colleague=cast.colleague,
        starts_on=AWAY_FROM - dt.timedelta(days=3),
        ends_on=AWAY_UNTIL,
        by=cast.manager,
    )
    end_cover(cover=cover, by=cast.owner, today=AWAY_FROM)
    cover.refresh_from_db()
    assert cover.ends_on == AWAY_FROM - dt.timedelta(days=1)
    assert today_for(cast.colleague, today=AWAY_FROM).due == []


def test_cancelling_cover_that_has_not_started_removes_it(cast: Cast) -> None:
    cover = set_cover(
        absent=cast.owner,
        colleague=cast.colleague,
        starts_on=AWAY_FROM,
        ends_on=AWAY_UNTIL,
        by=cast.manager,
    )
    end_cover(cover=cover, by=cast.owner, today=AWAY_FROM - dt.timedelta(days=2))
    assert covering_for(cast.colleague, day=AWAY_FROM) == []
