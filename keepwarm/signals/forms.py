from __future__ import annotations

from typing import Any

from django import forms

from keepwarm.signals.models import RiskSettings, RiskWeight


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
        fields = ["alert_threshold", "silence_days", "min_outcomes"]

    def clean_alert_threshold(self) -> int:
        value = int(self.cleaned_data["alert_threshold"])
        if not 1 <= value <= 100:
            raise forms.ValidationError("Choose a score from 1 to 100.")
        return value


class WeightsForm(forms.Form):
    """One number field per signal kind, 0 to 1."""

    def __init__(self, *args: Any, weights: list[RiskWeight], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.weights = weights
        for w in weights:
            self.fields[w.kind] = forms.FloatField(
                label=w.label,
                min_value=0.0,
                max_value=1.0,
                initial=w.weight,
                help_text=w.explanation,
                widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
            )
