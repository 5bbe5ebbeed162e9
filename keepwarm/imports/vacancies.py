"""What an imported job order says about its vacancy: the role, and the status the job
order's own words (or its open flag) give it."""

from __future__ import annotations

import re
from typing import Any

from keepwarm.imports.fields import cut_to_limits, parse_salary, plain_text
from keepwarm.network.models import Vacancy
from keepwarm.network.similarity import split_skills

Status = Vacancy.Status

# Bullhorn's job order statuses (its defaults and the usual home-made ones) by the start
# of a word in them ("Unfilled" is not "Filled", "Inactive" not "Active"). Read in this
# order, so "Filled by Client" is filled. On hold is closed: nobody is sought for it now,
# and when it comes back Bullhorn says so on the next import.
STATUS_WORDS = (
    (Status.FILLED, ("fill", "placed")),
    (Status.CLOSED, ("clos", "lost", "cancel", "archiv", "hold", "inactive", "withdr", "dead")),
    (Status.OPEN, ("open", "accepting", "active", "covered", "offer", "interview", "submitted")),
)
_STATUS_PATTERNS = [
    (status, re.compile(r"\b(?:" + "|".join(words) + ")", re.IGNORECASE))
    for status, words in STATUS_WORDS
]
YES = {"true", "yes", "y", "t", "1"}
NO = {"false", "no", "n", "f", "0"}
LIMITS = {"title": 200, "sector": 100, "location": 100}


def vacancy_status(said: str, open_flag: str) -> tuple[str, str]:
    """The vacancy's status and what it was read from: a status the job order names wins,
    then its open flag; with neither, the vacancy is open."""
    for status, pattern in _STATUS_PATTERNS:
        if pattern.search(said):
            return status, f"status {said!r}"
    if open_flag.lower() in YES:
        return Status.OPEN, "marked open"
    if open_flag.lower() in NO:
        return Status.CLOSED, "not marked open"
    return Status.OPEN, ""


def vacancy_values(fields: dict[str, str]) -> tuple[dict[str, Any], str, list[str]]:
    """The vacancy a job order row describes (its company and owner aside), what its
    status was read from, and warnings about values left out."""
    warnings: list[str] = []
    values: dict[str, Any] = {
        "title": fields.get("title", ""),
        "skills": ", ".join(split_skills(fields.get("skills", ""))),
        "sector": fields.get("sector", ""),
        "location": fields.get("location", ""),
        "notes": plain_text(fields.get("description", "")),
        "salary_min": None,
        "salary_max": None,
    }
    warnings += cut_to_limits(values, LIMITS)
    if fields.get("salary"):
        try:
            salary = parse_salary(fields["salary"])
        except ValueError as exc:
            warnings.append(f"salary left out: {exc}")
        else:
            if salary is not None:
                values["salary_min"], values["salary_max"] = salary
    flag = fields.get("open", "")
    if flag and flag.lower() not in YES | NO:
        warnings.append(f"open {flag!r} is neither true nor false")
    values["status"], why = vacancy_status(fields.get("status", ""), flag)
    return values, why, warnings


def describe(status: str, why: str) -> str:
    """What a row makes, for its report: "open vacancy (status 'Accepting Candidates')"."""
    text = f"{Status(status).label.lower()} vacancy"
    return f"{text} ({why})" if why else text
