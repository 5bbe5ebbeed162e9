"""Staff record and withdraw a person's consent to marketing from the person page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from keepwarm.accounts.access import user_of
from keepwarm.care.queries import get_person_for
from keepwarm.mail.services.consent import record_consent, withdraw_consent
from keepwarm.people.models import Consent


class ConsentForm(forms.Form):
    basis = forms.ChoiceField(choices=Consent.Basis.choices)
    subscriber_type = forms.ChoiceField(choices=Consent.SubscriberType.choices)
    method = forms.CharField(max_length=200)
    wording = forms.CharField(required=False)
    wording_version = forms.CharField(max_length=50, required=False)
    frequency = forms.ChoiceField(choices=Consent.Frequency.choices)
    topics = forms.MultipleChoiceField(choices=Consent.Topic.choices, required=False)


@login_required
@require_POST
def person_consent(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    person = get_person_for(user, pk)
    target = f"{person.get_absolute_url()}#consent"
    if request.POST.get("action") == "withdraw":
        note = " ".join(request.POST.get("note", "").split())[:150]
        how = f"Recorded by {user.display_name}" + (f": {note}" if note else "")
        withdraw_consent(person=person, how=how)
        messages.success(request, f"{person.first_name} will get no more newsletters.")
        return redirect(target)
    form = ConsentForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(
            f"{form.fields[name].label or name}: {' '.join(str(e) for e in errors)}"
            for name, errors in form.errors.items()
        )
        messages.error(request, f"Consent not recorded. {problems}")
        return redirect(target)
    try:
        record_consent(person=person, by=user, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, f"Consent not recorded. {' '.join(exc.messages)}")
        return redirect(target)
    messages.success(request, f"Recorded {person.first_name}'s basis for newsletters.")
    return redirect(target)
