"""Webhooks never reach inside: this machine, the office network or the cloud's metadata
service are refused when a URL is saved and again when each delivery is sent (after the
name is resolved, connecting to the address that was checked); redirects are not followed,
and what a receiver answered is shown short and printable.

No external DNS here: the refused classes use literal addresses and `localhost`.
"""

from __future__ import annotations

import base64
import datetime as dt
import socket
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from keepwarm.integrations import services
from keepwarm.integrations.models import Webhook, WebhookDelivery
from keepwarm.integrations.tests.conftest import Receiver
from keepwarm.lib import events

SECRET = "whsec_" + base64.b64encode(b"the receiver's 32-byte key......").decode()
NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)

REFUSED = [
    ("https://127.0.0.1/hook", "loopback"),
    ("https://127.8.9.10/hook", "loopback"),
    ("http://localhost:8080/hook", "loopback"),
    ("https://[::1]/hook", "loopback"),
    ("https://[::ffff:127.0.0.1]/hook", "loopback"),
    # Other spellings of 127.0.0.1 that the resolver accepts.
    ("https://2130706433/hook", "loopback"),
    ("https://0x7f.1/hook", "loopback"),
    ("https://127.1/hook", "loopback"),
    ("https://10.1.2.3/hook", "private"),
    ("https://172.16.5.4/hook", "private"),
    ("https://192.168.0.10/hook", "private"),
    ("https://[fd12:3456::1]/hook", "private"),
    ("https://[::ffff:10.0.0.1]/hook", "private"),
    ("https://169.254.169.254/latest/meta-data/", "metadata"),
    ("https://[fd00:ec2::254]/latest/", "metadata"),
    ("https://100.100.100.200/latest/", "metadata"),
    ("https://[64:ff9b::a9fe:a9fe]/latest/", "metadata"),
    ("https://169.254.10.20/hook", "link-local"),
    ("https://[fe80::1]/hook", "link-local"),
    ("https://224.0.0.1/hook", "multicast"),
    ("https://[ff02::1]/hook", "multicast"),
    ("https://0.0.0.0/hook", "unspecified"),
    ("https://[::]/hook", "unspecified"),
    ("https://240.0.0.1/hook", "reserved"),
    ("https://100.64.0.1/hook", "reserved"),
]


def subscribe(cast: Any, url: str, **extra: Any) -> Webhook:
    return services.save_webhook(
        url=url, secret=SECRET, events=[events.ALERT_OPENED], by=cast.admin, **extra
    )


def only_delivery() -> WebhookDelivery:
    return WebhookDelivery.objects.get()


@pytest.mark.parametrize(("url", "kind"), REFUSED)
def test_a_webhook_to_an_inside_address_is_refused_when_saved(
    cast: Any, settings: Any, url: str, kind: str
) -> None:
    settings.KEEPWARM_WEBHOOKS_ALLOW_LOOPBACK = False

    with pytest.raises(ValidationError) as caught:
        subscribe(cast, url)

    assert kind in str(caught.value)
    assert "does not send there" in str(caught.value)
    assert not Webhook.objects.exists()


def test_the_form_says_why_an_inside_address_is_refused(cast: Any, settings: Any) -> None:
    settings.KEEPWARM_WEBHOOKS_ALLOW_LOOPBACK = False
    client = Client()
    client.force_login(cast.admin)
    form = {"url": "https://169.254.169.254/x", "secret": SECRET, "events": [events.ALERT_OPENED]}

    page = client.post(reverse("webhook_new"), form)

    assert page.status_code == 200
    assert "169.254.169.254 is a cloud metadata address" in page.text
    assert not Webhook.objects.exists()
    loopback = client.post(reverse("webhook_new"), {**form, "url": "http://127.0.0.1:9/x"})
    assert "KEEPWARM_WEBHOOKS_ALLOW_LOOPBACK allows it" in loopback.text


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://hooks.example.com:99999/x", "The port must be a number"),
        ("https://a..b/x", "is not a host name"),
    ],
)
def test_a_url_that_cannot_be_sent_to_is_refused_with_a_reason(
    cast: Any, url: str, problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        subscribe(cast, url)


def test_the_loopback_setting_allows_this_machine_and_nothing_else(cast: Any) -> None:
    # The setting is on for this folder's tests (conftest.py).
    subscribe(cast, "http://localhost:8080/x")
    subscribe(cast, "http://[::1]:8080/x")
    for url in ("https://10.0.0.1/x", "https://169.254.169.254/x", "https://[fe80::1]/x"):
        with pytest.raises(ValidationError):
            subscribe(cast, url)

    assert Webhook.objects.count() == 2


def test_a_saved_webhook_to_an_inside_address_is_not_sent_to(
    cast: Any, receiver: Receiver, settings: Any
) -> None:
    subscribe(cast, receiver.url)
    # Saved while loopback was allowed (or written to the database by other means).
    settings.KEEPWARM_WEBHOOKS_ALLOW_LOOPBACK = False
    services.queue_event(event=events.ALERT_OPENED, payload={}, now=NOW)

    assert services.send_due_webhooks(now=NOW) == 0

    assert not receiver.received
    delivery = only_delivery()
    assert delivery.state == WebhookDelivery.State.PENDING
    assert delivery.last_error.startswith("Not sent: 127.0.0.1 is a loopback address")


def test_a_redirect_is_a_failed_delivery_and_is_not_followed(
    cast: Any, receiver: Receiver, elsewhere: Receiver
) -> None:
    subscribe(cast, receiver.url)
    receiver.answers.append((302, "moved"))
    receiver.headers["Location"] = elsewhere.url
    services.queue_event(event=events.ALERT_OPENED, payload={"alert_id": 3}, now=NOW)

    assert services.send_due_webhooks(now=NOW) == 0

    assert len(receiver.received) == 1
    assert not elsewhere.received
    delivery = only_delivery()
    assert delivery.state == WebhookDelivery.State.PENDING  # tried again later, as a failure
    assert delivery.status_code == 302
    assert delivery.last_error == "HTTP 302: redirects are not followed"


def test_the_delivery_log_keeps_a_short_printable_excerpt(cast: Any, receiver: Receiver) -> None:
    subscribe(cast, receiver.url)
    dump = "Error\r\n\x1b[31mstack\x00trace\u202e" + "frame " * 2_000
    receiver.answers.append((500, dump))
    services.queue_event(event=events.ALERT_OPENED, payload={}, now=NOW)
    services.send_due_webhooks(now=NOW)

    excerpt = only_delivery().response_excerpt
    assert excerpt.startswith("Error [31mstack trace frame frame")
    assert len(excerpt) <= services.EXCERPT_CHARS
    assert not any(ord(c) < 32 or ord(c) == 127 or c == "\u202e" for c in excerpt)
    client = Client()
    client.force_login(cast.admin)
    page = client.get(reverse("webhook_delivery", args=[only_delivery().pk])).text
    assert "frame " * 40 not in page


def test_the_connection_goes_to_the_address_that_was_checked(
    cast: Any, receiver: Receiver, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DNS rebinding: a name answers a public address to the check, then this machine to
    # whoever resolves it again. There is no DNS here, so the resolver is stood in for.
    answers = iter(["93.184.215.14", "127.0.0.1", "127.0.0.1"])
    asked: list[str] = []
    resolve = socket.getaddrinfo

    def rebinding(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host != "rebind.example":
            return resolve(host, port, *args, **kwargs)  # a literal address: no DNS
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    Webhook.objects.create(
        url=f"http://rebind.example:{receiver.port}/hooks/keepwarm",
        secret=SECRET,
        events=[events.ALERT_OPENED],
        created_by=cast.admin,
    )
    settings.KEEPWARM_WEBHOOKS_ALLOW_LOOPBACK = False
    monkeypatch.setattr(services, "TIMEOUT_SECONDS", 0.5)
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    services.queue_event(event=events.ALERT_OPENED, payload={}, now=NOW)

    services.send_due_webhooks(now=NOW)

    assert asked == ["rebind.example"]  # resolved once, for the check and the connection
    assert not receiver.received
    assert only_delivery().last_error.startswith("Could not reach the receiver")


def test_answers_stored_before_the_upgrade_are_cut_down_too(
    cast: Any, transactional_db: None
) -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    hook = subscribe(cast, "https://hooks.example.com/x")
    WebhookDelivery.objects.create(
        webhook=hook, event=events.ALERT_OPENED, payload={}, occurred_at=NOW, send_after=NOW,
        response_excerpt="Trace\x1b[0m\r\n" + "line " * 300,
    )  # fmt: skip
    executor = MigrationExecutor(connection)
    executor.migrate([("integrations", "0001_initial")])
    executor.loader.build_graph()
    executor.migrate([("integrations", "0002_shorten_response_excerpts")])

    stored = only_delivery().response_excerpt
    assert stored.startswith("Trace [0m line line")
    assert len(stored) <= services.EXCERPT_CHARS
