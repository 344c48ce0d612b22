"""What every embedder promises (the Embedder protocol) and the constants its files and chunking use."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

MARKER_FILE = "legal_rag_embedder.json"
KIWI_STATIC_TYPE = "kiwi-static"
UNK = "[UNK]"
# Same window as legal_rag.chunking.DEFAULT_MAX_CHARS: a mean of token vectors blurs as a text grows, so the
# static embedder wants article-sized pieces, not whole chapters.
STATIC_MAX_CHARS = 1500
# A neural model's window in characters is bounded by its token limit; Korean subword tokens cover one to two
# syllables, so one character per token is the safe side. Above 2,000 characters one vector per piece is too
# coarse for retrieval even when the model could read more.
ST_MAX_CHARS_CAP = 2000


@runtime_checkable
class Embedder(Protocol):
    """What indexing and search need from an embedding model."""

    id: str  # recorded in the index manifest; a query must be embedded by the model that built the index
    dim: int
    max_chars: int  # the longest piece of text one vector should stand for (the chunking window)

    def encode(self, texts: list[str], batch_size: int = 256, show_progress: bool = False) -> np.ndarray:
        """float32 array (len(texts), dim) with L2-normalised rows."""
        ...


def _as_float32_rows(vectors: Any, n: int, dim: int) -> np.ndarray:
    out = np.asarray(vectors, dtype=np.float32).reshape(n, dim)
    return np.ascontiguousarray(out)
