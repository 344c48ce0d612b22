"""The hand-written BM25 (kept: it stores raw counts for incremental updates) scores like bm25s.

bm25s with method="lucene" uses idf = ln(1 + (N - df + 0.5) / (df + 0.5)) and the term factor
tf / (tf + k1 (1 - b + b |d| / avgdl)); legal_rag.bm25 uses the same idf and the classic (k1 + 1) numerator,
so its scores are bm25s's times (k1 + 1), a constant that changes no ranking.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ingest.markdown_source import parse_markdown_file
from legal_rag.bm25 import K1, B, BM25Counts, BM25Index
from legal_rag.chunking import chunk_article
from legal_rag.tokenizer import tokenize_many, tokenize_query


def test_scores_equal_bm25s_lucene_on_a_statute(law_dir: Path) -> None:
    import bm25s

    report = parse_markdown_file(law_dir / "국민건강보험법" / "법률.md")
    assert report.error is None
    chunks = [c for a in report.articles if not a.deleted for c in chunk_article(a)]
    tokens = [t for t in tokenize_many([c.text for c in chunks]) if t]
    assert len(tokens) > 100

    ours = BM25Index.from_counts(BM25Counts.from_tokens(tokens), K1, B)
    theirs = bm25s.BM25(k1=K1, b=B, method="lucene")
    theirs.index(tokens, show_progress=False)

    queries = ["본인일부부담금", "보험료를 체납하면 어떻게 되나요", "피부양자의 자격", "요양급여비용의 청구와 지급", "건강검진"]
    for q in queries:
        q_tokens = tokenize_query(q)
        assert any(t in ours.vocab for t in q_tokens), q
        mine = ours.score(q_tokens)
        ref = theirs.get_scores([t for t in q_tokens if t in ours.vocab])
        assert mine.shape == ref.shape == (len(tokens),)
        assert (mine > 0).sum() > 0
        np.testing.assert_allclose(mine, (K1 + 1) * ref, rtol=1e-4, atol=1e-5)
