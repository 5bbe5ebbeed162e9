import datetime as dt
from decimal import Decimal

from keepwarm.conftest import START, Cast
from keepwarm.people.models import GuaranteeUnit, Remedy


def test_guarantee_countdown_counts_calendar_days(cast: Cast) -> None:
    placement = cast.placement
    assert placement.guarantee_ends_on == START + dt.timedelta(days=90)
    assert placement.guarantee_day(START + dt.timedelta(days=74)) == 75


def test_working_day_guarantee_skips_weekends(cast: Cast) -> None:
    placement = cast.placement
    placement.guarantee_unit = GuaranteeUnit.WORKING
    placement.guarantee_length = 5
    # Monday + 5 working days is the next Monday.
    assert placement.guarantee_ends_on == START + dt.timedelta(days=7)
    assert placement.guarantee_day(START + dt.timedelta(days=4)) == 5


def test_rebate_follows_the_scale(cast: Cast) -> None:
    placement = cast.placement
    assert placement.rebate_for(START + dt.timedelta(days=10)) == Decimal("7600.00")
    assert placement.rebate_for(START + dt.timedelta(days=45)) == Decimal("3800.00")
    assert placement.rebate_for(START + dt.timedelta(days=80)) == Decimal("1900.00")
    assert placement.rebate_for(START + dt.timedelta(days=120)) == Decimal("0.00")


def test_free_replacement_guarantee_owes_no_money(cast: Cast) -> None:
    placement = cast.placement
    placement.guarantee_remedy = Remedy.REPLACEMENT
    assert placement.rebate_for(START + dt.timedelta(days=10)) == Decimal("0.00")
