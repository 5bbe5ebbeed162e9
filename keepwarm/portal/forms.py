from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from keepwarm.people.models import Consent

MAX_PAUSE_DAYS = 366


class SignupForm(forms.Form):
    name = forms.CharField(
        max_length=200, label="Your name", widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        max_length=254,
        label="Email address",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )
    frequency = forms.ChoiceField(
        choices=Consent.Frequency.choices,
        initial=Consent.Frequency.MONTHLY,
        widget=forms.RadioSelect,
        label="How often",
    )
    topics = forms.MultipleChoiceField(
        choices=Consent.Topic.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Topics",
        help_text="Leave them all unticked to get every topic.",
    )
    # A field people never see (hidden by CSS, skipped by screen readers): bots fill it in.
    website = forms.CharField(required=False, label="Leave this empty")


class PreferencesForm(forms.Form):
    frequency = forms.ChoiceField(
        choices=Consent.Frequency.choices, widget=forms.RadioSelect, label="How often"
    )
    topics = forms.MultipleChoiceField(
        choices=Consent.Topic.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Topics",
        help_text="Leave them all unticked to get every topic.",
    )
    paused_until = forms.DateField(
        required=False,
        label="Pause until",
        help_text="Nothing is sent before this date. Leave it empty to keep receiving.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, today: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    def clean_paused_until(self) -> dt.date | None:
        day: dt.date | None = self.cleaned_data.get("paused_until")
        if day is None or day <= self.today:
            return None
        if day > self.today + dt.timedelta(days=MAX_PAUSE_DAYS):
            raise forms.ValidationError("Choose a date within a year; you can pause again later.")
        return day
