from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from keepwarm.lib.widgets import DateInput
from keepwarm.people.models import Person
from keepwarm.privacy.models import AccessRequest, RetentionRule


class AccessRequestForm(forms.ModelForm[AccessRequest]):
    class Meta:
        model = AccessRequest
        fields = ["received_on", "channel", "notes"]
        widgets = {
            "received_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"received_on": "Received on", "channel": "How it came in"}
        help_texts = {
            "received_on": "The one-month deadline runs from this day.",
            "notes": "For example who asked, and how you checked it was really them.",
        }

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["received_on"].initial = today

    def clean_received_on(self) -> dt.date:
        received: dt.date = self.cleaned_data["received_on"]
        if received > self.today:
            raise forms.ValidationError("The request cannot have arrived after today.")
        return received


class ErasureForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        help_text="For example: “Asked by email on 3 March; no placement within six years.”",
    )
    confirm_name = forms.CharField(label="Type the person's full name to confirm", max_length=200)

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person = person

    def clean_confirm_name(self) -> str:
        typed: str = self.cleaned_data["confirm_name"]
        if " ".join(typed.split()).casefold() != " ".join(self.person.full_name.split()).casefold():
            raise forms.ValidationError(
                f"That is not the name on this record ({self.person.full_name})."
            )
        return typed


MAX_RETENTION_RULES = 20


class BaseRetentionRuleFormSet(
    forms.BaseModelFormSet[RetentionRule, forms.ModelForm[RetentionRule]]
):
    default_error_messages = {"too_many_forms": "Keep at most %(num)d retention rules."}


# absolute_max too: otherwise a forged form-TOTAL_FORMS builds (and renders) 2,000 forms.
RetentionRuleFormSet: type[
    forms.BaseModelFormSet[RetentionRule, forms.ModelForm[RetentionRule]]
] = forms.modelformset_factory(
    RetentionRule,
    formset=BaseRetentionRuleFormSet,
    fields=["category", "years", "action", "reask_days", "active"],
    extra=1,
    can_delete=True,
    labels={"reask_days": "Ask them this many days before (0: don't ask)"},
    min_num=0,
    max_num=MAX_RETENTION_RULES,
    absolute_max=MAX_RETENTION_RULES,
    validate_max=True,
)
