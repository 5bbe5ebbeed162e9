"""Email backends of our own. Django's SMTP backend (and anymail's) do the real sending."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend


class CaptureBackend(BaseEmailBackend):
    """The default when KEEPWARM_EMAIL_URL is unset: nothing leaves the machine.

    `send_pending` checks `captures` and moves due outbox rows to "captured" without
    rendering a MIME message, so a new install shows what it would have sent on the
    Sent mail page instead of mailing real candidates from a demo.
    """

    captures = True

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        # Reached only if something bypasses the outbox; still send nothing.
        return len(email_messages)


def backend_captures(backend: BaseEmailBackend) -> bool:
    return bool(getattr(backend, "captures", False))
