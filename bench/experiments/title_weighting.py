"""Query terms weighted by how often they name an article: (articles whose title has the term) / (chunks that
have it), mined from the index's own article titles. A verbose question (`… 퇴직금채권과 상계할 수 있는지 여부`)
would lean on its statute concepts (상계, 퇴직금) over its generic words (지급, 효력).

    python -m bench.experiments.title_weighting --index index/full --dataset ../shared/eval/dev.jsonl \\
        --dataset ../shared/eval/dev_whole.jsonl --as-of 2026-11-30 --signals title-weighting --no-combined
"""

from __future__ import annotations

import sqlite3
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bench import tune
from bench.experiments import per_index
from legal_rag.bm25 import BM25Index
from legal_rag.search.bundle import IndexBundle
from legal_rag.search.retriever import HybridRetriever, RetrievalConfig
from legal_rag.store import STORE_FILE
from legal_rag.tokenizer import tokenize_many, tokenize_query


@dataclass
class TitleWeightingConfig(RetrievalConfig):
    title_weighting: float = 0.0  # a query term's weight is count x (1 + this x sqrt(title share))


def title_share(bundle: IndexBundle) -> np.ndarray:
    """Per BM25 column: articles titled with the token / chunks containing it, capped at 1."""
    con = sqlite3.connect(f"file:{bundle.directory / STORE_FILE}?mode=ro", uri=True)
    try:
        per_title = dict(con.execute(
            "SELECT title, COUNT(*) FROM articles WHERE title != '' AND is_addendum = 0 GROUP BY title"))
    finally:
        con.close()
    titled: Counter[str] = Counter()
    titles = sorted(per_title)
    for title, toks in zip(titles, tokenize_many(titles), strict=True):
        for tok in set(toks):
            titled[tok] += per_title[title]
    df = np.diff(bundle.bm25.weights.indptr)  # CSC: non-zeros per column = chunk document frequency
    share = np.zeros(len(df), dtype=np.float32)
    for tok, n in titled.items():
        col = bundle.bm25.vocab.get(tok)
        if col is not None and df[col] > 0:
            share[col] = min(1.0, n / df[col])
    return share


def weighted_scores(index: BM25Index, tokens: Sequence[str], share: np.ndarray, alpha: float) -> np.ndarray:
    counts = Counter(t for t in tokens if t in index.vocab)
    if not counts:
        return np.zeros(index.weights.shape[0], dtype=np.float32)
    cols = np.fromiter((index.vocab[t] for t in counts), dtype=np.int64)
    qw = np.fromiter(counts.values(), dtype=np.float32) * (1.0 + alpha * np.sqrt(share[cols]))
    return np.asarray(index.weights[:, cols] @ qw).ravel()


class TitleWeightingRetriever(HybridRetriever):
    def _share(self) -> np.ndarray:
        return per_index(self.bundle, "title_share", lambda: title_share(self.bundle))

    def _alpha(self) -> float:
        return float(getattr(self.config, "title_weighting", 0.0))

    def chunk_scores(self, query: str) -> np.ndarray:
        if self._alpha() <= 0:
            return super().chunk_scores(query)
        return weighted_scores(self.bundle.bm25, tokenize_query(query), self._share(), self._alpha())

    def statute_document_scores(self, query: str) -> np.ndarray:
        if self._alpha() <= 0:
            return super().statute_document_scores(query)
        return weighted_scores(self.bundle.statute_bm25(self.config.statute_b), tokenize_query(query),
                               self._share(), self._alpha())


EXPERIMENT = tune.Experiment(
    retriever=TitleWeightingRetriever,
    config=TitleWeightingConfig,
    signals=(tune.Signal("title-weighting", "query terms weighted by their title share", "title_weighting",
                         (0.0, 0.5, 1.0, 2.0, 4.0)),),
)

if __name__ == "__main__":
    sys.exit(tune.main(sys.argv[1:], EXPERIMENT, prog="python -m bench.experiments.title_weighting"))
