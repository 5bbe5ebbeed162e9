"""Choosing a person or a company on a form, among up to 200k, without a <select> of all.

The field renders a text input. With JavaScript (static/picker.js) it is a combobox: as
you type, the search address answers with the first matches and choosing one fills in a
hidden id. Without it, or when nothing was chosen from the list, the typed text is
looked up on the server: "Amelia Jones", "Jones, Amelia", an email, or the label the list
shows ("Jones, Amelia (amelia@example.org)"). Either way the server decides, among only
the records the form allows (the people this user may see; a company's contacts).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import Model, Q, QuerySet
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django_stubs_ext import StrOrPromise

from keepwarm.lib.ids import parse_id
from keepwarm.people.models import Company, Person

# How many matches the list offers as you type.
PICKER_MATCHES = 12
EMAIL_IN_LABEL = re.compile(r"\(([^()\s]+@[^()\s]+)\)\s*$")


def person_label(person: Person) -> str:
    email = f" ({person.email})" if person.email else ""
    return f"{person.last_name}, {person.first_name}{email}"


def company_label(company: Company) -> str:
    return company.name


class PickerInput(forms.Widget):
    """The typed text (`<name>_text`) and the chosen id (`<name>`), as one value."""

    template_name = "_picker.html"

    def __init__(
        self, *, search_url: StrOrPromise = "", depends_on: str = "", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.search_url = search_url
        # The name of another picker on the form whose choice narrows this one's matches
        # (a hiring manager among the chosen company's contacts).
        self.depends_on = depends_on
        self.describe: Any = None

    def _render(
        self, template_name: str, context: dict[str, Any], renderer: Any = None
    ) -> SafeString:
        # The project's template engine: the form renderer's own does not read its folder.
        return SafeString(render_to_string(template_name, context))  # autoescaped already

    def value_from_datadict(self, data: Any, files: Any, name: str) -> dict[str, str]:
        return {"id": str(data.get(name, "")), "text": str(data.get(f"{name}_text", ""))}

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and f"{name}_text" not in data

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        if isinstance(value, dict):
            chosen, text = value.get("id", ""), value.get("text", "")
        else:
            pk = value.pk if isinstance(value, Model) else value
            chosen = "" if pk in (None, "") else str(pk)
            text = self.describe(pk) if chosen and self.describe else ""
        context["widget"].update(
            chosen=chosen, text=text, search_url=self.search_url, depends_on=self.depends_on
        )
        return context


class PickField(forms.Field):
    """One record of `queryset`, chosen from the list or typed (see the module)."""

    widget = PickerInput
    kind = "record"

    def __init__(
        self,
        *,
        queryset: QuerySet[Any],
        search_url: StrOrPromise = "",
        depends_on: str = "",
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("widget", PickerInput(search_url=search_url, depends_on=depends_on))
        super().__init__(**kwargs)
        self.queryset = queryset

    @property
    def queryset(self) -> QuerySet[Any]:
        return self._queryset

    @queryset.setter
    def queryset(self, value: QuerySet[Any]) -> None:
        self._queryset = value
        assert isinstance(self.widget, PickerInput)
        self.widget.describe = self.describe

    def describe(self, pk: Any) -> str:
        found = self._queryset.filter(pk=parse_id(pk)).first() if parse_id(pk) else None
        return self.label_of(found) if found is not None else ""

    def label_of(self, obj: Any) -> str:
        return str(obj)

    def find(self, text: str) -> Any:
        """The one record `text` names, or a ValidationError saying why not."""
        raise NotImplementedError

    def clean(self, value: Any) -> Any:
        value = value if isinstance(value, dict) else {"id": value or "", "text": ""}
        chosen, text = parse_id(value.get("id")), " ".join(str(value.get("text", "")).split())
        if chosen is None and not text:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return None
        if chosen is not None:
            found = self._queryset.filter(pk=chosen).first()
            if found is not None:
                return found
            if not text:
                raise forms.ValidationError(f"That {self.kind} is not one you can choose here.")
        return self.find(text)

    def has_changed(self, initial: Any, data: Any) -> bool:
        before = initial.pk if isinstance(initial, Model) else initial
        try:
            after = self.clean(data)
        except forms.ValidationError:
            return True
        return (after.pk if after is not None else None) != parse_id(before)


class PersonPickField(PickField):
    kind = "person"

    def label_of(self, obj: Any) -> str:
        return person_label(obj)

    def find(self, text: str) -> Person:
        email = EMAIL_IN_LABEL.search(text)
        if email or "@" in text:
            address = email[1] if email else text
            found = list(self._queryset.filter(email__iexact=address)[:2])
        else:
            name = _name_condition(text)
            found = list(self._queryset.filter(name)[:2]) if name is not None else []
        if len(found) == 1:
            person: Person = found[0]
            return person
        if found:
            raise forms.ValidationError(
                f"More than one person is called “{text}”: choose them from the list as you "
                "type, or type their email."
            )
        raise forms.ValidationError(
            f"Nobody called “{text}” can be chosen here. Type part of their name and choose "
            "them from the list, or add them under People first."
        )


def _name_condition(text: str) -> Q | None:
    """ "Amelia Jones" or "Jones, Amelia" as a condition on first and last name."""
    if "," in text:
        last, _, first = text.partition(",")
    else:
        words = text.split()
        if len(words) < 2:
            return None
        first, last = " ".join(words[:-1]), words[-1]
    return Q(first_name__iexact=first.strip(), last_name__iexact=last.strip())


class CompanyPickField(PickField):
    kind = "company"

    def label_of(self, obj: Any) -> str:
        return company_label(obj)

    def find(self, text: str) -> Company:
        found: Company | None = (
            self._queryset.filter(name=text).order_by("id").first()
            or self._queryset.filter(name__iexact=text).order_by("id").first()
        )
        if found is None:
            raise forms.ValidationError(
                f"No company called “{text}”: type part of its name and choose it from the "
                "list, or add it under Companies first."
            )
        return found
