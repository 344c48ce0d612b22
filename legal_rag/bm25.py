"""BM25 over kiwi tokens as one sparse matrix: a query is a column gather and a sum, no per-document loop.

Owned here rather than taken from LangChain's BM25Retriever (a Python loop over every document per query,
persisted by pickle) or bm25s (its own file layout): the index is saved as plain .npz arrays and a JSON
vocabulary, loaded with allow_pickle=False.

What is saved is the raw term counts (`BM25Counts`: documents x vocabulary), not the BM25 weights: weights
depend on corpus-wide statistics (idf, average length), so a rebuild that changes one statute would have to
recompute every weight anyway, while counts of unchanged statutes can be sliced out of the previous index and
reused (incremental ingest). Weights are computed once at load, vectorised.
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
COUNTS_FILE = "bm25_counts.npz"
VOCAB_FILE = "bm25_vocab.json"


@dataclass
class BM25Counts:
    """Term counts: a CSR matrix (documents x vocabulary, int32) and the token -> column vocabulary."""

    tf: sparse.csr_matrix
    vocab: dict[str, int]

    @classmethod
    def from_tokens(cls, docs: Sequence[Sequence[str]], vocab: dict[str, int] | None = None) -> BM25Counts:
        """Count tokens; `vocab` (copied, never modified) gives existing columns, new tokens are appended."""
        vocab = dict(vocab) if vocab else {}
        # array buffers rather than lists: a full-corpus build has tens of millions of (document, term) entries.
        indptr = array("q", [0])
        cols = array("i")
        vals = array("i")
        for toks in docs:
            counts = Counter(toks)
            cols.extend(vocab.setdefault(tok, len(vocab)) for tok in counts)
            vals.extend(counts.values())
            indptr.append(len(cols))
        tf = sparse.csr_matrix(
            (np.frombuffer(vals, dtype=np.int32), np.frombuffer(cols, dtype=np.int32),
             np.frombuffer(indptr, dtype=np.int64)),
            shape=(len(docs), max(len(vocab), 1)),
        )
        return cls(tf, vocab)

    @property
    def n_docs(self) -> int:
        return int(self.tf.shape[0])

    @staticmethod
    def stack(parts: Sequence[sparse.csr_matrix], vocab: dict[str, int]) -> BM25Counts:
        """Row blocks (each over a prefix of `vocab`'s columns) stacked in order into one matrix."""
        width = max(len(vocab), 1)
        blocks = [sparse.csr_matrix((p.data, p.indices, p.indptr), shape=(p.shape[0], width)) for p in parts]
        if not blocks:
            return BM25Counts(sparse.csr_matrix((0, width), dtype=np.int32), vocab)
        tf = sparse.vstack(blocks, format="csr", dtype=np.int32)
        return BM25Counts(tf, vocab)

    def save(self, directory: Path) -> list[str]:
        tf = self.tf
        np.savez(directory / COUNTS_FILE, data=tf.data.astype(np.int32, copy=False),
                 indices=tf.indices.astype(np.int32, copy=False), indptr=tf.indptr.astype(np.int64, copy=False),
                 shape=np.asarray(tf.shape, dtype=np.int64))
        (directory / VOCAB_FILE).write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        return [COUNTS_FILE, VOCAB_FILE]

    @classmethod
    def load(cls, directory: Path) -> BM25Counts:
        with np.load(directory / COUNTS_FILE, allow_pickle=False) as z:
            shape = tuple(int(x) for x in z["shape"])
            tf = sparse.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=shape)
        vocab = json.loads((directory / VOCAB_FILE).read_text(encoding="utf-8"))
        return cls(tf, vocab)


@dataclass
class BM25Index:
    weights: sparse.csc_matrix  # documents x vocabulary, precomputed BM25 term weights
    vocab: dict[str, int]

    @classmethod
    def build(cls, docs: Sequence[Sequence[str]], k1: float = K1, b: float = B) -> BM25Index:
        return cls.from_counts(BM25Counts.from_tokens(docs), k1, b)

    @classmethod
    def from_counts(cls, counts: BM25Counts, k1: float = K1, b: float = B) -> BM25Index:
        tf = counts.tf
        n_docs = max(tf.shape[0], 1)
        lengths = np.asarray(tf.sum(axis=1), dtype=np.float32).ravel()
        df = np.bincount(tf.indices, minlength=tf.shape[1]).astype(np.float32)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        avgdl = float(lengths.mean()) if tf.shape[0] else 1.0
        norm = k1 * (1 - b + b * lengths / max(avgdl, 1e-9))
        row_of = np.repeat(np.arange(tf.shape[0]), np.diff(tf.indptr))
        data = tf.data.astype(np.float32)
        weights = data * (k1 + 1) / (data + norm[row_of]) * idf[tf.indices]
        csr = sparse.csr_matrix((weights.astype(np.float32), tf.indices, tf.indptr), shape=tf.shape)
        return cls(csr.tocsc(), counts.vocab)

    def score(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for the query (zeros where nothing matches)."""
        counts = Counter(t for t in query_tokens if t in self.vocab)
        if not counts:
            return np.zeros(self.weights.shape[0], dtype=np.float32)
        ids = np.fromiter((self.vocab[t] for t in counts), dtype=np.int64)
        qw = np.fromiter(counts.values(), dtype=np.float32)
        return np.asarray(self.weights[:, ids] @ qw).ravel()

    @classmethod
    def load(cls, directory: Path, k1: float = K1, b: float = B) -> BM25Index:
        return cls.from_counts(BM25Counts.load(directory), k1, b)


def group_counts(counts: BM25Counts, groups: np.ndarray, n_groups: int) -> BM25Counts:
    """Term counts of groups of documents (row i belongs to group `groups[i]`), e.g. chunks -> statutes: a
    statute scored as one document is the sum of its chunks' counts."""
    member = sparse.csr_matrix(
        (np.ones(len(groups), dtype=np.int32), (groups.astype(np.int64), np.arange(len(groups)))),
        shape=(n_groups, counts.tf.shape[0]),
    )
    return BM25Counts(sparse.csr_matrix(member @ counts.tf, dtype=np.int32), counts.vocab)
