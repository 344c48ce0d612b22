"""BM25 over kiwi tokens as one sparse matrix: a query is a column gather and a sum, no per-document loop.

Owned here rather than taken from LangChain's BM25Retriever (a Python loop over every document per query,
persisted by pickle) or bm25s (its own file layout): the matrix is saved as plain .npz arrays and a JSON
vocabulary, loaded with allow_pickle=False.
"""

from __future__ import annotations

import json
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

K1 = 1.5  # statutes repeat their key terms; a slightly higher saturation point measured better on dev
B = 0.75


@dataclass
class BM25Index:
    weights: sparse.csc_matrix  # documents x vocabulary, precomputed BM25 term weights
    vocab: dict[str, int]

    @classmethod
    def build(cls, docs: Sequence[Sequence[str]], k1: float = K1, b: float = B) -> BM25Index:
        vocab: dict[str, int] = {}
        # array('i') rather than lists: a full-corpus build has tens of millions of (document, term) entries.
        indptr = array("q", [0])
        cols = array("i")
        vals = array("f")
        lengths = np.zeros(len(docs), dtype=np.float32)
        for i, toks in enumerate(docs):
            lengths[i] = len(toks)
            counts = Counter(toks)
            cols.extend(vocab.setdefault(tok, len(vocab)) for tok in counts)
            vals.extend(counts.values())
            indptr.append(len(cols))
        tf = sparse.csr_matrix(
            (np.frombuffer(vals, dtype=np.float32), np.frombuffer(cols, dtype=np.int32), np.frombuffer(indptr, dtype=np.int64)),
            shape=(len(docs), max(len(vocab), 1)),
        )
        n_docs = max(len(docs), 1)
        df = np.bincount(tf.indices, minlength=tf.shape[1]).astype(np.float32)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        avgdl = float(lengths.mean()) if len(docs) else 1.0
        norm = k1 * (1 - b + b * lengths / max(avgdl, 1e-9))
        row_of = np.repeat(np.arange(tf.shape[0]), np.diff(tf.indptr))
        data = tf.data * (k1 + 1) / (tf.data + norm[row_of]) * idf[tf.indices]
        weights = sparse.csr_matrix((data.astype(np.float32), tf.indices, tf.indptr), shape=tf.shape).tocsc()
        return cls(weights, vocab)

    def score(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for the query (zeros where nothing matches)."""
        counts = Counter(t for t in query_tokens if t in self.vocab)
        if not counts:
            return np.zeros(self.weights.shape[0], dtype=np.float32)
        ids = np.fromiter((self.vocab[t] for t in counts), dtype=np.int64)
        qw = np.fromiter(counts.values(), dtype=np.float32)
        return np.asarray(self.weights[:, ids] @ qw).ravel()

    def save(self, directory: Path) -> list[str]:
        w = self.weights
        np.savez(directory / "bm25.npz", data=w.data, indices=w.indices, indptr=w.indptr, shape=np.asarray(w.shape))
        (directory / "bm25_vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        return ["bm25.npz", "bm25_vocab.json"]

    @classmethod
    def load(cls, directory: Path) -> BM25Index:
        with np.load(directory / "bm25.npz", allow_pickle=False) as z:
            shape = tuple(int(x) for x in z["shape"])
            weights = sparse.csc_matrix((z["data"], z["indices"], z["indptr"]), shape=shape)
        vocab = json.loads((directory / "bm25_vocab.json").read_text(encoding="utf-8"))
        return cls(weights, vocab)
