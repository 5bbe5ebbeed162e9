"""What a search box matches, as one SQL condition: the search page and the person and
company pickers ask it of people and companies.

A number ("07700 900123") matches a stored phone ignoring spaces, dashes, brackets and
dots, also as dialled from abroad ("+447700900123"); an address (anything with "@")
matches inside the email; otherwise each of the first five words must start a word of a
name ("sm" finds Smith and Jones-Smith, not Jasmine) or start the email.

Written as SQL once, with the engine's own LIKE forms (`UPPER(col::text) LIKE UPPER(%s)`
on PostgreSQL, `LIKE %s ESCAPE '\\'` on SQLite) and its escaping of the typed text, so a
statement written by hand (the search page's, measured at agency size: building and
compiling it through the ORM cost more than running it) and an ORM filter
(`keepwarm.care.views._match`) ask exactly the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.db import connection

from keepwarm.lib.phones import InvalidPhone, normalise_phone

PHONE_LIKE = re.compile(r"^[\d\s()+\-.]{4,}$")
# What people write inside a phone number and the stored form leaves out.
_PHONE_PUNCTUATION = (" ", "-", "(", ")", ".")
_MAX_WORDS = 5
# The shortest word that PostgreSQL's trigram indexes find more cheaply than a scan.
_TRIGRAM_WORD = 2


def match_sql(
    query: str, table: str, name_columns: Sequence[str], *, among_few: bool = False
) -> tuple[str, list[str]]:
    """The condition (and its parameters) that a row of `table` (quoted, as the statement
    names it) with `email` and `phone` columns matches `query`, a stripped non-empty text.
    `among_few` when the statement already narrows the rows by an index of its own (a
    consultant's book, by owner): a number is then tested on each of them rather than
    gathered from the trigram index (people migration 0018), where every mobile shares
    "07700" (a consultant's "+447700900123": 12 against 4.5 ms at agency size)."""
    quote = connection.ops.quote_name

    def column(name: str) -> str:
        return f"{table}.{quote(name)}"

    if PHONE_LIKE.match(query):
        digits, dialled = phone_digits(query)
        # Off the index: an expression the index does not hold (SQLite has no such index).
        off_index = among_few and connection.vendor == "postgresql"
        phone = f"({column('phone')} || '')" if off_index else column("phone")
        stripped = column("phone")
        for char in _PHONE_PUNCTUATION:
            stripped = f"REPLACE({stripped}, '{char}', '')"
        if off_index:
            stripped = f"({stripped} || '')"
        return _any_of(
            [
                _like(stripped, "contains", [digits, dialled]),
                _like(phone, "icontains", [query]),
            ]
        )
    if "@" in query:
        return _like(column("email"), "icontains", [query])
    conditions, params = [], []
    for word in query.split()[:_MAX_WORDS]:
        # Names match from the start of a word, including the later parts of
        # double-barrelled names.
        either = [_like(_searched(column("email"), word), "istartswith", [word])]
        either += [
            _like(_searched(column(name), word), "istartswith", [word, f" {word}", f"-{word}"])
            for name in name_columns
        ]
        sql, word_params = _any_of(either)
        conditions.append(sql)
        params += word_params
    return " AND ".join(conditions), params


def selective(query: str) -> bool:
    """Whether the names `query` asks for are few enough, in a whole table, to gather from
    PostgreSQL's trigram indexes and sort: a word of three letters or more. Read in name
    order instead, a search that finds 421 of 200,000 people ("smi") walked the name index
    through the 199,579 others first (273-364 ms at agency size), whenever the planner's
    sample guessed the matches were spread through the alphabet; they start the name, so
    they sit together at its end. A number or an address is left to the planner: every
    mobile shares "07700", every address at a company its domain."""
    if PHONE_LIKE.match(query) or "@" in query:
        return False
    return any(len(word) >= _SELECTIVE_WORD for word in query.split()[:_MAX_WORDS])


# The shortest word that gathers few enough rows from the trigram index to read them all
# and sort them: two letters ("jo") can match one person in ten.
_SELECTIVE_WORD = 3


def index_match(query: str) -> str | None:
    """What every person matching `query` has, as a MATCH of SQLite's search index (people
    migration 0019, trigram FTS5: any run of three or more characters, in any case), or
    None when `query` has no such run to look for in every way it matches (a two-letter
    word, a short number). It gathers a superset: match_sql's condition still decides."""
    names = "{first_name last_name email}"
    if PHONE_LIKE.match(query):
        digits, dialled = phone_digits(query)
        wanted = [("{phone_digits}", digits), ("{phone_digits}", dialled), ("{phone}", query)]
        if any(len(text) < _INDEXED_RUN for _, text in wanted):
            return None
        return "(" + " OR ".join(f"{columns} : {_phrase(text)}" for columns, text in wanted) + ")"
    if "@" in query:
        return f"{{email}} : {_phrase(query)}" if len(query) >= _INDEXED_RUN else None
    # Any one word narrows; the longer ones the most, and a short one cannot be asked.
    words = [word for word in query.split()[:_MAX_WORDS] if len(word) >= _INDEXED_RUN]
    return " AND ".join(f"{names} : {_phrase(word)}" for word in words) or None


# The trigram tokenizer finds no run shorter than a trigram.
_INDEXED_RUN = 3


def _phrase(text: str) -> str:
    """`text` as an FTS5 string, every character its own (a quote doubled)."""
    return '"' + text.replace('"', '""') + '"'


def _searched(column: str, word: str) -> str:
    """`column` as the condition for `word` reads it. PostgreSQL's trigram indexes (people
    migration 0016) serve a word of two or more characters; one letter is a trigram that
    a sixth of all names share, and gathering those from the index cost more than testing
    each of a consultant's people (8.5 against 11-21 ms at agency size), so for it the
    column is written as an expression no index holds and the planner keeps the owner's
    index."""
    if connection.vendor == "postgresql" and len(word) < _TRIGRAM_WORD:
        return f"({column} || '')"
    return column


def phone_digits(query: str) -> tuple[str, str]:
    """The digits of a number as typed, and as dialled from abroad: numbers are stored as
    +44…, so "07700 900123" finds "+447700900123" too."""
    digits = re.sub(r"\D", "", query)
    try:
        return digits, re.sub(r"\D", "", normalise_phone(query))
    except InvalidPhone:
        return digits, digits


def _like(sql: str, lookup: str, texts: list[str]) -> tuple[str, list[str]]:
    """`sql` `lookup` any of `texts`, as Django's lookup of that name writes it on this
    engine; for `istartswith`, every text after the first is looked for anywhere
    (`icontains`), as " word" and "-word" are."""
    escaped = [connection.ops.prep_for_like_query(text) for text in texts]
    first, *inside = escaped
    patterns = [f"{first}%" if lookup.endswith("startswith") else f"%{first}%"]
    patterns += [f"%{text}%" for text in inside]
    # The start and "anywhere" forms of a lookup cast the column alike (UPPER on PostgreSQL).
    lhs = connection.ops.lookup_cast(lookup, "CharField") % sql
    operator = connection.operators[lookup]
    if len(patterns) > 1 and connection.vendor == "postgresql":
        # One UPPER of the column for all its patterns, not one each: PostgreSQL's UPPER is
        # most of the cost of a search that reads a consultant's book or every company.
        rhs = ", ".join([operator.removeprefix("LIKE ") % "%s"] * len(patterns))
        return f"{lhs} LIKE ANY (ARRAY[{rhs}])", patterns
    return _any_of([(f"{lhs} {operator % '%s'}", [pattern]) for pattern in patterns])


def _any_of(parts: list[tuple[str, list[str]]]) -> tuple[str, list[str]]:
    return "(" + " OR ".join(sql for sql, _ in parts) + ")", [p for _, ps in parts for p in ps]
