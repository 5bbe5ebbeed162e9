"""Text similarity: TF-IDF vectors of character 3-grams, for titles and skills.

Grams ("acc", "cco", … from " account ") forgive plurals, word order and spelling
variants ("programmer"/"programming") that whole words miss. On the ONS SOC occupation
titles this put the nearest held-out title in its true occupation group more often than
fuzzy string matching (bench/bench_matching.py; figures in bench/README.md).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np

from keepwarm.network import meaning as title_meaning
from keepwarm.network import occupations

WORD = re.compile(r"[a-z0-9+#]+")
SKILL_SPLIT = re.compile(r"[,;\n]+")


@lru_cache(maxsize=200_000)
def grams(text: str) -> frozenset[str]:
    """Character 3-grams of each word, padded with spaces so word starts and ends count."""
    out: set[str] = set()
    for word in WORD.findall(text.lower()):
        padded = f" {word} "
        out.update(map("".join, zip(padded, padded[1:], padded[2:], strict=False)))
    return frozenset(out)


class _Squared(dict[str, float]):
    """gram -> idf², filled in on first use (a dict lookup is C-fast in map/sum)."""

    def __init__(self, df: Counter[str], n: int) -> None:
        super().__init__()
        self.df = df
        self.log_n = math.log(n + 1)

    def __missing__(self, gram: str) -> float:
        weight = (self.log_n - math.log(self.df.get(gram, 0) + 1) + 1.0) ** 2
        self[gram] = weight
        return weight


class Idf:
    """Inverse document frequencies of grams over a pool of texts (smoothed, like sklearn).

    Binary term frequencies: a title says "manager" once. Norms are cached per gram set,
    since the same titles recur across thousands of people.
    """

    def __init__(self, docs: Iterable[frozenset[str]]) -> None:
        # Each distinct gram set counted once, times how often it occurs: titles repeat.
        counts: Counter[str] = Counter()
        n = 0
        for doc, times in Counter(docs).items():
            n += times
            if times == 1:
                counts.update(doc)
            else:
                for gram in doc:
                    counts[gram] += times
        self.n = n
        self.df = counts
        self.squared = _Squared(counts, n)
        self._norms: dict[frozenset[str], float] = {}

    def __call__(self, gram: str) -> float:
        return math.sqrt(self.squared[gram])

    def mass(self, doc: Iterable[str]) -> float:
        """Sum of idf² over `doc`: the dot product when `doc` is an intersection."""
        return sum(map(self.squared.__getitem__, doc))

    def norm(self, doc: frozenset[str]) -> float:
        found = self._norms.get(doc)
        if found is None:
            found = self._norms[doc] = math.sqrt(self.mass(doc))
        return found

    def cosine(self, a: frozenset[str], b: frozenset[str]) -> float:
        common = a & b
        if not common:
            return 0.0
        return self.mass(common) / (self.norm(a) * self.norm(b))

    def covered(self, part: frozenset[str], whole: frozenset[str]) -> float:
        """How much of `part` (by idf² mass) appears in `whole`: 1.0 when all of it."""
        total = self.norm(part) ** 2
        return self.mass(part & whole) / total if total else 0.0


class TitleIndex:
    """Nearest texts to a query by TF-IDF cosine over 3-grams, via an inverted index;
    with `meaning`, blended with their overlap in meaning (ESCO occupations and the word
    embedding, occupations.concepts) as matching does (occupations.blend).

    Used by the benchmark on the taxonomy's ~29k titles; the page's pools are small
    enough to score directly. The embedding's dimensions are dense, so with `meaning`
    they are kept as one numpy matrix rather than in postings.
    """

    # Grams in more than this share of texts (" ma", "er ") only add work, not ranking.
    COMMON = 0.05

    def __init__(self, texts: Sequence[str], *, meaning: bool = False) -> None:
        self.texts = list(texts)
        self.docs = [grams(t) for t in self.texts]
        self.idf = Idf(self.docs)
        self.norms = [self.idf.norm(d) or 1.0 for d in self.docs]
        self.postings: dict[str, list[int]] = defaultdict(list)
        # (Only on a big pool: in a handful of texts every gram is "common".)
        limit = self.COMMON * len(self.docs) if len(self.docs) >= 1000 else len(self.docs)
        for i, doc in enumerate(self.docs):
            for gram in doc:
                if self.idf.df[gram] <= limit:
                    self.postings[gram].append(i)
        self.meaning = meaning and bool(
            occupations.occupations() is not None or title_meaning.words() is not None
        )
        self.by_concept: dict[int, list[tuple[int, float]]] = defaultdict(list)
        rows = [self._split(t) for t in self.texts] if self.meaning else []
        for i, (named, _) in enumerate(rows):
            for concept, v in named.items():
                self.by_concept[concept].append((i, v))
        self.dense = np.array([d for _, d in rows], dtype=np.float32) if rows else None

    def nearest(self, text: str, *, exclude: int = -1) -> int | None:
        """Index of the most similar text (not `exclude`), or None when nothing shares a
        gram (nor, with `meaning`, any meaning)."""
        scores: dict[int, float] = defaultdict(float)
        for gram in grams(text):
            postings = self.postings.get(gram)
            if postings:
                weight = self.idf.squared[gram]
                for i in postings:
                    scores[i] += weight
        if self.meaning:
            return self._nearest_in_meaning(text, scores, exclude)
        scores.pop(exclude, None)
        if not scores:
            return None
        return max(scores, key=lambda i: scores[i] / self.norms[i])

    def _nearest_in_meaning(self, text: str, shared: dict[int, float], exclude: int) -> int | None:
        query = self.idf.norm(grams(text)) or 1.0
        lexical = np.zeros(len(self.texts))
        for i, s in shared.items():
            lexical[i] = s / (self.norms[i] * query)
        named, dense = self._split(text)
        meant = np.zeros(len(self.texts))
        for concept, v in named.items():
            for i, u in self.by_concept.get(concept, ()):
                meant[i] += v * u
        if self.dense is not None and dense.any():
            meant += self.dense @ dense
        if not shared and not meant.any():
            return None
        # occupations.blend, for every text at once.
        floor = occupations.MEANING_FLOOR
        meant = np.maximum(0.0, (meant - floor) / (1.0 - floor))
        total = occupations.LEXICAL_SHARE * lexical + (1 - occupations.LEXICAL_SHARE) * meant
        if 0 <= exclude < len(total):
            total[exclude] = -np.inf
        return int(total.argmax())

    @staticmethod
    def _split(text: str) -> tuple[dict[int, float], np.ndarray]:
        """`text`'s concepts: the occupations apart, the embedding's dimensions dense."""
        table = title_meaning.words()
        dense = np.zeros(table.centre.shape[0] if table is not None else 0, dtype=np.float32)
        named: dict[int, float] = {}
        for concept, v in occupations.concepts(text).items():
            if concept >= occupations.EMBEDDED:
                dense[concept - occupations.EMBEDDED] = v
            else:
                named[concept] = v
        return named, dense


def split_skills(text: str) -> list[str]:
    seen: dict[str, str] = {}
    for part in SKILL_SPLIT.split(text or ""):
        skill = " ".join(part.split())
        if skill and skill.lower() not in seen:
            seen[skill.lower()] = skill
    return list(seen.values())


@lru_cache(maxsize=50_000)
def norm(text: str) -> str:
    return " ".join(WORD.findall((text or "").lower()))
