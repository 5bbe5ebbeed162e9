"""The System page for admins and managers, /healthz for monitors, /metrics for Prometheus."""

from __future__ import annotations

import hmac
import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from keepwarm.accounts.access import admin_required, manager_required, user_of
from keepwarm.care.models import DailyJob
from keepwarm.lib.net import is_loopback_host
from keepwarm.lib.working_days import agency_calendar
from keepwarm.ops import system
from keepwarm.ops.jobs import retry_on_next_tick
from keepwarm.ops.metrics import exposition
from keepwarm.ops.models import JobFailure, WorkerTick
from keepwarm.ops.queries import worker_health

logger = logging.getLogger(__name__)


@manager_required("Only managers and admins see the System page.")
@never_cache
def system_page(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    now = timezone.now()
    context = {
        "now": now,
        "can_act": user.is_admin,
        "health": worker_health(now=now),
        "workers": WorkerTick.objects.all(),
        "failures": JobFailure.objects.all(),
        "queues": system.queue_depths(),
        # The once-a-day jobs' own ledger: which ran today, and by which worker.
        "daily_jobs": DailyJob.objects.filter(day=timezone.localdate(now)).order_by("name"),
        "database": system.database_in_words(),
        "email": system.email_in_words(),
        "time_zone": settings.TIME_ZONE,
        "send_hour": agency_calendar().send_hour,
        "log_format": settings.KEEPWARM_LOG_FORMAT,
    }
    return render(request, "ops/system.html", context)


@admin_required("Only admins send a failing job back to the worker.")
@require_POST
def retry_job(request: HttpRequest, pk: int) -> HttpResponse:
    failure = get_object_or_404(JobFailure, pk=pk)
    retry_on_next_tick(failure=failure, now=timezone.now())
    messages.success(request, f"{failure.name} will be tried again on the worker's next tick.")
    return redirect("system")


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers and a worker ticked lately; 503 with the reason.

    For monitors: no sign-in, nothing written, nothing about people or staff.
    """
    try:
        health = worker_health(now=timezone.now())
    except DatabaseError:
        logger.exception("Health check: the database does not answer")
        problems = ["the database does not answer"]
        down = {"status": "unhealthy", "database": "not answering", "problems": problems}
        return JsonResponse(down, status=503)
    problems = [health.problem] if health.problem else []
    body: dict[str, Any] = {
        "status": "unhealthy" if problems else "ok",
        "database": "ok",
        "seconds_since_worker_tick": health.seconds_since_tick,
        "max_tick_age": health.max_tick_age,
        "parked_jobs": health.parked,
        "problems": problems,
    }
    return JsonResponse(body, status=503 if problems else 200)


def _may_scrape(request: HttpRequest) -> bool:
    """With KEEPWARM_METRICS_TOKEN, whoever sends it as a bearer token; without, only a
    scraper on this machine talking to Keepwarm directly (a request that came through a
    proxy carries X-Forwarded-For, and the proxy's loopback address proves nothing)."""
    token = settings.KEEPWARM_METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    forwarded = "X-Forwarded-For" in request.headers
    return not forwarded and is_loopback_host(request.META.get("REMOTE_ADDR", ""))


@require_safe
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics: queue depths, messages sent, worker ticks and failing steps."""
    if not _may_scrape(request):
        return HttpResponse(
            "Metrics are for a scraper on this machine, or one sending KEEPWARM_METRICS_TOKEN "
            "as a bearer token.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse(exposition(now=timezone.now()), content_type=CONTENT_TYPE_LATEST)
