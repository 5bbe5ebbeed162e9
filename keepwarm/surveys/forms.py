"""The public answer form, built from an invitation's questions, and the admin builder forms."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.text import slugify

from keepwarm.surveys.models import Question, Questionnaire
from keepwarm.surveys.services import Given, is_shown

TEXT_LIMIT = 5000
NUMBER_LIMIT = Decimal("999999999999")
PLEASE_ANSWER = "Please answer this question."


def field_name(question: Question) -> str:
    return f"q_{question.pk}"


def condition_for(question: Question) -> str:
    """The "If you answered No to “…”:" line above a follow-up; "" for any other question."""
    trigger = question.show_if
    if trigger is None:
        return ""
    labels = [trigger.label_for(v) for v in question.trigger_values]
    said = " or ".join(labels) if labels else "…"
    return f"If you answered {said} to “{trigger.label}”:"


class AnswerForm(forms.Form):
    """Every field is optional to Django; `clean` applies "required" only to questions that
    are asked, so a hidden follow-up never blocks the form."""

    def __init__(self, *args: Any, questions: list[Question], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.given: dict[int, Given] = {}
        for question in questions:
            self.fields[field_name(question)] = self._field_for(question)
            if question.number_label:
                self.fields[f"{field_name(question)}_number"] = forms.DecimalField(
                    required=False,
                    label=question.number_label,
                    max_digits=14,
                    decimal_places=2,
                    min_value=-NUMBER_LIMIT,
                    max_value=NUMBER_LIMIT,
                    widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
                )

    @staticmethod
    def _field_for(question: Question) -> forms.Field:
        kind = question.kind
        common: dict[str, Any] = {"required": False, "label": question.label}
        if kind == Question.Kind.TEXT:
            return forms.CharField(
                max_length=TEXT_LIMIT,
                widget=forms.Textarea(attrs={"rows": 3, "maxlength": TEXT_LIMIT}),
                **common,
            )
        if kind == Question.Kind.MULTI_CHOICE:
            return forms.MultipleChoiceField(
                choices=question.options(), widget=forms.CheckboxSelectMultiple, **common
            )
        return forms.ChoiceField(choices=question.options(), widget=forms.RadioSelect, **common)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given: dict[int, Given] = {}
        for question in self.questions:
            value = data.get(field_name(question))
            number = data.get(f"{field_name(question)}_number")
            answer = Given(number=number)
            if question.kind in (Question.Kind.NPS, Question.Kind.RATING):
                answer.number = Decimal(str(value)) if value else None
            elif question.kind == Question.Kind.MULTI_CHOICE:
                answer.choices = list(value or [])
            else:
                answer.text = (value or "").strip()
            given[question.pk] = answer
        for question in self.questions:
            answer = given[question.pk]
            empty = answer.number is None and not answer.text and not answer.choices
            name = field_name(question)
            asked = is_shown(question, given)
            if question.required and empty and asked and name not in self.errors:
                self.add_error(name, PLEASE_ANSWER)
        self.given = given
        return data


# --- The admin builder -------------------------------------------------------------------------


class QuestionnaireForm(forms.ModelForm[Questionnaire]):
    class Meta:
        model = Questionnaire
        fields = [
            "name",
            "public_title",
            "code",
            "audience",
            "intro",
            "thanks",
            "asks_about_targets",
            "is_active",
        ]
        widgets = {
            "intro": forms.Textarea(attrs={"rows": 3}),
            "thanks": forms.Textarea(attrs={"rows": 2}),
        }


class QuestionForm(forms.ModelForm[Question]):
    choices_text = forms.CharField(
        required=False,
        label="Choices",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One per line, for choice questions; five lines relabel a 1–5 rating.",
    )

    class Meta:
        model = Question
        fields = [
            "order",
            "code",
            "kind",
            "label",
            "help",
            "required",
            "choices_text",
            "number_label",
            "show_if",
            "show_if_values",
        ]

    def __init__(self, *args: Any, questionnaire: Questionnaire, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.questionnaire = questionnaire
        others = questionnaire.questions.filter(invitation__isnull=True)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        show_if = self.fields["show_if"]
        assert isinstance(show_if, forms.ModelChoiceField)
        show_if.queryset = others.order_by("order", "id")
        show_if.empty_label = "— always ask —"
        if self.instance.pk and not self.is_bound:
            self.initial["choices_text"] = "\n".join(c["label"] for c in self.instance.choices)
        self.fields["code"].required = False
        self.fields["code"].help_text = "A stable name for reports; made from the label if empty."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._clean_choices(data)
        if not data.get("code") and data.get("label"):
            data["code"] = slugify(data["label"]).replace("-", "_")[:60]
        self._clean_show_if(data)
        self._clean_code(data)
        return data

    def _clean_choices(self, data: dict[str, Any]) -> None:
        """The choices, one per line; a label kept keeps its stored value, so answers
        given under it still read back."""
        kind = data.get("kind")
        labels = [line.strip() for line in data.get("choices_text", "").splitlines()]
        labels = [label for label in labels if label]
        if kind in (Question.Kind.CHOICE, Question.Kind.MULTI_CHOICE) and len(labels) < 2:
            self.add_error("choices_text", "Give at least two choices, one per line.")
        if kind == Question.Kind.RATING and labels and len(labels) != 5:
            self.add_error("choices_text", "A rating has five labels (1 to 5), or none.")
        existing = {c["label"]: c["value"] for c in self.instance.choices or []}
        choices = []
        for label in labels:
            value = existing.get(label) or slugify(label).replace("-", "_")[:50] or "choice"
            choices.append({"value": value, "label": label})
        values = [c["value"] for c in choices]
        if len(set(values)) != len(values):
            self.add_error("choices_text", "Two choices are too alike; make each one different.")
        self.instance.choices = (
            choices
            if kind in (Question.Kind.CHOICE, Question.Kind.MULTI_CHOICE, Question.Kind.RATING)
            else []
        )

    def _clean_show_if(self, data: dict[str, Any]) -> None:
        trigger = data.get("show_if")
        wanted = [v.strip() for v in data.get("show_if_values", "").split(",") if v.strip()]
        if trigger is not None:
            allowed = [value for value, _ in trigger.options()]
            if not wanted:
                self.add_error("show_if_values", "Say which answer(s) bring up this question.")
            elif allowed and set(wanted) - set(allowed):
                self.add_error(
                    "show_if_values", "Use the answer values: " + ", ".join(allowed) + "."
                )
        elif wanted:
            self.add_error("show_if", "Choose the question these answers belong to.")

    def _clean_code(self, data: dict[str, Any]) -> None:
        code = data.get("code")
        if code:
            clash = self.instance.questionnaire.questions.filter(
                invitation__isnull=True, code=code
            ).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("code", "Another question in this questionnaire has this code.")
