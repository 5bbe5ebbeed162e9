"""Provider webhooks: only the configured provider's URL answers, junk gets a 4xx (a 5xx
would be retried by the provider for days), and Mailgun is checked with its own signing key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
from typing import Any

import pytest
from django.test import Client

from keepwarm.conftest import Cast
from keepwarm.mail.models import Suppression

SECRET = "hook:correct-horse-battery-staple"
SIGNING_KEY = "mailgun-webhook-signing-key-0123456789"
API_KEY = "key-mailgun-api-0123456789"
PROVIDERS = ("postmark", "sendgrid", "mailgun", "brevo")

# anymail no longer supports SendGrid officially and says so on each request.
pytestmark = pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning")


@pytest.fixture(autouse=True)
def _webhook_secrets(settings: Any) -> None:
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": SECRET,
        "MAILGUN_API_KEY": API_KEY,
        "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
    }


def url(provider: str) -> str:
    return f"/anymail/{provider}/tracking/"


def mailgun_signed(payload: dict[str, Any], key: str = SIGNING_KEY) -> dict[str, Any]:
    timestamp, token = "1741510000", "a" * 50
    digest = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {**payload, "signature": {"timestamp": timestamp, "token": token, "signature": digest}}


def post(
    provider: str,
    body: bytes,
    content_type: str = "application/json",
    secret: str = SECRET,
) -> Any:
    auth = base64.b64encode(secret.encode()).decode()
    return Client().post(
        url(provider), data=body, content_type=content_type, HTTP_AUTHORIZATION=f"Basic {auth}"
    )


def test_only_the_configured_providers_webhook_answers(db: None, settings: Any) -> None:
    settings.KEEPWARM_EMAIL_PROVIDER = "postmark"
    assert post("postmark", b'{"RecordType": "Delivery"}').status_code != 404

    for other in ("sendgrid", "mailgun", "brevo", "mailjet", "amazon_ses", "sendinblue"):
        assert post(other, b"[]").status_code == 404, other
    assert Client().post("/anymail/postmark/inbound/", {}).status_code == 404

    settings.KEEPWARM_EMAIL_PROVIDER = ""  # SMTP or capture: no webhook at all
    for provider in PROVIDERS:
        assert post(provider, b"{}").status_code == 404


JUNK = [
    b"{not json",
    b"",
    b"null",
    b"123",
    b'"a string"',
    b"[]",
    b"{}",
    b"[1, 2, 3]",
    b'{"RecordType": "Bounce"}',
    b'{"RecordType": "Bounce", "Email": 12, "Metadata": "x", "BouncedAt": "soon"}',
    b'[{"event": "bounce"}]',
    b'[{"event": "bounce", "email": ["x"], "timestamp": "never"}]',
    b'{"event": "hard_bounce"}',
    b'{"event": "hard_bounce", "email": {"a": 1}, "X-Mailin-custom": "{bad", "ts_event": "x"}',
    b'{"event-data": "x"}',
    b'{"event-data": {"event": "failed", "recipient": 5, "timestamp": "1e400"}}',
    b'{"event-data": {"event": "failed", "recipient": "a@b.example", "timestamp": "x"}}',
    "\udcff".encode("utf-8", "surrogatepass"),
]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("body", JUNK)
def test_junk_from_a_signed_in_sender_gets_a_4xx(
    db: None, settings: Any, provider: str, body: bytes
) -> None:
    settings.KEEPWARM_EMAIL_PROVIDER = provider
    if provider == "mailgun":
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):  # signed, so the junk reaches the parser
            body = json.dumps(mailgun_signed(parsed)).encode()

    response = post(provider, body)

    assert 400 <= response.status_code < 500, response.content
    assert not Suppression.objects.exists()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_wrong_content_type_huge_bodies_and_bad_secrets_get_a_4xx(
    db: None, settings: Any, provider: str
) -> None:
    settings.KEEPWARM_EMAIL_PROVIDER = provider

    assert post(provider, b"{}", content_type="text/plain").status_code == 415
    huge = b'{"x": "' + b"a" * 3_000_000 + b'"}'
    assert 400 <= post(provider, huge).status_code < 500
    assert 400 <= post(provider, b"{}", secret="hook:guess").status_code < 500
    assert Client().post(url(provider), b"{}", content_type="application/json").status_code >= 400
    assert Client().get(url(provider)).status_code == 405


def _mailgun_bounce(cast: Cast) -> dict[str, Any]:
    return {
        "event-data": {
            "event": "failed",
            "severity": "permanent",
            "recipient": cast.candidate.email,
            "timestamp": 1741510000.0,
            "delivery-status": {"message": "550 5.1.1 No such user", "description": ""},
            "user-variables": {},
        }
    }


def test_mailgun_checks_its_own_signing_key_not_the_api_key(cast: Cast, settings: Any) -> None:
    settings.KEEPWARM_EMAIL_PROVIDER = "mailgun"

    forged = json.dumps(mailgun_signed(_mailgun_bounce(cast), key=API_KEY)).encode()
    assert post("mailgun", forged).status_code == 400
    assert not Suppression.objects.exists()

    signed = json.dumps(mailgun_signed(_mailgun_bounce(cast))).encode()
    assert post("mailgun", signed).status_code == 200
    assert Suppression.objects.get().email == cast.candidate.email


def _anymail_settings(**env: str) -> dict[str, Any]:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "keepwarm.settings", **env}
    code = "from django.conf import settings; import json; print(json.dumps(settings.ANYMAIL))"
    result = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    anymail: dict[str, Any] = json.loads(result.stdout)
    return anymail


def test_the_mailgun_signing_key_has_its_own_setting() -> None:
    mailgun = {"KEEPWARM_EMAIL_URL": f"mailgun://{API_KEY}@mg.agency.example"}

    configured = _anymail_settings(**mailgun, KEEPWARM_MAILGUN_WEBHOOK_SIGNING_KEY=SIGNING_KEY)
    unset = _anymail_settings(**mailgun)

    assert configured["MAILGUN_WEBHOOK_SIGNING_KEY"] == SIGNING_KEY
    # Unset, webhooks are refused: never checked against the API key.
    assert unset["MAILGUN_WEBHOOK_SIGNING_KEY"] not in ("", API_KEY)
    assert unset["MAILGUN_WEBHOOK_SIGNING_KEY"].startswith("unset:")
