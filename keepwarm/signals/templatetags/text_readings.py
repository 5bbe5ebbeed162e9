"""{% load text_readings %}: the stored tone and leaving intent of answers and call notes,
shown where the words are (the response page, the timeline, a placement's calls)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.db import connection
from django.db.models import DEFERRED

from keepwarm.lib.bulk import AMONG_IDS, fetch_all, ids_param
from keepwarm.signals.models import TextReading

register = template.Library()


def _source_of(obj: Any) -> str:
    return (
        TextReading.Source.TOUCHPOINT
        if obj._meta.model_name == "touchpoint"
        else TextReading.Source.ANSWER
    )


@register.simple_tag
def text_readings(items: Iterable[Any]) -> dict[str, TextReading]:
    """The readings of touchpoints, answers, responses' answers or timeline entries (their
    `obj`), in one query, keyed for `reading_of`."""
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
    rows = fetch_all(
        _readings_sql(),
        [
            TextReading.Source.TOUCHPOINT.value,
            ids_param(touchpoints),
            TextReading.Source.ANSWER.value,
            ids_param(answers),
        ],
    )
    return {f"{row[1]}:{row[2]}": _reading(*row) for row in rows}


# What the readings show, in one statement written once (prepared on PostgreSQL): the
# timeline asks on every person page, and the ORM compiled its OR of two lists each time.
_READINGS = (
    "SELECT id, source, source_id, tone, intent, intent_phrase FROM {table}"
    " WHERE (source = %s AND source_id {ids}) OR (source = %s AND source_id {ids})"
)


def _readings_sql() -> str:
    table = connection.ops.quote_name(TextReading._meta.db_table)
    return _READINGS.format(table=table, ids=AMONG_IDS[connection.vendor])


def _reading(
    pk: int, source: str, source_id: int, tone: float, intent: str, phrase: str
) -> TextReading:
    """A reading as the panel shows it; when it was read is left to be read on first use."""
    values = {
        "id": pk,
        "source": source,
        "source_id": source_id,
        "tone": tone,
        "intent": intent,
        "intent_phrase": phrase,
    }
    return TextReading.from_db(
        connection.alias,
        (),
        [values.get(f.attname, DEFERRED) for f in TextReading._meta.concrete_fields],
    )


@register.filter
def reading_of(readings: dict[str, TextReading], obj: Any) -> TextReading | None:
    return readings.get(f"{_source_of(obj)}:{obj.pk}")
