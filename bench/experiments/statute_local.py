"""Within-statute BM25: the articles of the top statutes (statute evidence) ranked by BM25 whose idf and average
length are those of that statute alone, RRF-added in proportion to the statute's own weight. In 민법 `상계` is a
rare word and `지급` a common one, whatever their weights over all of Korean law.

    python -m bench.experiments.statute_local --index index/full --dataset ../shared/eval/dev.jsonl \\
        --dataset ../shared/eval/dev_whole.jsonl --as-of 2026-11-30 --signals statute-local,statute-local-top
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy import sparse

from bench import tune
from bench.experiments import per_index
from legal_rag.bm25 import K1, B, BM25Counts
from legal_rag.search.bundle import IndexBundle
from legal_rag.search.fusion import rrf
from legal_rag.search.retriever import HybridRetriever, RetrievalConfig, ScoredArticle
from legal_rag.tokenizer import tokenize_query
from legal_rag.versions import today_kst


@dataclass
class StatuteLocalConfig(RetrievalConfig):
    statute_local: float = 0.0  # RRF weight of the within-statute rankings
    statute_local_top: int = 3  # how many top statutes are ranked within
    statute_local_articles: int = 20  # articles taken from each


class _Counts:
    """Raw chunk term counts by column, and each statute version's chunk rows."""

    def __init__(self, bundle: IndexBundle) -> None:
        counts = BM25Counts.load(bundle.directory)
        self.tf: sparse.csc_matrix = counts.tf.tocsc()
        self.lengths = np.asarray(counts.tf.sum(axis=1), dtype=np.float32).ravel()
        self.order = np.argsort(bundle.chunk_mst, kind="stable")
        self.bounds = np.searchsorted(bundle.chunk_mst[self.order], np.arange(len(bundle.mst_list) + 1))

    def rows_of(self, pos: int) -> np.ndarray:
        return self.order[self.bounds[pos]:self.bounds[pos + 1]]


class StatuteLocalRetriever(HybridRetriever):
    def _raw(self) -> _Counts:
        return per_index(self.bundle, "raw_counts", lambda: _Counts(self.bundle))

    def local_scores(self, mst: str, cols: np.ndarray, qw: np.ndarray) -> dict[str, float]:
        raw = self._raw()
        rows = raw.rows_of(self.bundle.mst_pos[mst])
        if rows.size == 0:
            return {}
        tf = raw.tf[:, cols][rows].toarray().astype(np.float32)
        df = (tf > 0).sum(axis=0)
        idf = np.log1p((rows.size - df + 0.5) / (df + 0.5))
        lengths = raw.lengths[rows]
        norm = K1 * (1 - B + B * lengths / max(float(lengths.mean()), 1e-9))
        scores = (tf * (K1 + 1) / (tf + norm[:, None]) * idf[None, :]) @ qw
        best: dict[str, float] = {}
        for r, v in zip(rows.tolist(), scores.tolist(), strict=True):
            d = self.bundle.chunk_doc_ids[r]
            if v > best.get(d, 0.0):
                best[d] = v
        return best

    def retrieve_scored(self, query: str, top_k: int = 10, as_of: date | None = None, laws: Sequence[str] = (),
                        mentioned_laws: Sequence[str] = ()) -> list[ScoredArticle]:
        c = self.config
        weight = float(getattr(c, "statute_local", 0.0))
        if weight <= 0:
            return super().retrieve_scored(query, top_k, as_of, laws, mentioned_laws)
        as_of = as_of or today_kst()
        ranked = {sa.doc_id: sa for sa in super().retrieve_scored(query, 10**6, as_of, laws, mentioned_laws)}
        statute_rrf = self.statute_scores(query, as_of, tuple(sorted(laws)))
        counts = Counter(t for t in tokenize_query(query) if t in self.bundle.bm25.vocab)
        if counts and statute_rrf:
            cols = np.fromiter((self.bundle.bm25.vocab[t] for t in counts), dtype=np.int64)
            qw = np.fromiter(counts.values(), dtype=np.float32)
            for mst in sorted(statute_rrf, key=lambda m: -statute_rrf[m])[: int(getattr(c, "statute_local_top", 3))]:
                local = self.local_scores(mst, cols, qw)
                keep = dict(sorted(local.items(), key=lambda kv: -kv[1])[: int(getattr(c, "statute_local_articles", 20))])
                for d, v in rrf(keep, c.rrf_k).items():
                    sa = ranked.setdefault(d, ScoredArticle(d, 0.0))
                    # x statute weight x k: the top statute's articles get about `weight` x their local RRF
                    sa.score += weight * v * statute_rrf[mst] * c.rrf_k
        return sorted(ranked.values(), key=lambda s: -s.score)[:top_k]


EXPERIMENT = tune.Experiment(
    retriever=StatuteLocalRetriever,
    config=StatuteLocalConfig,
    signals=(
        tune.Signal("statute-local", "within-statute BM25 of the top statutes, RRF-added", "statute_local",
                    (0.0, 0.25, 0.5, 1.0)),
        tune.Signal("statute-local-top", "top statutes ranked within", "statute_local_top", (3, 1, 5)),
    ),
)

if __name__ == "__main__":
    sys.exit(tune.main(sys.argv[1:], EXPERIMENT, prog="python -m bench.experiments.statute_local"))
