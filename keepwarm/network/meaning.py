"""What a job title means as a vector: a static word embedding, read from a table.

Each word has a vector, distilled once (tools/occupations/words.py) from the sentence
model all-MiniLM-L6-v2 (Apache-2.0, from a wheel pinned by hash): the model reads each
word of ESCO's occupation labels and of its own vocabulary alone, and the table keeps
the result, reduced to `data/title-words.npz`'s few dimensions and stored as bytes. A
title's vector is the mean of its words' vectors (a word the table lacks is
spelt out from the model's word pieces, "##keeper"), less the mean of all ESCO
occupations' (so unrelated titles score near 0, not 0.3), made unit length: two titles
are as close as the cosine of their vectors. "Care worker" and "support worker" are
close; so are "bookkeeper" and "accounts assistant", which share no 3-gram.

No model runs here: a title costs a few dictionary lookups and one small numpy mean.
The table is read once per process on first use (README: time and memory). If the file
is missing, `vector` gives None and matching is lexical and ESCO's labels alone.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data" / "title-words.npz"
WORD = re.compile(r"[a-z0-9]+")
# Words that carry no meaning of a job (as occupations.words drops them).
STOP = frozenset(
    ["a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"]
)


class Words:
    """The word table: word -> row, rows of int8 with a scale each, and the centre."""

    def __init__(self, path: Path) -> None:
        with np.load(path, allow_pickle=False) as data:
            words = str(data["words"]).split("\n")
            self.vectors = data["vectors"].astype(np.float32) * data["scales"][:, None]
            self.centre = data["centre"].astype(np.float32)
        self.rows = {word: i for i, word in enumerate(words)}

    def pieces(self, word: str) -> list[int]:
        """The word spelt out in the model's word pieces, longest first ("book", "##keeper");
        empty when it cannot be."""
        found, start = [], 0
        while start < len(word):
            for end in range(len(word), start, -1):
                row = self.rows.get(word[start:end] if start == 0 else "##" + word[start:end])
                if row is not None:
                    found.append(row)
                    start = end
                    break
            else:
                return []
        return found

    def vector(self, text: str) -> np.ndarray | None:
        total = np.zeros_like(self.centre)
        for word in WORD.findall(text.lower()):
            if word in STOP:
                continue
            row = self.rows.get(word)
            if row is not None:
                total += self.vectors[row]
                continue
            rows = self.pieces(word)
            if rows:
                total += self.vectors[rows].mean(0)
        length = float(np.linalg.norm(total))
        if not length:
            return None
        found = total / length - self.centre
        length = float(np.linalg.norm(found))
        return found / length if length else None


_lock = threading.Lock()
_loaded: list[Words | None] = []


def words() -> Words | None:
    """The word table, read on first use; None when the data file is not there."""
    if not _loaded:
        with _lock:
            if not _loaded:
                _loaded.append(Words(DATA) if DATA.exists() else None)
    return _loaded[0]


@lru_cache(maxsize=100_000)
def vector(text: str) -> np.ndarray | None:
    """`text`'s unit vector, or None (no table, or no word of it known)."""
    table = words()
    return table.vector(text) if table is not None else None
