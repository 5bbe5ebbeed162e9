"""The sending pace is booked in the database, so every worker shares the provider's limit.

Several workers at once are in keepwarm/worker/tests/test_shared_rate_limit.py; these check
the booking itself, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import time

import pytest

from keepwarm.conftest import SmtpSink
from keepwarm.mail.models import SendingPace
from keepwarm.mail.pace import Pace, book_slot
from keepwarm.mail.services.sending import send_pending
from keepwarm.mail.tests.factories import at, queue_plain

pytestmark = pytest.mark.django_db

NOW = at("2026-03-09T09:05+00:00")


def test_bookings_are_one_interval_apart_whoever_makes_them() -> None:
    started = time.monotonic()
    waits = [book_slot(rate=10) for _ in range(21)]
    elapsed = time.monotonic() - started
    assert waits[0] <= 0.0  # nothing booked before: the first goes at once
    # Without anyone sleeping, each booking lands 0.1 s after the one before.
    assert waits[20] == pytest.approx(2.0 - elapsed, abs=elapsed + 0.05)
    assert SendingPace.objects.count() == 1


def test_a_pace_booked_long_ago_does_not_allow_a_burst() -> None:
    SendingPace.objects.create(name="email", next_at=0.0)  # booked in 1970
    assert book_slot(rate=10) <= 0.0
    assert book_slot(rate=10) == pytest.approx(0.1, abs=0.05)


def test_no_limit_sends_without_asking_the_database(
    django_assert_num_queries: object,
) -> None:
    slept: list[float] = []
    with django_assert_num_queries(0):  # type: ignore[operator]
        Pace(0, sleep=slept.append).wait()
    assert slept == []


def test_the_worker_sends_at_the_configured_rate(smtp_server: SmtpSink, settings: object) -> None:
    settings.KEEPWARM_EMAIL_RATE = 10  # type: ignore[attr-defined]
    for n in range(6):
        queue_plain(n, send_after=NOW)
    started = time.monotonic()
    report = send_pending(now=NOW)
    assert report.sent == 6
    # The sixth message's slot is five intervals of 0.1 s after the first, which is booked
    # no earlier than the worker started: however slow the machine, it cannot arrive sooner.
    # (A spread between first and last arrival would shrink when the first is delayed.)
    assert smtp_server.received_at[-1] - started >= 0.5
