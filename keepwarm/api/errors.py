"""One JSON shape for every client error: {"detail": ..., "errors": [{"field", "message"}]}."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError


class Invalid(Exception):
    """A request the API understood but will not carry out; answered with 422."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _field_name(loc: Iterable[Any]) -> str:
    parts = [str(p) for p in loc]
    # ninja reports ("body", "<parameter>", "field", ...) or ("query", "field").
    if parts and parts[0] == "body":
        parts = parts[2:]
    elif parts and parts[0] in ("query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def problems_from_ninja(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    problems = []
    for error in errors:
        field = _field_name(error.get("loc", ()))
        message = str(error.get("msg", "is invalid"))
        problems.append({"field": field, "message": message})
    return problems


def problems_from_django(exc: DjangoValidationError) -> list[dict[str, str]]:
    if hasattr(exc, "error_dict"):
        return [
            {"field": field, "message": " ".join(str(m) for m in DjangoValidationError(errs))}
            for field, errs in exc.error_dict.items()
        ]
    return [{"field": "body", "message": " ".join(exc.messages)}]


def error_body(problems: list[dict[str, str]]) -> dict[str, Any]:
    if len(problems) == 1:
        detail = f"{problems[0]['field']}: {problems[0]['message']}"
    else:
        detail = "Some fields are invalid: " + ", ".join(p["field"] for p in problems)
    return {"detail": detail, "errors": problems}
