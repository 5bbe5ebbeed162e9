from __future__ import annotations

from django import forms

from keepwarm.lib.events import EVENTS


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
            "Leave empty: Keepwarm makes one (whsec_…), shown on the next page; when "
            "editing, empty keeps the current one. Or paste your receiver's own whsec_ secret."
        ),
    )
    events = forms.MultipleChoiceField(
        choices=[(event, event) for event in EVENTS],
        widget=forms.CheckboxSelectMultiple,
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)
