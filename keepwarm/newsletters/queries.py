"""Reads reused by pages, the API and the sender."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Sequence
from functools import reduce

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from keepwarm.mail.models import OutboxMessage
from keepwarm.newsletters.models import Frequency, Issue
from keepwarm.people.models import Consent, Person


def lawful(
    people: QuerySet[Person],
    *,
    today: dt.date,
    topics: Sequence[str] = (),
    frequency: str = "",
) -> QuerySet[Person]:
    """`people` narrowed to those we may market to today: no basis, no send.

    The basis check is the people app's (`marketable_people`); on top of it, someone who
    chose topics only gets newsletters about one of them, and a weekly newsletter only
    reaches people who asked for weekly mail.
    """
    from keepwarm.people.services import marketable_people

    people = people.filter(pk__in=marketable_people("newsletter", today=today).values("pk"))
    current = Consent.objects.filter(
        person=OuterRef("pk"), purpose=Consent.Purpose.NEWSLETTER, withdrawn_at__isnull=True
    )
    if topics:
        # JSON text match: works the same on SQLite (no JSON contains) and PostgreSQL.
        wanted = reduce(operator.or_, (Q(topics__icontains=f'"{topic}"') for topic in topics))
        people = people.filter(Exists(current.filter(Q(topics=[]) | wanted)))
    if frequency == Frequency.WEEKLY:
        people = people.filter(Exists(current.filter(frequency=Frequency.WEEKLY)))
    return people


def issue_messages(issue: Issue) -> QuerySet[OutboxMessage]:
    """The issue's copies in the outbox, as a range scan on the UNIQUE key index."""
    prefix = issue.key_prefix  # "newsletter:<id>:"
    return OutboxMessage.objects.filter(key__gte=prefix, key__lt=prefix[:-1] + ";")


def issue_progress(issue: Issue) -> dict[str, int]:
    """Copies by state and by what the receiving side said afterwards."""
    rows = issue_messages(issue).values("state", "outcome").annotate(n=Count("id"))
    counts = {state: 0 for state in OutboxMessage.State.values}
    outcomes: dict[str, int] = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + row["n"]
        if row["outcome"]:
            outcomes[row["outcome"]] = outcomes.get(row["outcome"], 0) + row["n"]
    done = sum(counts[s] for s in ("sent", "captured", "failed", "cancelled", "unknown"))
    total = sum(counts.values())
    return {
        **counts,
        "total": total,
        "done": done,
        "percent": round(100 * done / total) if total else 0,
        "bounced": outcomes.get("bounced", 0) + outcomes.get("soft_bounced", 0),
        "complained": outcomes.get("complained", 0),
        "unsubscribed": outcomes.get("unsubscribed", 0),
        "delivered": outcomes.get("delivered", 0),
    }
