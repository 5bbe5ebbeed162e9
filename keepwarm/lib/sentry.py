"""Errors to Sentry (or a compatible service such as GlitchTip) when KEEPWARM_SENTRY_DSN
is set: unhandled exceptions in pages, and every error logged (a worker step failing).

Keepwarm holds personal data, so what leaves is cut down to the traceback: no local
variables of the frames, no request bodies, cookies or signed-in user, no performance
traces.
"""

from __future__ import annotations

import sentry_sdk
from django.core.exceptions import ImproperlyConfigured
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.utils import BadDsn


def start(dsn: str, *, environment: str) -> None:
    try:
        sentry_sdk.init(
            dsn=dsn,
            environment=environment,
            integrations=[DjangoIntegration()],
            send_default_pii=False,
            include_local_variables=False,
            max_request_body_size="never",
            traces_sample_rate=0.0,
        )
    except BadDsn as exc:
        raise ImproperlyConfigured(f"KEEPWARM_SENTRY_DSN is not a Sentry DSN: {exc}") from None
