"""Choosing the embedder class for a spec: our static embedder's directory, else a sentence-transformers model."""

from __future__ import annotations

from pathlib import Path

from legal_rag.embedder.base import MARKER_FILE, Embedder
from legal_rag.embedder.neural import SentenceTransformerEmbedder
from legal_rag.embedder.static import KiwiStaticEmbedder


def is_static_embedder_dir(path: str | Path) -> bool:
    return (Path(path) / MARKER_FILE).is_file()


def load_embedder(spec: str) -> Embedder:
    """A directory with legal_rag_embedder.json -> KiwiStaticEmbedder; anything else -> a sentence-transformers
    model id (from the local cache) or directory."""
    path = Path(spec).expanduser()
    if path.is_dir() and is_static_embedder_dir(path):
        return KiwiStaticEmbedder.load(path)
    return SentenceTransformerEmbedder(spec)
