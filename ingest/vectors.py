"""Chunk vectors for the dense index, the same way in a full build and in an update."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def encode_chunks(model: Any, tokens: Sequence[Sequence[str]], texts: Sequence[str], progress: bool) -> np.ndarray:
    """The static embedder reads the chunks' BM25 tokens (no second tokenisation); a neural model their texts."""
    from legal_rag.embedder import KiwiStaticEmbedder

    if isinstance(model, KiwiStaticEmbedder):
        return model.encode_tokens(list(tokens))
    return model.encode(list(texts), show_progress=progress)
