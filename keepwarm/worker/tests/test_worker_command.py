"""`keepwarm worker --once --now …` runs one tick as of a given moment."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from keepwarm.conftest import Cast, SmtpSink
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.tests.factories import at, make_checkin


def test_once_with_a_naive_now_runs_on_the_agency_clock(cast: Cast, smtp_server: SmtpSink) -> None:
    make_checkin(cast, due_on=dt.date(2026, 7, 1))
    # Rung last week, so no risk alert for a quiet placement joins the check-in in the mail.
    cast.candidate.last_contacted_at = at("2026-06-24T10:00+00:00")
    cast.candidate.save(update_fields=["last_contacted_at"])
    out = StringIO()

    # 09:05 in London in summer is 08:05 UTC.
    call_command("worker", "--once", "--now", "2026-07-01T09:05", stdout=out)

    assert len(smtp_server.messages) == 1
    assert OutboxMessage.objects.get().sent_at == at("2026-07-01T08:05+00:00")
    assert "tick 2026-07-01 09:05 BST: queued 1, sent 1," in out.getvalue()


def test_now_with_an_offset_is_taken_as_given(cast: Cast, smtp_server: SmtpSink) -> None:
    make_checkin(cast, due_on=dt.date(2026, 7, 1))

    call_command("worker", "--now", "2026-07-01T07:30:00+00:00", stdout=StringIO())

    assert smtp_server.messages == []  # 08:30 in London: before the send hour
    assert OutboxMessage.objects.get().state == "pending"


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T09:00", "09:00"])
def test_a_bad_now_is_a_clear_error(db: Any, value: str) -> None:
    with pytest.raises(CommandError, match="--now must be an ISO 8601 date and time"):
        call_command("worker", "--once", "--now", value, stdout=StringIO())
