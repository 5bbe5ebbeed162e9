"""The demo agency's questionnaires: invitations sent, answers that came back, and what
the fall-off risk and its alerts made of them.

Most placed people are happy; some wobble (hours creeping up, a flat review), a few are
unhappy (the job is not what was sold, a counter-offer in the air). Placements that
later ended answered more gloomily before they went, so the risk model has something to
learn from. Rows go straight into the surveys models in bulk (the service's after-commit
hook would score every answer one by one); the risk is then computed once for everyone.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.care.models import Kind, Touchpoint
from keepwarm.lib.bulk import update_objects
from keepwarm.placements.models import Placement, Target
from keepwarm.signals import scoring
from keepwarm.signals.models import Alert, Risk, Signal
from keepwarm.signals.services.alerts import due_after, escalate_overdue_alerts, open_alert
from keepwarm.signals.services.concerns import close_alert
from keepwarm.signals.services.fitting import on_placement_ended
from keepwarm.signals.services.risk import recompute_all
from keepwarm.surveys.models import TARGET_CHOICES, Answer, Invitation, Question, Response
from keepwarm.surveys.services import invitation_days

HAPPY, WOBBLY, UNHAPPY = "happy", "wobbly", "unhappy"
# How often each mood says something is wrong on a yes/no question.
BAD = {HAPPY: 0.03, WOBBLY: 0.3, UNHAPPY: 0.7}
# The scores each mood gives, drawn from at random (repeats weight the draw).
SCORES: dict[str, dict[str, tuple[int, ...]]] = {
    Question.Kind.NPS: {HAPPY: (8, 9, 9, 10, 10), WOBBLY: (6, 7, 7, 8), UNHAPPY: (2, 3, 4, 5, 6)},
    Question.Kind.RATING: {HAPPY: (4, 4, 5, 5, 3), WOBBLY: (3, 3, 4, 2), UNHAPPY: (1, 2, 2, 3)},
}
CODED = ("teething_problems", "has_concerns", "new_roles", "see_in_a_year")
SEE_IN_A_YEAR = {WOBBLY: ("not_sure", "yes"), UNHAPPY: ("no", "no", "not_sure")}

# Free text by question and mood; "" means the person left it blank.
TEXT: dict[str, dict[str, tuple[str, ...]]] = {
    "first_impressions": {
        HAPPY: (
            "Really friendly team, everyone has made time to show me the ropes.",
            "Busy but well organised. My manager checks in every morning.",
            "Great so far. The induction was thorough and I have a buddy.",
            "",
        ),
        WOBBLY: (
            "Nice people, but it is quite chaotic and nobody has much time.",
            "OK. A lot to take in and the systems are old.",
        ),
        UNHAPPY: (
            "Honestly a bit of a shock. Nobody seemed to know I was starting.",
            "The team is stretched and morale seems low.",
        ),
    },
    "concerns": {
        HAPPY: ("", "", "", "Nothing at the moment, thank you!", "No, all good."),
        WOBBLY: (
            "Could you ask about the training budget? It was mentioned at interview.",
            "The commute is harder than I thought; any chance of a hybrid day?",
            "",
        ),
        UNHAPPY: (
            "I am thinking about leaving if things do not change soon.",
            "I have had another offer and I am not sure what to do.",
            "I feel misled about the role and I am really disappointed.",
            "Constant overtime and no thanks for it. I am miserable.",
        ),
    },
    "expectations_detail": {
        WOBBLY: ("More admin than I expected, less time with clients.",),
        UNHAPPY: (
            "It is mostly cold calling, not the account management I was promised.",
            "The project I was hired for has been cancelled.",
            "No training at all, I was thrown straight in.",
        ),
    },
    "hours_detail": {
        WOBBLY: ("Often staying until 6.30 to finish off.",),
        UNHAPPY: ("Expected to work most Saturdays, which was never mentioned.",),
    },
    "duties_detail": {
        WOBBLY: ("Covering reception two afternoons a week.",),
        UNHAPPY: ("Doing two jobs since a colleague left and nobody replaced them.",),
    },
    "teething_detail": {
        WOBBLY: ("Still waiting for a laptop that works with the VPN.",),
        UNHAPPY: ("No system access after a week and payroll has my details wrong.",),
    },
    "client_concerns": {
        WOBBLY: ("Slower to pick things up than we hoped; we will give it time.",),
        UNHAPPY: (
            "Several missed deadlines and some friction with the team.",
            "Timekeeping has slipped and they seem disengaged.",
        ),
    },
    "terms_candidate_detail": {UNHAPPY: ("Leaving at 4pm most days without agreement.",)},
    "terms_client_detail": {UNHAPPY: ("We have had to delay the car allowance until April.",)},
    "new_roles_detail": {
        HAPPY: (
            "A second analyst in the spring, and possibly a team leader.",
            "Two more for the same team after the new contract starts.",
            "",
        )
    },
    "went_well": {HAPPY: ("Quick, honest and kept me informed.", "")},
    "do_better": {HAPPY: ("", "")},
}


class Feedback:
    """Questionnaire steps of the demo agency; keepwarm.demo.agency._Agency sets these up."""

    today: dt.date
    now: dt.datetime
    rng: random.Random
    consultants: list[User]
    demo: User
    tom: User

    def at(self, day: dt.date, earliest: int = 9, latest: int = 17) -> dt.datetime:
        raise NotImplementedError  # keepwarm.demo.history.History.at

    # --- invitations and answers ------------------------------------------------------

    def answer_questionnaires(self) -> None:
        """Every questionnaire emailed so far became an invitation; most were answered."""
        rng, now = self.rng, self.now
        sent = list(
            Touchpoint.objects.filter(
                kind=Kind.QUESTIONNAIRE,
                state=Touchpoint.State.DONE,
                outcome=Touchpoint.Outcome.EMAILED,
                placement__isnull=False,
                step__questionnaire__isnull=False,
            )
            .select_related("step__questionnaire", "placement")
            .order_by("due_on", "id")
        )
        sent = [t for t in sent if t.step is not None and t.done_at is not None]
        days = invitation_days()
        new = []
        for t in sent:
            assert t.step is not None and t.step.questionnaire is not None and t.done_at
            assert t.placement_id is not None
            new.append(
                Invitation(
                    placement_id=t.placement_id,
                    person_id=t.person_id,
                    questionnaire=t.step.questionnaire,
                    touchpoint=t,
                    sender_id=t.owner_id,
                    sent_at=t.done_at,
                    expires_at=t.done_at + dt.timedelta(days=days),
                )
            )
        invitations = Invitation.objects.bulk_create(new, batch_size=500)
        for inv in invitations:
            inv.created_at = inv.sent_at or now  # auto_now_add stamped "now"
        update_objects(invitations, ["created_at"])
        questions = self._questions(invitations)
        self.moods = self._moods(sent)

        responses: list[tuple[Response, Invitation]] = []
        for inv, t in zip(invitations, sent, strict=True):
            assert inv.sent_at is not None
            age = (now - inv.sent_at).days
            mood = self._mood_on(inv.placement_id, t.due_on)
            chance = {HAPPY: 0.85, WOBBLY: 0.75, UNHAPPY: 0.55}[mood]
            if age < 4:
                chance = 0.35  # recent ones are still waiting
            if inv.placement_id in self.showcase or rng.random() < chance:
                answered = inv.sent_at + dt.timedelta(hours=rng.randint(2, 90))
                if answered >= now:
                    continue
                inv.answered_at = answered
                response = Response(
                    invitation=inv,
                    placement_id=inv.placement_id,
                    person_id=inv.person_id,
                    questionnaire_id=inv.questionnaire_id,
                    submitted_at=answered,
                )
                responses.append((response, inv))
        Response.objects.bulk_create([r for r, _ in responses], batch_size=500)
        answered_invitations = [inv for _, inv in responses]
        update_objects(answered_invitations, ["answered_at"])
        answers: list[Answer] = []
        for response, inv in responses:
            mood = self._mood_on(inv.placement_id, timezone.localdate(response.submitted_at))
            sure = inv.placement_id in self.showcase and mood == UNHAPPY
            answers.extend(self._answers(response, questions[inv.pk], mood, sure=sure))
        Answer.objects.bulk_create(answers, batch_size=1000)

    def _questions(self, invitations: list[Invitation]) -> dict[int, list[Question]]:
        """Each invitation's questions; client ones get a question per agreed target."""
        own: dict[int, list[Question]] = defaultdict(list)
        asks_targets: set[int] = set()
        for q in Question.objects.filter(invitation__isnull=True).select_related("questionnaire"):
            own[q.questionnaire_id].append(q)
            if q.questionnaire.asks_about_targets:
                asks_targets.add(q.questionnaire_id)
        first_names = dict(Placement.objects.values_list("id", "person__first_name"))
        targets: dict[int, list[Target]] = defaultdict(list)
        for target in Target.objects.order_by("id"):
            targets[target.placement_id].append(target)
        extra = [
            Question(
                questionnaire_id=inv.questionnaire_id,
                invitation=inv,
                order=i + 1,
                code=f"target:{target.pk}",
                kind=Question.Kind.CHOICE,
                label=f"{target.name}: how is {first_names[inv.placement_id]} doing "
                "against the agreed target?",
                help=f"Agreed: {target}",
                choices=TARGET_CHOICES,
                number_label=f"Where are they now? ({target.unit}, optional)",
            )
            for inv in invitations
            if inv.questionnaire_id in asks_targets
            for i, target in enumerate(targets[inv.placement_id])
        ]
        Question.objects.bulk_create(extra, batch_size=500)
        found: dict[int, list[Question]] = {
            inv.pk: list(own[inv.questionnaire_id]) for inv in invitations
        }
        by_pk = {t.pk: t for ts in targets.values() for t in ts}
        self.target_of: dict[int, Target] = {}
        for q in extra:
            assert q.invitation_id is not None
            found[q.invitation_id].append(q)
            self.target_of[q.pk] = by_pk[int(q.code.removeprefix("target:"))]
        return found

    def _moods(self, sent: list[Touchpoint]) -> dict[int, tuple[str, dt.date | None]]:
        """Each placement's mood, and from when an unhappy one turned (None: all along).

        One recent placement each of Sam's and Tom's turns unhappy, so Today has alerts.
        """
        rng, today = self.rng, self.today
        moods: dict[int, tuple[str, dt.date | None]] = {}
        placements = Placement.objects.filter(id__in={t.placement_id for t in sent})
        for p in placements.only("id", "status", "start_date"):
            roll = rng.random()
            if p.status in Placement.ENDED:
                mood = UNHAPPY if roll < 0.65 else WOBBLY if roll < 0.85 else HAPPY
            else:
                mood = HAPPY if roll < 0.72 else WOBBLY if roll < 0.9 else UNHAPPY
            turned = p.start_date + dt.timedelta(days=rng.choice((0, 20, 60)))
            moods[p.pk] = (mood, turned if mood == UNHAPPY else None)
        self.showcase: set[int] = set()
        asked = [
            t
            for t in reversed(sent)
            if t.placement is not None
            and t.placement_id is not None
            and t.audience == "candidate"
            and t.placement.status in Placement.ACTIVE
            and (today - t.due_on).days >= 3
        ]
        for consultant in (self.demo, self.tom):
            mine = [t for t in asked if t.owner_id == consultant.pk]
            # The latest answers, however old (a small demo may have none this fortnight).
            for t in mine[:1]:
                assert t.placement_id is not None
                self.showcase.add(t.placement_id)
                moods[t.placement_id] = (UNHAPPY, t.due_on)
        return moods

    def _mood_on(self, placement_id: int | None, day: dt.date) -> str:
        mood, turned = self.moods.get(placement_id or 0, (HAPPY, None))
        if mood == UNHAPPY and turned is not None and day < turned:
            return HAPPY  # fine at first: the drop since then is a signal too
        return mood

    def _answers(
        self, response: Response, questions: list[Question], mood: str, *, sure: bool = False
    ) -> list[Answer]:
        rng = self.rng
        given: dict[str, Any] = {}
        out: list[Answer] = []
        for q in questions:
            if q.show_if_id is not None:
                continue  # follow-ups below, once their trigger is answered
            value = "no" if sure and q.code == "expectations_met" else self._value(q, mood)
            if value is None:
                continue
            given[q.code] = value
            number = None
            text = ""
            if q.kind in (Question.Kind.NPS, Question.Kind.RATING):
                number = Decimal(value)
            else:
                text = str(value)
                target = self.target_of.get(q.pk)
                if target is not None and rng.random() < 0.7:
                    share = {"met": 1.05, "on_track": 0.8, "behind": 0.5}[text]
                    share *= rng.uniform(0.9, 1.1)
                    number = (target.target_value * Decimal(str(share))).quantize(Decimal("1"))
            out.append(Answer(response=response, question=q, value_number=number, value_text=text))
        for q in questions:
            trigger = next((p for p in questions if p.pk == q.show_if_id), None)
            if trigger is None or str(given.get(trigger.code, "")) not in q.trigger_values:
                continue
            text = self._text(q.code, mood)
            if text:
                out.append(Answer(response=response, question=q, value_text=text))
        return out

    def _value(self, q: Question, mood: str) -> Any:
        """One answer in keeping with the mood: mostly fine, sometimes one thing wrong."""
        scores = SCORES.get(q.kind)
        if scores is not None:
            return self.rng.choice(scores[mood])
        if q.code.startswith("target:") or q.code in CODED:
            return self._coded(q.code, mood)
        return self._by_kind(q, mood)

    def _coded(self, code: str, mood: str) -> str:
        """Questions the risk model reads by their code."""
        rng = self.rng
        if code.startswith("target:"):
            weights = {HAPPY: (45, 50, 5), WOBBLY: (20, 50, 30), UNHAPPY: (5, 35, 60)}[mood]
            return rng.choices(("met", "on_track", "behind"), weights)[0]
        if code in ("teething_problems", "has_concerns"):
            return "yes" if rng.random() < BAD[mood] else "no"
        if code == "new_roles":
            return "yes" if rng.random() < 0.3 else "no"
        # see_in_a_year
        if mood == HAPPY:
            return "yes"
        return rng.choice(SEE_IN_A_YEAR[mood])

    def _by_kind(self, q: Question, mood: str) -> Any:
        rng = self.rng
        bad = BAD[mood]
        if q.code.startswith("terms_kept"):
            bad /= 3  # a breach of terms is rarer than a grumble
        if q.kind == Question.Kind.YES_NO:
            return "no" if rng.random() < bad else "yes"
        if q.kind == Question.Kind.TEXT:
            return self._text(q.code, mood) or None
        options = q.options()
        return rng.choice(options)[0] if options else None

    def _text(self, code: str, mood: str) -> str:
        pools = TEXT.get(code, {})
        pool = pools.get(mood) or pools.get(WOBBLY) or ("",)
        return self.rng.choice(pool)

    # --- risk and alerts --------------------------------------------------------------

    def rescore_endings(self) -> None:
        """The endings were recorded before the answers and last contacts were filled in
        (which of them ended decides how gloomily they answered): each ended placement's
        last score is worked out again from its whole history, as of the day it ended,
        as recording the ending does."""
        ended = Placement.objects.filter(status__in=Placement.ENDED).select_related("owner")
        Risk.objects.filter(placement__in=ended).update(outcome="")
        for placement in ended:
            on_placement_ended(placement=placement, by=placement.owner, now=self.now)

    def score_and_alert(self) -> None:
        """Work out everyone's risk; the worrying answers of the last fortnight opened
        alerts: most were dealt with and closed with a note, some are still open."""
        recompute_all(now=self.now)
        today = self.today
        worrying = (
            Signal.objects.filter(
                active=True,
                kind__in=scoring.WORRYING,
                placement__status__in=Placement.ACTIVE,
            )
            .filter(
                Q(observed_on__gte=today - dt.timedelta(days=14))
                | Q(placement_id__in=self.showcase)
            )
            .select_related("placement", "placement__owner")
            .order_by("observed_on", "id")
        )
        reasons: dict[int, list[str]] = defaultdict(list)
        first_seen: dict[int, dt.date] = {}
        placements: dict[int, Placement] = {}
        for signal in worrying:
            reasons[signal.placement_id].append(signal.reason)
            first_seen.setdefault(signal.placement_id, signal.observed_on)
            placements[signal.placement_id] = signal.placement
        notes = iter(CLOSE_NOTES * 10)
        kept_open: list[Alert] = []
        for pk, placement in placements.items():
            opened_on = first_seen[pk]
            opened = self.at(opened_on, 10, 16)
            alert = Alert.objects.filter(placement=placement, state=Alert.State.OPEN).first()
            if alert is not None:
                # The daily run opened it just now; the answers that did it came earlier.
                alert.opened_at, alert.due_at = opened, due_after(opened)
                alert.save(update_fields=["opened_at", "due_at"])
            else:
                alert = open_alert(placement=placement, reason="\n".join(reasons[pk]), now=opened)
            if alert is None:
                continue
            if pk in self.showcase or (today - opened_on).days < 3 or self.rng.random() < 0.4:
                kept_open.append(alert)
            else:
                self.close(alert, next(notes))
        if not Alert.objects.filter(state=Alert.State.CLOSED).exists():
            # Every demo shows what closing looks like.
            others = [a for a in kept_open if a.placement.owner_id != self.demo.pk]
            spare = [a for a in others if a.placement_id not in self.showcase] + others
            for alert in spare[:1]:
                self.close(alert, CLOSE_NOTES[0])
        # Alerts left open long past their due time have gone to the managers, as the
        # worker's tick does.
        escalate_overdue_alerts(now=self.now)

    def close(self, alert: Alert, note: str) -> None:
        closed = min(due_after(alert.opened_at) - dt.timedelta(hours=2), self.now)
        close_alert(alert=alert, by=alert.placement.owner, note=note, now=closed)


CLOSE_NOTES = (
    "Called her the same afternoon. The overtime was a one-off for the year-end close; "
    "the manager has agreed time off in lieu. Will check again in two weeks.",
    "Spoke to both sides. The duties drifted after a colleague left; the client is "
    "recruiting a replacement and has taken the extra work back. Happy for now.",
    "Long chat on the phone. Mostly nerves about the probation review; set up a call "
    "with the hiring manager for Friday.",
    "Met for a coffee. The counter-offer was a rumour; they are staying. Logged a call.",
    "Raised it with the client: training course booked for next month.",
)
