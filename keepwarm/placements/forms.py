"""Forms for placements: create, edit, targets and the outcome."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.urls import reverse, reverse_lazy

from keepwarm.audit.concurrency import VersionField
from keepwarm.care.forms import DATE, UserChoiceField, team
from keepwarm.care.models import CarePlan
from keepwarm.people.forms import RebateScaleField, parse_rebate_scale
from keepwarm.people.models import Company, Person, Role
from keepwarm.people.pickers import CompanyPickField, PersonPickField, PickerInput
from keepwarm.placements.models import Placement, Target

TERMS_FIELDS = [
    "responsibilities",
    "hours_per_week",
    "probation_weeks",
    "benefits",
    "terms_notes",
]
MONEY_FIELDS = ["salary", "fee", "currency"]


def _hiring_manager_field(**kwargs: Any) -> PersonPickField:
    return PersonPickField(
        queryset=Person.objects.none(),
        required=False,
        search_url=reverse_lazy("pick_people"),
        depends_on="company",
        help_text="One of the company's client contacts: type part of their name. "
        "Missing? Add the client-contact role on their page.",
        **kwargs,
    )


class _PlacementFormBase(forms.ModelForm[Placement]):
    def _limit(self, people: Any) -> None:
        """Pick among the people this user may see; hiring managers among client contacts."""
        contacts = people.filter(
            id__in=Role.objects.filter(kind=Role.Kind.CLIENT_CONTACT).values("person_id")
        )
        for name, choosable in (("person", people), ("hiring_manager", contacts)):
            field = self.fields.get(name)
            if isinstance(field, PersonPickField):
                field.queryset = choosable
        owner = self.fields.get("owner")
        if isinstance(owner, forms.ModelChoiceField):
            owner.queryset = team()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        person = data.get("person") or getattr(self.instance, "person", None)
        manager = data.get("hiring_manager")
        company = data.get("company") or getattr(self.instance, "company", None)
        if manager and person and manager == person:
            self.add_error(
                "hiring_manager", "The hiring manager is someone other than the candidate."
            )
        elif manager and company and not manager.is_contact_at(company):
            self.add_error(
                "hiring_manager",
                f"{manager.full_name} is not a client contact at {company.name}: choose one "
                f"of {company.name}’s contacts, or add the role on {manager.first_name}’s "
                "page first.",
            )
        start, end = data.get("start_date"), data.get("end_date")
        kind = data.get("kind") or self.instance.kind
        if kind == Placement.Kind.CONTRACT and start and not end:
            self.add_error("end_date", "A contract needs its end date.")
        if start and end and end <= start:
            self.add_error("end_date", "The end date must be after the start date.")
        for name in ("salary", "fee"):
            value = data.get(name)
            if value is not None and value < 0:
                self.add_error(name, "Enter an amount of zero or more.")
        if start and not dt.date(2000, 1, 1) <= start <= dt.date(2100, 1, 1):
            self.add_error("start_date", "Enter a start date between 2000 and 2100.")
        return data


class PlacementForm(_PlacementFormBase):
    """A new placement; guarantee terms come from the company's terms of business."""

    person = PersonPickField(
        queryset=Person.objects.none(),
        label="Placed candidate",
        search_url=reverse_lazy("pick_people"),
        help_text="Type part of their name or email and choose them from the list.",
    )
    company = CompanyPickField(
        queryset=Company.objects.all(), search_url=reverse_lazy("pick_companies")
    )
    hiring_manager = _hiring_manager_field()
    owner = UserChoiceField(queryset=team(), label="Owner")
    plan = forms.ModelChoiceField(
        queryset=CarePlan.objects.all(),
        required=False,
        empty_label="The default plan for this kind of placement",
        label="Care plan",
    )

    class Meta:
        model = Placement
        fields = [
            "person",
            "company",
            "role_title",
            "kind",
            "start_date",
            "end_date",
            "hiring_manager",
            "owner",
            *MONEY_FIELDS,
            *TERMS_FIELDS,
        ]
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "responsibilities": forms.Textarea(attrs={"rows": 3}),
            "benefits": forms.Textarea(attrs={"rows": 2}),
            "terms_notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limit(people)


class PlacementEditForm(_PlacementFormBase):
    hiring_manager = _hiring_manager_field()
    owner = UserChoiceField(
        queryset=team(),
        label="Owner",
        help_text="Changing the owner hands over this placement and its future calls.",
    )
    rebate_scale = RebateScaleField()
    version = VersionField()

    class Meta:
        model = Placement
        fields = [
            "role_title",
            "start_date",
            "end_date",
            "hiring_manager",
            "owner",
            *MONEY_FIELDS,
            *TERMS_FIELDS,
            "guarantee_length",
            "guarantee_unit",
            "guarantee_remedy",
            "rebate_scale",
        ]
        widgets = PlacementForm.Meta.widgets
        help_texts = {
            "start_date": "Moving the start date moves the planned calls and check-ins with it."
        }

    def __init__(self, *args: Any, people: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limit(people)
        manager = self.fields["hiring_manager"].widget
        assert isinstance(manager, PickerInput)
        # The company is settled: the list offers its contacts only.
        manager.search_url = f"{reverse('pick_people')}?company={self.instance.company_id}"
        manager.depends_on = ""
        self.fields["version"].initial = self.instance.version
        if not self.instance.shows_money_to(user):
            # A covering colleague edits the terms, not the money (nor sees it).
            for name in ("salary", "fee"):
                del self.fields[name]
        if not self.instance.may_change_owner(user):
            # ...and looks after the placement without giving it to someone else.
            self.fields["owner"].disabled = True
            self.fields["owner"].help_text = "Only the owner or a manager can hand it over."

    def changes(self) -> dict[str, Any]:
        """The cleaned values update_placement sets; the start date and the owner go
        through their own workflows."""
        return {
            name: self.cleaned_data[name]
            for name in self.Meta.fields
            if name in self.fields and name not in ("start_date", "owner")
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        text = self.data.get(self.add_prefix("rebate_scale"), "")
        try:
            data["rebate_scale"] = parse_rebate_scale(text, data.get("guarantee_length"))
        except forms.ValidationError as exc:
            self.add_error("rebate_scale", exc)
        return data


class TargetForm(forms.ModelForm[Target]):
    class Meta:
        model = Target
        fields = ["name", "target_value", "unit", "period"]
        labels = {"name": "Target", "target_value": "Value"}

    def clean_target_value(self) -> Any:
        value = self.cleaned_data.get("target_value")
        if value is not None and value <= 0:
            raise forms.ValidationError("A target is more than zero.")
        return value


class BaseTargetFormSet(BaseInlineFormSet[Target, Placement, TargetForm]):
    default_error_messages = {"too_many_forms": "A placement has at most %(num)d targets."}


# absolute_max too: otherwise a forged targets-TOTAL_FORMS builds (and renders) 2,000 forms.
TargetFormSet = inlineformset_factory(
    Placement,
    Target,
    form=TargetForm,
    formset=BaseTargetFormSet,
    extra=2,
    can_delete=True,
    max_num=Target.MAX_PER_PLACEMENT,
    absolute_max=Target.MAX_PER_PLACEMENT,
    validate_max=True,
)


class OutcomeForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (Placement.Status.FELL_OFF, "Fell off (never started or left in the first days)"),
            (Placement.Status.LEFT, "Left early"),
        ],
        widget=forms.RadioSelect,
        label="What happened",
    )
    left_on = forms.DateField(widget=DATE, label="Date they left (or the offer fell through)")
    reason = forms.ChoiceField(choices=Placement.LeaveReason.choices)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, placement: Placement, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.placement = placement
        self.today = today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        left_on = data.get("left_on")
        if left_on and left_on > self.today:
            self.add_error(
                "left_on", "Record this once it has happened: the date is in the future."
            )
        if (
            left_on
            and data.get("status") == Placement.Status.LEFT
            and left_on < self.placement.start_date
        ):
            self.add_error(
                "left_on",
                "They cannot leave before the start date; choose “fell off” instead.",
            )
        return data
