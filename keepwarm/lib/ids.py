"""Record ids typed into URLs and forms: only what a database key can hold."""

from __future__ import annotations

# BigAutoField's range; a longer number is not an id and would overflow SQLite's INTEGER.
MAX_ID = 2**63 - 1


def parse_id(value: object) -> int | None:
    """The id in ``value``, or None for anything that is not a plausible record id."""
    text = str(value).strip()
    if not text.isascii() or not text.isdecimal():
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
