"""Every event a webhook can subscribe to is announced by the service that causes it, once
the change has committed, with the ids a receiver needs to read the rest through the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from keepwarm.care.services import log_touchpoint
from keepwarm.care.services.placements import (
    create_placement,
    record_placement_outcome,
    update_placement,
)
from keepwarm.integrations.models import WebhookDelivery
from keepwarm.integrations.services import save_webhook
from keepwarm.lib import events
from keepwarm.mail.models import Suppression
from keepwarm.mail.services.consent import record_consent, withdraw_consent
from keepwarm.mail.suppressions import suppress
from keepwarm.network.services import advance_referral, discard_lead, receive_lead, receive_referral
from keepwarm.people.models import Consent
from keepwarm.people.services import create_person, update_person
from keepwarm.placements.models import Placement
from keepwarm.privacy.erasure import erase_person
from keepwarm.signals.services.alerts import escalate_overdue_alerts, open_alert
from keepwarm.signals.services.concerns import close_alert, flag_placement
from keepwarm.signals.services.risk import ensure_default_weights

# Announced and checked payload by payload in test_webhook_events.py and the network tests.
CHECKED_ELSEWHERE = {
    events.PERSON_READY_TO_MOVE,
    events.PLACEMENT_AT_RISK,
    events.QUESTIONNAIRE_ANSWERED,
    events.ALERT_OPENED,
    events.REFERRAL_RECEIVED,
}


def _consent(cast: Any) -> Any:
    return record_consent(
        person=cast.candidate,
        basis=Consent.Basis.CONSENT,
        subscriber_type=Consent.SubscriberType.INDIVIDUAL,
        method="Ticked the box on the form",
        wording="Send me the monthly newsletter.",
    )


def _escalated(cast: Any) -> Any:
    long_ago = timezone.now() - dt.timedelta(days=10)
    open_alert(placement=cast.placement, reason="Said she might leave", now=long_ago)
    return escalate_overdue_alerts()


def _closed(cast: Any) -> Any:
    alert = open_alert(placement=cast.placement, reason="Worried")
    assert alert is not None
    return close_alert(alert=alert, by=cast.owner, note="Called her; all well")


def _referral_contacted(cast: Any) -> Any:
    referral = receive_referral(referrer=cast.candidate, kind="candidate", name="Dev Shah")
    return advance_referral(referral=referral, to="contacted", by=cast.owner)


def _risk_changed(cast: Any) -> Any:
    ensure_default_weights()
    return flag_placement(placement=cast.placement, by=cast.owner, reason="Quiet lately")


# What a user does, and what the event's payload must say about it.
Action = Callable[[Any], Any]
ACTIONS: dict[str, tuple[Action, Callable[[Any], dict[str, Any]]]] = {
    events.PERSON_CREATED: (
        lambda cast: create_person(by=cast.owner, first_name="Nia", last_name="Ross"),
        lambda cast: {"role": "candidate"},
    ),
    events.PERSON_UPDATED: (
        lambda cast: update_person(person=cast.candidate, expected_version=None, notes="Mornings"),
        lambda cast: {"person_id": cast.candidate.pk, "changed": ["notes"]},
    ),
    events.PERSON_ERASED: (
        lambda cast: erase_person(cast.client_contact, by=cast.admin, reason="Asked us to"),
        lambda cast: {"person_id": cast.client_contact.pk},
    ),
    events.PLACEMENT_CREATED: (
        lambda cast: create_placement(
            by=cast.owner,
            person=cast.candidate,
            company=cast.company,
            owner=cast.owner,
            role_title="Buyer",
            start_date=timezone.localdate() + dt.timedelta(days=30),
        ),
        lambda cast: {"person_id": cast.candidate.pk, "status": "offer_accepted"},
    ),
    events.PLACEMENT_UPDATED: (
        lambda cast: update_placement(
            placement=cast.placement,
            by=cast.owner,
            expected_version=None,
            changes={"role_title": "Lead buyer"},
        ),
        lambda cast: {"placement_id": cast.placement.pk, "changed": ["role_title"]},
    ),
    events.PLACEMENT_ENDED: (
        lambda cast: record_placement_outcome(
            placement=cast.placement,
            status=Placement.Status.LEFT,
            left_on=timezone.localdate(),
            reason="counter_offer",
            by=cast.owner,
        ),
        lambda cast: {"placement_id": cast.placement.pk, "reason": "counter_offer"},
    ),
    events.RISK_CHANGED: (_risk_changed, lambda cast: {"placement_id": cast.placement.pk}),
    events.TOUCHPOINT_LOGGED: (
        lambda cast: log_touchpoint(
            person=cast.candidate, by=cast.owner, kind="call", outcome="reached"
        ),
        lambda cast: {"person_id": cast.candidate.pk, "kind": "call", "done_by": "olivia_owner"},
    ),
    events.ALERT_CLOSED: (
        _closed,
        lambda cast: {"placement_id": cast.placement.pk, "closed_by": "olivia_owner"},
    ),
    events.ALERT_ESCALATED: (_escalated, lambda cast: {"placement_id": cast.placement.pk}),
    events.REFERRAL_STATUS_CHANGED: (_referral_contacted, lambda cast: {"status": "contacted"}),
    events.LEAD_RECEIVED: (
        lambda cast: receive_lead(source=cast.candidate, company_name="Northwind"),
        lambda cast: {"source_id": cast.candidate.pk},
    ),
    events.LEAD_STATUS_CHANGED: (
        lambda cast: discard_lead(
            lead=receive_lead(source=cast.candidate, company_name="Northwind")
        ),
        lambda cast: {"status": "discarded"},
    ),
    events.CONSENT_CHANGED: (
        lambda cast: (
            _consent(cast),
            withdraw_consent(person=cast.candidate, how="Replied STOP"),
        ),
        lambda cast: {"person_id": cast.candidate.pk, "withdrawn": True},
    ),
    events.EMAIL_SUPPRESSED: (
        lambda cast: suppress(cast.candidate.email, reason=Suppression.Reason.MANUAL),
        lambda cast: {"reason": "manual", "person_ids": [cast.candidate.pk]},
    ),
}


def test_every_event_is_announced_by_a_service() -> None:
    assert set(events.EVENTS) == set(ACTIONS) | CHECKED_ELSEWHERE


@pytest.mark.parametrize("event", sorted(ACTIONS))
def test_the_service_announces_the_event(
    cast: Any, event: str, django_capture_on_commit_callbacks: Any
) -> None:
    save_webhook(url="https://hooks.example.com/k", secret="", events=[event], by=cast.admin)
    act, expected = ACTIONS[event]

    with django_capture_on_commit_callbacks(execute=True):
        act(cast)

    payloads = [d.payload for d in WebhookDelivery.objects.filter(event=event).order_by("id")]
    assert payloads, f"{event} was not announced"
    assert expected(cast).items() <= payloads[-1].items()
