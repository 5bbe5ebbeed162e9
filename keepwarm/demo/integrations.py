"""Demo webhooks: a paused example subscription with a few past deliveries, so an admin
sees what the Webhooks page shows without anything being sent anywhere."""

from __future__ import annotations

import datetime as dt

from keepwarm.accounts.models import User
from keepwarm.integrations import signing
from keepwarm.integrations.models import Webhook, WebhookAttempt, WebhookDelivery
from keepwarm.lib import events
from keepwarm.signals.models import Alert


def wipe() -> None:
    Webhook.objects.all().delete()


def load(*, now: dt.datetime) -> None:
    admin = User.objects.filter(role=User.Role.ADMIN).order_by("id").first()
    hook = Webhook.objects.create(
        url="https://hooks.example.com/keepwarm",
        description="Example: the agency's data warehouse (paused, sends nothing)",
        secret=signing.new_secret(),
        events=list(events.EVENTS),
        is_active=False,
        created_by=admin,
    )
    alerts = list(Alert.objects.select_related("placement", "owner").order_by("-opened_at")[:3])
    answers = [(200, "ok", 180), (503, "Service Unavailable", 30_000), (204, "", 95)]
    for index, (alert, (status, text, took)) in enumerate(zip(alerts, answers, strict=False)):
        when = now - dt.timedelta(hours=index * 5 + 1)
        delivery = WebhookDelivery.objects.create(
            webhook=hook,
            event=events.ALERT_OPENED,
            payload={
                "alert_id": alert.pk,
                "placement_id": alert.placement_id,
                "person_id": alert.placement.person_id,
                "owner": alert.owner.username,
                "reason": alert.reason[:300],
                "risk_score": alert.risk_score,
            },
            occurred_at=when,
            send_after=when,
            attempts=1 if status < 300 else 6,
            status_code=status,
            response_excerpt=text,
            duration_ms=took,
            state=(
                WebhookDelivery.State.DELIVERED if status < 300 else WebhookDelivery.State.FAILED
            ),
            delivered_at=when if status < 300 else None,
            last_error="" if status < 300 else "Gave up after 6 attempts: HTTP 503",
        )
        WebhookAttempt.objects.create(
            delivery=delivery,
            attempted_at=when,
            status_code=status,
            response_excerpt=text,
            duration_ms=took,
        )
