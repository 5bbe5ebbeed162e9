"""Forms for people and companies."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django import forms
from django.urls import reverse_lazy

from keepwarm.audit.concurrency import VersionField
from keepwarm.care.forms import UserChoiceField, team
from keepwarm.lib.bulk import Reading
from keepwarm.lib.phones import InvalidPhone, display_phone, normalise_phone
from keepwarm.lib.widgets import DateInput
from keepwarm.people.models import Company, Note, Person, Role
from keepwarm.people.pickers import CompanyPickField

SCALE_ROW = re.compile(r"^\s*(\d{1,4})\s*:\s*(\d{1,3})\s*%?\s*$")


def parse_rebate_scale(text: str, guarantee_length: int | None = None) -> list[dict[str, int]]:
    """ "30:100, 60:50, 90:25" -> rows; raises ValidationError saying what is wrong."""
    rows: list[dict[str, int]] = []
    for part in [p for p in re.split(r"[,;\n]", text) if p.strip()]:
        match = SCALE_ROW.match(part)
        if not match:
            raise forms.ValidationError(
                f"“{part.strip()}” is not “day:percent”. Write it like 30:100, 60:50, 90:25."
            )
        day, percent = int(match[1]), int(match[2])
        if day < 1:
            raise forms.ValidationError("Days start at 1.")
        if percent > 100:
            raise forms.ValidationError(f"{percent}% is more than the whole fee.")
        if rows and day <= rows[-1]["up_to_day"]:
            raise forms.ValidationError("List the days in increasing order, each once.")
        if rows and percent > rows[-1]["percent"]:
            raise forms.ValidationError("A later day cannot refund more than an earlier one.")
        rows.append({"up_to_day": day, "percent": percent})
    if rows and guarantee_length and rows[-1]["up_to_day"] > guarantee_length:
        raise forms.ValidationError(
            f"Day {rows[-1]['up_to_day']} is after the end of the {guarantee_length}-day guarantee."
        )
    return rows


def format_rebate_scale(rows: list[dict[str, Any]] | None) -> str:
    return ", ".join(f"{r['up_to_day']}:{r['percent']}" for r in rows or [])


class RebateScaleField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Rebate scale")
        kwargs.setdefault(
            "help_text",
            "Up to which day of the guarantee, what percent of the fee is refunded: "
            "30:100, 60:50, 90:25 means full refund to day 30, half to day 60, "
            "a quarter to day 90.",
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return format_rebate_scale(value) if isinstance(value, list) else value


class PhoneField(forms.CharField):
    """A phone number as people write it, checked and stored in E.164 (lib/phones.py)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return display_phone(value) if isinstance(value, str) else value

    def clean(self, value: Any) -> str:
        typed = super().clean(value)
        try:
            return normalise_phone(typed)
        except InvalidPhone as exc:
            raise forms.ValidationError(str(exc)) from None


def unchanged_phone(cleaned: str, stored: str) -> str:
    """The stored spelling when the form holds the same number: editing something else
    does not rewrite a number kept from before numbers were checked (nor fill the trail)."""
    try:
        return stored if stored and normalise_phone(stored) == cleaned else cleaned
    except InvalidPhone:
        return cleaned


class CompanyForm(forms.ModelForm[Company]):
    rebate_scale = RebateScaleField()
    phone = PhoneField()
    website = forms.URLField(required=False, assume_scheme="https")
    owner = UserChoiceField(queryset=team(), required=False, label="Account owner")

    class Meta:
        model = Company
        fields = [
            "name",
            "sector",
            "location",
            "website",
            "phone",
            "email",
            "owner",
            "guarantee_length",
            "guarantee_unit",
            "guarantee_remedy",
            "rebate_scale",
            "learnt",
        ]
        labels = {"guarantee_length": "Guarantee length", "guarantee_remedy": "Remedy"}
        widgets = {"learnt": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = team()

    def clean_phone(self) -> str:
        return unchanged_phone(self.cleaned_data.get("phone", ""), self.instance.phone)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        text = self.data.get(self.add_prefix("rebate_scale"), "")
        try:
            data["rebate_scale"] = parse_rebate_scale(text, data.get("guarantee_length"))
        except forms.ValidationError as exc:
            self.add_error("rebate_scale", exc)
        return data


class PersonForm(forms.ModelForm[Person]):
    owner = UserChoiceField(queryset=team(), required=False, label="Owner")
    phone = PhoneField()
    version = VersionField()

    class Meta:
        model = Person
        fields = [
            "first_name",
            "last_name",
            "email",
            "phone",
            "headline",
            "location",
            "sector",
            "skills",
            "owner",
            "notes",
            "source",
            "source_detail",
            "lawful_basis",
            "obtained_on",
        ]
        widgets = {
            "obtained_on": DateInput(),
            "skills": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = team()
        self.fields["version"].initial = self.instance.version
        # Older screens and API-made forms may not send these; the model's defaults apply.
        self.fields["source"].required = False
        self.fields["lawful_basis"].required = False

    def clean_phone(self) -> str:
        return unchanged_phone(self.cleaned_data.get("phone", ""), self.instance.phone)

    def clean_source(self) -> str:
        return self.cleaned_data.get("source") or Person.Source.UNKNOWN

    def clean_lawful_basis(self) -> str:
        return self.cleaned_data.get("lawful_basis") or Person.Basis.LEGITIMATE_INTERESTS

    def clean_email(self) -> str:
        email: str = self.cleaned_data.get("email", "")
        if email:
            others = Person.objects.filter(email__iexact=email).exclude(pk=self.instance.pk)
            if others.exists():
                # One record per human: a second record would split their history.
                raise forms.ValidationError(
                    "Someone with this email is already recorded. Search for them and "
                    "add a role to their record instead."
                )
        return email


class NewPersonForm(PersonForm):
    """Creating a person also records what they are to the agency now."""

    role = forms.ChoiceField(
        choices=[(Role.Kind.CANDIDATE, "Candidate"), (Role.Kind.CLIENT_CONTACT, "Client contact")],
        initial=Role.Kind.CANDIDATE,
    )
    company = CompanyPickField(
        queryset=Company.objects.all(),
        required=False,
        search_url=reverse_lazy("pick_companies"),
        help_text="For client contacts: type part of its name.",
    )
    title = forms.CharField(max_length=200, required=False, label="Job title")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("role") == Role.Kind.CLIENT_CONTACT and not data.get("company"):
            self.add_error("company", "Choose the company this contact works for.")
        return data


# Names offered as you type a role's company: this person's and the latest added.
ROLE_COMPANIES_OFFERED = 50


# Read on every view of a person's page, so written once: the ORM's building and compiling
# of the two cost more than running them. Subqueries, not an OR across joins: that joined
# every company to every role and placement (2.6 s at agency size).
# One list of ids read by three indexes, then each company by its key: an OR of
# subqueries made PostgreSQL read all 5,000 companies for every person page.
_OWN_COMPANIES = (
    "SELECT name FROM people_company WHERE id IN ("
    "SELECT company_id FROM people_role WHERE person_id = %s"
    " UNION ALL SELECT company_id FROM placements_placement WHERE person_id = %s"
    " UNION ALL SELECT company_id FROM placements_placement WHERE hiring_manager_id = %s)"
    " ORDER BY name"
)
_LATEST_COMPANIES = "SELECT name FROM people_company ORDER BY id DESC LIMIT %s"


def role_company_names(person: Person) -> list[str]:
    """`role_companies_reading` read on its own."""
    return role_companies_reading(person).read()


def role_companies_reading(person: Person) -> Reading[list[str]]:
    """Companies to suggest for a new role: the person's own first, then the newest.

    A list of suggestions, not a <select> of every company: an agency has thousands, which
    made the person page 263 KB and ~1 s to render.
    """
    statements: list[tuple[str, Sequence[Any]]] = [
        (_OWN_COMPANIES, [person.pk] * 3),
        (_LATEST_COMPANIES, [ROLE_COMPANIES_OFFERED]),
    ]
    return Reading(statements, _company_names)


def _company_names(rows: list[list[tuple[Any, ...]]]) -> list[str]:
    own, latest = rows
    return list(dict.fromkeys(name for (name,) in [*own, *latest]))


def company_named(typed: str) -> Company | None:
    """The company with the typed name (exact first, then ignoring case), None if empty."""
    name = " ".join(typed.split())
    if not name:
        return None
    found = (
        Company.objects.filter(name=name).order_by("id").first()
        or Company.objects.filter(name__iexact=name).order_by("id").first()
    )
    if found is None:
        raise forms.ValidationError(f"No company called “{name}”: add it under Companies first.")
    return found


class RoleForm(forms.ModelForm[Role]):
    # Typed with suggestions (a <datalist> on the page) and looked up by name.
    company = forms.CharField(
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"list": "role-companies", "autocomplete": "off"}),
        help_text="The name of a company already in Keepwarm.",
    )

    class Meta:
        model = Role
        fields = ["kind", "company", "title", "started_on", "ended_on"]
        widgets = {
            "started_on": DateInput(),
            "ended_on": DateInput(),
        }

    def clean_company(self) -> Company | None:
        return company_named(self.cleaned_data.get("company", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == Role.Kind.CLIENT_CONTACT and not data.get("company"):
            self.add_error("company", "A client contact works for a company.")
        started, ended = data.get("started_on"), data.get("ended_on")
        if started and ended and ended < started:
            self.add_error("ended_on", "A role cannot end before it starts.")
        return data


class NoteForm(forms.ModelForm[Note]):
    class Meta:
        model = Note
        fields = ["text"]
        labels = {"text": "Note"}
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}


class ClientContactForm(forms.Form):
    """A placed candidate now hires: the one action that adds their client-contact role."""

    prefix = "client"  # the page also has the Add-a-role form with the same field names

    company = forms.CharField(
        max_length=200,
        widget=forms.TextInput(attrs={"list": "role-companies", "autocomplete": "off"}),
        help_text="The company they hire for (already in Keepwarm).",
    )
    title = forms.CharField(max_length=200, required=False, label="Their job title")

    def clean_company(self) -> Company:
        found = company_named(self.cleaned_data.get("company", ""))
        if found is None:
            raise forms.ValidationError("Say which company they hire for.")
        return found
