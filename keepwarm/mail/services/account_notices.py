"""Emails to a colleague about their own account."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.mail.compose import compose
from keepwarm.mail.services.outbox import queue_email


def notify_sign_in_change(
    *, user: User, change: str, by: User | None = None, now: dt.datetime | None = None
) -> None:
    """Email the user that how they sign in changed, so a change they did not make shows."""
    if not user.email:
        return
    now = now or timezone.now()
    context = {
        "user": user,
        "change": change,
        "by": by,
        "when": timezone.localtime(now),
        "url": settings.BASE_URL + reverse("account"),
    }
    subject, text, html = compose("sign-in-changed", context)
    queue_email(
        key=f"sign-in-change:{user.pk}:{now.timestamp()}:{secrets.token_hex(4)}",
        to_email=user.email,
        subject=subject,
        body_text=text,
        body_html=html,
        from_email=settings.DEFAULT_FROM_EMAIL,
        send_after=now,
    )
