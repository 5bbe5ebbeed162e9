"""Forms for Today, cover, handover and care plans."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.care.models import CarePlan, Kind, PlanStep, Touchpoint
from keepwarm.lib.widgets import DateInput
from keepwarm.placements.models import Placement

DATE = DateInput()

CALL_OUTCOMES = [
    (Touchpoint.Outcome.REACHED, Touchpoint.Outcome.REACHED.label),
    (Touchpoint.Outcome.VOICEMAIL, Touchpoint.Outcome.VOICEMAIL.label),
    (Touchpoint.Outcome.NO_ANSWER, Touchpoint.Outcome.NO_ANSWER.label),
    (Touchpoint.Outcome.WRONG_NUMBER, Touchpoint.Outcome.WRONG_NUMBER.label),
    (Touchpoint.Outcome.MET, Touchpoint.Outcome.MET.label),
    (Touchpoint.Outcome.EMAILED, Touchpoint.Outcome.EMAILED.label),
]


def team() -> Any:
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")


class UserChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return str(obj.display_name)


class LogTouchpointForm(forms.Form):
    """The short form behind "Log call": what happened and when to call next."""

    outcome = forms.ChoiceField(choices=CALL_OUTCOMES, initial=Touchpoint.Outcome.REACHED)
    notes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you talked about; anything a colleague should know.",
    )
    next_action_on = forms.DateField(
        required=False,
        widget=DATE,
        label="Next call on",
        help_text=(
            "Leave empty if the care plan already has the next step. Nobody answered? "
            "The call stays open and is tried again on the next working day, or on this day."
        ),
    )

    def __init__(self, *args: Any, today: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    def clean_next_action_on(self) -> dt.date | None:
        value: dt.date | None = self.cleaned_data.get("next_action_on")
        if value is not None and value < self.today:
            raise forms.ValidationError("The next call cannot be in the past.")
        return value


class DueCallField(forms.ModelChoiceField[Touchpoint]):
    def label_from_instance(self, obj: Touchpoint) -> str:
        """ "Week-one call, due 3 Dec (Account Manager at Acme)"."""
        about = ""
        if obj.placement is not None:
            about = f" ({obj.placement.role_title} at {obj.placement.company.name})"
        tried = f", tried {obj.attempts}×" if obj.attempts else ""
        return f"{obj.title}, due {obj.due_on:%-d %b}{tried}{about}"


class LogCallForm(LogTouchpointForm):
    """Logging a contact from a person's page, optionally about one placement."""

    kind = forms.ChoiceField(
        choices=[(Kind.CALL, "Call"), (Kind.MEETING, "Meeting"), (Kind.EMAIL, "Email")],
        initial=Kind.CALL,
        label="What",
    )
    placement = forms.ModelChoiceField(
        queryset=Placement.objects.none(), required=False, label="About placement"
    )
    # Who called whom; kept in the logged call's title ("Inbound call").
    direction = forms.ChoiceField(
        choices=[("outbound", "I called them"), ("inbound", "They called me")],
        initial="outbound",
        required=False,
        label="Who called",
    )

    # A planned call due now: logging this call completes it rather than adding another.
    complete = DueCallField(
        queryset=Touchpoint.objects.none(),
        required=False,
        label="This completes",
        empty_label="Nothing planned: log a separate call",
        error_messages={
            "invalid_choice": "That call has been logged already (perhaps by a colleague). "
            "Nothing was saved twice; choose again below."
        },
    )

    field_order = [
        *("complete", "kind", "direction", "outcome", "placement", "notes"),
        "next_action_on",
    ]

    def title(self) -> str:
        """The logged touchpoint's title: "Inbound call" / "Outbound call" for calls."""
        data = self.cleaned_data
        if data.get("kind") != Kind.CALL or not data.get("direction"):
            return ""
        return f"{data['direction'].title()} call"

    def __init__(self, *args: Any, placements: Any = None, due: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["placement"]
        assert isinstance(field, forms.ModelChoiceField)
        field.empty_label = "— none —"
        if isinstance(placements, list):
            # The placements the page has read already, shown as they are rather than read
            # again. Only a form that validates nothing is given a list: a POST is checked
            # against a QuerySet.
            assert not self.is_bound, "a bound form checks its placement against a QuerySet"
            field.choices = [
                ("", field.empty_label),
                *((p.pk, field.label_from_instance(p)) for p in placements),
            ]
        else:
            field.queryset = placements
        complete = self.fields["complete"]
        assert isinstance(complete, DueCallField)
        if isinstance(due, list):
            # The due calls the page has read already, as with `placements` above.
            assert not self.is_bound, "a bound form checks the call it completes against a QuerySet"
            complete.choices = [
                ("", complete.empty_label),
                *((t.pk, complete.label_from_instance(t)) for t in due),
            ]
            self.due = due
        else:
            complete.queryset = due if due is not None else Touchpoint.objects.none()
            self.due = list(complete.queryset)
        if self.due and not self.is_bound:
            # Completing the due call is what a consultant means nine times in ten.
            self.initial.setdefault("complete", self.due[0].pk)


class SkipForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        help_text="For the record, e.g. “spoke yesterday at the client’s office”.",
    )


def consultants_other_than(user: User) -> Any:
    """Who may cover or be covered: active consultants, never the person themselves
    (admins and managers see everyone's work already)."""
    return team().filter(role=User.Role.CONSULTANT).exclude(pk=user.pk)


class CoverForm(forms.Form):
    """Cover while someone is away: a manager sets it for anyone, a consultant for
    themselves, or (`offer`) a consultant offers to cover a colleague."""

    absent = UserChoiceField(queryset=team(), label="Who is away")
    colleague = UserChoiceField(queryset=team(), label="Covered by")
    starts_on = forms.DateField(widget=DATE, label="From")
    ends_on = forms.DateField(widget=DATE, label="To (inclusive)")
    note = forms.CharField(max_length=200, required=False, help_text="E.g. “annual leave”.")

    def __init__(self, *args: Any, user: User, offer: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("absent", "colleague"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = consultants_other_than(user)
        if offer:
            self.fields["absent"].label = "Colleague you will cover"
            del self.fields["colleague"]
        elif not user.sees_whole_team:
            # Consultants arrange cover for themselves; managers for anyone.
            del self.fields["absent"]
        else:
            absent = self.fields["absent"]
            assert isinstance(absent, forms.ModelChoiceField)
            absent.queryset = team().filter(role=User.Role.CONSULTANT)
        self.user = user
        self.offer = offer

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data.setdefault("absent", self.user)
        if self.offer:
            data["colleague"] = self.user
        if data.get("colleague") is not None and data["colleague"] == data.get("absent"):
            field = "colleague" if "colleague" in self.fields else "absent"
            self.add_error(field, "Choose a colleague other than the person who is away.")
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", "The last day of cover must be on or after the first.")
        return data


class HandoverForm(forms.Form):
    from_user = UserChoiceField(queryset=team(), label="Hand over from")
    to_user = UserChoiceField(queryset=team(), label="To")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("from_user", "to_user"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = team()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("from_user") and data.get("from_user") == data.get("to_user"):
            self.add_error("to_user", "Choose a different consultant to hand over to.")
        return data


class PlanForm(forms.ModelForm[CarePlan]):
    class Meta:
        model = CarePlan
        fields = ["name", "description", "placement_kind", "is_default"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class PlanStepForm(forms.ModelForm[PlanStep]):
    class Meta:
        model = PlanStep
        fields = [
            "order",
            "title",
            "kind",
            "audience",
            "anchor",
            "offset_days",
            "offset_months",
            "repeat_every_months",
            "repeat_until_months",
            "email_subject",
            "email_body",
            "questionnaire",
        ]
        widgets = {"email_body": forms.Textarea(attrs={"rows": 3})}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        every, until = data.get("repeat_every_months"), data.get("repeat_until_months")
        if every and not until:
            self.add_error("repeat_until_months", "Say when the repeating stops.")
        if until and not every:
            self.add_error("repeat_every_months", "Say how often the step repeats.")
        if every and until and until < data.get("offset_months", 0):
            self.add_error("repeat_until_months", "The repeat must end after the first step.")
        if data.get("questionnaire") is not None and data.get("kind") != Kind.QUESTIONNAIRE:
            self.add_error("questionnaire", "Only a questionnaire step sends a questionnaire.")
        if data.get("kind") == Kind.EMAIL and not (
            data.get("email_subject") and data.get("email_body")
        ):
            self.add_error("email_subject", "An email step needs a subject and a body.")
        return data


# A step repeats itself (every N months until M), so even a long plan has a few dozen.
MAX_PLAN_STEPS = 100


class BasePlanStepFormSet(BaseInlineFormSet[PlanStep, CarePlan, PlanStepForm]):
    default_error_messages = {"too_many_forms": "A care plan has at most %(num)d steps."}


# absolute_max too: otherwise a forged steps-TOTAL_FORMS builds (and renders) 2,000 forms.
PlanStepFormSet = inlineformset_factory(
    CarePlan,
    PlanStep,
    form=PlanStepForm,
    formset=BasePlanStepFormSet,
    extra=1,
    can_delete=True,
    max_num=MAX_PLAN_STEPS,
    absolute_max=MAX_PLAN_STEPS,
    validate_max=True,
)


class ClosureForm(forms.Form):
    first_day = forms.DateField(widget=DATE, label="First day closed")
    last_day = forms.DateField(widget=DATE, label="Last day closed")
    reason = forms.CharField(max_length=100, help_text="E.g. “Christmas shutdown”.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", "The last day closed must be on or after the first.")
        return data
