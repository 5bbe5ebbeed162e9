"""The worker's tick: everything time does by itself, run every 30 seconds or with --once.

Each step is safe to run twice and on several machines at once: statuses move with
set-based UPDATEs, a touchpoint is marked done by a conditional UPDATE in the same
transaction as its outbox row (whose key is UNIQUE), and sending claims rows first.

Each step also runs on its own (keepwarm.ops.jobs.Steps): one that raises is logged and
recorded, waits for its retry time, and never stops the others; what is already queued
is sent before anything else can fail.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from keepwarm.care.models import SENT_BY_WORKER, Touchpoint
from keepwarm.care.services import calls_instead_of_emails, mark_missed
from keepwarm.care.services.placements import advance_statuses
from keepwarm.imports.services import UPLOADS, forget_old_uploads_daily, run_next_import
from keepwarm.integrations.services import send_due_webhooks
from keepwarm.lib.dates import agency_zone, send_time
from keepwarm.lib.working_days import agency_calendar, is_working_day
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.services.checkins import personal_from, personal_reply_to, render_checkin
from keepwarm.mail.services.outbox import (
    PLACEMENTS,
    copy_missing_placements,
    default_worker_id,
    queue_emails,
)
from keepwarm.mail.services.reconcile import reconcile_stale
from keepwarm.mail.services.sending import SendReport, send_pending
from keepwarm.network import readiness
from keepwarm.network.services import mark_rewards_due
from keepwarm.newsletters import services as newsletters
from keepwarm.ops.jobs import Steps
from keepwarm.portal.signin import forget_old_sign_ins
from keepwarm.privacy.notices import NOTICES, send_privacy_notices
from keepwarm.privacy.retention import RETENTION, apply_rules
from keepwarm.signals.services.alerts import escalate_overdue_alerts
from keepwarm.surveys.services import invite_for_touchpoint, send_reminders
from keepwarm.worker import daily

logger = logging.getLogger(__name__)

NO_EMAIL = "No email address"
CHUNK = 200
# Due ids read per query (small, so a tick streams: 10k ids held at once cost 1.2 MB);
# the rows are handled a CHUNK at a time.
PAGE = 1_000
SEND_BATCH = 500


@dataclass
class TickReport:
    now: dt.datetime
    today: dt.date
    lane: str = "all"
    reconciled: int = 0
    advanced: int = 0
    missed: int = 0
    queued: int = 0
    no_email: int = 0
    broken_text: int = 0
    reminded: int = 0
    newsletter_copies: int = 0
    escalated: int = 0
    daily: str = ""
    mail: SendReport = field(default_factory=SendReport)
    # Steps run in this tick, those that failed, and those skipped while they wait for
    # their retry time (keepwarm.ops.jobs).
    ran: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)

    def summary(self) -> str:
        local = timezone.localtime(self.now, agency_zone())
        counts = [
            f"queued {self.queued}",
            f"sent {self.mail.sent}",
            f"captured {self.mail.captured}",
            f"retrying {self.mail.retried}",
            f"failed {self.mail.failed}",
            f"no email {self.no_email}",
            f"placements moved on {self.advanced}",
            f"calls missed {self.missed}",
            f"caught mid-send {self.reconciled}",
        ]
        # Rarer news only when there is some, so an ordinary tick reads as one short line.
        news = {
            "email text broken": self.broken_text,
            "questionnaire reminders": self.reminded,
            "newsletter copies queued": self.newsletter_copies,
            "alerts escalated": self.escalated,
        }
        counts += [f"{what} {count}" for what, count in news.items() if count]
        if self.daily:
            counts.append(self.daily)
        if self.failed:
            counts.append(f"FAILED {', '.join(self.failed)} (see the System page)")
        if self.waiting:
            counts.append(f"waiting to retry {', '.join(self.waiting)}")
        lane = "" if self.lane == ALL else f" ({self.lane} lane)"
        return f"tick {local:%Y-%m-%d %H:%M %Z}{lane}: " + ", ".join(counts)


def _due_checkins(today: dt.date) -> Any:
    return Touchpoint.objects.filter(
        state=Touchpoint.State.PLANNED, kind__in=SENT_BY_WORKER, due_on__lte=today
    ).order_by("due_on", "id")


def _take(ids: list[int]) -> list[int]:
    """Inside the chunk's transaction: the ids still planned, now held by this worker.

    PostgreSQL locks them (skipping rows another worker holds); SQLite's IMMEDIATE
    transaction already holds the only write lock, so a plain read is authoritative.
    """
    planned = Touchpoint.objects.filter(id__in=ids, state=Touchpoint.State.PLANNED).order_by("id")
    if connection.features.has_select_for_update_skip_locked:
        planned = planned.select_for_update(skip_locked=True)
    return list(planned.values_list("id", flat=True))


def _enqueue_chunk(ids: list[int], *, now: dt.datetime) -> tuple[int, int, int]:
    """Render, then mark done and queue the touchpoints; returns (queued, no email, broken text)."""
    touchpoints = Touchpoint.objects.filter(
        id__in=ids, state=Touchpoint.State.PLANNED
    ).select_related(
        "person", "owner", "placement__company", "placement__person", "step__questionnaire"
    )
    senders: dict[int, tuple[str, str]] = {}
    # Questionnaire steps that name a questionnaire send an invitation with a signed link.
    invites: dict[int, Touchpoint] = {}
    messages: dict[int, OutboxMessage] = {}
    without: list[int] = []
    broken: dict[int, str] = {}
    # People whose address bounced or complained: their check-ins become calls.
    failed: list[int] = []
    for touchpoint in touchpoints:
        to_email = touchpoint.person.email.strip()
        if not to_email:
            without.append(touchpoint.id)
            continue
        if touchpoint.person.email_failed_at is not None:
            failed.append(touchpoint.id)
            continue
        send_after = send_time(touchpoint.due_on, now=now)
        try:
            subject, text, html = render_checkin(
                touchpoint, sent_on=send_after.astimezone(agency_zone()).date()
            )
        except Exception as exc:
            # One step's broken text (a typo in a tag) must not hold up everyone's mail.
            logger.exception("Check-in %s could not be rendered", touchpoint.id)
            broken[touchpoint.id] = f"The email text could not be filled in: {exc}"[:200]
            continue
        owner = touchpoint.owner
        if owner.id not in senders:
            senders[owner.id] = (personal_from(owner), personal_reply_to(owner))
        from_email, reply_to = senders[owner.id]
        messages[touchpoint.id] = OutboxMessage(
            key=f"touchpoint:{touchpoint.id}",
            to_email=to_email,
            subject=subject,
            body_text=text,
            body_html=html,
            from_email=from_email,
            reply_to=reply_to,
            send_after=send_after,
            person_id=touchpoint.person_id,
            touchpoint_id=touchpoint.id,
        )
        step = touchpoint.step
        if step is not None and step.questionnaire_id and touchpoint.placement_id:
            invites[touchpoint.id] = touchpoint
    with transaction.atomic():
        # Marking done and queueing share one transaction: both happen or neither.
        taken = _take([*messages, *without, *broken, *failed])
        emailed = [pk for pk in taken if pk in messages]
        Touchpoint.objects.filter(id__in=emailed).update(
            state=Touchpoint.State.DONE, outcome=Touchpoint.Outcome.EMAILED, done_at=now
        )
        queued = queue_emails([messages[pk] for pk in emailed if pk not in invites])
        for pk in emailed:
            if pk in invites:
                invitation = invite_for_touchpoint(
                    touchpoint=invites[pk], now=now, send_after=messages[pk].send_after
                )
                queued += invitation is not None
        no_email = Touchpoint.objects.filter(id__in=[pk for pk in taken if pk in without]).update(
            state=Touchpoint.State.SKIPPED, skip_reason=NO_EMAIL
        )
        no_email += calls_instead_of_emails(ids=[pk for pk in taken if pk in failed])
        for pk in taken:
            if pk in broken:
                Touchpoint.objects.filter(id=pk).update(
                    state=Touchpoint.State.SKIPPED, skip_reason=broken[pk]
                )
    return queued, no_email, len(broken)


# Stand-ins for the keyset in the page query, replaced by each page's (see _DuePages).
_DAY_SLOT, _ID_SLOT = dt.date(1, 1, 1), -1


class _DuePages:
    """Due (due_on, id) pairs a PAGE at a time, read from the covering index; the last
    pair of a page is where the next starts, so nothing is looked up again for it.

    The page query is compiled by the ORM once per pass and run on the cursor for each
    page with the last page's end in its keyset slots: building, compiling and converting
    the query for every page cost as much as reading the rows (bench_tick.py).
    """

    def __init__(self, today: dt.date) -> None:
        due = _due_checkins(today).values_list("due_on", "id")
        self.first = due[:PAGE].query.sql_with_params()
        # due_on >= day is what lets the index start at the last page's end: the OR alone is
        # only a filter on PostgreSQL, which re-read every due row from the oldest (850 ms a page).
        keyed = due.filter(due_on__gte=_DAY_SLOT).filter(
            Q(due_on__gt=_DAY_SLOT) | Q(due_on=_DAY_SLOT, id__gt=_ID_SLOT)
        )
        self.sql, self.params = keyed[:PAGE].query.sql_with_params()
        day = connection.ops.adapt_datefield_value(_DAY_SLOT)
        self.slots = [0 if p == day else 1 if p == _ID_SLOT else None for p in self.params]
        assert self.slots.count(0) == 3 and self.slots.count(1) == 1, self.sql

    def after(self, last: tuple[dt.date, int] | None) -> list[tuple[dt.date, int]]:
        """The PAGE due pairs after `last` (due_on, id), or the first PAGE for None."""
        if last is None:
            sql, params = self.first
        else:
            sql = self.sql
            params = tuple(
                p if slot is None else last[slot]
                for p, slot in zip(self.params, self.slots, strict=True)
            )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            page: list[tuple[dt.date, int]] = cursor.fetchall()
            return page


def enqueue_due_checkins(*, today: dt.date, now: dt.datetime) -> tuple[int, int, int]:
    """Queue every due email/questionnaire touchpoint; returns (queued, no email, broken).

    Reads due ids a page at a time from the stored due_on column and handles them a chunk at
    a time, so a backlog of 100k check-ins uses the memory of one page of ids and one chunk.
    """
    if not is_working_day(today):
        # Check-ins wait for the next working day: they are written (and marked done) the
        # day they go, so a bounce or a reply is never dated before the email left.
        return 0, 0, 0
    queued = no_email = broken = 0
    pages = _DuePages(today)
    after: tuple[dt.date, int] | None = None
    while True:
        page = pages.after(after)
        if not page:
            break
        # Where the next page starts, from the page itself: a row handled (or erased) in
        # the meantime still marks the place.
        after = page[-1]
        ids = [pk for _, pk in page]
        for start in range(0, len(ids), CHUNK):
            chunk_queued, chunk_no_email, chunk_broken = _enqueue_chunk(
                ids[start : start + CHUNK], now=now
            )
            queued += chunk_queued
            no_email += chunk_no_email
            broken += chunk_broken
        if len(page) < PAGE:
            break
    return queued, no_email, broken


# The steps of a tick by their stable names: what the System page and the logs call them.
SEND = "send"
DAILY = "daily:"
DAILY_JOBS = (daily.RISK, NOTICES, RETENTION, UPLOADS, readiness.DAILY_JOB, PLACEMENTS)
STEPS = (
    SEND,
    "reconcile",
    "advance-statuses",
    "mark-missed",
    "check-ins",
    "reminders",
    "newsletters",
    "webhooks",
    "imports",
    "rewards",
    "escalate-alerts",
    *(DAILY + name for name in DAILY_JOBS),
    "forget-sign-ins",
    "close-issues",
)


# Lanes: which steps a worker runs. Sending must never wait behind a long job (an import
# of 100k rows, a once-a-day pass over every placement, another tool's slow webhook
# endpoint), so on PostgreSQL those can have workers of their own: `--lane mail` sends and
# queues mail, `--lane jobs` runs the rest, and `all` (the default) is both, for one small
# install. Mail a job queues (a privacy notice, an alert) goes out on a mail worker's
# next tick.
MAIL, JOBS, ALL = "mail", "jobs", "all"
LANES = (ALL, MAIL, JOBS)
JOB_STEPS = frozenset({"webhooks", "imports", *(DAILY + name for name in DAILY_JOBS)})


def steps_outside(lane: str) -> frozenset[str]:
    """The steps a worker in `lane` leaves to the other lane."""
    if lane == MAIL:
        return JOB_STEPS
    if lane == JOBS:
        return frozenset(STEPS) - JOB_STEPS
    if lane == ALL:
        return frozenset()
    raise ValueError(f"No such lane {lane!r}; the lanes are {', '.join(LANES)}")


def send_queued(*, now: dt.datetime, worker_id: str) -> SendReport:
    """Send everything due in the outbox, a batch (one SMTP connection) at a time."""
    report = SendReport()
    while True:
        batch = send_pending(now=now, worker_id=worker_id, limit=SEND_BATCH)
        report.add(batch)
        if batch.handled < SEND_BATCH:
            return report


def _run_daily_jobs(steps: Steps, *, now: dt.datetime, today: dt.date, worker_id: str) -> str:
    """The once-a-day jobs, each its own step and run by one worker per local day (the
    DailyJob ledger); their summaries joined."""
    jobs: dict[str, Callable[[], str]] = {
        daily.RISK: lambda: daily.refresh_risk(now=now),
        NOTICES: lambda: send_privacy_notices(now=now),
        RETENTION: lambda: apply_rules(now=now),
        UPLOADS: lambda: forget_old_uploads_daily(now=now),
        readiness.DAILY_JOB: lambda: readiness.refresh_all(now=now),
        PLACEMENTS: lambda: copy_missing_placements(now=now),
    }
    summaries = [
        steps.run(
            DAILY + name,
            daily.run_once_a_day,
            name=name,
            day=today,
            now=now,
            worker_id=worker_id,
            job=jobs[name],
        )
        for name in DAILY_JOBS
    ]
    return ", ".join(summary for summary in summaries if summary)


def tick(*, now: dt.datetime | None = None, worker_id: str = "", lane: str = ALL) -> TickReport:
    """One pass of the worker as of `now`: each step on its own (keepwarm.ops.jobs), so one
    that fails is recorded and retried later while the others still run. The steps of
    the other lane (see LANES) are left to the workers that run it."""
    now = now or timezone.now()
    worker_id = worker_id or default_worker_id()
    today = now.astimezone(agency_zone()).date()
    report = TickReport(now=now, today=today, lane=lane)
    steps = Steps(now=now, worker_id=worker_id, skip=steps_outside(lane))
    # What is already queued goes first: no step below can hold it up.
    report.mail.add(steps.run(SEND, send_queued, now=now, worker_id=worker_id) or SendReport())
    report.reconciled = steps.run("reconcile", reconcile_stale, now=now) or 0
    report.advanced = steps.run("advance-statuses", advance_statuses, today=today) or 0
    report.missed = steps.run("mark-missed", mark_missed, today=today) or 0
    report.queued, report.no_email, report.broken_text = steps.run(
        "check-ins", enqueue_due_checkins, today=today, now=now
    ) or (0, 0, 0)
    reminders_after = send_time(today, now=now)
    report.reminded = (
        steps.run("reminders", send_reminders, now=now, send_after=reminders_after) or 0
    )
    report.newsletter_copies = steps.run("newsletters", newsletters.run_due_issues, now=now) or 0
    # Events for the agency's other tools; an import queued from the import page or the API.
    steps.run("webhooks", send_due_webhooks, now=now, worker_id=worker_id)
    steps.run("imports", run_next_import, now=now)
    steps.run("rewards", mark_rewards_due, today=today)  # referral rewards whose day has come
    # Alerts left open too long past their due time go to the managers, once.
    report.escalated = steps.run("escalate-alerts", escalate_overdue_alerts, now=now) or 0
    # Once a local day, from the send hour so alerts it opens land in working hours.
    if now.astimezone(agency_zone()).hour >= agency_calendar().send_hour:
        report.daily = _run_daily_jobs(steps, now=now, today=today, worker_id=worker_id)
    steps.run("forget-sign-ins", forget_old_sign_ins, now=now)  # spent links and sessions
    # What the steps above queued goes out in this tick too.
    report.mail.add(steps.run(SEND, send_queued, now=now, worker_id=worker_id) or SendReport())
    # An issue whose last copies went out just now reads "sent" now, not a tick later.
    steps.run("close-issues", newsletters.close_finished_issues)
    report.ran, report.failed, report.waiting = steps.ran, steps.failed, steps.waiting
    steps.record_tick()
    return report
