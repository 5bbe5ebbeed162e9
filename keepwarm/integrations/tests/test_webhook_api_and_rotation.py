"""A tool connects itself through the API (subscribe, ping, change, rotate, unsubscribe), and
a receiver keeps accepting requests across a secret's rotation: each request is checked
with the reference Standard Webhooks library against a real HTTP receiver on loopback."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook as Verifier
from standardwebhooks import WebhookVerificationError

from keepwarm.accounts.models import ApiToken
from keepwarm.integrations import services
from keepwarm.integrations.models import Webhook, WebhookDelivery
from keepwarm.integrations.tests.conftest import Receiver
from keepwarm.lib import events


class Api:
    def __init__(self, user: Any) -> None:
        _, token = ApiToken.issue(user=user, name="zap")
        self.client = Client(headers={"Authorization": f"Bearer {token}"})

    def call(self, method: str, path: str, body: Any = None) -> Any:
        send = getattr(self.client, method)
        if body is None:
            return send(f"/api/v1{path}")
        return send(f"/api/v1{path}", json.dumps(body), content_type="application/json")


def test_a_tool_subscribes_pings_and_unsubscribes_through_the_api(
    cast: Any, receiver: Receiver
) -> None:
    api = Api(cast.admin)

    made = api.call("post", "/webhooks", {"url": receiver.url, "events": [events.LEAD_RECEIVED]})
    assert made.status_code == 201, made.content
    hook = made.json()
    assert hook["secret"].startswith("whsec_")
    assert "secret" not in api.call("get", f"/webhooks/{hook['id']}").json()

    assert api.call("post", f"/webhooks/{hook['id']}/ping").status_code == 202
    services.send_due_webhooks()
    [got] = receiver.received
    assert Verifier(hook["secret"]).verify(got.body, got.headers)["type"] == "ping"

    changed = api.call("patch", f"/webhooks/{hook['id']}", {"events": [events.ALERT_CLOSED]})
    assert changed.json()["events"] == [events.ALERT_CLOSED]
    assert changed.json()["url"] == receiver.url
    assert [h["id"] for h in api.call("get", "/webhooks").json()] == [hook["id"]]

    assert api.call("delete", f"/webhooks/{hook['id']}").status_code == 204
    assert not Webhook.objects.exists()


def test_only_admins_manage_webhooks_through_the_api(cast: Any) -> None:
    hook = services.save_webhook(
        url="https://hooks.example.com/x", secret="", events=[events.ALERT_OPENED], by=cast.admin
    )
    api = Api(cast.manager)

    assert api.call("get", "/webhooks").status_code == 403
    assert api.call("delete", f"/webhooks/{hook.pk}").status_code == 403
    assert api.call("post", f"/webhooks/{hook.pk}/rotate-secret").status_code == 403
    assert Webhook.objects.get().secret == hook.secret


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://hooks.example.com/x", "events": ["alert.opened"]}, "url"),
        ({"url": "https://hooks.example.com/x", "events": ["alert.eaten"]}, "events"),
        ({"url": "https://hooks.example.com/x", "events": []}, "events"),
        (
            {"url": "https://hooks.example.com/x", "events": ["alert.opened"], "secret": "hunter2"},
            "secret",
        ),
    ],
)
def test_a_bad_subscription_is_refused_naming_the_field(cast: Any, body: Any, field: str) -> None:
    answer = Api(cast.admin).call("post", "/webhooks", body)

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == field
    assert not Webhook.objects.exists()


def test_during_a_rotation_both_secrets_verify_then_only_the_new_one(
    cast: Any, receiver: Receiver
) -> None:
    api = Api(cast.admin)
    hook = api.call("post", "/webhooks", {"url": receiver.url, "events": list(events.EVENTS)})
    old = hook.json()["secret"]

    rotated = api.call("post", f"/webhooks/{hook.json()['id']}/rotate-secret").json()
    new = rotated["secret"]
    assert new != old
    until = dt.datetime.fromisoformat(rotated["previous_secret_until"])
    assert until - timezone.now() == pytest.approx(services.ROTATION_OVERLAP, abs=dt.timedelta(1))
    services.queue_event(event=events.ALERT_CLOSED, payload={"alert_id": 1})
    services.send_due_webhooks()

    during = receiver.received[-1]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    # A receiver still holding the old secret and one already switched both accept it.
    assert Verifier(old).verify(during.body, during.headers)["data"] == {"alert_id": 1}
    assert Verifier(new).verify(during.body, during.headers)["data"] == {"alert_id": 1}

    Webhook.objects.update(previous_secret_until=timezone.now() - dt.timedelta(seconds=1))
    services.queue_event(event=events.ALERT_CLOSED, payload={"alert_id": 2})
    services.send_due_webhooks()

    after = receiver.received[-1]
    assert Verifier(new).verify(after.body, after.headers)["data"] == {"alert_id": 2}
    with pytest.raises(WebhookVerificationError):
        Verifier(old).verify(after.body, after.headers)


def test_admin_rotates_the_secret_on_the_webhook_page(cast: Any) -> None:
    hook = services.save_webhook(
        url="https://hooks.example.com/x", secret="", events=[events.ALERT_OPENED], by=cast.admin
    )
    client = Client()
    client.force_login(cast.admin)

    page = client.post(reverse("webhook_rotate", args=[hook.pk]), follow=True)

    hook.refresh_from_db()
    text = page.content.decode()
    assert hook.secret in text
    assert "signed with the previous secret as well" in text
    assert hook.previous_secret and hook.previous_secret != hook.secret


def test_a_retry_carries_the_same_webhook_id_so_the_receiver_handles_it_once(
    cast: Any, receiver: Receiver
) -> None:
    hook = services.save_webhook(
        url=receiver.url, secret="", events=[events.TOUCHPOINT_LOGGED], by=cast.admin
    )
    receiver.answers.append((500, "busy"))
    services.queue_event(event=events.TOUCHPOINT_LOGGED, payload={"touchpoint_id": 4})

    services.send_due_webhooks()
    services.send_due_webhooks(now=timezone.now() + dt.timedelta(minutes=2))

    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert Verifier(hook.secret).verify(second.body, second.headers)["type"] == "touchpoint.logged"
    assert WebhookDelivery.objects.get().state == WebhookDelivery.State.DELIVERED
