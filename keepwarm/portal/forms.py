from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from keepwarm.lib.widgets import DateInput
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
        widget=DateInput(),
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


# --- The personal page --------------------------------------------------------------------

TEXT = forms.Textarea(attrs={"rows": 4})
EMAIL = forms.EmailInput(attrs={"autocomplete": "off", "inputmode": "email"})
PHONE = forms.TextInput(attrs={"type": "tel", "autocomplete": "off"})


class SignInForm(forms.Form):
    email = forms.EmailField(
        max_length=254,
        label="Your email address",
        help_text="The one we email you at.",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )


class ProblemForm(forms.Form):
    text = forms.CharField(
        max_length=2000,
        label="What is the problem?",
        help_text="Your consultant sees this straight away and will get back to you.",
        widget=TEXT,
    )


class ConcernForm(forms.Form):
    placement = forms.TypedChoiceField(coerce=int, label="About")
    text = forms.CharField(max_length=2000, label="What concerns you?", widget=TEXT)

    def __init__(self, *args: Any, placements: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["placement"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(p.pk, f"{p.person.full_name}, {p.role_title}") for p in placements]


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            ("happy", "Happy where I am"),
            ("open", "Open to hearing about roles"),
            ("actively_looking", "Actively looking"),
        ],
        widget=forms.RadioSelect,
        # The card's heading asks "How are things?"; the choices say which is closest.
        label="Which is closest?",
    )
    contract_end_on = forms.DateField(
        required=False,
        label="Contract end date",
        help_text="If your contract has an end date.",
        widget=DateInput(),
    )


class ReferralForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            ("candidate", "Someone looking for a job"),
            ("client", "A company that is hiring"),
        ],
        widget=forms.RadioSelect,
        initial="candidate",
        label="Who are you referring?",
    )
    name = forms.CharField(max_length=200, label="Their name")
    email = forms.EmailField(max_length=254, required=False, label="Their email", widget=EMAIL)
    phone = forms.CharField(max_length=40, required=False, label="Their phone", widget=PHONE)
    company_name = forms.CharField(max_length=200, required=False, label="Company")
    notes = forms.CharField(
        max_length=2000, required=False, label="Anything we should know", widget=TEXT
    )
    agreed_to_contact = forms.BooleanField(
        label="They agreed that we may contact them",
        help_text="Please ask them first: we only get in touch with people who said yes.",
        error_messages={
            "required": "Tick this once they have agreed that we may contact them.",
        },
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("email") and not data.get("phone"):
            raise forms.ValidationError("Give us their email or phone, so we can get in touch.")
        return data


class LeadForm(forms.Form):
    company_name = forms.CharField(max_length=200, label="Company")
    role_hint = forms.CharField(max_length=200, required=False, label="What they are hiring for")
    contact_name = forms.CharField(max_length=200, required=False, label="Who to talk to")
    contact_email = forms.EmailField(
        max_length=254, required=False, label="Their email", widget=EMAIL
    )
    contact_phone = forms.CharField(
        max_length=40, required=False, label="Their phone", widget=PHONE
    )
    notes = forms.CharField(max_length=2000, required=False, label="What you heard", widget=TEXT)


class NewRoleForm(forms.Form):
    title = forms.CharField(max_length=200, label="Job title")
    notes = forms.CharField(
        max_length=2000,
        required=False,
        label="About the role",
        help_text="Skills, salary, location, start date: whatever you know now.",
        widget=TEXT,
    )
