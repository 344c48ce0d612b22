"""Everything loaded from one built index directory: manifest, article store, BM25, chunk table, dense index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from legal_rag.articles import split_doc_id
from legal_rag.bm25 import BM25Counts, BM25Index, group_counts
from legal_rag.citation_graph import CitationGraph
from legal_rag.index_format import Manifest, read_chunk_table, resolve_index, verify_index
from legal_rag.store import STORE_FILE, ArticleStore


class IndexBundle:
    """Everything loaded from one built index directory."""

    def __init__(self, directory: Path, verify: bool = True, use_gpu: bool | None = None) -> None:
        self.directory = resolve_index(directory)
        self.manifest = verify_index(self.directory) if verify else Manifest.read(self.directory)
        self.store = ArticleStore(self.directory / STORE_FILE)
        counts = BM25Counts.load(self.directory)
        self.bm25 = BM25Index.from_counts(counts)
        self.chunk_doc_ids, _ = read_chunk_table(self.directory)
        self.statute_rows = self.store.statutes()
        self.statutes = {s.mst: s for s, _ in self.statute_rows}
        # chunk row -> statute version index, to filter by version with one numpy comparison
        mst_list = list(self.statutes)
        mst_pos = {m: i for i, m in enumerate(mst_list)}
        self.mst_list = mst_list
        self.mst_pos = mst_pos
        self.chunk_mst = np.fromiter((mst_pos[split_doc_id(d)[0]] for d in self.chunk_doc_ids), dtype=np.int32,
                                     count=len(self.chunk_doc_ids))
        # Statute-level evidence: every statute version scored as one document (the sum of its chunks' counts).
        self.statute_counts = group_counts(counts, self.chunk_mst, len(mst_list))
        self._statute_bm25: dict[float, BM25Index] = {}
        del counts
        # Inbound citations among statutes (None for an index built before the graph was mined).
        self.citation_graph = CitationGraph.load(self.directory)
        self.dense: Any = None
        self.embedder: Any = None
        if self.manifest.dense.get("kind", "none") != "none":
            from legal_rag.dense import DenseIndex
            from legal_rag.embedder import load_embedder

            # Memory-mapped: the index is only searched here, and worker processes then share one copy.
            self.dense = DenseIndex.load(self.directory, use_gpu=use_gpu, mmap=True)
            source = self.manifest.embedder.get("path")
            self.embedder = load_embedder(str(self.directory / source) if source else self.manifest.embedder["id"])

    def statute_bm25(self, b: float) -> BM25Index:
        """BM25 over whole statute versions (rows follow `mst_list`), built once per length normalisation."""
        if b not in self._statute_bm25:
            self._statute_bm25[b] = BM25Index.from_counts(self.statute_counts, b=b)
        return self._statute_bm25[b]

    def close(self) -> None:
        self.store.close()
