"""Questionnaires, the signed invitations that carry them, and the answers that come back."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from keepwarm.care.models import Audience, Touchpoint
from keepwarm.lib.stamps import Stamped
from keepwarm.people.models import Person
from keepwarm.placements.models import Placement

RATING_LABELS = {1: "Very poor", 2: "Poor", 3: "OK", 4: "Good", 5: "Excellent"}
TARGET_CHOICES = [
    {"value": "met", "label": "Met"},
    {"value": "on_track", "label": "On track"},
    {"value": "behind", "label": "Behind"},
]


class Questionnaire(Stamped):
    """A set of questions for placed candidates or for client contacts."""

    code = models.SlugField(max_length=60, unique=True, help_text="A short name for links.")
    name = models.CharField(
        "Internal name", max_length=200, unique=True, help_text="What the team calls it."
    )
    public_title = models.CharField(
        max_length=200,
        blank=True,
        help_text="What the person answering sees: the page's heading, its tab and the email "
        "subject, e.g. “How is your first week going?”.",
    )
    audience = models.CharField(max_length=20, choices=Audience.choices)
    intro = models.TextField(blank=True, help_text="Shown above the questions.")
    thanks = models.TextField(blank=True, help_text="Shown after the answers are sent.")
    asks_about_targets = models.BooleanField(
        default=False,
        help_text=(
            "Ask about each agreed target of the placement by name "
            "(met / on track / behind, with a number)."
        ),
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(Stamped.Meta):
        ordering = ["audience", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def title(self) -> str:
        """The title outsiders see: never the internal name, which may read "Client: …"."""
        return self.public_title.strip() or DEFAULT_PUBLIC_TITLE


# For a questionnaire given no public title.
DEFAULT_PUBLIC_TITLE = "A few quick questions"


class Question(Stamped):
    """One question. A follow-up (`show_if`) is asked only when that answer is one of
    `show_if_values`, e.g. "What has not matched your expectations?" after "No".

    Stamped so the answer page's cached questions (surveys.page) see every edit."""

    class Kind(models.TextChoices):
        NPS = "nps", "Likelihood 0–10 (NPS)"
        RATING = "rating", "Rating 1–5"
        YES_NO = "yes_no", "Yes or no"
        CHOICE = "choice", "One choice"
        MULTI_CHOICE = "multi_choice", "Several choices"
        TEXT = "text", "Free text"

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions"
    )
    # Set on questions built for one invitation (one per agreed target of its placement).
    invitation = models.ForeignKey(
        "Invitation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="extra_questions",
    )
    order = models.PositiveSmallIntegerField(default=0)
    code = models.CharField(
        max_length=60, help_text="A stable name for reports, e.g. expectations_met."
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    label = models.CharField(max_length=300)
    help = models.CharField(max_length=300, blank=True)
    required = models.BooleanField(default=True)
    # [{"value": "met", "label": "Met"}, ...] for choices; five labels may relabel a rating.
    choices = models.JSONField(default=list, blank=True)
    number_label = models.CharField(
        max_length=100, blank=True, help_text="Also ask for an optional number, with this label."
    )
    show_if = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        verbose_name="Only ask after",
    )
    show_if_values = models.CharField(
        max_length=200,
        blank=True,
        verbose_name="…when the answer is",
        help_text="Comma-separated answer values, e.g. no  or  1,2.",
    )

    class Meta(Stamped.Meta):
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "code"],
                condition=Q(invitation__isnull=True),
                name="question_code_unique",
            ),
            models.UniqueConstraint(
                fields=["invitation", "code"],
                condition=Q(invitation__isnull=False),
                name="invitation_question_code_unique",
            ),
        ]
        indexes = [
            # The answer page's version of a questionnaire: its own questions' count and
            # latest edit, read without the questions built for each invitation.
            models.Index(
                fields=["questionnaire", "updated_at"],
                name="question_own_version",
                condition=Q(invitation__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def trigger_values(self) -> list[str]:
        return [v.strip() for v in self.show_if_values.split(",") if v.strip()]

    def options(self) -> list[tuple[str, str]]:
        """(value, label) pairs a person picks from; empty for free text."""
        if self.kind == self.Kind.NPS:
            return [(str(n), str(n)) for n in range(11)]
        if self.kind == self.Kind.RATING:
            labels = [c["label"] for c in self.choices] if len(self.choices) == 5 else None
            return [
                (str(n), f"{n} – {labels[n - 1] if labels else RATING_LABELS[n]}")
                for n in range(1, 6)
            ]
        if self.kind == self.Kind.YES_NO:
            return [("yes", "Yes"), ("no", "No")]
        if self.kind in (self.Kind.CHOICE, self.Kind.MULTI_CHOICE):
            return [(str(c["value"]), str(c["label"])) for c in self.choices]
        return []

    def label_for(self, value: str) -> str:
        return dict(self.options()).get(value, value)


class Invitation(Stamped):
    """A questionnaire sent to one person about one placement, by a signed link."""

    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="invitations")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="invitations")
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="invitations"
    )
    touchpoint = models.OneToOneField(
        Touchpoint,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitation",
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    # The subject the invitation went out with: its reminder says "Reminder: " and the same.
    subject = models.CharField(max_length=200, blank=True)

    class Meta(Stamped.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [
            # The reminder step reads unanswered, unreminded invitations by send time.
            models.Index(
                fields=["sent_at"],
                name="invitation_awaiting_reminder",
                condition=Q(answered_at__isnull=True, reminded_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire} for {self.person}"

    def is_expired(self, now: Any = None) -> bool:
        return (now or timezone.now()) >= self.expires_at

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    def all_questions(self) -> models.QuerySet[Question]:
        """The questionnaire's own questions and those built for this invitation."""
        return Question.objects.filter(
            Q(questionnaire_id=self.questionnaire_id, invitation__isnull=True) | Q(invitation=self)
        ).order_by("order", "id")


class Response(Stamped):
    """What a person answered; one per invitation (the one-to-one is the replay guard)."""

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="response")
    # Copied from the invitation so reports filter without joins.
    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="responses")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="responses")
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="responses"
    )
    submitted_at = models.DateTimeField(db_index=True)

    class Meta(Stamped.Meta):
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.person}: {self.questionnaire} ({self.submitted_at:%d %b %Y})"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value_number = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    value_text = models.TextField(blank=True)
    value_choices = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["question__order", "question_id"]
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="one_answer_per_question")
        ]

    def __str__(self) -> str:
        return f"{self.question.code}: {self.display()}"

    def display(self) -> str:
        """The answer as the person saw it: labels, not stored values."""
        q = self.question
        if q.kind == Question.Kind.MULTI_CHOICE:
            return ", ".join(q.label_for(v) for v in self.value_choices)
        if q.kind in (Question.Kind.NPS, Question.Kind.RATING):
            if self.value_number is None:
                return ""
            return q.label_for(str(int(self.value_number)))
        parts = [q.label_for(self.value_text) if q.options() else self.value_text]
        if self.value_number is not None:
            parts.append(f"{self.value_number.normalize():f}")
        return " · ".join(p for p in parts if p)
