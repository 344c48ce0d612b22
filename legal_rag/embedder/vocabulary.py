"""Kiwi tokens -> vocabulary ids and sparse count matrices: the vocabulary of the corpus-trained embedder."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from legal_rag.embedder.base import UNK

_WS_RE = re.compile(r"\s+")
_NEW = -2  # _TokenIds: a raw token not looked up yet
# Texts per sparse block when encoding: a block's token ids and count matrix bound the memory, whatever the
# number of texts (200k chunks at ingest).
ENCODE_BLOCK = 8192


def _clean_token(token: str) -> str:
    # The WordLevel tokenizer splits on whitespace, so a token must not contain any.
    return _WS_RE.sub("_", token)


class _TokenIds:
    """Raw legal_rag.tokenizer tokens -> vocabulary ids as `KiwiStaticEmbedder.prepare` and the WordLevel
    tokenizer see them: cleaned with _clean_token; [UNK] and unknown tokens -> -1.

    `known` maps raw tokens to ids for the fast path (a token without whitespace is its own cleaned form) and
    is only read; the tokens it lacks are resolved once each and memoised in this object, so one object per
    call keeps the memory bounded. With `grow`, an unknown token gets the next id: building a vocabulary.
    """

    def __init__(self, vocab: dict[str, int], known: dict[str, int] | None = None, grow: bool = False) -> None:
        self.vocab = vocab
        self.grow = grow
        self.known: dict[str, int] = {} if known is None else known
        self.memo: dict[str, int] = self.known if grow else {}

    def lookup(self, token: str) -> int:
        i = self.known.get(token)
        if i is None:
            i = self.memo.get(token)
        if i is None:
            clean = _clean_token(token)
            i = -1 if clean == UNK else self.vocab.get(clean, -1)
            if i < 0 and self.grow and clean != UNK:
                i = self.vocab[clean] = len(self.vocab)
            self.memo[token] = i
        return i

    def count_matrix(self, token_lists: Sequence[Sequence[str]], n_cols: int | None = None) -> Any:
        """csr_matrix (texts x n_cols, float32) of token counts; duplicates count, unknown tokens do not."""
        from scipy import sparse

        get = self.known.get
        flat: list[int] = []
        lengths = np.empty(len(token_lists), dtype=np.int64)
        for r, toks in enumerate(token_lists):
            ids = [get(t, _NEW) for t in toks]
            if _NEW in ids:
                ids = [i if i != _NEW else self.lookup(t) for t, i in zip(toks, ids, strict=True)]
            flat.extend(ids)
            lengths[r] = len(ids)
        cols = np.asarray(flat, dtype=np.int64)
        rows = np.repeat(np.arange(len(token_lists), dtype=np.int64), lengths)
        keep = cols >= 0
        shape = (len(token_lists), len(self.vocab) if n_cols is None else n_cols)
        ones = np.ones(int(keep.sum()), dtype=np.float32)
        return sparse.csr_matrix((ones, (rows[keep], cols[keep])), shape=shape)  # sums duplicates


def _remap_columns(m: Any, colmap: np.ndarray, n_cols: int) -> Any:
    """Column j of sparse `m` becomes column colmap[j] (entries with colmap -1 dropped, collisions summed)."""
    from scipy import sparse

    coo = m.tocoo()
    cols = colmap[coo.col]
    keep = cols >= 0
    return sparse.csr_matrix(
        (coo.data[keep].astype(np.float32), (coo.row[keep], cols[keep])), shape=(m.shape[0], n_cols)
    )


def _corpus_vocabulary(
    texts_tokens: Sequence[Sequence[str]], min_df: int, max_vocab: int
) -> tuple[list[str], Any]:
    """([UNK] + tokens in at least `min_df` texts, most frequent first, at most `max_vocab`; the texts x that
    vocabulary count matrix), in one pass over the tokens."""
    from scipy import sparse

    ids = _TokenIds({}, grow=True)
    blocks = [ids.count_matrix(texts_tokens[i : i + ENCODE_BLOCK]) for i in range(0, len(texts_tokens), ENCODE_BLOCK)]
    n_all = len(ids.vocab)
    for b in blocks:
        b.resize((b.shape[0], n_all))
    full = sparse.vstack(blocks, format="csr") if blocks else sparse.csr_matrix((0, n_all), dtype=np.float32)
    del blocks
    df = np.bincount(full.indices, minlength=n_all)
    tokens = list(ids.vocab)  # ids were assigned in insertion order
    kept = sorted((i for i in np.flatnonzero(df >= min_df).tolist()), key=lambda i: (-df[i], tokens[i]))[:max_vocab]
    colmap = np.full(n_all, -1, dtype=np.int64)
    colmap[np.asarray(kept, dtype=np.int64)] = np.arange(1, len(kept) + 1)
    return [UNK, *(tokens[i] for i in kept)], _remap_columns(full, colmap, len(kept) + 1)
