"""A form field's input written in Python, byte for byte what Django's widget templates
write, for the widgets Keepwarm's forms use (text, date, number, email, textarea, select,
checkbox, hidden); any other widget is rendered by Django as before.

Why: Django renders each widget through the template engine, and each <option> of a select
through a template of its own. The person page shows five forms (~60 inputs and options):
rendering them took more of its CPU than its queries. `test_inputs.py` holds this to
Django's own output for every kind of widget here, with values, errors and help text.

`field_html` writes a whole field (label, input, errors, help) as templates/_field.html
wrote it: the person page's sixteen fields through that include were ~2 ms a view.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.forms import BoundField
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: Mapping[str, Any]) -> str:
    # django/forms/widgets/attrs.html: False leaves the attribute out, True writes its name.
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict[str, Any]) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{conditional_escape(value)}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _textarea(widget: dict[str, Any]) -> str:
    value = widget["value"]
    text = conditional_escape(value) if value else ""
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{text}</textarea>"
    )


def _option(option: dict[str, Any]) -> str:
    return (
        f'<option value="{conditional_escape(option["value"])}"{_attrs(option["attrs"])}>'
        f"{conditional_escape(option['label'])}</option>"
    )


def _select(widget: dict[str, Any]) -> str:
    # django/forms/widgets/select.html, with the line breaks its template leaves.
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        parts.extend(f"\n  {_option(option)}\n" for option in options)
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


_WRITERS: dict[str, Callable[[dict[str, Any]], str]] = {
    **dict.fromkeys(
        (
            "django/forms/widgets/text.html",
            "django/forms/widgets/date.html",
            "django/forms/widgets/number.html",
            "django/forms/widgets/email.html",
            "django/forms/widgets/checkbox.html",
            "django/forms/widgets/hidden.html",
        ),
        _input,
    ),
    "django/forms/widgets/textarea.html": _textarea,
    "django/forms/widgets/select.html": _select,
}


def field_input(field: BoundField) -> SafeString:
    """`{{ field }}` (BoundField.as_widget) for the common widgets, without the template
    engine; any other widget, a localized field or a template of the form's own renderer
    goes to Django."""
    widget = field.field.widget
    write = _WRITERS.get(widget.template_name)
    if write is None or field.field.localize or not _default_option(widget):
        return SafeString(str(field))
    attrs = field.build_widget_attrs({}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    return mark_safe(write(context).strip())  # noqa: S308 - every value above is escaped


def _default_option(widget: Any) -> bool:
    # A select whose options use a template of their own is left to Django.
    return getattr(widget, "option_template_name", None) in (
        None,
        "django/forms/widgets/select_option.html",
    )


def field_html(field: BoundField) -> SafeString:
    """A field's block as templates/_field.html wrote it: its label (with "(optional)"), its
    input (a checkbox inside its label), its errors and its help text."""
    label = conditional_escape(field.label)
    label_for = conditional_escape(field.id_for_label)
    if getattr(field.field.widget, "input_type", None) == "checkbox":
        body = f'\n  <label for="{label_for}">{field_input(field)} {label}</label>\n  '
    else:
        optional = "" if field.field.required else ' <span class="muted small">(optional)</span>'
        body = f'\n  <label for="{label_for}">{label}{optional}</label>\n  {field_input(field)}\n  '
    errors = ""
    if field.errors:
        items = "".join(f"<li>{conditional_escape(str(e))}</li>" for e in field.errors)
        error_id = conditional_escape(field.auto_id)
        errors = f'<ul class="errorlist" id="{error_id}_errors">{items}</ul>'
    help_text = (
        f'<p class="help">{conditional_escape(field.help_text)}</p>' if field.help_text else ""
    )
    has_error = " has-error" if field.errors else ""
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<div class="field{has_error}">\n  {body}\n  {errors}\n  {help_text}\n</div>\n'
    )
