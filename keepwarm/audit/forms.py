from __future__ import annotations

from django import forms

from keepwarm.accounts.models import User
from keepwarm.audit.models import AuditEntry
from keepwarm.lib.widgets import DateInput


class AuditSearchForm(forms.Form):
    person = forms.IntegerField(required=False, widget=forms.HiddenInput)
    actor = forms.ModelChoiceField(
        queryset=User.objects.order_by("username"), required=False, empty_label="Anyone"
    )
    action = forms.ChoiceField(
        choices=[("", "Any action"), *AuditEntry.Action.choices], required=False
    )
    what = forms.CharField(
        required=False, label="Record", help_text="A name, or part of one, as it was recorded"
    )
    since = forms.DateField(required=False, widget=DateInput())
    until = forms.DateField(required=False, widget=DateInput())

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError("“Since” must be on or before “until”.")
        return data
