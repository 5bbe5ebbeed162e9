"""Demo data for personal pages: the hours each demo consultant is available."""

from __future__ import annotations

from keepwarm.accounts.models import User

HOURS = (
    "Mon–Fri 8:30–18:00",
    "Mon–Thu 9:00–17:30, Fri mornings",
    "Weekdays 8:00–16:00, Sat 10:00–12:00",
    "Mon–Fri 10:00–19:00",
)


def load(*, domain: str) -> int:
    """Give every demo consultant available hours; returns how many."""
    users = list(User.objects.filter(email__endswith="@" + domain).order_by("id"))
    for index, user in enumerate(users):
        user.available_hours = HOURS[index % len(HOURS)]
    User.objects.bulk_update(users, ["available_hours"])
    return len(users)
