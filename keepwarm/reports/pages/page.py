"""What every report page is made of: a chart, tables (also its downloads) and extras."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.safestring import SafeString

from keepwarm.reports.queries import Scope


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[Any]]


@dataclass
class Page:
    chart: SafeString
    tables: dict[str, Table]
    extra: dict[str, Any] = field(default_factory=dict)
    # The records whose people the page names (a fall-off, an answer), for the reader's
    # audit trail; a page of figures alone names nobody.
    named: list[models.Model] = field(default_factory=list)


def period(scope: Scope) -> str:
    """ "6 Dec 2025 – 6 Dec 2026": the dates every figure of a report counts between."""
    return f"{scope.start.day} {scope.start:%b %Y} – {scope.end.day} {scope.end:%b %Y}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(100 * value)}%"


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
