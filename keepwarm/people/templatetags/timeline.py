"""{% timeline_rows timeline readings %}: a person's timeline written out here, not by the
template engine.

Measured at agency size (bench/bench_pages.py --profile): a placed person's ~20 entries
through the template loop (a date, a URL, a with and a dozen lookups each) cost about as much
as the list50 anchor's whole table. Each call, check-in, email and note is written here as
people/_timeline_entry.html writes it, one escaped string each; an answered questionnaire
(each answer's reading in a loop) still goes through that template. The people/tests hold
every kind of entry written here to what the template wrote.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from html import escape  # what django.utils.html.escape calls, without its lazy-text wrapper
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString, mark_safe

from keepwarm.care.queries import TimelineEntry
from keepwarm.lib.urls import pk_url
from keepwarm.signals.templatetags.text_readings import reading_of

register = template.Library()

# Between entries, as the template's loop left it.
_GAP = "\n        "


@register.simple_tag
def timeline_rows(entries: Iterable[TimelineEntry], readings: dict[str, Any]) -> SafeString:
    """The timeline's entries as the page's list items; `readings` keyed as text_readings'."""
    when = _When()
    return mark_safe(  # noqa: S308 (every value escaped, or rendered by the template)
        "".join(
            f"{_GAP}{entry_html(e, readings, when)}{_GAP}"
            if e.kind != "response"
            else f"{_GAP}{_template_entry(e, readings)}{_GAP}"
            for e in entries
        )
    )


def entry_html(e: TimelineEntry, readings: dict[str, Any], when: _When) -> str:
    """One call, check-in, email or note, as people/_timeline_entry.html wrote it."""
    by = f" · {escape(e.by.display_name)}" if e.by is not None else ""
    body = f'<div class="body">{escape(e.text)}</div>' if e.text and e.kind != "message" else ""
    return (
        f'<li>\n          <div class="when">{when(e.at)}{by}</div>\n          <div>\n'
        f"            \n              {_what(e)}\n            \n          </div>\n"
        f"          {body}\n          {_reading(e, readings)}\n        </li>"
    )


class _When:
    """The template's `date:"j M Y, H:i"`, in the agency's time zone as the template showed
    it, written out: dateformat builds a formatter object for each entry. The zone and each
    month's name (a translation) are looked up once for the whole timeline."""

    def __init__(self) -> None:
        self.zone = timezone.get_current_timezone()
        self.months: dict[int, str] = {}

    def __call__(self, at: dt.datetime) -> str:
        local = at.astimezone(self.zone) if timezone.is_aware(at) else at
        month = self.months.get(local.month)
        if month is None:
            month = self.months[local.month] = str(MONTHS_3[local.month]).title()  # as "M"
        return escape(f"{local.day} {month} {local.year:04d}, {local:%H:%M}")


def _what(e: TimelineEntry) -> str:
    obj: Any = e.obj
    if e.kind == "note":
        return "<strong>Note</strong>"
    badge = f'<span class="badge badge-{escape(e.state)}">{escape(obj.get_state_display())}</span>'
    if e.kind == "message":
        return f'{badge} Email: <a href="{pk_url(obj.pk, "sent_message")}">{escape(e.title)}</a>'
    outcome = f" — {escape(obj.get_outcome_display())}" if obj.outcome else ""
    return f"{badge} <strong>{escape(e.title)}</strong>{outcome}"


def _reading(e: TimelineEntry, readings: dict[str, Any]) -> str:
    """A call note's tone and leaving intent, where one was read."""
    if e.kind != "touchpoint":
        return ""
    found = reading_of(readings, e.obj)
    if found is None:
        return ""
    return f"<div>{render_to_string('signals/_text_reading.html', {'r': found})}</div>"


def _template_entry(e: TimelineEntry, readings: dict[str, Any]) -> str:
    return render_to_string("people/_timeline_entry.html", {"e": e, "readings": readings})
