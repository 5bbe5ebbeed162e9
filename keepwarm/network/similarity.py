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
    with `meaning`, blended with the overlap of their ESCO occupations as matching does
    (occupations.blend).

    Used by the benchmark on the taxonomy's ~29k titles; the page's pools are small
    enough to score directly.
    """

    # Grams in more than this share of texts (" ma", "er ") only add work, not ranking.
    COMMON = 0.05

    def __init__(self, texts: Sequence[str], *, meaning: bool = False) -> None:
        self.texts = list(texts)
        self.meaning = meaning and occupations.occupations() is not None
        self.by_concept: dict[int, list[tuple[int, float]]] = defaultdict(list)
        if self.meaning:
            for i, text in enumerate(self.texts):
                for concept, v in occupations.concepts(text).items():
                    self.by_concept[concept].append((i, v))
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

    def nearest(self, text: str, *, exclude: int = -1) -> int | None:
        """Index of the most similar text (not `exclude`), or None when nothing shares a gram."""
        scores: dict[int, float] = defaultdict(float)
        for gram in grams(text):
            postings = self.postings.get(gram)
            if postings:
                weight = self.idf.squared[gram]
                for i in postings:
                    scores[i] += weight
        norms = self.norms
        meant = self._meant(text)
        if meant:
            query = self.idf.norm(grams(text)) or 1.0
            lexical = {i: s / (norms[i] * query) for i, s in scores.items()}
            scores = defaultdict(float)
            for i in lexical.keys() | meant.keys():
                scores[i] = occupations.blend(lexical.get(i, 0.0), meant.get(i, 0.0))
            norms = [1.0] * len(self.texts)
        scores.pop(exclude, None)
        if not scores:
            return None
        return max(scores, key=lambda i: scores[i] / norms[i])

    def _meant(self, text: str) -> dict[int, float]:
        """Each text's overlap in meaning with `text` (those with none left out)."""
        found: dict[int, float] = defaultdict(float)
        if self.meaning:
            for concept, v in occupations.concepts(text).items():
                for i, u in self.by_concept.get(concept, ()):
                    found[i] += v * u
        return found


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
