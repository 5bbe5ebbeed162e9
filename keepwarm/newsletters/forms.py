from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import QueryDict
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.audit.concurrency import VersionField
from keepwarm.newsletters.generate import parse_quarter
from keepwarm.newsletters.models import Audience, Block, Issue, Kind, LibraryBlock, Newsletter
from keepwarm.newsletters.services import BlockText, check_placeholders
from keepwarm.people.models import Company, Consent, Person


def _distinct(values: Any) -> list[tuple[str, str]]:
    return [(v, v) for v in sorted({v for v in values if v})]


_Checked = TypeVar("_Checked", bound=Model)


class PlaceholderChecked(forms.ModelForm[_Checked]):
    """Refuses, field by field, text with a placeholder no copy would fill."""

    checked: tuple[str, ...] = ()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in self.checked:
            try:
                check_placeholders(**{name: data.get(name) or ""})
            except ValidationError as exc:
                self.add_error(None, exc)
        return data


class NewsletterForm(forms.ModelForm[Newsletter]):
    class Meta:
        model = Newsletter
        fields = [
            "name", "from_name", "audience", "frequency", "send_weekday", "send_day",
            "send_time", "postal_address", "active", "track_engagement",
        ]  # fmt: skip
        widgets = {
            "send_weekday": forms.Select(
                choices=list(
                    enumerate(
                        [
                            "Monday",
                            "Tuesday",
                            "Wednesday",
                            "Thursday",
                            "Friday",
                            "Saturday",
                            "Sunday",
                        ]
                    )
                )
            ),
            "send_time": forms.TimeInput(attrs={"type": "time"}),
            "postal_address": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "send_weekday": "Day of the week (weekly)",
            "send_day": "Day of the month (monthly)",
        }

    def clean_send_day(self) -> int:
        day = self.cleaned_data["send_day"]
        if not 1 <= day <= 28:
            raise forms.ValidationError("Pick a day from 1 to 28, so every month has it.")
        return int(day)


class AudienceForm(forms.ModelForm[Audience]):
    roles = forms.MultipleChoiceField(
        choices=Audience.Who.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: everyone with a lawful basis.",
    )  # fmt: skip
    sectors = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    locations = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    topics = forms.MultipleChoiceField(
        choices=Consent.Topic.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Leave out people who chose topics and none of these.",
    )  # fmt: skip

    class Meta:
        model = Audience
        fields = [
            "name", "roles", "sectors", "locations", "placed_min_months", "placed_max_months",
            "consultant", "topics",
        ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Unordered: the models' name order made DISTINCT keep one row a person (190,000
        # at agency size, sorted on disk: 0.65 s for the form) instead of one a sector.
        sectors = [*Person.objects.order_by().values_list("sector", flat=True).distinct()]
        sectors += Company.objects.order_by().values_list("sector", flat=True).distinct()
        self.fields["sectors"].choices = _distinct(sectors)  # type: ignore[attr-defined]
        self.fields["locations"].choices = _distinct(  # type: ignore[attr-defined]
            Person.objects.order_by().values_list("location", flat=True).distinct()
        )
        self.fields["consultant"].queryset = User.objects.filter(is_active=True).order_by(  # type: ignore[attr-defined]
            "first_name", "last_name"
        )
        self.fields["consultant"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("placed_min_months"), data.get("placed_max_months")
        if low is not None and high is not None and low > high:
            self.add_error("placed_max_months", "Must be at least the minimum.")
        return data


class IssueForm(PlaceholderChecked[Issue]):
    checked = ("subject", "preheader")

    class Meta:
        model = Issue
        fields = ["subject", "preheader"]


class BlockForm(PlaceholderChecked[Block]):
    checked = ("title", "body")

    class Meta:
        model = Block
        fields = ["title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}


class IssueEditForm(IssueForm):
    """The subject and preheader in the editor, with the version it was opened at."""

    version = VersionField()


@dataclass
class IssueEditor:
    """The whole issue as one form: subject, preheader and every block, saved together."""

    form: IssueEditForm
    blocks: list[tuple[Block, BlockForm]]
    # Text the user wrote for blocks that are gone (removed by someone else meanwhile),
    # shown back so it can be copied: (title, body).
    orphans: list[tuple[str, str]]

    @classmethod
    def bind(cls, issue: Issue, data: QueryDict | None = None) -> IssueEditor:
        blocks = list(issue.blocks.all())
        forms_ = [(b, BlockForm(data, instance=b, prefix=f"b{b.pk}")) for b in blocks]
        known = {f"b{b.pk}-body" for b in blocks}
        orphans = [
            (str(data.get(key[: -len("body")] + "title", "") if data else ""), str(value))
            for key, value in (data.items() if data is not None else [])
            if key.startswith("b") and key.endswith("-body") and key not in known and value
        ]
        return cls(IssueEditForm(data, instance=issue), forms_, orphans)

    def is_valid(self) -> bool:
        # Every form, so each shows its own errors, not only the first refused.
        valid = [self.form.is_valid(), *(f.is_valid() for _, f in self.blocks)]
        return all(valid)

    def texts(self) -> dict[int, BlockText]:
        return {
            block.pk: BlockText(title=f.cleaned_data["title"], body=f.cleaned_data["body"])
            for block, f in self.blocks
        }

    def unsaved(self, data: QueryDict) -> tuple[Issue, list[Block]]:
        """The issue and its blocks as typed, not saved: what the live preview shows."""
        issue = self.form.instance
        issue.subject = data.get("subject", issue.subject)
        issue.preheader = data.get("preheader", issue.preheader)
        blocks = []
        for block, _ in self.blocks:
            block.title = data.get(f"b{block.pk}-title", block.title)
            block.body = data.get(f"b{block.pk}-body", block.body)
            blocks.append(block)
        return issue, blocks


# The "add a block" fields sit beside the editor but submit with it (the HTML form
# attribute), so adding a block also saves what is being edited.
EDITOR = {"form": "issue-editor"}


class NewBlockForm(forms.Form):
    kind = forms.ChoiceField(choices=Kind.choices, widget=forms.Select(attrs=EDITOR))
    title = forms.CharField(max_length=200, required=False, widget=forms.TextInput(attrs=EDITOR))


class LibraryBlockForm(PlaceholderChecked[LibraryBlock]):
    checked = ("title", "body")

    class Meta:
        model = LibraryBlock
        fields = ["kind", "title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}


class ScheduleForm(forms.Form):
    when = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Agency time. Empty: the newsletter's next regular slot.",
    )

    def clean_when(self) -> dt.datetime | None:
        when = self.cleaned_data.get("when")
        if when is not None and timezone.is_naive(when):
            when = timezone.make_aware(when)
        return when


class TestSendForm(forms.Form):
    to_email = forms.EmailField(
        required=False,
        label="Send a test to",
        help_text="Empty: you. Otherwise a colleague's Keepwarm address.",
    )


class StatisticsForm(forms.Form):
    """CSV with a header: period,sector,value (period like 2025-Q3)."""

    csv = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        label="CSV",
        help_text="A header line period,sector,value then one row per quarter and sector, "
        "e.g. 2025-Q3,Technology,1250 (vacancies from a public source).",
    )
    source = forms.CharField(max_length=200, required=False)

    def clean_csv(self) -> list[tuple[str, str, float]]:
        text = self.cleaned_data["csv"]
        reader = csv.DictReader(io.StringIO(text.strip()))
        if not reader.fieldnames or {"period", "sector", "value"} - {
            f.strip().lower() for f in reader.fieldnames
        }:
            raise forms.ValidationError("The first line must be: period,sector,value")
        rows = []
        for number, row in enumerate(reader, start=2):
            row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
            try:
                period = row["period"].upper()
                parse_quarter(period)
                value = float(row["value"].replace(",", ""))
            except (ValueError, KeyError):
                raise forms.ValidationError(
                    f"Line {number}: expected a quarter like 2025-Q3 and a number."
                ) from None
            if not row["sector"]:
                raise forms.ValidationError(f"Line {number}: the sector is missing.")
            rows.append((period, row["sector"], value))
        if not rows:
            raise forms.ValidationError("No rows under the header.")
        return rows
