"""The demo agency's history: what two years of a real agency leave behind.

Placements are made through the placement service as of the day they were entered;
this part then fills in what happened since: calls logged (a few missed), check-in
emails sent with their outbox rows, placements that ended, the offer calls, who was
last contacted when, and cover. Split from keepwarm.demo.agency to keep each file short.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from typing import Any

from django.db.models import Q

from keepwarm.accounts.models import User
from keepwarm.care.models import Kind, Touchpoint
from keepwarm.care.services import WENT_MISSED, set_cover
from keepwarm.care.services.placements import PLACEMENT_ENDED, record_placement_outcome
from keepwarm.demo import words
from keepwarm.lib.bulk import update_objects
from keepwarm.lib.working_days import next_working_day
from keepwarm.mail.models import OutboxMessage, about_placements
from keepwarm.mail.services.checkins import personal_from, personal_reply_to, render_checkin
from keepwarm.people.models import Note, Person
from keepwarm.placements.models import Placement
from keepwarm.surveys.models import Response


class History:
    """History-making steps of the demo agency; keepwarm.demo.agency._Agency sets these up."""

    today: dt.date
    now: dt.datetime
    zone: zoneinfo.ZoneInfo
    rng: random.Random
    consultants: list[User]
    demo: User
    tom: User
    grace: User
    rhys: User
    amelia: User
    placements: list[Placement]
    entered_on: dict[int, dt.date]
    endings: list[tuple[Placement, str, dt.date, str, str]]
    showcase_start: Placement
    cover_windows: list[tuple[int, int, dt.date, dt.date]]
    past_cover: tuple[dt.date, dt.date]

    def at(self, day: dt.date, earliest: int = 9, latest: int = 17) -> dt.datetime:
        """A working-hours moment on `day`, in the agency's time zone, never in the future."""
        moment = dt.datetime.combine(
            day,
            dt.time(self.rng.randint(earliest, latest), self.rng.randrange(0, 60, 5)),
            tzinfo=self.zone,
        )
        return min(moment, self.now)

    def end_some_placements(self) -> None:
        """Some fell off before or just after starting, some left early; rebates follow."""
        rng, today = self.rng, self.today
        started = [p for p in self.placements if p.start_date <= today - dt.timedelta(days=10)]
        moved = {p.pk for p, *_ in self.endings}
        started = [
            p
            for p in started
            if p.pk != self.showcase_start.pk and p.kind == "permanent" and p.pk not in moved
        ]
        rng.shuffle(started)
        # The first to end falls off with money to pay back, so the demo shows a rebate.
        refunds = [
            i for i, p in enumerate(started) if p.guarantee_remedy == "refund" and p.rebate_scale
        ]
        if refunds:
            started[0], started[refunds[0]] = started[refunds[0]], started[0]
        endings = list(self.endings)
        n = max(2, len(started) // 12)
        for i, placement in enumerate(started[:n]):
            if i % 3 == 0:  # fell off: never really started (the first one always has a rebate)
                status = Placement.Status.FELL_OFF
                reason = rng.choice(("counter_offer", "counter_offer", "personal"))
                left_on = placement.start_date + dt.timedelta(days=rng.randint(-5, 9))
            elif i % 3 == 1:  # left inside the guarantee
                status = Placement.Status.LEFT
                reason = rng.choice(("manager", "role_not_as_described", "pay", "performance"))
                left_on = placement.start_date + dt.timedelta(days=rng.randint(20, 85))
            else:  # left later, no rebate
                status = Placement.Status.LEFT
                reason = rng.choice(("relocation", "pay", "other"))
                left_on = placement.start_date + dt.timedelta(days=rng.randint(120, 500))
            left_on = min(left_on, today - dt.timedelta(days=1))
            endings.append((placement, status, left_on, reason, words.LEAVE_NOTES[reason]))
        for placement, how, day, why, notes in endings:
            record_placement_outcome(
                placement=placement,
                status=how,
                left_on=day,
                reason=why,
                notes=notes,
                by=placement.owner,
            )
            # The history already filled in stops at the day they left, when the steps
            # still ahead were called off (the ending is recorded here, today).
            Touchpoint.objects.filter(
                Q(skip_reason=PLACEMENT_ENDED) | ~Q(state=Touchpoint.State.SKIPPED),
                placement=placement,
                due_on__gt=day,
                step__isnull=False,
            ).update(
                state=Touchpoint.State.SKIPPED,
                skip_reason=PLACEMENT_ENDED,
                outcome="",
                notes="",
                done_at=self.at(day),
                done_by=placement.owner,
            )
            OutboxMessage.objects.filter(
                touchpoint__placement=placement, touchpoint__state=Touchpoint.State.SKIPPED
            ).delete()

    # --- history ------------------------------------------------------------------------

    def who_did(self, owner_id: int, day: dt.date) -> int:
        for absent, colleague, starts, ends in self.cover_windows:
            if absent == owner_id and starts <= day <= ends:
                return colleague
        return owner_id

    def fill_in_history(self) -> None:
        """Past calls logged (a few missed), past check-in emails sent; recent ones left due."""
        today, rng = self.today, self.rng
        # A fortnight last summer when Rhys covered Grace: her calls were logged by him.
        away = today - dt.timedelta(days=150)
        self.past_cover = (away, away + dt.timedelta(days=11))
        self.cover_windows.append((self.grace.pk, self.rhys.pk, *self.past_cover))

        due = Touchpoint.objects.filter(state=Touchpoint.State.PLANNED, due_on__lt=today)
        calls: list[Touchpoint] = []
        tries: list[Touchpoint] = []
        for t in due.filter(kind__in=(Kind.CALL, Kind.MEETING)).select_related("placement"):
            days_late = (today - t.due_on).days
            # Nobody leaves the pre-start call undone once the person has started.
            started = t.placement is not None and t.placement.start_date <= today
            pre_start = started and t.title.lower().startswith("call before")
            if days_late <= 6 and rng.random() < 0.45 and not pre_start:
                continue  # still to do: overdue on Today
            if days_late > 14 and rng.random() < 0.05:
                t.state, t.skip_reason = Touchpoint.State.MISSED, WENT_MISSED.format(days=14)
            else:
                tries += self.log_call(t)
            calls.append(t)
        update_objects(
            calls,
            [
                *("state", "outcome", "notes", "done_at", "done_by", "skip_reason"),
                *("due_on", "attempts", "first_due_on"),
            ],
        )
        Touchpoint.objects.bulk_create(tries, batch_size=500)
        self.send_past_checkins(due.filter(kind__in=(Kind.EMAIL, Kind.QUESTIONNAIRE)))

    def log_call(self, t: Touchpoint) -> list[Touchpoint]:
        """Log `t` as it went; a call that reached nobody was tried again the next working
        day and reached then (as logging does): returns the unanswered try."""
        rng = self.rng
        outcome = rng.choices(
            (
                Touchpoint.Outcome.REACHED,
                Touchpoint.Outcome.VOICEMAIL,
                Touchpoint.Outcome.NO_ANSWER,
            ),
            (78, 13, 9),
        )[0]
        title = t.title.lower()
        stage = "pre" if "before" in title else "week1" if "week-one" in title else "keep"
        if t.audience == "client":
            stage = "client"
        day = t.due_on + dt.timedelta(days=rng.choice((0, 0, 0, 1, 2)))
        tries: list[Touchpoint] = []
        if outcome != Touchpoint.Outcome.REACHED and next_working_day(day) < self.today:
            tries.append(
                Touchpoint(
                    person_id=t.person_id,
                    placement_id=t.placement_id,
                    kind=t.kind,
                    audience=t.audience,
                    title=t.title,
                    due_on=day,
                    owner_id=self.who_did(t.owner_id, day),
                    state=Touchpoint.State.DONE,
                    outcome=outcome,
                    notes=rng.choice(words.NOTES[outcome]),
                    done_at=self.at(day),
                    done_by_id=self.who_did(t.owner_id, day),
                )
            )
            t.first_due_on, t.attempts = t.due_on, 1
            t.due_on = day = next_working_day(day)
            outcome = Touchpoint.Outcome.REACHED
        pool = words.NOTES[stage if outcome == Touchpoint.Outcome.REACHED else outcome]
        t.state = Touchpoint.State.DONE
        t.outcome = outcome
        t.notes = rng.choice(pool)
        t.done_at = self.at(min(day, self.today))
        t.done_by_id = self.who_did(t.owner_id, t.due_on)
        return tries

    def send_past_checkins(self, due: Any) -> None:
        rng = self.rng
        touchpoints = list(
            due.select_related("person", "owner", "placement__company", "placement__person")
        )
        messages: list[OutboxMessage] = []
        for t in touchpoints:
            sent_at = self.at(t.due_on, 9, 9)
            bounced = rng.random() < 0.01
            t.state = Touchpoint.State.DONE
            t.outcome = Touchpoint.Outcome.BOUNCED if bounced else Touchpoint.Outcome.EMAILED
            t.done_at = sent_at
            subject, text, html = render_checkin(t)
            messages.append(
                OutboxMessage(
                    key=f"touchpoint:{t.pk}",
                    person=t.person,
                    touchpoint=t,
                    to_email=t.person.email,
                    from_email=personal_from(t.owner),
                    reply_to=personal_reply_to(t.owner),
                    subject=subject,
                    body_text=text,
                    body_html=html,
                    state=OutboxMessage.State.FAILED if bounced else OutboxMessage.State.SENT,
                    last_error="550 5.1.1 Recipient address rejected: mailbox unavailable"
                    if bounced
                    else "",
                    attempts=1,
                    send_after=sent_at,
                    sent_at=None if bounced else sent_at + dt.timedelta(seconds=2),
                    message_id=f"<demo.{t.pk}@{words.DOMAIN}>",
                )
            )
        update_objects(touchpoints, ["state", "outcome", "done_at"])
        about_placements(messages)
        created = OutboxMessage.objects.bulk_create(messages, batch_size=500)
        for message in created:
            message.created_at = message.send_after  # auto_now_add stamped "now"
        update_objects(created, ["created_at"])

    def contact_clients(self) -> None:
        """The offer call with each hiring manager and candidate, and recent client catch-ups."""
        rng, today = self.rng, self.today
        new: list[Touchpoint] = []
        for p in self.placements:
            entered = self.entered_on[p.pk]
            people = [(p.person, "candidate")]
            if p.hiring_manager is not None:
                people.append((p.hiring_manager, "client"))
            for person, audience in people:
                new.append(self.done_call(p, person, audience, entered, "Offer call", "offer"))
            active = p.status in Placement.ACTIVE and p.start_date <= today
            if p.hiring_manager is not None and active and rng.random() < 0.8:
                day = today - dt.timedelta(days=rng.randint(1, 30))
                if day > entered:
                    new.append(
                        self.done_call(p, p.hiring_manager, "client", day, "Client catch-up call")
                    )
        Touchpoint.objects.bulk_create(new, batch_size=500)

    def done_call(
        self,
        p: Placement,
        person: Person,
        audience: str,
        day: dt.date,
        title: str,
        stage: str = "client",
    ) -> Touchpoint:
        return Touchpoint(
            person=person,
            placement=p,
            kind=Kind.CALL,
            audience=audience,
            title=title,
            due_on=day,
            owner_id=p.owner_id,
            state=Touchpoint.State.DONE,
            outcome=Touchpoint.Outcome.REACHED,
            notes=self.rng.choice(words.NOTES[stage]),
            done_at=self.at(day),
            done_by_id=p.owner_id,
        )

    def set_last_contact(self) -> None:
        """Last contact is the latest call or meeting that got through, or answer given,
        as logging and answering set it (people.services.record_contact).

        Check-in emails sent by the worker do not count: a person can read every email and
        still be drifting away.
        """
        latest: dict[int, dt.datetime] = {}
        got_through = (Touchpoint.Outcome.REACHED, Touchpoint.Outcome.MET)
        calls = Touchpoint.objects.filter(
            state=Touchpoint.State.DONE, outcome__in=got_through
        ).values_list("person_id", "done_at")
        answers = Response.objects.values_list("person_id", "submitted_at")
        for person_id, done_at in (*calls, *answers):
            if done_at and (person_id not in latest or done_at > latest[person_id]):
                latest[person_id] = done_at
        people = list(Person.objects.filter(id__in=latest))
        for person in people:
            person.last_contacted_at = latest[person.pk]
        update_objects(people, ["last_contacted_at"])

    def make_sure_everyone_has_work_today(self) -> None:
        """Every consultant starts with a call due today and one overdue."""
        today = self.today
        new: list[Touchpoint] = []
        for consultant in self.consultants:
            mine = Touchpoint.objects.filter(
                owner=consultant, state=Touchpoint.State.PLANNED, kind=Kind.CALL
            )
            active = [
                p for p in self.placements if p.owner_id == consultant.pk and p.start_date <= today
            ]
            active = [p for p in active if p.status in Placement.ACTIVE] or active
            for days_ago, exists in (
                (0, mine.filter(due_on=today).exists()),
                (2, mine.filter(due_on__lt=today).exists()),
            ):
                if exists or not active:
                    continue
                p = active[days_ago % len(active)]
                new.append(
                    Touchpoint(
                        person=p.person,
                        placement=p,
                        kind=Kind.CALL,
                        title="Follow-up call",
                        due_on=today - dt.timedelta(days=days_ago),
                        owner_id=consultant.pk,
                        notes=f"Follow-up: {p.person.first_name} said they'd know about the "
                        "team restructure by now.",
                    )
                )
        Touchpoint.objects.bulk_create(new)

    def make_covers(self) -> None:
        today = self.today
        starts, ends = self.past_cover
        set_cover(
            absent=self.grace,
            colleague=self.rhys,
            starts_on=starts,
            ends_on=ends,
            by=self.demo,
            note="Annual leave",
        )
        # Amelia is at a client's away-day; her cover, Tom, was arranged before he booked
        # his leave. Her work passes on along the chain to Sam, who covers Tom.
        set_cover(
            absent=self.amelia,
            colleague=self.tom,
            starts_on=today,
            ends_on=today + dt.timedelta(days=1),
            by=self.amelia,
            note="Client away-day",
        )
        # This week Tom is away and Sam (the demo login) has his calls on Today.
        set_cover(
            absent=self.tom,
            colleague=self.demo,
            starts_on=today - dt.timedelta(days=2),
            ends_on=today + dt.timedelta(days=4),
            by=self.demo,
            note="Annual leave — back next week",
        )
        set_cover(
            absent=self.amelia,
            colleague=self.grace,
            starts_on=today + dt.timedelta(days=21),
            ends_on=today + dt.timedelta(days=25),
            by=self.demo,
            note="Training course",
        )
        Note.objects.bulk_create(
            Note(person=p.person, author=p.owner, text=self.rng.choice(words.PERSON_NOTES))
            for p in self.placements[::9]
        )
