"""The services that cause an event announce it, so subscribed webhooks hear of it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from keepwarm.integrations.models import WebhookDelivery
from keepwarm.integrations.services import save_webhook
from keepwarm.lib import events
from keepwarm.signals.models import RiskSettings
from keepwarm.signals.services.alerts import open_alert
from keepwarm.signals.services.concerns import flag_placement
from keepwarm.signals.services.risk import ensure_default_weights
from keepwarm.surveys.services import Given, create_invitation, record_response
from keepwarm.surveys.tests.conftest import make_checkin


def subscribe_to_everything(cast: Any) -> None:
    save_webhook(
        url="https://hooks.example.com/keepwarm",
        secret="",
        events=list(events.EVENTS),
        by=cast.admin,
    )


def queued(event: str) -> list[dict[str, Any]]:
    return [d.payload for d in WebhookDelivery.objects.filter(event=event).order_by("id")]


def test_opening_an_alert_announces_alert_opened(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    subscribe_to_everything(cast)
    with django_capture_on_commit_callbacks(execute=True):
        alert = open_alert(placement=cast.placement, reason="Said she might leave")
        # A second worry joins the open alert: no second event.
        open_alert(placement=cast.placement, reason="Client worried too")

    assert alert is not None
    assert queued(events.ALERT_OPENED) == [
        {
            "alert_id": alert.pk,
            "placement_id": cast.placement.pk,
            "person_id": cast.candidate.pk,
            "owner": "olivia_owner",
            "reason": "Said she might leave",
            "risk_score": None,
        }
    ]


def test_a_risk_crossing_the_threshold_announces_placement_at_risk_once(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    subscribe_to_everything(cast)
    ensure_default_weights()
    RiskSettings.objects.update_or_create(pk=1, defaults={"alert_threshold": 5})
    now = timezone.make_aware(dt.datetime(2026, 4, 1, 10))
    with django_capture_on_commit_callbacks(execute=True):
        flag_placement(placement=cast.placement, by=cast.owner, reason="Quiet lately", now=now)
        flag_placement(placement=cast.placement, by=cast.owner, reason="Still quiet", now=now)

    [payload] = queued(events.PLACEMENT_AT_RISK)
    assert payload["placement_id"] == cast.placement.pk
    assert payload["person_id"] == cast.candidate.pk
    assert payload["company_id"] == cast.company.pk
    assert payload["threshold"] == 5
    assert payload["score"] >= 5
    assert any("Quiet lately" in reason for reason in payload["reasons"])
    # The alert the same crossing opened is announced too.
    assert len(queued(events.ALERT_OPENED)) == 1


def test_an_answered_questionnaire_announces_questionnaire_answered(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    subscribe_to_everything(cast)
    asked = make_checkin()
    invitation = create_invitation(
        placement=cast.placement,
        person=cast.candidate,
        questionnaire=asked.questionnaire,
        sender=cast.owner,
        now=timezone.now(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = record_response(
            invitation=invitation, given={asked.satisfaction.pk: Given(number=Decimal(5))}
        )

    assert queued(events.QUESTIONNAIRE_ANSWERED) == [
        {
            "response_id": response.pk,
            "questionnaire_id": asked.questionnaire.pk,
            "placement_id": cast.placement.pk,
            "person_id": cast.candidate.pk,
        }
    ]


def test_no_webhook_no_deliveries(cast: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        open_alert(placement=cast.placement, reason="Said she might leave")

    assert not WebhookDelivery.objects.exists()
