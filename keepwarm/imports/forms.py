from __future__ import annotations

from typing import Any

from django import forms

from keepwarm.imports.fields import FIELDS
from keepwarm.imports.models import Entity, Source

CSV_ENTITIES = [
    (Entity.CANDIDATE.value, "Candidates"),
    (Entity.CONTACT.value, "Client contacts"),
    (Entity.COMPANY.value, "Companies"),
    (Entity.JOB.value, "Job orders (they become vacancies)"),
    (Entity.PLACEMENT.value, "Placements"),
    (Entity.NOTE.value, "Notes"),
]
# What a mapping needs before rows can become records at all.
REQUIRED: dict[str, list[tuple[str, ...]]] = {
    Entity.CANDIDATE: [("first_name", "last_name", "name")],
    Entity.CONTACT: [("first_name", "last_name", "name")],
    Entity.COMPANY: [("name",)],
    Entity.JOB: [("title",), ("company_external_id", "company_name")],
    Entity.PLACEMENT: [("start_date",), ("person_external_id", "person_email")],
    Entity.NOTE: [("text",), ("person_external_id", "contact_external_id", "person_email")],
}


class UploadForm(forms.Form):
    source = forms.ChoiceField(
        label="What are you importing?",
        choices=Source.choices,
        widget=forms.RadioSelect,
        initial=Source.BULLHORN,
    )
    entity = forms.ChoiceField(
        label="Each row of the file is one of",
        choices=CSV_ENTITIES,
        required=False,
        help_text="For other CSV or XLSX files only.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("source") == Source.CSV and not data.get("entity"):
            self.add_error("entity", "Say what each row of the file is.")
        return data


class MappingForm(forms.Form):
    """One choice per column of the file: which Keepwarm field it fills, or none."""

    remember_as = forms.CharField(
        label="Remember this mapping as",
        required=False,
        max_length=100,
        help_text="Optional: a name to pick it from the command line (--mapping NAME). "
        "Files with the same columns get it anyway.",
    )

    def __init__(
        self, *args: Any, entity: str, headers: list[str], samples: list[list[str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.entity = entity
        self.headers = headers
        choices = [("", "— leave out —"), *FIELDS[entity].items()]
        for index, header in enumerate(headers):
            examples = [row[index] for row in samples if index < len(row) and row[index]][:3]
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header or f"Column {index + 1}",
                choices=choices,
                required=False,
                help_text=("e.g. " + ", ".join(e[:40] for e in examples)) if examples else "",
            )

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"column_{i}"] for i in range(len(self.headers))]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen: dict[str, str] = {}
        for index, header in enumerate(self.headers):
            field = data.get(f"column_{index}") or ""
            if not field:
                continue
            if field in chosen.values():
                self.add_error(
                    f"column_{index}",
                    f"{FIELDS[self.entity][field]} is already chosen for another column.",
                )
            chosen[header] = field
        for group in REQUIRED[self.entity]:
            if not any(name in chosen.values() for name in group):
                names = " or ".join(FIELDS[self.entity][n] for n in group)
                self.add_error(None, f"Choose a column for {names}.")
        data["mapping"] = chosen
        return data
