from __future__ import annotations

from django import forms

from keepwarm.care.forms import CALL_OUTCOMES
from keepwarm.care.models import NOT_REACHED, Touchpoint
from keepwarm.signals.models import RiskSettings
from keepwarm.signals.services.actions import CONCERN_REASONS


class CloseAlertForm(forms.Form):
    note = forms.CharField(
        label="What did you do?",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required: e.g. “Called Priya, agreed a catch-up with her manager on Friday.”",
        max_length=2000,
    )


class CallAndCloseForm(forms.Form):
    """The alert page's one step: the call made and what was said, which closes the alert
    when the person was reached."""

    outcome = forms.ChoiceField(
        label="The call",
        choices=[
            (value, label)
            for value, label in CALL_OUTCOMES
            if value == Touchpoint.Outcome.REACHED or value in NOT_REACHED
        ],
        initial=Touchpoint.Outcome.REACHED,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="What was said",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Goes on their timeline as the call's notes, and closes the alert.",
        max_length=2000,
    )


class ConcernForm(forms.Form):
    """A consultant's concern: one of the usual reasons (each a button), a word more."""

    reason = forms.ChoiceField(choices=[(r, r) for r in CONCERN_REASONS])
    detail = forms.CharField(max_length=200, required=False, label="In a few words (optional)")


class EscalationForm(forms.ModelForm[RiskSettings]):
    class Meta:
        model = RiskSettings
        fields = ["escalate_after_hours"]
        labels = {"escalate_after_hours": "Escalate to managers after (hours overdue)"}

    def clean_escalate_after_hours(self) -> int | None:
        value: int | None = self.cleaned_data["escalate_after_hours"]
        if value is not None and not 1 <= value <= 720:
            raise forms.ValidationError("Choose from 1 to 720 hours (30 days).")
        return value


class RiskSettingsForm(forms.ModelForm[RiskSettings]):
    class Meta:
        model = RiskSettings
        fields = ["alert_by", "alert_threshold", "alert_share", "silence_days", "min_outcomes"]
        labels = {
            "alert_by": "Alert on",
            "alert_threshold": "Score at or above",
            "alert_share": "Riskiest share of live placements (%)",
        }
        widgets = {"alert_by": forms.RadioSelect}

    def clean_alert_share(self) -> int:
        value = int(self.cleaned_data["alert_share"])
        if not 1 <= value <= 50:
            raise forms.ValidationError("Choose a share from 1 to 50 %.")
        return value

    def clean_alert_threshold(self) -> int:
        value = int(self.cleaned_data["alert_threshold"])
        if not 1 <= value <= 100:
            raise forms.ValidationError("Choose a score from 1 to 100.")
        return value
