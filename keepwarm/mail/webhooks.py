"""Email providers' webhooks, normalised by django-anymail, recorded as bounces etc.

anymail's views check the HTTP basic auth secret (KEEPWARM_ANYMAIL_WEBHOOK_SECRET), and
Mailgun's signature (KEEPWARM_MAILGUN_WEBHOOK_SIGNING_KEY), and send its `tracking`
signal; a library's signal is the one place a receiver is the way in. Only the provider
KEEPWARM_EMAIL_URL names has its webhook mounted, and a payload it would never send is
refused with a 4xx, never a crash page: a provider retries a 5xx for days.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.signals import AnymailTrackingEvent, EventType, RejectReason
from anymail.webhooks.base import AnymailBaseWebhookView
from anymail.webhooks.brevo import BrevoTrackingWebhookView
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from anymail.webhooks.sendgrid import SendGridTrackingWebhookView
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from keepwarm.lib.ids import parse_id
from keepwarm.mail.bounces import (
    find_message,
    record_bounce,
    record_complaint,
    record_delivered,
    record_unsubscribe,
)
from keepwarm.mail.models import OutboxMessage

logger = logging.getLogger(__name__)

# Every message carries its outbox id in the provider's metadata (see _email_for).
METADATA_KEY = "keepwarm_outbox"


# --- The webhook URL -----------------------------------------------------------------------


# What anymail's checks and parsers raise on a payload the provider would never send.
_JUNK = (KeyError, IndexError, TypeError, ValueError, AttributeError, ArithmeticError)


@contextmanager
def _junk_refused() -> Iterator[None]:
    try:
        yield
    except _JUNK as exc:
        raise AnymailWebhookValidationFailure(
            f"The webhook's payload is not what the provider sends ({type(exc).__name__})"
        ) from exc


# anymail ships no type information, so its views are `Any` to mypy, which refuses a
# subclass of `Any` under --strict; subclassing them is what this module is for.
class _RefuseJunk(AnymailBaseWebhookView):  # type: ignore[misc]
    """Junk is a 400 (anymail turns a validation failure into one), not an exception from
    deep inside a signature check or parser. Our own receiver's errors stay 500s."""

    def run_validators(self, request: HttpRequest) -> None:
        with _junk_refused():
            super().run_validators(request)

    def parse_events(self, request: HttpRequest) -> list[AnymailTrackingEvent]:
        with _junk_refused():
            events = list(super().parse_events(request))
        # Every event a provider reports is about one recipient; an unknown kind of event
        # with one is fine (nothing is recorded), one without is missing its fields.
        if not events or not all(_recipient(event) for event in events):
            raise AnymailWebhookValidationFailure("The webhook names no recipient address")
        return events


# The providers' views are anymail's too: untyped, as above.
class _Postmark(_RefuseJunk, PostmarkTrackingWebhookView):  # type: ignore[misc]
    pass


class _SendGrid(_RefuseJunk, SendGridTrackingWebhookView):  # type: ignore[misc]
    pass


class _Mailgun(_RefuseJunk, MailgunTrackingWebhookView):  # type: ignore[misc]
    pass


class _Brevo(_RefuseJunk, BrevoTrackingWebhookView):  # type: ignore[misc]
    pass


# Each provider KEEPWARM_EMAIL_URL can name (settings._ESP_BACKENDS): its tracking view, and
# the content types it posts (Mailgun's older webhooks post a form).
JSON = ("application/json",)
TRACKING = {
    "postmark": (_Postmark.as_view(), JSON),
    "sendgrid": (_SendGrid.as_view(), JSON),
    "mailgun": (
        _Mailgun.as_view(),
        (*JSON, "application/x-www-form-urlencoded", "multipart/form-data"),
    ),
    "brevo": (_Brevo.as_view(), JSON),
}


@csrf_exempt
def provider_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """/anymail/<provider>/tracking/, for the configured provider only; others are 404."""
    if provider != settings.KEEPWARM_EMAIL_PROVIDER or provider not in TRACKING:
        raise Http404("No webhook here.")
    view, content_types = TRACKING[provider]
    if request.method == "POST" and request.content_type not in content_types:
        return HttpResponse(
            f"Send {' or '.join(content_types)}.", status=415, content_type="text/plain"
        )
    response: HttpResponse = view(request)
    return response


# --- Recording what the provider reported ---------------------------------------------------


def _message_for(event: AnymailTrackingEvent) -> OutboxMessage | None:
    metadata = event.metadata if isinstance(event.metadata, dict) else {}
    outbox_id = parse_id(metadata.get(METADATA_KEY, ""))
    if outbox_id is not None:
        found = OutboxMessage.objects.filter(id=outbox_id).first()
        if found is not None:
            return found
    return find_message(recipient=event.recipient or "")


def _is_soft(event: AnymailTrackingEvent, esp_name: str) -> bool:
    # anymail calls both kinds "bounced"; the provider's own field tells them apart.
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    if esp_name == "Postmark":
        return raw.get("Type") in ("SoftBounce", "Transient", "DnsError")
    if esp_name == "SendGrid":
        return raw.get("type") == "blocked"
    return False


def _recipient(event: AnymailTrackingEvent) -> str:
    """The event's email address, or "" when what the provider sent is not one."""
    recipient = event.recipient.strip() if isinstance(event.recipient, str) else ""
    return recipient if "@" in recipient and len(recipient) <= 254 else ""


def on_tracking(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    recipient = _recipient(event)
    if not recipient:
        return
    message = _message_for(event)
    now = event.timestamp or timezone.now()
    detail = f"{esp_name}: {event.description or event.mta_response or event.event_type}"[:300]
    kind = event.event_type
    if kind == EventType.DELIVERED and message is not None:
        record_delivered(message, now=now)
    elif kind == EventType.BOUNCED:
        hard = not _is_soft(event, esp_name)
        record_bounce(email=recipient, hard=hard, message=message, detail=detail, now=now)
    elif kind == EventType.COMPLAINED:
        record_complaint(email=recipient, message=message, detail=detail, now=now)
    elif kind == EventType.UNSUBSCRIBED:
        record_unsubscribe(email=recipient, message=message, detail=detail, now=now)
    elif kind == EventType.REJECTED:
        # The provider refused to send, usually because of its own suppression list.
        reason = event.reject_reason
        if reason == RejectReason.SPAM:
            record_complaint(email=recipient, message=message, detail=detail, now=now)
        elif reason == RejectReason.UNSUBSCRIBED:
            record_unsubscribe(email=recipient, message=message, detail=detail, now=now)
        elif reason in (RejectReason.BOUNCED, RejectReason.INVALID):
            record_bounce(email=recipient, hard=True, message=message, detail=detail, now=now)
    # deferred (the provider retries), opened, clicked: nothing to record.
