from __future__ import annotations

from django import forms

from keepwarm.lib.events import EVENTS

EVENT_LABELS = {
    "placement.at_risk": "Placement at risk (placement.at_risk)",
    "alert.opened": "Alert opened (alert.opened)",
    "questionnaire.answered": "Questionnaire answered (questionnaire.answered)",
    "referral.received": "Referral received (referral.received)",
    "person.ready_to_move": "Person ready to move (person.ready_to_move)",
}


class DayStartForm(forms.Form):
    day_starts_at = forms.TimeField(
        label="Calls start at",
        help_text="The calls due on a day are laid out from this time, 15 minutes each.",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )


class WebhookForm(forms.Form):
    url = forms.CharField(
        label="URL",
        max_length=500,
        help_text="Where Keepwarm POSTs each event: an https:// address on the internet.",
    )
    description = forms.CharField(max_length=200, required=False)
    secret = forms.CharField(
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=(
            "At least 16 characters; the receiver uses it to check the signature. "
            "Leave empty when editing to keep the current one."
        ),
    )
    events = forms.MultipleChoiceField(
        choices=[(event, EVENT_LABELS.get(event, event)) for event in EVENTS],
        widget=forms.CheckboxSelectMultiple,
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)
