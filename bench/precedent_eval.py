"""Statute retrieval with the precedent signal, for `legal-rag eval --precedent-weight W`.

Each item's own decision (its `source`, plus any in --exclude-sources) is excluded from the signal, so that no
question finds the decision it was taken from (the dev_whole.jsonl decisions are all in the precedent sample).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from legal_rag.precedents.service import precedents_for, rerank_with_precedents

CANDIDATES = 50  # articles taken from Engine.search before fusing


class PrecedentSignalSystem:
    """Engine.search fused with precedent_article_scores (legal_rag.precedents.service.rerank_with_precedents)."""

    def __init__(self, engine: Any, weight: float, exclude_sources: Collection[str] = ()) -> None:
        if precedents_for(engine) is None:
            raise ValueError("this index has no decisions (ingest --precedents DIR) / 판례가 없는 색인입니다")
        self.engine = engine
        self.weight = weight
        self.exclude = set(exclude_sources)
        self.name = f"ours+precedents(w={weight:g})"
        self.description = (f"Engine.search fused with decisions' 참조조문 (weight {weight:g}); each item's own "
                            "decision excluded")

    def rank_item(self, item: Any, top_k: int, as_of: date) -> list[tuple[str, str]]:
        hits = self.engine.search(item.query, top_k=max(top_k, CANDIDATES), as_of=as_of).hits
        exclude = self.exclude | ({item.source} if getattr(item, "source", None) else set())
        fused = rerank_with_precedents(self.engine, item.query, [(h.doc_id, h.law, h.article) for h in hits],
                                       self.weight, exclude)
        return [(law, article) for _d, law, article in fused[:top_k]]

    def rank(self, query: str, top_k: int, as_of: date) -> list[tuple[str, str]]:
        hits = self.engine.search(query, top_k=max(top_k, CANDIDATES), as_of=as_of).hits
        fused = rerank_with_precedents(self.engine, query, [(h.doc_id, h.law, h.article) for h in hits],
                                       self.weight, self.exclude)
        return [(law, article) for _d, law, article in fused[:top_k]]
