"""Reads reused by pages, the API and the sender."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from keepwarm.mail.models import OutboxMessage
from keepwarm.newsletters.models import Engagement, Issue


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


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def issue_engagement(issue: Issue, *, sent: int, per_link: bool = False) -> dict[str, Any] | None:
    """Unique openers and clickers of a tracked issue, as counts and as a share of the
    `sent` copies (None when the issue is not tracked). Someone who clicked opened it,
    even with images off. `per_link` adds each link's clicks, in the issue's order."""
    if issue.untracked_because:
        return None
    rows = Engagement.objects.filter(issue=issue, person__isnull=False)
    counts = rows.aggregate(
        opened=Count("person", distinct=True),
        clicked=Count("person", distinct=True, filter=Q(kind=Engagement.Kind.CLICK)),
    )
    figures: dict[str, Any] = {
        **counts,
        "open_percent": _percent(counts["opened"], sent),
        "click_percent": _percent(counts["clicked"], sent),
    }
    if per_link:
        clicks = {
            row["link"]: row
            for row in rows.filter(kind=Engagement.Kind.CLICK)
            .values("link")
            .annotate(people=Count("person", distinct=True), clicks=Sum("count"))
            .order_by()
        }
        figures["links"] = [
            {
                "url": url,
                "people": clicks.get(n, {}).get("people", 0),
                "clicks": clicks.get(n, {}).get("clicks", 0),
            }
            for n, url in enumerate(issue.links)
        ]
    return figures
