"""Calendar feeds (issue, revoke, render) and webhook subscriptions and deliveries."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import logging
import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.care.models import SENT_BY_WORKER, Cover, Touchpoint
from keepwarm.integrations import ical, signing
from keepwarm.integrations.models import (
    CalendarFeed,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
    hash_secret,
)
from keepwarm.lib import outbound
from keepwarm.lib.events import EVENTS
from keepwarm.lib.net import is_loopback_host

logger = logging.getLogger(__name__)

# --- Calendar feed ------------------------------------------------------------------------

# Overdue calls stay in the feed this long, so yesterday's missed call is still visible.
FEED_PAST_DAYS = 30
FEED_FUTURE_DAYS = 366
FEED_MAX_EVENTS = 2_000
FEED_LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


def feed_url(raw: str) -> str:
    return settings.BASE_URL + reverse("calendar_feed", args=[raw])


def issue_feed(*, user: User, day_starts_at: dt.time | None = None) -> tuple[CalendarFeed, str]:
    """A new secret feed URL for `user`; any earlier one stops working. Returns the feed
    and the raw secret, which is shown once and never stored."""
    raw = CalendarFeed.new_secret()
    with transaction.atomic():
        feed, _ = CalendarFeed.objects.select_for_update().get_or_create(
            user=user, defaults={"digest": hash_secret(raw), "prefix": raw[:10]}
        )
        feed.digest = hash_secret(raw)
        feed.prefix = raw[:10]
        feed.created_at = timezone.now()
        feed.last_used_at = None
        if day_starts_at is not None:
            feed.day_starts_at = day_starts_at
        feed.save()
    return feed, raw


def revoke_feed(*, user: User) -> bool:
    """Stop `user`'s feed URL working; False if they had none."""
    deleted, _ = CalendarFeed.objects.filter(user=user).delete()
    return bool(deleted)


def set_day_start(*, user: User, day_starts_at: dt.time) -> int:
    return CalendarFeed.objects.filter(user=user).update(day_starts_at=day_starts_at)


def feed_for_secret(raw: str, *, now: dt.datetime | None = None) -> CalendarFeed | None:
    """The active feed this secret opens, or None (unknown, revoked, or user deactivated)."""
    if not raw.startswith("cal_") or len(raw) > 100:
        return None
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(digest=hash_secret(raw), user__is_active=True)
        .first()
    )
    if feed is None:
        return None
    now = now or timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at >= FEED_LAST_USED_RESOLUTION:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    return feed


def _covers_reaching(user: User, *, start: dt.date) -> list[tuple[int, dt.date, dt.date]]:
    """(absent id, first day, last day) of the work that reaches `user` through cover from
    `start` on: their own covers, and along chains (Amelia covered by Tom while Tom, away,
    is covered by `user`: Amelia's work for the days both covers run). A loop stops at a
    colleague already on the path."""
    reaching: list[tuple[int, dt.date, dt.date]] = []
    frontier: list[tuple[int, dt.date, dt.date, tuple[int, ...]]] = [
        (user.pk, start, dt.date.max, (user.pk,))
    ]
    while frontier:
        colleague, lo, hi, path = frontier.pop()
        covers = Cover.objects.filter(
            colleague_id=colleague, ends_on__gte=lo, starts_on__lte=hi
        ).values_list("absent_id", "starts_on", "ends_on")
        for absent_id, starts_on, ends_on in covers:
            if absent_id in path:
                continue
            first, last = max(lo, starts_on), min(hi, ends_on)
            reaching.append((absent_id, first, last))
            frontier.append((absent_id, first, last, (*path, absent_id)))
    return reaching


def _covered(user: User, *, start: dt.date, today: dt.date) -> Q:
    """The colleagues' calls `user` covers: those due during a cover (or a chain of them),
    and while a cover runs today, the absent colleague's overdue ones too (as Today shows)."""
    covered = Q(pk__in=[])
    for absent_id, starts_on, ends_on in _covers_reaching(user, start=start):
        covered |= Q(owner_id=absent_id, due_on__gte=starts_on, due_on__lte=ends_on)
        if starts_on <= today <= ends_on:
            covered |= Q(owner_id=absent_id, due_on__lt=today)
    return covered


def feed_touchpoints(user: User, *, today: dt.date) -> list[Touchpoint]:
    """The calls and meetings `user` owns or covers, planned from FEED_PAST_DAYS ago on."""
    start = today - dt.timedelta(days=FEED_PAST_DAYS)
    return list(
        Touchpoint.objects.filter(
            Q(owner=user) | _covered(user, start=start, today=today),
            state=Touchpoint.State.PLANNED,
            due_on__gte=start,
            due_on__lte=today + dt.timedelta(days=FEED_FUTURE_DAYS),
        )
        .exclude(kind__in=SENT_BY_WORKER)
        .select_related("person", "placement__company", "owner")
        .order_by("due_on", "id")[:FEED_MAX_EVENTS]
    )


def _event(touchpoint: Touchpoint, *, today: dt.date, owner_id: int) -> ical.Event:
    person = touchpoint.person
    name = f"{person.first_name} {person.last_name}".strip()
    link = settings.BASE_URL + person.get_absolute_url()
    lines = [f"Reason: {touchpoint.title}"]
    if person.phone:
        lines.append(f"Phone: {person.phone}")
    placement = touchpoint.placement
    if placement is not None:
        lines.append(f"Placement: {placement.role_title} at {placement.company.name}")
    if touchpoint.due_on < today:
        lines.append(f"Overdue since {touchpoint.due_on:%d %b %Y}")
    lines.append(f"Open in Keepwarm: {link}")
    summary = f"{touchpoint.get_kind_display()}: {name} – {touchpoint.title}"
    if touchpoint.owner_id != owner_id:
        summary += f" (covering {touchpoint.owner.display_name})"
    return ical.Event(
        uid=f"touchpoint-{touchpoint.pk}@{urlsplit(settings.BASE_URL).hostname}",
        day=touchpoint.due_on,
        summary=summary,
        description="\n".join(lines),
        location=person.phone,
        url=link,
    )


def render_feed(feed: CalendarFeed, *, now: dt.datetime | None = None) -> str:
    now = now or timezone.now()
    today = timezone.localdate(now)
    touchpoints = feed_touchpoints(feed.user, today=today)
    events = [_event(t, today=today, owner_id=feed.user_id) for t in touchpoints]
    return ical.render(
        events,
        name=f"Keepwarm calls – {feed.user.display_name}",
        day_starts_at=feed.day_starts_at,
        now=now,
    )


# --- Webhooks: subscriptions ----------------------------------------------------------------


def check_webhook_url(url: str) -> str:
    """https to a public address, or plain http to this machine when
    KEEPWARM_WEBHOOKS_ALLOW_LOOPBACK is on (for tests and local tools)."""
    url = url.strip()
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host or parts.scheme not in ("http", "https"):
        raise ValidationError({"url": "Enter a full URL starting with https://."})
    if parts.scheme == "http" and not is_loopback_host(host):
        raise ValidationError(
            {"url": "Use https:// (plain http is only allowed to this machine, 127.0.0.1)."}
        )
    if parts.username or parts.password:
        raise ValidationError({"url": "Put no user name or password in the URL."})
    try:
        port = parts.port or outbound.DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise ValidationError({"url": "The port must be a number up to 65535."}) from None
    try:
        outbound.checked_addresses(
            host, port, allow_loopback=settings.KEEPWARM_WEBHOOKS_ALLOW_LOOPBACK
        )
    except outbound.RefusedAddress as exc:
        hint = " KEEPWARM_WEBHOOKS_ALLOW_LOOPBACK allows it for local testing."
        raise ValidationError({"url": f"{exc}{hint if exc.loopback else ''}"}) from None
    except UnicodeError:
        raise ValidationError({"url": f"{host!r} is not a host name."}) from None
    except OSError:
        pass  # a name that does not resolve yet: every delivery checks it again
    return url


def _check_events(events: list[str]) -> list[str]:
    unknown = [e for e in events if e not in EVENTS]
    if unknown or not events:
        raise ValidationError({"events": "Choose at least one of the listed events."})
    return [e for e in EVENTS if e in events]


def save_webhook(
    *,
    webhook: Webhook | None = None,
    url: str,
    secret: str,
    events: list[str],
    description: str = "",
    is_active: bool = True,
    by: User,
) -> Webhook:
    """Subscribe `url` to `events` (or change an existing subscription). A new one without
    a `secret` gets one made here (whsec_…); an empty `secret` keeps the current one."""
    _only_admins(by)
    url = check_webhook_url(url)
    events = _check_events(events)
    secret = signing.check_secret(secret) if secret.strip() else ""
    if webhook is None:
        webhook = Webhook(created_by=by, secret=secret or signing.new_secret())
    elif secret:
        webhook.secret = secret
    webhook.url = url
    webhook.events = events
    webhook.description = description.strip()
    webhook.is_active = is_active
    webhook.save()
    return webhook


def _only_admins(user: User) -> None:
    if not user.is_admin:
        raise ValidationError("Only admins manage webhooks.")


# How long the replaced secret still signs after a rotation: a day to deploy the new one.
ROTATION_OVERLAP = dt.timedelta(hours=24)


def rotate_secret(*, webhook: Webhook, by: User, now: dt.datetime | None = None) -> Webhook:
    """A new secret for `webhook`; requests carry a signature under the old one as well
    for ROTATION_OVERLAP, so the receiver can switch without refusing a request."""
    _only_admins(by)
    now = now or timezone.now()
    with transaction.atomic():
        webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
        webhook.previous_secret = webhook.secret
        webhook.previous_secret_until = now + ROTATION_OVERLAP
        webhook.secret = signing.new_secret()
        webhook.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    return webhook


def delete_webhook(*, webhook: Webhook, by: User) -> None:
    """Stop sending to `webhook`; its delivery history goes with it."""
    _only_admins(by)
    webhook.delete()


# --- Webhooks: queueing ----------------------------------------------------------------------


def queue_event(*, event: str, payload: dict[str, Any], now: dt.datetime | None = None) -> int:
    """One delivery per active webhook subscribed to `event`; returns how many."""
    now = now or timezone.now()
    hooks = [w for w in Webhook.objects.filter(is_active=True) if event in w.events]
    if not hooks:
        return 0
    first = WebhookDelivery(event=event)
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            webhook=hook,
            event=event,
            event_id=first.event_id,
            payload=payload,
            occurred_at=now,
            send_after=now,
        )
        for hook in hooks
    )
    return len(hooks)


def on_domain_event(sender: Any, *, event: str, payload: dict[str, Any], **kwargs: Any) -> None:
    """The domain_event receiver. It runs after the change committed: a failure here is
    logged, never raised into the request that caused the event."""
    try:
        queue_event(event=event, payload=payload)
    except Exception:
        logger.exception("Could not queue webhook deliveries for %s", event)


def redeliver(*, delivery: WebhookDelivery, now: dt.datetime | None = None) -> WebhookDelivery:
    """Send an earlier delivery's event again (same event id, a new delivery row)."""
    now = now or timezone.now()
    return WebhookDelivery.objects.create(
        webhook=delivery.webhook,
        event=delivery.event,
        event_id=delivery.event_id,
        payload=delivery.payload,
        occurred_at=delivery.occurred_at,
        send_after=now,
        redelivery_of=delivery,
    )


# Not a domain event: what "Send a test event" sends, so an admin can check a receiver.
PING = "ping"


def send_test_event(
    *, webhook: Webhook, by: User, now: dt.datetime | None = None
) -> WebhookDelivery:
    """Queue a `ping` to this webhook alone (paused or not, it goes at the next tick)."""
    now = now or timezone.now()
    return WebhookDelivery.objects.create(
        webhook=webhook,
        event=PING,
        payload={"message": "A test from Keepwarm", "sent_by": by.username},
        occurred_at=now,
        send_after=now,
    )


# --- Webhooks: sending (the worker) --------------------------------------------------------

# Minutes before each retry: about 4 hours of trying before giving up, as the outbox does.
RETRY_MINUTES = (1, 5, 30, 120, 240)
MAX_ATTEMPTS = len(RETRY_MINUTES) + 1
TIMEOUT_SECONDS = 10
# Enough of an answer to see what went wrong; the page shows no more than this.
EXCERPT_CHARS = 200
SEND_LIMIT = 100
TICK_BUDGET_SECONDS = 30.0
# A delivery still "sending" after this was caught by a crash; it is tried again (a
# receiver may see it twice, and can tell by the delivery id).
LEASE = dt.timedelta(minutes=5)


def message_id(delivery: WebhookDelivery) -> str:
    """`webhook-id`: the same on every try and redelivery of one event, so a receiver
    that has handled it can answer 2xx again and do nothing (at-least-once delivery)."""
    return f"msg_{delivery.event_id.hex}"


def delivery_body(delivery: WebhookDelivery) -> bytes:
    """The Standard Webhooks payload: `type`, `timestamp` (when it happened) and `data`."""
    when = delivery.occurred_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    body = {"type": delivery.event, "timestamp": when, "data": delivery.payload}
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def _claim(*, now: dt.datetime, worker_id: str, limit: int) -> list[int]:
    due = list(
        WebhookDelivery.objects.filter(
            Q(webhook__is_active=True) | Q(event=PING),
            state=WebhookDelivery.State.PENDING,
            send_after__lte=now,
        )
        .order_by("send_after", "id")
        .values_list("id", flat=True)[:limit]
    )
    # Each row is taken by a conditional UPDATE: only one worker wins it.
    return [
        pk
        for pk in due
        if WebhookDelivery.objects.filter(pk=pk, state=WebhookDelivery.State.PENDING).update(
            state=WebhookDelivery.State.SENDING, claimed_at=now, claimed_by=worker_id
        )
        == 1
    ]


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str, str]:
    """(status code, response excerpt, error) of one POST; never raises for HTTP trouble."""
    try:
        answer = outbound.post(
            url,
            body,
            headers,
            timeout=TIMEOUT_SECONDS,
            allow_loopback=settings.KEEPWARM_WEBHOOKS_ALLOW_LOOPBACK,
            excerpt_chars=EXCERPT_CHARS,
        )
    except outbound.RefusedAddress as exc:
        return None, "", f"Not sent: {exc}"[:500]
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return None, "", f"Could not reach the receiver: {exc}"[:500]
    status = answer.status
    if 300 <= status < 400:
        # Its target was never checked, and a receiver that moved should be edited.
        return status, answer.excerpt, f"HTTP {status}: redirects are not followed"
    if not 200 <= status < 300:
        return status, answer.excerpt, f"HTTP {status}"
    return status, answer.excerpt, ""


def _send_one(delivery: WebhookDelivery, *, now: dt.datetime) -> tuple[bool, int | None]:
    """Try one claimed delivery: whether the receiver took it (2xx), and its status code
    (None when it could not be reached or did not answer in time)."""
    body = delivery_body(delivery)
    # The moment of this try (not of the event): receivers refuse one far from their clock.
    timestamp = int(time.time())
    msg_id = message_id(delivery)
    keys = delivery.webhook.signing_secrets(timezone.now())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Keepwarm-Webhooks/2",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.signature_header(
            keys, msg_id=msg_id, timestamp=timestamp, body=body
        ),
    }
    started = time.monotonic()
    status, excerpt, error = _post(delivery.webhook.url, body, headers)
    duration_ms = round((time.monotonic() - started) * 1000)
    ok = status is not None and 200 <= status < 300
    attempts = delivery.attempts + 1
    WebhookAttempt.objects.create(
        delivery=delivery,
        attempted_at=now,
        status_code=status,
        response_excerpt=excerpt,
        duration_ms=duration_ms,
        error=error,
    )
    fields: dict[str, Any] = {
        "attempts": attempts,
        "status_code": status,
        "response_excerpt": excerpt,
        "duration_ms": duration_ms,
        "last_error": error,
    }
    if ok:
        fields.update(state=WebhookDelivery.State.DELIVERED, delivered_at=now)
    elif attempts >= MAX_ATTEMPTS:
        fields.update(
            state=WebhookDelivery.State.FAILED,
            last_error=f"Gave up after {attempts} attempts: {error}",
        )
    else:
        fields.update(
            state=WebhookDelivery.State.PENDING,
            send_after=now + dt.timedelta(minutes=RETRY_MINUTES[attempts - 1]),
        )
    WebhookDelivery.objects.filter(pk=delivery.pk, state=WebhookDelivery.State.SENDING).update(
        **fields
    )
    return ok, status


def reconcile_stale_deliveries(*, now: dt.datetime) -> int:
    return WebhookDelivery.objects.filter(
        state=WebhookDelivery.State.SENDING, claimed_at__lt=now - LEASE
    ).update(
        state=WebhookDelivery.State.PENDING,
        send_after=now,
        attempts=F("attempts") + 1,
        last_error="The worker stopped while sending this; it is sent again.",
    )


def _release(pks: list[int]) -> None:
    """Hand claimed deliveries back untried; they go out on a later tick."""
    WebhookDelivery.objects.filter(pk__in=pks, state=WebhookDelivery.State.SENDING).update(
        state=WebhookDelivery.State.PENDING, claimed_at=None, claimed_by=""
    )


def send_due_webhooks(
    *,
    now: dt.datetime | None = None,
    worker_id: str = "",
    limit: int = SEND_LIMIT,
    budget_seconds: float = TICK_BUDGET_SECONDS,
) -> int:
    """Send up to `limit` due deliveries (the worker's tick); returns how many were delivered.

    A receiver that cannot be reached or does not answer in time is not tried again in this
    tick, and the tick stops sending after `budget_seconds`, so one slow receiver cannot hold
    up check-in emails. Paused webhooks' deliveries wait: switching one back on sends them.
    """
    now = now or timezone.now()
    reconcile_stale_deliveries(now=now)
    delivered = 0
    started = time.monotonic()
    claimed = _claim(now=now, worker_id=worker_id or "worker", limit=limit)
    unreachable: set[int] = set()
    for index, pk in enumerate(claimed):
        if index and time.monotonic() - started > budget_seconds:
            _release(claimed[index:])
            break
        delivery = WebhookDelivery.objects.select_related("webhook").get(pk=pk)
        paused = not delivery.webhook.is_active and delivery.event != PING
        if delivery.webhook_id in unreachable or paused:
            _release([pk])
            continue
        ok, status = _send_one(delivery, now=now)
        delivered += ok
        if status is None:
            unreachable.add(delivery.webhook_id)
    return delivered
