"""The provider's rate limit holds for all workers together, not for each.

Two real `keepwarm worker` processes send one backlog to an SMTP server on loopback with
KEEPWARM_EMAIL_RATE set; the server notes when each message arrives. While both are
sending, together they keep to the rate (each pacing itself alone would reach twice it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from keepwarm.conftest import SmtpSink
from keepwarm.mail.models import OutboxMessage
from keepwarm.worker.tests.processes import queue_backlog, require_postgresql, worker_env, workers

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

RATE = 20  # messages a second, the provider's limit
MESSAGES = 100


def most_in_one_second(times: list[float]) -> int:
    """The most arrivals in any window of one second."""
    times = sorted(times)
    most, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] > 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def test_two_workers_together_keep_to_the_providers_rate(
    smtp_server: SmtpSink, tmp_path: Path
) -> None:
    require_postgresql()
    queue_backlog(MESSAGES)
    env = worker_env(tmp_path, smtp_server, KEEPWARM_EMAIL_RATE=str(RATE))

    with workers(env, tmp_path) as running:
        started = [running.start("--once", "--lane", "mail") for _ in range(2)]
        for process in started:
            assert process.wait(timeout=120) == 0, running.output()

    assert len(smtp_server.messages) == MESSAGES
    sender = dict(OutboxMessage.objects.values_list("message_id", "claimed_by"))
    arrivals: dict[str, list[float]] = {}
    for message_id, moment in zip(smtp_server.message_ids(), smtp_server.received_at, strict=True):
        arrivals.setdefault(sender[message_id], []).append(moment)
    assert len(arrivals) == 2, "both workers must have sent"
    first, second = arrivals.values()
    # The time both were sending, and what arrived then from either.
    both_from, both_until = max(first[0], second[0]), min(first[-1], second[-1])
    assert both_until - both_from > 1.0, "the two workers hardly overlapped"
    together = [t for t in smtp_server.received_at if both_from <= t <= both_until]
    rate_together = (len(together) - 1) / (both_until - both_from)
    print(  # the figures, with pytest -s
        f"\nlimit {RATE}/s; two workers sending together for {both_until - both_from:.1f} s: "
        f"{rate_together:.1f}/s combined, at most {most_in_one_second(smtp_server.received_at)}"
        f" in any second; all {MESSAGES} in "
        f"{smtp_server.received_at[-1] - smtp_server.received_at[0]:.1f} s"
    )
    assert RATE * 0.6 <= rate_together <= RATE * 1.05
    # Arrivals jitter a little on a busy machine; a second's window never comes near
    # twice the rate, as it would if each worker kept its own count.
    assert most_in_one_second(smtp_server.received_at) <= RATE * 1.25
