"""Chunk vectors for the dense index, the same way in a full build and in an update."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from legal_rag.bm25 import BM25Counts


def encode_chunks(model: Any, counts: BM25Counts, texts: Sequence[str], progress: bool) -> np.ndarray:
    """The static embedder reads the chunks' BM25 term counts (a mean of token vectors needs nothing else: no
    second tokenisation, no second count); a neural model reads the chunk texts."""
    from legal_rag.embedder import KiwiStaticEmbedder

    if isinstance(model, KiwiStaticEmbedder):
        return model.encode_count_matrix(counts.tf, counts.vocab)
    return model.encode(list(texts), show_progress=progress)
