"""What an ingest run is asked to do and what it reports back."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from legal_rag.chunking import DEFAULT_MAX_CHARS

PARSER_VERSION = "md4-pdf2-ch3"  # md2: bold 항/속 divisions are chapter headings; ch3: fields tokenised apart;
# md3: article 시행일 from the 부칙; pdf2: page furniture by repetition, 법령MST without ':';
# md4: HTML markup (<img …>) -> labelled placeholders, left out of the BM25 text


class IngestError(RuntimeError):
    """A failure that stops the build (nothing is published; the previous index stays)."""


@dataclass
class IngestOptions:
    corpus: list[Path]
    out: Path
    embedder: str = "kiwi-static"  # "kiwi-static" (trained on the corpus), "none", or a sentence-transformers id/path
    max_chars: int = DEFAULT_MAX_CHARS
    cache_dir: Path | None = None
    retrain_embedder: bool = False
    embedder_pairs: int = 30000
    progress: bool = True
    title_boost: int = 2
    full: bool = False  # rebuild everything even when the previous index could be updated in place
    prune_cache: bool = False  # afterwards, drop per-file cache entries of file versions this index does not use
    # Court decisions (precedent-kr layout) built into the same index (ingest/precedent_source.py); decisions whose
    # `source` path is listed in exclude_sources (one per line, or JSONL with a "source" field) are left out.
    precedents: list[Path] = field(default_factory=list)
    exclude_sources: Path | None = None

    def cache_root(self) -> Path:
        """Per-file parse/token caches: --cache-dir, else `.cache` beside the index."""
        return self.cache_dir if self.cache_dir is not None else self.out.parent / ".cache"

    def build_options(self) -> dict[str, object]:
        """The options that shape the index's content: an index built with other values cannot be updated."""
        return {"max_chars": self.max_chars, "title_boost": self.title_boost, "parser": PARSER_VERSION}


@dataclass
class IngestSummary:
    out: str
    build_dir: str
    files: int
    statutes: int
    articles: int
    addenda: int
    chunks: int
    skipped: list[dict[str, str]] = field(default_factory=list)
    reused_files: int = 0
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)
    mode: str = "full"  # 'full', 'incremental' (previous index updated) or 'unchanged' (nothing to do)
    changed_files: int = 0  # new or modified files (incremental)
    removed_files: int = 0
    fallback_reason: str = ""  # why an update could not be incremental
    pruned_cache_entries: int = 0
    precedents: dict[str, object] = field(default_factory=dict)  # the precedent part's summary (empty: none)
