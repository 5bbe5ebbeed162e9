import datetime as dt

from keepwarm.care.models import Touchpoint
from keepwarm.care.services import mark_missed
from keepwarm.conftest import START, Cast

DAY = START + dt.timedelta(days=60)


def planned(cast: Cast, kind: str, days_overdue: int) -> Touchpoint:
    return Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind=kind,
        title=kind,
        due_on=DAY - dt.timedelta(days=days_overdue),
        owner=cast.owner,
    )


def test_calls_overdue_past_the_grace_period_become_missed(cast: Cast) -> None:
    old_call = planned(cast, "call", 15)
    old_meeting = planned(cast, "meeting", 30)
    recent_call = planned(cast, "call", 14)
    old_email = planned(cast, "email", 30)

    assert mark_missed(today=DAY) == 2

    states = {
        t.pk: t.state
        for t in Touchpoint.objects.filter(
            pk__in=[old_call.pk, old_meeting.pk, recent_call.pk, old_email.pk]
        )
    }
    assert states == {
        old_call.pk: "missed",
        old_meeting.pk: "missed",
        recent_call.pk: "planned",
        old_email.pk: "planned",  # the worker sends emails; they never go missed
    }


def test_done_calls_never_become_missed(cast: Cast) -> None:
    done = planned(cast, "call", 40)
    done.state = Touchpoint.State.DONE
    done.save()
    assert mark_missed(today=DAY, grace_days=7) == 0
