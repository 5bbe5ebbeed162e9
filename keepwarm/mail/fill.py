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
        self._longest_fixed, self._filled_lines = _line_shape(self.parts)
        self._room: dict[int, int] = {}

    def _values(self, values: Mapping[str, str]) -> list[str]:
        if self.escape:
            return [html.escape(values.get(name, ""), quote=True) for name in self.names]
        return [values.get(name, "") for name in self.names]

    def fill(self, values: Mapping[str, str]) -> str:
        parts = self.parts[:]
        parts[1::2] = self._values(values)
        return "".join(parts)

    def fill_within(self, values: Mapping[str, str], limit: int) -> tuple[str, bool]:
        """The fill, and whether no line of it can be longer than `limit` UTF-8 bytes
        (a line break counts as "\\r", "\\n" or both). Told by the body's own line lengths,
        measured once, and the longest value: an SMTP sender asks this of every copy, and
        measuring each copy's lines cost more than the rest of its line handling. False
        means "not known": the caller measures that copy itself."""
        parts = self.parts[:]
        parts[1::2] = filled = self._values(values)
        text = "".join(parts)
        # A value's line breaks only split its line, so its length is a bound.
        if "".join(filled).isascii():
            longest = max(map(len, filled), default=0)
        else:
            longest = max((len(value.encode()) for value in filled), default=0)
        return text, longest <= self._room_within(limit)

    def _room_within(self, limit: int) -> int:
        """The longest value (bytes) every line can take and stay within `limit`; -1 when
        a line without any is over it."""
        if limit not in self._room:
            room = -1 if self._longest_fixed > limit else limit
            for fixed, count in self._filled_lines:
                room = min(room, (limit - fixed) // count)
            self._room[limit] = room
        return self._room[limit]


def _line_shape(parts: Sequence[str]) -> tuple[int, tuple[tuple[int, int], ...]]:
    """For a split body: the longest line (UTF-8 bytes) with no placeholder on it, and for
    each line with placeholders its own bytes and how many placeholders it has."""
    longest = 0
    filled: dict[int, int] = {}  # a line with placeholders: its bytes, then how many
    lines: list[list[int]] = [[0, 0]]  # each line: its own bytes, its placeholders
    for index, part in enumerate(parts):
        if index % 2:
            lines[-1][1] += 1
            continue
        pieces = part.replace("\r", "\n").split("\n")
        lines[-1][0] += len(pieces[0].encode())
        lines.extend([len(piece.encode()), 0] for piece in pieces[1:])
    for own, count in lines:
        if count:
            filled[own] = max(count, filled.get(own, 0))
        else:
            longest = max(longest, own)
    return longest, tuple(filled.items())
