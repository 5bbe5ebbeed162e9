"""Forms for referrals, reward rules, leads, intelligence notes and vacancies."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q

from keepwarm.accounts.models import User
from keepwarm.care.forms import UserChoiceField, team
from keepwarm.care.queries import visible_people, visible_placements
from keepwarm.lib.widgets import DateInput
from keepwarm.network.models import IntelNote, Referral, RewardRule, StatusStatement, Vacancy
from keepwarm.people.models import Company, Person
from keepwarm.placements.models import Placement

TEL = forms.TextInput(attrs={"type": "tel"})
DATE = DateInput()
COMPANY_INPUT = forms.TextInput(attrs={"list": "network-companies", "autocomplete": "off"})


def company_named(name: str) -> Company:
    name = " ".join(name.split())
    found = (
        Company.objects.filter(name=name).order_by("id").first()
        or Company.objects.filter(name__iexact=name).order_by("id").first()
    )
    if found is None:
        raise forms.ValidationError(f"No company called “{name}”: add it under Companies first.")
    return found


def company_names() -> list[str]:
    """Suggestions as you type a company: the newest, not a <select> of thousands."""
    return list(Company.objects.order_by("-id").values_list("name", flat=True)[:50])


class PersonLookupField(forms.CharField):
    """Someone already in Keepwarm, typed as their email or full name."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 254)
        kwargs.setdefault("help_text", "Their email, or their full name as it is in Keepwarm.")
        super().__init__(**kwargs)
        self.people = Person.objects.none()

    def clean(self, value: Any) -> Person | None:
        text = " ".join(str(super().clean(value)).split())
        if not text and not self.required:
            return None
        if "@" in text:
            found = list(self.people.filter(email__iexact=text)[:2])
        else:
            first, _, last = text.partition(" ")
            found = list(
                self.people.filter(
                    Q(first_name__iexact=first, last_name__iexact=last)
                    | Q(first_name__iexact=text, last_name="")
                )[:2]
            )
        if not found:
            raise forms.ValidationError(f"Nobody you can see is recorded as “{text}”.")
        if len(found) > 1:
            raise forms.ValidationError(
                f"More than one person is called “{text}”: type their email instead."
            )
        return found[0]


class StatementForm(forms.Form):
    """A consultant noting what the person told them about moving on."""

    status = forms.ChoiceField(choices=StatusStatement.Status.choices, label="How things are")
    contract_end_on = forms.DateField(
        required=False, widget=DATE, label="Contract ends", help_text="If they mentioned it."
    )

    def clean_contract_end_on(self) -> dt.date | None:
        day: dt.date | None = self.cleaned_data.get("contract_end_on")
        if day is not None and not 1900 <= day.year <= 2999:
            raise forms.ValidationError("Give a date between the years 1900 and 2999.")
        return day


class ReferralForm(forms.Form):
    referrer = PersonLookupField(label="Referred by")
    kind = forms.ChoiceField(choices=Referral.Kind.choices, label="They are referring")
    name = forms.CharField(max_length=200, label="Name of the person referred")
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=40, required=False, widget=TEL)
    company_name = forms.CharField(
        max_length=200, required=False, label="Company", help_text="For a client referral."
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        referrer = self.fields["referrer"]
        assert isinstance(referrer, PersonLookupField)
        referrer.people = visible_people(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == Referral.Kind.CLIENT and not data.get("company_name", "").strip():
            self.add_error("company_name", "For a client referral, give the company's name.")
        return data


class AdvanceReferralForm(forms.Form):
    to = forms.ChoiceField(label="Move to")
    placement = forms.ModelChoiceField(
        queryset=Placement.objects.none(),
        required=False,
        help_text="The referred person's placement, for rewards due after its guarantee.",
    )
    rule = forms.ModelChoiceField(
        queryset=RewardRule.objects.none(), required=False, label="Reward rule"
    )
    paid_on = forms.DateField(required=False, widget=DATE, label="Paid on")

    def __init__(self, *args: Any, referral: Referral, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Referral.Status.choices)
        to = self.fields["to"]
        assert isinstance(to, forms.ChoiceField)
        to.choices = [(s, labels[s]) for s in referral.next_statuses()]
        placement = self.fields["placement"]
        assert isinstance(placement, forms.ModelChoiceField)
        if referral.referred_id:
            # Only placements the user may open: a colleague's is neither offered nor named.
            placement.queryset = visible_placements(user).filter(person_id=referral.referred_id)
        rule = self.fields["rule"]
        assert isinstance(rule, forms.ModelChoiceField)
        rule.queryset = RewardRule.objects.filter(kind=referral.kind, active=True)
        rule.initial = referral.rule_id


class ResolveForm(forms.Form):
    """Which known person this is, or "new"."""

    choice = forms.ChoiceField(widget=forms.RadioSelect, label="Who is it?")

    def __init__(self, *args: Any, candidates: list[Person], new_label: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice = self.fields["choice"]
        assert isinstance(choice, forms.ChoiceField)
        choice.choices = [
            (str(p.pk), f"{p.full_name} · {p.email or 'no email'} · {p.phone or 'no phone'}")
            for p in candidates
        ] + [("new", new_label)]


class RewardRuleForm(forms.ModelForm[RewardRule]):
    class Meta:
        model = RewardRule
        fields = ["name", "kind", "amount", "currency", "due_when", "days", "active"]
        labels = {"due_when": "Becomes due", "days": "Number of days"}
        help_texts = {"days": "Only for “a number of days after the placement starts”."}

    def clean_amount(self) -> Any:
        amount = self.cleaned_data.get("amount")
        if amount is not None and amount <= 0:
            raise forms.ValidationError("A reward is more than nothing.")
        return amount

    def clean_currency(self) -> str:
        currency = str(self.cleaned_data.get("currency", "")).strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise forms.ValidationError("Three letters, like GBP or EUR.")
        return currency

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("due_when") == RewardRule.DueWhen.AFTER_DAYS and not data.get("days"):
            self.add_error("days", "Say after how many days the reward becomes due.")
        if (data.get("days") or 0) > 3650:
            self.add_error("days", "At most ten years (3650 days).")
        return data


class LeadForm(forms.Form):
    source = PersonLookupField(label="Passed on by")
    company_name = forms.CharField(max_length=200, label="Company")
    contact_name = forms.CharField(max_length=200, required=False, label="Contact's name")
    contact_email = forms.EmailField(required=False, label="Contact's email")
    contact_phone = forms.CharField(
        max_length=40, required=False, label="Contact's phone", widget=TEL
    )
    role_hint = forms.CharField(max_length=200, required=False, label="The role, as they put it")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        source = self.fields["source"]
        assert isinstance(source, PersonLookupField)
        source.people = visible_people(user)


class ConvertLeadForm(forms.Form):
    company_name = forms.CharField(
        max_length=200,
        label="Company",
        help_text="An existing company with this name is used; otherwise it is added.",
    )
    title = forms.CharField(max_length=200, label="Vacancy title")
    sector = forms.CharField(max_length=100, required=False)
    location = forms.CharField(max_length=100, required=False)
    add_contact = forms.BooleanField(
        required=False, initial=True, label="Record the contact as a client contact there"
    )


class IntelNoteForm(forms.ModelForm[IntelNote]):
    company = forms.CharField(
        max_length=200, required=False, widget=COMPANY_INPUT, help_text="A company in Keepwarm."
    )
    source_person = PersonLookupField(
        required=False,
        label="From someone in Keepwarm",
        help_text="Their email or full name, if they are in Keepwarm.",
    )

    class Meta:
        model = IntelNote
        fields = ["kind", "company", "sector", "body", "source", "source_person", "noted_on"]
        labels = {"body": "What we learnt", "noted_on": "Learnt on", "source": "Where it came from"}
        widgets = {"body": forms.Textarea(attrs={"rows": 3}), "noted_on": DATE}
        help_texts = {"source": "Who or where, in words: “Dev, at the CIPD dinner”."}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.company is not None:
            self.initial["company"] = self.instance.company.name
        source_person = self.fields["source_person"]
        assert isinstance(source_person, PersonLookupField)
        source_person.people = visible_people(user)

    def clean_company(self) -> Company | None:
        name = self.cleaned_data.get("company", "")
        return company_named(name) if name.strip() else None

    def clean_noted_on(self) -> dt.date:
        day: dt.date = self.cleaned_data["noted_on"]
        if not 1900 <= day.year <= 2999:
            raise forms.ValidationError("Give a date between the years 1900 and 2999.")
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("company") and not data.get("sector", "").strip() and not self.errors:
            self.add_error("company", "Tag the note with a company, a sector, or both.")
        return data


class VacancyForm(forms.ModelForm[Vacancy]):
    company = forms.CharField(
        max_length=200, widget=COMPANY_INPUT, help_text="A company in Keepwarm."
    )
    owner = UserChoiceField(queryset=team(), required=False, label="Consultant")

    class Meta:
        model = Vacancy
        fields = [
            "company",
            "title",
            "skills",
            "sector",
            "location",
            "salary_min",
            "salary_max",
            "status",
            "owner",
            "notes",
        ]
        labels = {"salary_min": "Salary from", "salary_max": "Salary to"}
        widgets = {
            "skills": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"skills": "Separated by commas or one per line."}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = team()
        if self.instance.company_id and not self.is_bound:
            self.initial["company"] = self.instance.company.name
        if self.instance.pk and not self.instance.shows_money_to(user):
            # Like a placement's money: neither shown nor changed by whoever may not see it.
            for name in ("salary_min", "salary_max"):
                del self.fields[name]

    def clean_owner(self) -> User | None:
        owner: User | None = self.cleaned_data.get("owner")
        if not self.instance.pk:
            # A new vacancy is its author's unless they name someone (as in the API), so
            # the salary they typed stays theirs to see.
            return owner or self.user
        changed = owner != self.instance.owner
        if changed and not self.instance.may_change_owner(self.user):
            raise forms.ValidationError(
                "Only the vacancy's consultant or a manager can give it to someone else."
            )
        return owner

    def clean_company(self) -> Company:
        return company_named(self.cleaned_data.get("company", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("salary_min"), data.get("salary_max")
        if low is not None and high is not None and high < low:
            self.add_error("salary_max", "The top of the range is below its bottom.")
        for name in ("salary_min", "salary_max"):
            value = data.get(name)
            if value is not None and value > 10_000_000:
                self.add_error(name, "That is more than any salary we expect; check the zeros.")
        return data
