"""The demo's things that went wrong and what Keepwarm made of them: a check-in refused
with a 550 that became a call, and a free-replacement guarantee that failed and is owed."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from keepwarm.accounts.models import User
from keepwarm.care.models import SENT_BY_WORKER, Touchpoint
from keepwarm.care.services import record_email_failed
from keepwarm.care.services.placements import record_placement_outcome
from keepwarm.lib.dates import local_time
from keepwarm.lib.working_days import on_or_before_working_day
from keepwarm.mail.models import OutboxMessage
from keepwarm.people.models import Remedy
from keepwarm.placements.models import Placement

REFUSED = "550 5.1.1 <{email}>: Recipient address rejected: User unknown in virtual mailbox"


def _bounced(message: OutboxMessage, *, at: dt.datetime) -> None:
    error = REFUSED.format(email=message.to_email)
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=OutboxMessage.State.FAILED,
        sent_at=None,
        last_error=error,
        outcome=OutboxMessage.Outcome.BOUNCED,
        outcome_at=at,
        outcome_detail=error,
    )
    record_email_failed(
        email=message.to_email, reason=error, touchpoint_id=message.touchpoint_id, now=at
    )


def bounce_into_calls(*, today: dt.date, consultant: User) -> int:
    """The check-ins the history marked as bounced become calls, as the worker would have
    made them; and one of `consultant`'s, this working day, so the call is on their Today."""
    failed = list(
        OutboxMessage.objects.filter(
            state=OutboxMessage.State.FAILED, touchpoint__isnull=False
        ).select_related("touchpoint")
    )
    for message in failed:
        record_email_failed(
            email=message.to_email,
            reason=message.last_error,
            touchpoint_id=message.touchpoint_id,
            now=message.send_after,
        )
    latest = (
        OutboxMessage.objects.filter(
            state=OutboxMessage.State.SENT,
            touchpoint__owner=consultant,
            touchpoint__kind__in=SENT_BY_WORKER,
            touchpoint__placement__status__in=Placement.ACTIVE,
            touchpoint__state=Touchpoint.State.DONE,
        )
        .order_by("-send_after", "-pk")
        .first()
    )
    if latest is not None:
        _bounced(latest, at=local_time(on_or_before_working_day(today), 9, 5))
    return len(failed) + (latest is not None)


def free_replacement_owed(*, today: dt.date) -> Placement | None:
    """A placement on a free-replacement guarantee whose person left ten days ago, inside
    the guarantee: the client is owed another hire by a date."""
    left_on = today - dt.timedelta(days=10)
    # In guarantee today and started before they left: so they left inside it. One with an
    # open alert is left alone, the demo shows those being worked.
    candidates = (
        Placement.objects.filter(
            status=Placement.Status.IN_GUARANTEE,
            kind=Placement.Kind.PERMANENT,
            start_date__lt=left_on,
        )
        .exclude(alerts__state="open")
        # The longest in post: the demo's newest starters show other things (off-limits).
        .order_by("start_date", "pk")
    )
    placement = (
        candidates.filter(guarantee_remedy=Remedy.REPLACEMENT).first()
        or candidates.filter(~Q(guarantee_remedy=Remedy.REPLACEMENT)).first()
    )
    if placement is None:
        return None
    if placement.guarantee_remedy != Remedy.REPLACEMENT:
        Placement.objects.filter(pk=placement.pk).update(
            guarantee_remedy=Remedy.REPLACEMENT, rebate_scale=[]
        )
        placement.refresh_from_db()
    return record_placement_outcome(
        placement=placement,
        status=Placement.Status.LEFT,
        left_on=left_on,
        reason=Placement.LeaveReason.MANAGER,
        notes="Clashed with the new line manager; the client wants the role filled again.",
        by=placement.owner,
    )
