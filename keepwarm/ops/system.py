"""What the System page says about the installation: queues, and settings in words.

Settings are described, never shown: no password, API key or URL that could carry one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, QuerySet

from keepwarm.imports.models import ImportRun
from keepwarm.integrations.models import WebhookDelivery
from keepwarm.mail.models import OutboxMessage

PROVIDERS = {
    "anymail.backends.postmark.EmailBackend": "Postmark",
    "anymail.backends.sendgrid.EmailBackend": "SendGrid",
    "anymail.backends.mailgun.EmailBackend": "Mailgun",
    "anymail.backends.brevo.EmailBackend": "Brevo",
}


@dataclass(frozen=True)
class Queues:
    outbox_pending: int
    outbox_unknown: int
    outbox_failed: int
    imports_queued: int
    imports_running: int
    webhooks_pending: int


def _counts(rows: QuerySet[Any], *states: str) -> dict[str, int]:
    counted = rows.filter(state__in=states).order_by().values("state").annotate(n=Count("id"))
    return {row["state"]: row["n"] for row in counted}


def queue_depths() -> Queues:
    """Rows waiting on the worker, counted through the state indexes (three queries)."""
    outbox = _counts(OutboxMessage.objects.all(), "pending", "unknown", "failed")
    imports = _counts(ImportRun.objects.all(), "queued", "running")
    webhooks = _counts(WebhookDelivery.objects.all(), "pending")
    return Queues(
        outbox_pending=outbox.get("pending", 0),
        outbox_unknown=outbox.get("unknown", 0),
        outbox_failed=outbox.get("failed", 0),
        imports_queued=imports.get("queued", 0),
        imports_running=imports.get("running", 0),
        webhooks_pending=webhooks.get("pending", 0),
    )


def database_in_words() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"SQLite, the file {Path(str(db['NAME']))} (one machine: web and worker share it)"
    if connection.vendor == "postgresql":
        where = db.get("HOST") or "the local socket"
        if db.get("PORT"):
            where += f":{db['PORT']}"
        return f"PostgreSQL, database {db['NAME']} on {where}"
    return f"{connection.display_name}, database {db['NAME']}"


def email_in_words() -> str:
    backend = settings.EMAIL_BACKEND
    if backend == "keepwarm.mail.backends.CaptureBackend":
        return (
            "Capture: nothing leaves Keepwarm, messages are kept in Sent mail "
            "(set KEEPWARM_EMAIL_URL to send)"
        )
    if backend in PROVIDERS:
        return f"{PROVIDERS[backend]}, through its HTTP API"
    if backend == "keepwarm.mail.backends.SmtpBackend":
        security = (
            "TLS from the start"
            if settings.EMAIL_USE_SSL
            else "STARTTLS"
            if settings.EMAIL_USE_TLS
            else "no encryption"
        )
        signs_in = bool(settings.EMAIL_HOST_USER)
        login = "with a user name and password" if signs_in else "without signing in"
        return (
            f"SMTP to {settings.EMAIL_HOST}:{settings.EMAIL_PORT}, {security}, {login}, "
            f"giving up after {settings.EMAIL_TIMEOUT} s"
        )
    return f"Django email backend {backend}"
