"""Subject access requests: log one, answer it, and prove when."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from keepwarm.accounts.models import User
from keepwarm.people.models import Person
from keepwarm.privacy.models import AccessRequest, one_month_after


def log_access_request(
    *, person: Person, received_on: dt.date, channel: str, notes: str, by: User
) -> AccessRequest:
    return AccessRequest.objects.create(
        person=person,
        received_on=received_on,
        due_on=one_month_after(received_on),
        channel=channel,
        notes=notes,
        created_by=by,
    )


@transaction.atomic
def mark_answered(request: AccessRequest, *, by: User, on: dt.date) -> AccessRequest:
    locked = AccessRequest.objects.select_for_update().get(pk=request.pk)
    if locked.answered_on is None:
        locked.answered_on = on
        locked.answered_by = by
        locked.save(update_fields=["answered_on", "answered_by"])
    return locked
