from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from keepwarm.privacy.models import AccessRequest


class AccessRequestForm(forms.ModelForm):
    class Meta:
        model = AccessRequest
        fields = ["received_on", "channel", "notes"]
        widgets = {
            "received_on": forms.DateInput(attrs={"type": "date"}),
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
