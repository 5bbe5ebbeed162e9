"""“Forgot password?”: a single-use link to a colleague's own address, then the new password.

Mail's, like the other emails about a colleague's account: it composes and queues the
link, and records the request and the change on the audit trail.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from keepwarm.accounts.models import User
from keepwarm.accounts.services import end_sessions
from keepwarm.audit.models import AuditEntry
from keepwarm.audit.recording import record
from keepwarm.lib.ratelimit import RATE_WINDOW, over_limit
from keepwarm.mail.compose import compose
from keepwarm.mail.services.account_notices import notify_sign_in_change
from keepwarm.mail.services.outbox import queue_email

logger = logging.getLogger(__name__)


def _reset_link(user: User) -> str:
    # Django's token: an HMAC over the user's password hash and last sign-in with the
    # secret key and a timestamp, so it expires (PASSWORD_RESET_TIMEOUT) and stops working
    # once the password changes or they sign in: one use.
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.BASE_URL + reverse("password_reset_confirm", args=[uid, token])


def _paused(*, email: str, address: str, now: dt.datetime) -> bool:
    """Counts this request; True past sign-in's limits per address typed or per client."""
    for_email = over_limit(
        key=f"password-reset:{email}", limit=settings.KEEPWARM_LOCKOUT_ACCOUNT_FAILURES, now=now
    )
    from_client = over_limit(
        key=f"password-reset-from:{address}",
        limit=settings.KEEPWARM_LOCKOUT_ADDRESS_FAILURES,
        now=now,
    )
    return for_email or from_client


def request_password_reset(*, email: str, address: str, now: dt.datetime | None = None) -> int:
    """Queue a reset link to each active colleague with this address; returns how many.

    The caller answers the same whatever this returns: whether an address is a
    colleague's is not for whoever typed it to learn. The email waits in the outbox for
    the worker, so the answer never waits for the mail server. Paused (a ValidationError)
    after as many requests per address, or per client, as sign-in allows failures.
    """
    now = now or timezone.now()
    folded = email.strip().casefold()[:254]
    if _paused(email=folded, address=address, now=now):
        minutes = int(RATE_WINDOW.total_seconds() // 60)
        raise ValidationError(
            "Too many password reset requests for this address or from this computer. "
            f"Wait {minutes} minutes, then try again, or ask an admin."
        )
    users = [
        user
        for user in User.objects.filter(email__iexact=email.strip(), is_active=True)
        if user.has_usable_password()
    ]
    with transaction.atomic():
        record(
            AuditEntry.Action.CREATED,
            object_type="accounts.passwordreset",
            object_repr=f"Reset link asked for {folded}: {len(users)} account(s)",
        )
        for user in users:
            _queue_link(user, address=address, now=now)
    logger.info("password reset asked for %r from %s: %d account(s)", folded, address, len(users))
    return len(users)


def _queue_link(user: User, *, address: str, now: dt.datetime) -> None:
    subject, text, html = compose(
        "password-reset",
        {
            "user": user,
            "url": _reset_link(user),
            "minutes": settings.KEEPWARM_PASSWORD_RESET_MINUTES,
            "address": address,
        },
    )
    queue_email(
        key=f"password-reset:{user.pk}:{now.timestamp()}",
        to_email=user.email,
        subject=subject,
        body_text=text,
        body_html=html,
        from_email=settings.DEFAULT_FROM_EMAIL,
        send_after=now,
    )


@transaction.atomic
def reset_password(*, user: User, password: str, now: dt.datetime | None = None) -> None:
    """Set the password chosen through an emailed link (already checked against the
    password rules). Every session of the user ends, since the old password may be known,
    and they are told by email."""
    user.set_password(password)
    user.save(update_fields=["password"])
    end_sessions(user)
    record(
        AuditEntry.Action.CHANGED,
        object_type="accounts.user",
        object_id=user.pk,
        object_repr=user.username,
        changes={"password": ["[hidden]", "[reset through an emailed link]"]},
    )
    notify_sign_in_change(
        user=user, change="your password was reset through an emailed link", now=now
    )
