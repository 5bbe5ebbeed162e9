"""Form inputs written without widget templates are exactly what Django writes: a page that
renders its forms faster looks and reads the same, to people and to screen readers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django import forms
from django.template import engines
from django.utils.safestring import mark_safe

from keepwarm.lib.inputs import field_html, field_input
from keepwarm.lib.widgets import DateInput


class EveryWidget(forms.Form):
    name = forms.CharField(max_length=200, help_text="As on their passport & CV.")
    company = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"list": "role-companies", "autocomplete": "off"}),
    )
    started_on = forms.DateField(widget=DateInput())
    ended_on = forms.DateField(required=False, widget=DateInput(), label="Ended")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    kind = forms.ChoiceField(
        choices=[("call", "Call"), ("meeting", "Meeting <in person>"), ("email", "Email")]
    )
    grouped = forms.ChoiceField(
        required=False,
        choices=[("", "— none —"), ("Calls", [("a", "A & B"), ("b", "B")]), ("c", "C")],
    )
    many = forms.MultipleChoiceField(
        required=False, choices=[("x", "X"), ("y", "Y")], widget=forms.SelectMultiple
    )
    agreed = forms.BooleanField(required=False)
    hours = forms.DecimalField(required=False)
    email = forms.EmailField(required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


def assert_written_as_django_writes(form: forms.Form) -> None:
    for field in form:
        assert field_input(field) == str(field), field.name


def test_empty_inputs_are_written_as_django_writes_them() -> None:
    assert_written_as_django_writes(EveryWidget(initial={"kind": "meeting"}))


def test_initial_values_are_written_as_django_writes_them() -> None:
    initial: dict[str, Any] = {
        "name": 'Ann "Nan" O’Brien <ann@example.com>',
        "company": "Smith & Sons",
        "started_on": dt.date(2026, 12, 7),
        "notes": "Line one\n<b>not bold</b>",
        "grouped": "a",
        "many": ["x", "y"],
        "agreed": True,
        "hours": "37.5",
        "version": 3,
    }
    assert_written_as_django_writes(EveryWidget(initial=initial, prefix="role"))


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"name": "A" * 300, "started_on": "not a day", "kind": "fax", "hours": "many"},
        {"name": "Ann", "started_on": "07/12/2026", "kind": "call", "agreed": "on"},
    ],
)
def test_typed_values_and_errors_are_written_as_django_writes_them(data: dict[str, Any]) -> None:
    form = EveryWidget(data)
    form.is_valid()
    assert_written_as_django_writes(form)


# templates/_field.html as it was before field_html wrote it: the page must read the same.
FIELD_TEMPLATE = """{% load keepwarm %}<div class="field{% if field.errors %} has-error{% endif %}">
  {% if field.field.widget.input_type == "checkbox" %}
  <label for="{{ field.id_for_label }}">{{ field|as_input }} {{ field.label }}</label>
  {% else %}
  <label for="{{ field.id_for_label }}">{{ field.label }}{% if not field.field.required %} <span class="muted small">(optional)</span>{% endif %}</label>
  {{ field|as_input }}
  {% endif %}
  {% if field.errors %}<ul class="errorlist" id="{{ field.auto_id }}_errors">{% for e in field.errors %}<li>{{ e }}</li>{% endfor %}</ul>{% endif %}
  {% if field.help_text %}<p class="help">{{ field.help_text }}</p>{% endif %}
</div>
"""  # noqa: E501 (the template's own lines, as they were)


class Labelled(forms.Form):
    """Labels and help that need escaping, and some already safe."""

    who = forms.CharField(label='Who said "no" & why <exactly>', help_text="Tom & Jerry's <b>")
    safe = forms.CharField(required=False, label=mark_safe("<em>Safe</em> label"))
    ticked = forms.BooleanField(required=False, label="I agree & consent", help_text="Once.")


@pytest.mark.parametrize("form_class", [EveryWidget, Labelled])
@pytest.mark.parametrize("data", [None, {}, {"name": "A" * 300, "who": "x", "started_on": "no"}])
def test_a_whole_field_is_written_as_the_field_template_wrote_it(
    form_class: type[forms.Form], data: dict[str, Any] | None
) -> None:
    form = form_class(data, prefix="p") if data is not None else form_class()
    form.is_valid()
    template = engines["django"].from_string(FIELD_TEMPLATE)
    included = engines["django"].from_string('{% include "_field.html" %}')
    for field in form:
        expected = template.render({"field": field})
        assert field_html(field) == expected, field.name
        assert included.render({"field": field}) == expected, field.name
