"""Everything loaded from one built index directory: manifest, article store, BM25, chunk table, dense index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from legal_rag.articles import split_doc_id
from legal_rag.bm25 import BM25Index
from legal_rag.index_format import Manifest, read_chunk_table, resolve_index, verify_index
from legal_rag.store import STORE_FILE, ArticleStore


class IndexBundle:
    """Everything loaded from one built index directory."""

    def __init__(self, directory: Path, verify: bool = True, use_gpu: bool | None = None) -> None:
        self.directory = resolve_index(directory)
        self.manifest = verify_index(self.directory) if verify else Manifest.read(self.directory)
        self.store = ArticleStore(self.directory / STORE_FILE)
        self.bm25 = BM25Index.load(self.directory)
        self.chunk_doc_ids, _ = read_chunk_table(self.directory)
        self.statute_rows = self.store.statutes()
        self.statutes = {s.mst: s for s, _ in self.statute_rows}
        # chunk row -> statute version index, to filter by version with one numpy comparison
        mst_list = list(self.statutes)
        mst_pos = {m: i for i, m in enumerate(mst_list)}
        self.mst_list = mst_list
        self.chunk_mst = np.fromiter((mst_pos[split_doc_id(d)[0]] for d in self.chunk_doc_ids), dtype=np.int32,
                                     count=len(self.chunk_doc_ids))
        self.dense: Any = None
        self.embedder: Any = None
        if self.manifest.dense.get("kind", "none") != "none":
            from legal_rag.dense import DenseIndex
            from legal_rag.embedder import load_embedder

            self.dense = DenseIndex.load(self.directory, use_gpu=use_gpu)
            source = self.manifest.embedder.get("path")
            self.embedder = load_embedder(str(self.directory / source) if source else self.manifest.embedder["id"])

    def close(self) -> None:
        self.store.close()
