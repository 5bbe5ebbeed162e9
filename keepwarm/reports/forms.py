"""The filters every report shares: period, consultant, client and sector."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import QueryDict

from keepwarm.accounts.models import User
from keepwarm.lib.widgets import DateInput
from keepwarm.people.models import Company
from keepwarm.reports.queries import MAX_PERIOD_DAYS, Scope


def _date_or_none(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _display_name(user: User) -> str:
    return user.display_name


class ReportFilterForm(forms.Form):
    start = forms.DateField(label="From", required=False, widget=DateInput())
    end = forms.DateField(label="To", required=False, widget=DateInput())
    consultant = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Everyone"
    )
    client = forms.ModelChoiceField(
        queryset=Company.objects.none(), required=False, empty_label="Every client"
    )
    sector = forms.ChoiceField(required=False)

    def __init__(self, data: Any, *, user: User, default_days: int, today: dt.date) -> None:
        # The period shown in the boxes is the one the figures use, defaults included.
        data = data.copy() if data is not None else QueryDict(mutable=True)
        end = _date_or_none(data.get("end")) or today
        if not data.get("end"):
            data["end"] = end.isoformat()
        if not data.get("start"):
            data["start"] = (end - dt.timedelta(days=default_days)).isoformat()
        super().__init__(data)
        self.user = user
        self.default_days = default_days
        self.today = today
        consultants = User.objects.filter(is_active=True).order_by("first_name", "last_name")
        if not user.sees_whole_team:
            # A consultant's reports are their own figures: nobody else's to pick.
            consultants = consultants.filter(pk=user.pk)
        consultant_field = self.fields["consultant"]
        assert isinstance(consultant_field, forms.ModelChoiceField)
        if not user.sees_whole_team:
            consultant_field.empty_label = None
        consultant_field.queryset = consultants
        consultant_field.label_from_instance = _display_name  # type: ignore[method-assign,assignment]
        client_field = self.fields["client"]
        assert isinstance(client_field, forms.ModelChoiceField)
        client_field.queryset = Company.objects.order_by("name")
        # A typed id is checked against the database; the list itself is a datalist-free
        # select of clients that have placements, which stays short enough to scroll.
        client_field.widget.choices = [("", "Every client")] + [
            (c["pk"], c["name"])
            for c in Company.objects.filter(placements__isnull=False)
            .values("pk", "name")
            .distinct()
            .order_by("name")[:500]
        ]
        sectors = (
            Company.objects.exclude(sector="")
            .order_by("sector")
            .values_list("sector", flat=True)
            .distinct()
        )
        sector_field = self.fields["sector"]
        assert isinstance(sector_field, forms.ChoiceField)
        sector_field.choices = [("", "Every sector")] + [(s, s) for s in sectors]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", "The end of the period is before its start.")
        elif start and end and (end - start).days > MAX_PERIOD_DAYS:
            self.add_error("start", "A period can be at most 20 years long.")
        return data

    def scope(self) -> Scope:
        """The filters as a Scope; invalid or missing values fall back to the defaults."""
        self.is_valid()
        data = self.cleaned_data  # the fields that were valid; the rest take their defaults
        end = data.get("end") or self.today
        start = data.get("start") or end - dt.timedelta(days=self.default_days)
        if start > end or (end - start).days > MAX_PERIOD_DAYS:
            start = end - dt.timedelta(days=self.default_days)
        consultant = data.get("consultant")
        if not self.user.sees_whole_team:
            consultant = self.user
        client = data.get("client")
        return Scope(
            user=self.user,
            start=start,
            end=end,
            today=self.today,
            consultant_id=consultant.pk if consultant else None,
            company_id=client.pk if client else None,
            sector=data.get("sector") or "",
        )


class RebatePaidForm(forms.Form):
    amount = forms.DecimalField(label="Amount paid", max_digits=12, decimal_places=2, min_value=0)
    paid_on = forms.DateField(label="Paid on", widget=DateInput())
