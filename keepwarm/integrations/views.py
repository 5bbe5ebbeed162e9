"""The Calendar page, the private feed itself, and the admins' webhook pages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from keepwarm.accounts.access import admin_required, user_of
from keepwarm.integrations import services
from keepwarm.integrations.forms import DayStartForm, WebhookForm
from keepwarm.integrations.models import CalendarFeed, Webhook, WebhookDelivery

# The new feed URL is shown once: kept in the session for the next page only.
SHOW_ONCE = "keepwarm_calendar_url"


admins_only = admin_required("Only admins manage webhooks.")


# --- Calendar -------------------------------------------------------------------------------


@login_required
@never_cache
def calendar(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    feed = CalendarFeed.objects.filter(user=user).first()
    form = DayStartForm(initial={"day_starts_at": feed.day_starts_at if feed else "09:00"})
    context = {
        "feed": feed,
        "form": form,
        "new_url": request.session.pop(SHOW_ONCE, ""),
        "time_zone": settings.TIME_ZONE,
    }
    return render(request, "integrations/calendar.html", context)


@login_required
@require_POST
def calendar_new(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form = DayStartForm(request.POST)
    start = form.cleaned_data["day_starts_at"] if form.is_valid() else None
    had = CalendarFeed.objects.filter(user=user).exists()
    _, raw = services.issue_feed(user=user, day_starts_at=start)
    request.session[SHOW_ONCE] = services.feed_url(raw)
    if had:
        messages.success(request, "A new calendar address is made; the old one no longer works.")
    else:
        messages.success(request, "Your calendar address is made.")
    return redirect("calendar")


@login_required
@require_POST
def calendar_settings(request: HttpRequest) -> HttpResponse:
    form = DayStartForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter a time such as 09:00.")
    elif services.set_day_start(
        user=user_of(request), day_starts_at=form.cleaned_data["day_starts_at"]
    ):
        messages.success(request, "Saved; your calendar shows it next time it refreshes.")
    return redirect("calendar")


@login_required
@require_POST
def calendar_revoke(request: HttpRequest) -> HttpResponse:
    if services.revoke_feed(user=user_of(request)):
        messages.success(request, "Your calendar address is switched off; it no longer works.")
    return redirect("calendar")


@require_safe
def calendar_feed(request: HttpRequest, secret: str) -> HttpResponse:
    # No sign-in: calendar apps fetch it. The secret in the URL is the key; a wrong,
    # revoked or deactivated user's secret is a plain 404, the same for each.
    feed = services.feed_for_secret(secret)
    if feed is None:
        raise Http404("No such calendar")
    response = HttpResponse(services.render_feed(feed), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="keepwarm-calls.ics"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


# --- Webhooks (admins) ----------------------------------------------------------------------


@admins_only
@never_cache
def webhooks(request: HttpRequest) -> HttpResponse:
    hooks = Webhook.objects.all()
    recent = WebhookDelivery.objects.select_related("webhook").order_by("-created_at", "-id")
    page = Paginator(recent, 50).get_page(request.GET.get("page"))
    return render(request, "integrations/webhooks.html", {"hooks": hooks, "page": page})


def _webhook_form_page(
    request: HttpRequest, *, webhook: Webhook | None, form: WebhookForm
) -> HttpResponse:
    context = {"webhook": webhook, "form": form, "now": timezone.now()}
    return render(request, "integrations/webhook_form.html", context)


@admins_only
def webhook_new(request: HttpRequest) -> HttpResponse:
    return _save_webhook(request, webhook=None)


@admins_only
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _save_webhook(request, webhook=get_object_or_404(Webhook, pk=pk))


def _save_webhook(request: HttpRequest, *, webhook: Webhook | None) -> HttpResponse:
    user = user_of(request)
    if request.method != "POST":
        initial: dict[str, Any] = {"is_active": True}
        if webhook is not None:
            initial = {
                "url": webhook.url,
                "description": webhook.description,
                "events": webhook.events,
                "is_active": webhook.is_active,
            }
        return _webhook_form_page(request, webhook=webhook, form=WebhookForm(initial=initial))
    form = WebhookForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.save_webhook(
                webhook=webhook,
                url=data["url"],
                secret=data["secret"],
                events=list(data["events"]),
                description=data["description"],
                is_active=data["is_active"],
                by=user,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, f"Webhook to {saved.url} saved.")
            return redirect("webhook_edit", saved.pk)
    return _webhook_form_page(request, webhook=webhook, form=form)


@admins_only
@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = get_object_or_404(Webhook, pk=pk)
    services.delete_webhook(webhook=webhook, by=user_of(request))
    messages.success(request, f"Webhook to {webhook.url} removed with its deliveries.")
    return redirect("webhooks")


@admins_only
@require_POST
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = get_object_or_404(Webhook, pk=pk)
    rotated = services.rotate_secret(webhook=webhook, by=user_of(request))
    until = timezone.localtime(rotated.previous_secret_until)
    messages.success(
        request,
        f"A new secret is made. Until {until:%d %b %Y %H:%M} requests are signed with the "
        "old one too: put the new one in your receiver before then.",
    )
    return redirect("webhook_edit", webhook.pk)


@admins_only
@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    delivery = services.send_test_event(webhook=get_object_or_404(Webhook, pk=pk), by=user)
    messages.success(request, "A test event is queued; the worker sends it within a minute.")
    return redirect("webhook_delivery", delivery.pk)


@admins_only
@never_cache
def webhook_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("webhook"), pk=pk)
    context = {
        "delivery": delivery,
        "body": services.delivery_body(delivery).decode(),
        "tries": delivery.tries.all(),
    }
    return render(request, "integrations/webhook_delivery.html", context)


@admins_only
@require_POST
def webhook_redeliver(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(WebhookDelivery, pk=pk)
    again = services.redeliver(delivery=delivery)
    messages.success(request, "Queued to send again; the worker sends it within a minute.")
    return redirect("webhook_delivery", again.pk)
