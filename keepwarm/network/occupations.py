"""What a job title means: the ESCO occupations it names and its word embedding, for
titles that share no letters.

"Bookkeeper" and "accounts clerk" have no 3-gram in common, but ESCO lists both among the
labels of one occupation. A title is turned into the occupations whose labels its words
match best (TF-IDF over words, the best `TOP`), and two titles are as close in meaning as
those occupation lists overlap (cosine). Matching blends this with the letters' similarity
(`blend`): the letters still decide between near spellings, the meaning finds the synonyms.

The labels are in data/esco-occupations.tsv.gz, built by tools/occupations/build.py from
a wheel pinned by hash (ESCO © European Union, reused with attribution). Loaded once per
process on first use (about 0.3 s and 12 MB here; README).

ESCO's labels only know the words they use; the word embedding (meaning.py, distilled
from a sentence model) knows "support" is near "care" and "assistant" near "clerk". A
title's `concepts` are one sparse vector holding both: its occupations, then the
embedding's dimensions (keys from `EMBEDDED` on), each part unit length and scaled so
that `overlap`, their dot product, is OCCUPATION_SHARE × the occupations' cosine +
EMBEDDING_SHARE × the embedding's, out of the meaning's share. Either file may be
missing: `concepts` then holds the other part alone, and with neither it is empty and
matching is lexical alone, as before.
"""

from __future__ import annotations

import gzip
import heapq
import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from functools import lru_cache
from itertools import repeat
from operator import itemgetter, mul
from pathlib import Path

from keepwarm.network import meaning

DATA = Path(__file__).resolve().parent / "data" / "esco-occupations.tsv.gz"
# The occupations kept per title: enough for "accounts assistant" to reach bookkeeping.
TOP = 20
# The letters' share of a title's similarity (the meaning has the rest), and how the
# meaning's share is split between ESCO's occupations and the word embedding; chosen on
# the benchmark's tuning seed (bench/bench_matching.py), reported on another.
LEXICAL_SHARE = 0.5
OCCUPATION_SHARE = 0.15
EMBEDDING_SHARE = 0.35
# Meaning below this counts for nothing: unrelated titles' embeddings are still a little
# alike ("bookkeeper" and "chef" about 0.2), and a reason "close in meaning" must not say so.
MEANING_FLOOR = 0.2
# The first key of the embedding's dimensions in a concept vector (above any occupation's).
EMBEDDED = 1_000_000
WORD = re.compile(r"[a-z0-9+#]+")
STOP = frozenset(
    ["a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"]
)
NONE: Mapping[int, float] = {}


def words(text: str) -> list[str]:
    """Lower-case words without plural s ("accounts" is "account"), stop words dropped."""
    out = []
    for word in WORD.findall(text.lower()):
        if word in STOP:
            continue
        if len(word) > 4 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.append(word)
    return out


class Occupations:
    """Word -> occupations postings over the occupations' labels, TF-IDF weighted."""

    def __init__(self, labels: Iterable[str]) -> None:
        counts = [Counter(words(text)) for text in labels]
        df: Counter[str] = Counter()
        for tf in counts:
            df.update(tf.keys())
        self.size = len(counts)
        self.idf = {w: math.log(self.size / n) + 1.0 for w, n in df.items()}
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, tf in enumerate(counts):
            vector = {w: (1.0 + math.log(n)) * self.idf[w] for w, n in tf.items()}
            length = math.sqrt(sum(v * v for v in vector.values())) or 1.0
            for w, v in vector.items():
                self.postings[w].append((i, v / length))

    def concepts(self, text: str) -> Mapping[int, float]:
        """The `TOP` occupations `text` names best, as a unit vector (empty if none)."""
        scores: dict[int, float] = defaultdict(float)
        for word, n in Counter(words(text)).items():
            idf = self.idf.get(word)
            if idf is None:
                continue
            weight = (1.0 + math.log(n)) * idf
            for i, v in self.postings[word]:
                scores[i] += weight * v
        best = heapq.nlargest(TOP, scores.items(), key=itemgetter(1))
        length = math.sqrt(sum(v * v for _, v in best))
        return {i: v / length for i, v in best} if length else NONE


_lock = threading.Lock()
_loaded: list[Occupations | None] = []


def occupations() -> Occupations | None:
    """The occupations, read on first use; None when the data file is not there."""
    if not _loaded:
        with _lock:
            if not _loaded:
                _loaded.append(load(DATA))
    return _loaded[0]


def load(path: Path) -> Occupations | None:
    if not path.exists():
        return None
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return Occupations(line.partition("\t")[2] for line in lines)


@lru_cache(maxsize=100_000)
def concepts(text: str) -> Mapping[int, float]:
    """`text`'s meaning: its ESCO occupations and its embedding, as one unit vector."""
    found = occupations()
    named = found.concepts(text) if found is not None else NONE
    vector = meaning.vector(text)
    if vector is None:
        return named
    if not named:
        return dict(zip(range(EMBEDDED, EMBEDDED + len(vector)), vector.tolist(), strict=True))
    share = math.sqrt(OCCUPATION_SHARE / (OCCUPATION_SHARE + EMBEDDING_SHARE))
    out = {i: share * v for i, v in named.items()}
    rest = (vector * math.sqrt(1.0 - share * share)).tolist()
    out.update(zip(range(EMBEDDED, EMBEDDED + len(rest)), rest, strict=True))
    return out


def overlap(a: Mapping[int, float], b: Mapping[int, float]) -> float:
    """Cosine of two concept vectors."""
    if len(a) > len(b):
        a, b = b, a
    # map() keeps the ~150 products of a title pair in C.
    return float(sum(map(mul, a.values(), map(b.get, a.keys(), repeat(0.0)))))


def blend(lexical: float, meaning: float | None) -> float:
    """A title's similarity from its letters and, when known, its meaning."""
    if meaning is None:
        return lexical
    return LEXICAL_SHARE * lexical + (1.0 - LEXICAL_SHARE) * beyond_floor(meaning)


def beyond_floor(meaning: float) -> float:
    """The overlap above MEANING_FLOOR, rescaled to 0–1."""
    return max(0.0, (meaning - MEANING_FLOOR) / (1.0 - MEANING_FLOOR))
