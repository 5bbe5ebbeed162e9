from __future__ import annotations

from django import forms

from keepwarm.signals.models import RiskSettings


class CloseAlertForm(forms.Form):
    note = forms.CharField(
        label="What did you do?",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required: e.g. “Called Priya, agreed a catch-up with her manager on Friday.”",
        max_length=2000,
    )


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
