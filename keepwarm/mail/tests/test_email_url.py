"""KEEPWARM_EMAIL_URL picks SMTP or a provider's API, and refuses what it cannot use."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from keepwarm.settings import _email_settings


def test_smtp_url_uses_the_backend_that_knows_when_data_went_out() -> None:
    email = _email_settings("smtp+tls://apikey:s%40cret@smtp.example.com?timeout=12")

    assert email == {
        "EMAIL_BACKEND": "keepwarm.mail.backends.SmtpBackend",
        "EMAIL_HOST": "smtp.example.com",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "apikey",
        "EMAIL_HOST_PASSWORD": "s@cret",
        "EMAIL_USE_SSL": False,
        "EMAIL_USE_TLS": True,
        "EMAIL_TIMEOUT": 12,
    }


@pytest.mark.parametrize(
    ("url", "backend", "anymail"),
    [
        ("postmark://pm-token@", "postmark", {"POSTMARK_SERVER_TOKEN": "pm-token"}),
        ("sendgrid://SG.abc.def@", "sendgrid", {"SENDGRID_API_KEY": "SG.abc.def"}),
        ("brevo://xkeysib-123@", "brevo", {"BREVO_API_KEY": "xkeysib-123"}),
        (
            "mailgun://key-123@mg.agency.example",
            "mailgun",
            {
                "MAILGUN_API_KEY": "key-123",
                "MAILGUN_SENDER_DOMAIN": "mg.agency.example",
                "MAILGUN_API_URL": "https://api.mailgun.net/v3/",
            },
        ),
        (
            "mailgun://key-123@mg.agency.example?region=eu",
            "mailgun",
            {
                "MAILGUN_API_KEY": "key-123",
                "MAILGUN_SENDER_DOMAIN": "mg.agency.example",
                "MAILGUN_API_URL": "https://api.eu.mailgun.net/v3/",
            },
        ),
        (
            "postmark://pm-token@?api_url=http://127.0.0.1:8025/&timeout=5",
            "postmark",
            {
                "POSTMARK_SERVER_TOKEN": "pm-token",
                "POSTMARK_API_URL": "http://127.0.0.1:8025/",
                "REQUESTS_TIMEOUT": 5,
            },
        ),
    ],
)
def test_provider_urls_map_to_anymail(url: str, backend: str, anymail: dict[str, object]) -> None:
    assert _email_settings(url) == {
        "EMAIL_BACKEND": f"anymail.backends.{backend}.EmailBackend",
        "ANYMAIL": anymail,
    }


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ses://key@", "postmark://SERVER_TOKEN@, sendgrid://API_KEY@"),
        ("postmark://@", "API key alone before the @"),
        ("sendgrid://user:key@", "API key alone before the @"),
        ("brevo://key@api.brevo.com", "another API address goes in ?api_url="),
        ("mailgun://key@", "names the sending domain"),
        ("mailgun://key@mg.example.com?region=asia", "region must be us or eu"),
        ("postmark://key@?api_url=ftp://files", "api_url must be an http(s) URL"),
        ("postmark://key@?apiurl=http://x", "does not know the option(s) apiurl"),
        ("smtp://mail.example.com?timeout=soon", "timeout must be whole seconds"),
    ],
)
def test_nonsense_stops_start_up_with_a_clear_message(url: str, says: str) -> None:
    with pytest.raises(ImproperlyConfigured) as error:
        _email_settings(url)

    assert says in str(error.value)
    assert "key@" not in str(error.value)  # the URL carries a secret


def test_provider_url_keeps_the_webhook_secret() -> None:
    env = {
        **os.environ,
        "KEEPWARM_EMAIL_URL": "postmark://pm-token@",
        "KEEPWARM_ANYMAIL_WEBHOOK_SECRET": "hook:secret",
        "DJANGO_SETTINGS_MODULE": "keepwarm.settings",
    }
    code = "from django.conf import settings; import json; print(json.dumps(settings.ANYMAIL))"

    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )

    assert json.loads(result.stdout) == {
        "POSTMARK_SERVER_TOKEN": "pm-token",
        "WEBHOOK_SECRET": "hook:secret",
    }
