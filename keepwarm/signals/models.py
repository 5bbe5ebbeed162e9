"""Warning signs on a placement, the fall-off risk they add up to, and the alerts they open."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from keepwarm.lib.stamps import Stamped
from keepwarm.placements.models import Placement
from keepwarm.signals import text

# Placements still going, the guarantee over or not: every one of them is scored.
LIVE = (*Placement.ACTIVE, Placement.Status.SETTLED)


class SignalKind(models.TextChoices):
    DETRACTOR_NPS = "detractor_nps", "Would not recommend us (NPS 0–6)"
    LOW_RATING = "low_rating", "Low rating (1–2 of 5)"
    EXPECTATIONS_NOT_MET = "expectations_not_met", "Job does not meet expectations"
    TERMS_NOT_AS_AGREED = "terms_not_as_agreed", "Hours or duties not as agreed"
    NOT_IN_A_YEAR = "not_in_a_year", "Does not see themselves there in a year"
    NEGATIVE_TEXT = "negative_text", "Negative comment"
    MIGHT_LEAVE = "might_leave", "Says they might leave"
    SCORE_DROP = "score_drop", "Scores dropped since last time"
    UNANSWERED = "unanswered", "Check-in not answered or call missed"
    LONG_SILENCE = "long_silence", "No contact for a long time"
    CLIENT_CONCERN = "client_concern", "Client has a concern"
    TARGETS_BEHIND = "targets_behind", "Targets behind"
    WOULD_NOT_HIRE_AGAIN = "would_not_hire_again", "Client would not hire through us again"
    TERMS_BREACH = "terms_breach", "Terms not kept by one side"
    MANUAL = "manual", "Raised by a consultant"
    REPORTED_PROBLEM = "reported_problem", "Reported a problem on their personal page"


class Signal(models.Model):
    """One warning sign on a placement, with the weight it carried when last scored.

    Signals derived from answers and records are recomputed with the risk: one that no
    longer applies (superseded by newer answers) is kept but made inactive, so the history
    of what worried us stays readable.
    """

    class Source(models.TextChoices):
        RESPONSE = "response", "Questionnaire response"
        ANSWER = "answer", "Answer"
        INVITATION = "invitation", "Unanswered invitation"
        TOUCHPOINT = "touchpoint", "Touchpoint"
        RECORD = "record", "Contact record"
        MANUAL = "manual", "Consultant"
        # Said by the placed person or their manager on their personal page; counts until
        # the alert it opened is closed.
        PERSONAL_PAGE = "personal_page", "Personal page"

    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="signals")
    kind = models.CharField(max_length=30, choices=SignalKind.choices)
    weight = models.FloatField(help_text="The weight applied when the risk was last computed.")
    reason = models.CharField(max_length=300)
    source = models.CharField(max_length=20, choices=Source.choices)
    # The id of the answer, response, invitation or touchpoint it came from (0: none).
    source_id = models.PositiveBigIntegerField(default=0)
    observed_on = models.DateField(help_text="When what the signal says happened.")
    created_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-observed_on", "-id"]
        indexes = [models.Index(fields=["placement", "active"], name="signal_placement_active")]

    def __str__(self) -> str:
        return self.reason


class Risk(models.Model):
    """A placement's current fall-off risk: the cached result of the last recompute."""

    placement = models.OneToOneField(Placement, on_delete=models.CASCADE, related_name="risk")
    score = models.PositiveSmallIntegerField(default=0, db_index=True)
    # The fitted model's view, when the agency has enough outcomes to fit one.
    fitted_score = models.PositiveSmallIntegerField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    # The graded factors the score is made from (name -> value), see signals/features.py.
    features = models.JSONField(default=dict, blank=True)
    in_first_year = models.BooleanField(default=True, db_index=True)
    # The latest moment something new was heard (an answer, a call, a concern, a report):
    # a closed alert comes back only on evidence newer than its close.
    evidence_at = models.DateTimeField(null=True, blank=True)
    # Set once the placement's fate is known: "left" (fell off / left early) or "stayed".
    outcome = models.CharField(max_length=10, blank=True)
    outcome_on = models.DateField(null=True, blank=True)
    # The features when the outcome was recorded: the example the fitted model learns from.
    outcome_features = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-score", "placement_id"]

    def __str__(self) -> str:
        return f"{self.score} — {self.placement}"


class RiskWeight(models.Model):
    """The default weight of one signal kind: the chance (0–1) it alone means a fall-off.

    Scores combine as 100 × (1 − Π(1 − weight)), so admins can read a weight as
    "on its own, this makes a fall-off about this likely".
    """

    kind = models.CharField(max_length=30, choices=SignalKind.choices, unique=True)
    label = models.CharField(max_length=100)
    weight = models.FloatField()
    explanation = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-weight", "kind"]

    def __str__(self) -> str:
        return f"{self.label}: {self.weight:.2f}"


class RiskSettings(models.Model):
    """The agency's risk settings: one row (pk 1), edited by admins."""

    class AlertBy(models.TextChoices):
        SCORE = "score", "A score at or above"
        SHARE = "share", "The riskiest share of live placements"

    alert_by = models.CharField(max_length=10, choices=AlertBy.choices, default=AlertBy.SCORE)
    # The default catches about half of those who leave at under a fifth of placements on
    # public attrition data (bench/risk_validation.py).
    alert_threshold = models.PositiveSmallIntegerField(
        default=40, help_text="A risk score at or above this opens an alert."
    )
    alert_share = models.PositiveSmallIntegerField(
        default=10, help_text="Alert on the riskiest this many % of live placements."
    )
    silence_days = models.PositiveSmallIntegerField(
        default=30, help_text="Days without contact with the placed person that count as silence."
    )
    min_outcomes = models.PositiveSmallIntegerField(
        default=30,
        help_text="Placements that fell off, and that stayed, needed before a model is fitted.",
    )
    # Set by a manager on the Alerts page; empty means KEEPWARM_ALERT_ESCALATE_HOURS.
    escalate_after_hours = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Hours an alert may stay open past its due time before it goes to the managers.",
    )

    class Meta:
        verbose_name_plural = "risk settings"

    def __str__(self) -> str:
        return "Risk settings"

    @classmethod
    def current(cls) -> RiskSettings:
        found, _ = cls.objects.get_or_create(pk=1)
        return found


class RiskSnapshot(models.Model):
    """A placement's factors at one check-in point (days since the start): the examples
    the model learns from, so leavers and stayers are compared at the same tenure."""

    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="+")
    checkpoint = models.PositiveIntegerField(help_text="Days since the start.")
    taken_on = models.DateField()
    features = models.JSONField(default=dict)
    score = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["placement", "checkpoint"], name="risk_snapshot_one_per_point"
            )
        ]

    def __str__(self) -> str:
        return f"{self.placement_id} at day {self.checkpoint}: {self.score}"


class FittedModel(models.Model):
    """A logistic regression fitted to the agency's own outcomes, calibrated."""

    coefficients = models.JSONField(help_text="Factor -> coefficient (log-odds), calibrated.")
    intercept = models.FloatField()
    fitted_at = models.DateTimeField()
    n_outcomes = models.PositiveIntegerField()
    n_left = models.PositiveIntegerField()
    n_stayed = models.PositiveIntegerField()
    auc = models.FloatField(help_text="ROC AUC on the agency's own outcomes (cross-validated).")
    default_auc = models.FloatField(
        null=True, blank=True, help_text="ROC AUC of the built-in priors on the same outcomes."
    )
    # Held out: [{decile, n, predicted, observed}], and per score cut-off the share of
    # placements alerted, the share of them that left and the share of leavers caught.
    deciles = models.JSONField(default=list, blank=True)
    precision = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-fitted_at", "-id"]
        get_latest_by = "fitted_at"

    def __str__(self) -> str:
        return f"Fitted {self.fitted_at:%d %b %Y} on {self.n_outcomes} outcomes"


class Alert(Stamped):
    """Something about a placement someone must act on, closed with what was done."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="alerts")
    # Whoever must act: the placement's owner, or the colleague covering them.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="alerts"
    )
    reason = models.TextField()
    risk_score = models.PositiveSmallIntegerField(null=True, blank=True)
    opened_at = models.DateTimeField()
    due_at = models.DateTimeField(db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    close_note = models.TextField(blank=True)
    reopened_count = models.PositiveSmallIntegerField(default=0)
    # The newest evidence the alert has taken in (see Risk.evidence_at): an open alert is
    # added to, and a closed one reopened, only by evidence newer than this.
    heard_until = models.DateTimeField(null=True, blank=True)
    # When it went to the managers for being open too long past its due time (see
    # alerts.escalate_overdue_alerts); cleared when the alert is reopened.
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta(Stamped.Meta):
        ordering = ["due_at", "id"]
        constraints = [
            # One open alert per placement: new worries are added to it, not piled up.
            models.UniqueConstraint(
                fields=["placement"], condition=Q(state="open"), name="alert_one_open"
            ),
            models.CheckConstraint(
                condition=Q(state="open") | ~Q(close_note=""), name="alert_closed_with_note"
            ),
        ]
        indexes = [models.Index(fields=["owner", "state"], name="alert_owner_state")]

    def __str__(self) -> str:
        return f"{self.placement}: {self.reason[:60]}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    def is_overdue(self, now: dt.datetime) -> bool:
        return self.is_open and self.due_at < now


class TextReading(models.Model):
    """How one piece of free text reads: an answer's words or a logged call's note.

    Kept so the tone and any leaving-intent phrase show where the words are shown, as
    they read when written (the reading rules may improve; old readings stay as shown).
    """

    class Source(models.TextChoices):
        ANSWER = "answer", "Answer"
        TOUCHPOINT = "touchpoint", "Call or meeting note"

    source = models.CharField(max_length=20, choices=Source.choices)
    source_id = models.PositiveBigIntegerField()
    # keepwarm.signals.text.tone: −1 (all negative) to 1 (all positive).
    tone = models.FloatField()
    # A key of keepwarm.signals.text.CATEGORIES, or "" when no leaving intent was found.
    intent = models.CharField(max_length=30, blank=True)
    intent_phrase = models.CharField(max_length=200, blank=True)
    read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="text_reading_once")
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.source_id}: {self.tone:+.2f}"

    @property
    def tone_word(self) -> str:
        return text.tone_word(self.tone)

    @property
    def intent_label(self) -> str:
        return text.CATEGORIES.get(self.intent, "")
