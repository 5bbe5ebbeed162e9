"""Webhooks: admins subscribe a URL to events; the worker POSTs each event signed, retries
with growing gaps, and the admin page lists what the receiver answered.

Every test sends to a real HTTP server on loopback (see conftest.py).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from standardwebhooks import Webhook as Verifier
from standardwebhooks import WebhookVerificationError

from keepwarm.integrations import services
from keepwarm.integrations.models import Webhook, WebhookAttempt, WebhookDelivery
from keepwarm.integrations.tests.conftest import Receiver
from keepwarm.lib import events
from keepwarm.worker import tick as worker

# A receiver's own secret, as a Standard Webhooks library writes one.
SECRET = "whsec_" + base64.b64encode(b"the receiver's 32-byte key......").decode()
NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)


def subscribe(cast: Any, url: str, *names: str, **extra: Any) -> Webhook:
    return services.save_webhook(
        url=url, secret=SECRET, events=list(names or events.EVENTS), by=cast.admin, **extra
    )


def deliveries() -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.order_by("id"))


def test_an_event_is_posted_signed_and_recorded(cast: Any, receiver: Receiver) -> None:
    subscribe(cast, receiver.url, events.ALERT_OPENED)
    queued = services.queue_event(event=events.ALERT_OPENED, payload={"alert_id": 7}, now=NOW)

    assert queued == 1
    assert services.send_due_webhooks(now=NOW) == 1

    [got] = receiver.received
    assert got.path == "/hooks/keepwarm"
    assert got.headers["Content-Type"] == "application/json"
    # The receiver checks it with the reference Standard Webhooks library and its secret.
    body = Verifier(SECRET).verify(got.body, got.headers)
    assert body == {
        "type": "alert.opened",
        "timestamp": "2026-04-01T09:00:00Z",
        "data": {"alert_id": 7},
    }
    assert got.headers["webhook-id"].startswith("msg_")
    with pytest.raises(WebhookVerificationError):
        Verifier(services_secret_other()).verify(got.body, got.headers)
    with pytest.raises(WebhookVerificationError):
        Verifier(SECRET).verify(got.body + b" ", got.headers)

    [delivery] = deliveries()
    assert delivery.state == WebhookDelivery.State.DELIVERED
    assert delivery.status_code == 200
    assert delivery.response_excerpt == "thanks"
    assert delivery.duration_ms is not None
    assert delivery.attempts == 1
    assert delivery.delivered_at == NOW
    assert WebhookAttempt.objects.get().status_code == 200


def test_failures_are_retried_with_growing_gaps_then_given_up(
    cast: Any, receiver: Receiver
) -> None:
    subscribe(cast, receiver.url)
    receiver.answers.extend([(500, "boom")] * 10)
    services.queue_event(event=events.REFERRAL_RECEIVED, payload={"referral_id": 3}, now=NOW)

    when = NOW
    gaps = []
    for _ in range(services.MAX_ATTEMPTS - 1):
        assert services.send_due_webhooks(now=when) == 0
        delivery = deliveries()[0]
        assert delivery.state == WebhookDelivery.State.PENDING
        assert delivery.status_code == 500
        assert delivery.response_excerpt == "boom"
        gaps.append(round((delivery.send_after - when).total_seconds() / 60))
        # Not due yet: nothing is sent a second early.
        services.send_due_webhooks(now=delivery.send_after - dt.timedelta(seconds=1))
        when = delivery.send_after
    assert gaps == [1, 5, 30, 120, 240]
    assert len(receiver.received) == services.MAX_ATTEMPTS - 1

    services.send_due_webhooks(now=when)
    delivery = deliveries()[0]
    assert delivery.state == WebhookDelivery.State.FAILED
    assert delivery.last_error.startswith("Gave up after 6 attempts")
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 6
    services.send_due_webhooks(now=when + dt.timedelta(days=1))
    assert len(receiver.received) == 6


def test_a_receiver_that_recovers_gets_the_event_on_the_next_try(
    cast: Any, receiver: Receiver
) -> None:
    subscribe(cast, receiver.url)
    receiver.answers.append((503, "down for maintenance"))
    services.queue_event(event=events.ALERT_OPENED, payload={"alert_id": 1}, now=NOW)

    services.send_due_webhooks(now=NOW)
    services.send_due_webhooks(now=NOW + dt.timedelta(minutes=1))

    delivery = deliveries()[0]
    assert delivery.state == WebhookDelivery.State.DELIVERED
    assert [a.status_code for a in delivery.tries.order_by("id")] == [503, 200]
    # Both tries carry the same webhook-id, so the receiver can tell a repeat.
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert len(ids) == 1


def test_an_unreachable_receiver_is_recorded_and_retried(cast: Any, receiver: Receiver) -> None:
    dead = f"http://127.0.0.1:{receiver.port}/x"
    subscribe(cast, dead)
    services.queue_event(event=events.ALERT_OPENED, payload={}, now=NOW)
    receiver_port = receiver.port
    # Nothing listens on port 9 of loopback (discard is not run on test machines).
    Webhook.objects.update(url="http://127.0.0.1:9/x")

    services.send_due_webhooks(now=NOW)

    delivery = deliveries()[0]
    assert receiver_port
    assert delivery.state == WebhookDelivery.State.PENDING
    assert delivery.status_code is None
    assert delivery.last_error.startswith("Could not reach the receiver")
    assert delivery.send_after == NOW + dt.timedelta(minutes=1)


def test_a_slow_receiver_times_out_and_is_retried(
    cast: Any, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "TIMEOUT_SECONDS", 0.3)
    receiver.delay = 1.0
    subscribe(cast, receiver.url)
    services.queue_event(event=events.ALERT_OPENED, payload={}, now=NOW)

    services.send_due_webhooks(now=NOW)

    delivery = deliveries()[0]
    assert delivery.state == WebhookDelivery.State.PENDING
    assert "timed out" in delivery.last_error
    assert delivery.duration_ms is not None and delivery.duration_ms >= 250


def test_only_active_webhooks_subscribed_to_the_event_get_it(cast: Any, receiver: Receiver) -> None:
    subscribe(cast, receiver.url, events.ALERT_OPENED)
    subscribe(cast, receiver.url + "?paused", events.REFERRAL_RECEIVED, is_active=False)
    subscribe(cast, receiver.url + "?other", events.REFERRAL_RECEIVED)

    services.queue_event(event=events.REFERRAL_RECEIVED, payload={}, now=NOW)

    assert [d.webhook.url for d in deliveries()] == [receiver.url + "?other"]


def test_the_worker_tick_sends_deliveries(
    cast: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    subscribe(cast, receiver.url, events.PERSON_READY_TO_MOVE)
    with django_capture_on_commit_callbacks(execute=True):
        events.emit(events.PERSON_READY_TO_MOVE, {"person_id": cast.candidate.pk})

    worker.tick(now=dt.datetime.now(dt.UTC))

    assert json.loads(receiver.received[0].body)["data"] == {"person_id": cast.candidate.pk}
    assert deliveries()[0].state == WebhookDelivery.State.DELIVERED


def test_a_delivery_caught_mid_send_by_a_crash_is_sent_again(cast: Any, receiver: Receiver) -> None:
    subscribe(cast, receiver.url)
    services.queue_event(event=events.ALERT_OPENED, payload={}, now=NOW)
    WebhookDelivery.objects.update(state=WebhookDelivery.State.SENDING, claimed_at=NOW)

    services.send_due_webhooks(now=NOW + dt.timedelta(minutes=1))
    assert not receiver.received  # another worker may still be sending it
    services.send_due_webhooks(now=NOW + services.LEASE + dt.timedelta(minutes=1))

    assert len(receiver.received) == 1
    assert deliveries()[0].state == WebhookDelivery.State.DELIVERED


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hooks.example.com/x", "Use https://"),
        ("ftp://hooks.example.com/x", "full URL"),
        ("hooks.example.com", "full URL"),
        ("https://user:pw@hooks.example.com/x", "no user name"),
    ],
)
def test_a_webhook_url_must_be_https_or_loopback(cast: Any, url: str, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        subscribe(cast, url)

    assert problem in str(caught.value)
    assert not Webhook.objects.exists()


def test_loopback_http_and_https_are_accepted(cast: Any) -> None:
    for url in ("https://hooks.example.com/x", "http://localhost:8080/x", "http://[::1]/x"):
        subscribe(cast, url)

    assert Webhook.objects.count() == 3


def services_secret_other() -> str:
    return "whsec_" + base64.b64encode(b"someone else's 32-byte key......").decode()


def test_a_secret_not_in_the_standard_form_or_no_event_is_refused(cast: Any) -> None:
    with pytest.raises(ValidationError, match="whsec_"):
        services.save_webhook(
            url="https://a.example/x", secret="short", events=[events.ALERT_OPENED], by=cast.admin
        )
    with pytest.raises(ValidationError, match="at least one"):
        services.save_webhook(
            url="https://a.example/x", secret=SECRET, events=["nope"], by=cast.admin
        )
    with pytest.raises(ValidationError, match="Only admins"):
        subscribe(cast.__class__(**{**cast.__dict__, "admin": cast.manager}), "https://a.example")
    assert not Webhook.objects.exists()


def test_admin_adds_a_webhook_and_sees_deliveries_with_responses(
    cast: Any, receiver: Receiver
) -> None:
    client = Client()
    client.force_login(cast.admin)
    form = {
        "url": receiver.url,
        "description": "Our data warehouse",
        "secret": SECRET,
        "events": [events.ALERT_OPENED, events.QUESTIONNAIRE_ANSWERED],
        "is_active": "on",
    }
    assert client.post(reverse("webhook_new"), form).status_code == 302
    hook = Webhook.objects.get()
    assert hook.events == [events.QUESTIONNAIRE_ANSWERED, events.ALERT_OPENED]
    receiver.answers.append((502, "bad gateway from the proxy"))
    services.queue_event(event=events.ALERT_OPENED, payload={"alert_id": 5}, now=NOW)
    services.send_due_webhooks(now=NOW)

    page = client.get(reverse("webhooks")).content.decode()
    assert "Our data warehouse" in page
    assert "HTTP 502" in page
    delivery = deliveries()[0]
    detail = client.get(reverse("webhook_delivery", args=[delivery.pk])).content.decode()
    assert "bad gateway from the proxy" in detail
    assert "&quot;alert_id&quot;:5" in detail


def test_bad_webhook_form_keeps_what_was_typed_and_explains(cast: Any) -> None:
    client = Client()
    client.force_login(cast.admin)
    form = {"url": "http://hooks.example.com/x", "secret": SECRET, "events": [events.ALERT_OPENED]}

    page = client.post(reverse("webhook_new"), form)

    assert page.status_code == 200
    text = page.content.decode()
    assert "Use https://" in text
    assert 'value="http://hooks.example.com/x"' in text
    assert not Webhook.objects.exists()


def test_editing_keeps_the_secret_when_left_empty(cast: Any, receiver: Receiver) -> None:
    hook = subscribe(cast, receiver.url)
    client = Client()
    client.force_login(cast.admin)

    form = {"url": receiver.url, "secret": "", "events": [events.ALERT_OPENED]}
    assert client.post(reverse("webhook_edit", args=[hook.pk]), form).status_code == 302

    hook.refresh_from_db()
    assert hook.secret == SECRET
    assert hook.events == [events.ALERT_OPENED]
    assert hook.is_active is False  # the box was left unticked


def test_redeliver_sends_the_same_event_again(cast: Any, receiver: Receiver) -> None:
    subscribe(cast, receiver.url)
    services.queue_event(event=events.ALERT_OPENED, payload={"alert_id": 9}, now=NOW)
    services.send_due_webhooks(now=NOW)
    first = deliveries()[0]
    client = Client()
    client.force_login(cast.admin)

    assert client.get(reverse("webhook_redeliver", args=[first.pk])).status_code == 405
    client.post(reverse("webhook_redeliver", args=[first.pk]))
    services.send_due_webhooks()

    again = deliveries()[1]
    assert again.redelivery_of == first
    assert again.state == WebhookDelivery.State.DELIVERED
    bodies = [json.loads(r.body) for r in receiver.received]
    assert bodies[0] == bodies[1]


def test_only_admins_see_webhooks(cast: Any) -> None:
    hook = subscribe(cast, "https://hooks.example.com/x")
    client = Client()
    for user in (cast.owner, cast.manager):
        client.force_login(user)
        assert client.get(reverse("webhooks")).status_code == 403
        assert client.get(reverse("webhook_edit", args=[hook.pk])).status_code == 403
        assert client.post(reverse("webhook_delete", args=[hook.pk])).status_code == 403
    assert Webhook.objects.exists()


def test_demo_data_shows_a_paused_example_webhook_with_deliveries(cast: Any) -> None:
    from keepwarm.demo import integrations as demo_integrations
    from keepwarm.signals.services.alerts import open_alert

    open_alert(placement=cast.placement, reason="Said she might leave")
    demo_integrations.load(now=NOW)
    client = Client()
    client.force_login(cast.admin)

    page = client.get(reverse("webhooks")).content.decode()
    assert "paused" in page
    assert "HTTP 200" in page
    hook = Webhook.objects.get()
    assert not hook.is_active
    assert services.queue_event(event=events.ALERT_OPENED, payload={}) == 0


def test_an_unreachable_receiver_is_tried_once_a_tick_not_once_per_event(
    cast: Any, receiver: Receiver
) -> None:
    subscribe(cast, "http://127.0.0.1:9/down")
    subscribe(cast, receiver.url)
    for n in range(3):
        services.queue_event(event=events.ALERT_OPENED, payload={"n": n}, now=NOW)

    assert services.send_due_webhooks(now=NOW) == 3

    down = WebhookDelivery.objects.filter(webhook__url="http://127.0.0.1:9/down")
    assert sorted(d.attempts for d in down) == [0, 0, 1]
    assert {d.state for d in down} == {WebhookDelivery.State.PENDING}
    assert len(receiver.received) == 3


def test_a_tick_stops_sending_when_its_time_is_up(cast: Any, receiver: Receiver) -> None:
    subscribe(cast, receiver.url)
    for n in range(3):
        services.queue_event(event=events.ALERT_OPENED, payload={"n": n}, now=NOW)

    assert services.send_due_webhooks(now=NOW, budget_seconds=0) == 1

    states = sorted(d.state for d in deliveries())
    assert states == ["delivered", "pending", "pending"]
    assert services.send_due_webhooks(now=NOW) == 2


def test_paused_webhooks_keep_their_deliveries_until_switched_back_on(
    cast: Any, receiver: Receiver
) -> None:
    hook = subscribe(cast, receiver.url)
    services.queue_event(event=events.ALERT_OPENED, payload={}, now=NOW)
    Webhook.objects.update(is_active=False)

    services.send_due_webhooks(now=NOW)
    assert not receiver.received
    hook.is_active = True
    hook.save()
    services.send_due_webhooks(now=NOW)

    assert len(receiver.received) == 1


def test_admin_removes_a_webhook(cast: Any) -> None:
    hook = subscribe(cast, "https://hooks.example.com/x")
    client = Client()
    client.force_login(cast.admin)

    client.post(reverse("webhook_delete", args=[hook.pk]))

    assert not Webhook.objects.exists()


def test_a_test_event_reaches_even_a_paused_webhook_and_only_it(
    cast: Any, receiver: Receiver
) -> None:
    hook = subscribe(cast, receiver.url, is_active=False)
    subscribe(cast, receiver.url + "?other")
    client = Client()
    client.force_login(cast.admin)

    client.post(reverse("webhook_test", args=[hook.pk]))
    services.send_due_webhooks()

    [got] = receiver.received
    assert got.path == "/hooks/keepwarm"
    body = Verifier(SECRET).verify(got.body, got.headers)
    assert body["type"] == "ping"
    assert body["data"]["sent_by"] == "ada_admin"
