"""A body with placeholders (%%KW_FIRST_NAME%% …) filled with one recipient's values.

A newsletter copy is its issue's body with a few personal values in it. The outbox keeps
that body once (OutboxTemplate) and each copy only its values: filling is a split made
once and a join per copy, string work with no template engine.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence


def placeholder(name: str) -> str:
    return f"%%KW_{name.upper()}%%"


class Filler:
    """`source` split at the placeholders of `names`, ready to fill cheaply many times.

    Only those names split it: anything else written like a placeholder stays as written.
    A value missing from a fill (a copy whose values were erased) is left empty."""

    def __init__(self, source: str, *, names: Sequence[str], escape: bool) -> None:
        if names:
            split = re.compile("%%KW_(" + "|".join(re.escape(n.upper()) for n in names) + ")%%")
            self.parts = split.split(source)
        else:
            self.parts = [source]
        self.names = [name.lower() for name in self.parts[1::2]]
        self.escape = escape

    def fill(self, values: Mapping[str, str]) -> str:
        parts = self.parts[:]
        if self.escape:
            parts[1::2] = [html.escape(values.get(name, ""), quote=True) for name in self.names]
        else:
            parts[1::2] = [values.get(name, "") for name in self.names]
        return "".join(parts)
