"""Prometheus metrics at /metrics, read from the database when scraped.

Web and worker run as several processes on several machines, so nothing is counted in
memory: every figure comes from the records the worker keeps anyway (the outbox, import
runs, webhook deliveries, WorkerTick, JobFailure), and any web process answers for all.
A scrape costs a handful of indexed queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from keepwarm.mail.models import OutboxMessage
from keepwarm.ops.models import PARK_AFTER, JobFailure, WorkerTick
from keepwarm.ops.system import queue_depths


class DatabaseCollector(Collector):
    def __init__(self, *, now: dt.datetime) -> None:
        self.now = now

    def collect(self) -> Iterator[Metric]:
        yield from self._queues()
        yield from self._sending()
        yield from self._worker()

    def _queues(self) -> Iterator[Metric]:
        depths = queue_depths()
        outbox = GaugeMetricFamily(
            "keepwarm_outbox_messages", "Outbox rows waiting or needing a person", labels=["state"]
        )
        outbox.add_metric(["pending"], depths.outbox_pending)
        outbox.add_metric(["unknown"], depths.outbox_unknown)
        outbox.add_metric(["failed"], depths.outbox_failed)
        yield outbox
        due = GaugeMetricFamily(
            "keepwarm_outbox_due", "Pending outbox rows whose time to send has come"
        )
        due.add_metric(
            [], OutboxMessage.objects.filter(state="pending", send_after__lte=self.now).count()
        )
        yield due
        imports = GaugeMetricFamily(
            "keepwarm_imports", "Import runs for the worker", labels=["state"]
        )
        imports.add_metric(["queued"], depths.imports_queued)
        imports.add_metric(["running"], depths.imports_running)
        yield imports
        webhooks = GaugeMetricFamily(
            "keepwarm_webhook_deliveries_pending", "Webhook deliveries waiting to be sent"
        )
        webhooks.add_metric([], depths.webhooks_pending)
        yield webhooks

    def _sending(self) -> Iterator[Metric]:
        # A counter: rate(keepwarm_outbox_sent_total[5m]) is the send rate, across workers.
        sent = CounterMetricFamily("keepwarm_outbox_sent", "Messages sent, all time")
        sent.add_metric([], OutboxMessage.objects.filter(state="sent").count())
        yield sent

    def _worker(self) -> Iterator[Metric]:
        duration = GaugeMetricFamily(
            "keepwarm_worker_tick_duration_seconds",
            "How long each worker's last tick took",
            labels=["worker"],
        )
        age = GaugeMetricFamily(
            "keepwarm_worker_tick_age_seconds",
            "Seconds since each worker last finished a tick",
            labels=["worker"],
        )
        failed = GaugeMetricFamily(
            "keepwarm_worker_tick_failed_steps",
            "Steps that failed in each worker's last tick",
            labels=["worker"],
        )
        for tick in WorkerTick.objects.order_by("worker_id"):
            duration.add_metric([tick.worker_id], tick.duration_ms / 1000)
            age.add_metric([tick.worker_id], max((self.now - tick.finished_at).total_seconds(), 0))
            failed.add_metric([tick.worker_id], len(tick.failed))
        yield from (duration, age, failed)
        failing = GaugeMetricFamily(
            "keepwarm_worker_step_failures",
            f"Failures in a row of each failing worker step (parked at {PARK_AFTER})",
            labels=["step"],
        )
        parked = GaugeMetricFamily("keepwarm_worker_steps_parked", "Worker steps parked")
        count = 0
        for name, failures in JobFailure.objects.order_by("name").values_list("name", "failures"):
            failing.add_metric([name], failures)
            count += failures >= PARK_AFTER
        parked.add_metric([], count)
        yield from (failing, parked)


def exposition(*, now: dt.datetime) -> bytes:
    """The metrics in Prometheus' text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(now=now))
    return generate_latest(registry)
