"""{% load text_readings %}: the stored tone and leaving intent of answers and call notes,
shown where the words are (the response page, a placement's calls; the person page's
timeline reads them with the page, signals.queries.readings_about)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from keepwarm.signals.models import TextReading
from keepwarm.signals.queries import readings_of

register = template.Library()


def _source_of(obj: Any) -> str:
    return (
        TextReading.Source.TOUCHPOINT
        if obj._meta.model_name == "touchpoint"
        else TextReading.Source.ANSWER
    )


@register.simple_tag
def text_readings(items: Iterable[Any]) -> dict[str, TextReading]:
    """The readings of touchpoints, answers, responses' answers or entries holding one of
    them (their `obj`), in one query, keyed for `reading_of`."""
    touchpoints: list[int] = []
    answers: list[int] = []
    for item in items:
        obj = getattr(item, "obj", item)
        name = obj._meta.model_name
        if name == "touchpoint" and obj.notes:
            touchpoints.append(obj.pk)
        elif name == "answer":
            answers.append(obj.pk)
        elif name == "response":
            # Prefetched with their questions on the timeline.
            answers.extend(a.pk for a in obj.answers.all() if a.question.kind == "text")
    if not touchpoints and not answers:
        return {}
    return readings_of(touchpoints, answers)


@register.filter
def reading_of(readings: dict[str, TextReading], obj: Any) -> TextReading | None:
    return readings.get(f"{_source_of(obj)}:{obj.pk}")
