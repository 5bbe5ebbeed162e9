"""Form widgets every app's forms share."""

from __future__ import annotations

from typing import Any

from django import forms


class DateInput(forms.DateInput):
    """A day, in the visitor's own format: the browser's date picker shows it as they write
    dates (dd/mm/yyyy in the UK) and sends it as yyyy-mm-dd. Its value must be ISO, or the
    picker comes up empty: Django would otherwise render the en-GB "25/12/2026", which a
    date input cannot read. Typed by hand where there is no picker, dd/mm/yyyy is accepted
    too (the en-GB input formats of LANGUAGE_CODE)."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")
