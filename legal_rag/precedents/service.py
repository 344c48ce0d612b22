"""Decisions beside a loaded statute Engine: the entry points the CLI, the routes and the answerer call.

The precedent part of an index is opened once per Engine (lazily, on first use) and dropped with it, so the
service's engine swap on reload swaps decisions too. Nothing here knows about HTTP.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from legal_rag.articles import ArticleNumber
from legal_rag.precedents.results import (
    CitingDecisionOut,
    DecisionHitOut,
    citing_out,
    issue_out,
    summary_out,
)
from legal_rag.precedents.search import PrecedentIndex
from legal_rag.precedents.verify import check_case_numbers

__all__ = [
    "ArticlePrecedents",
    "cited_by",
    "precedent_article_scores",
    "precedents_for",
    "search_decisions",
]

_OPEN: weakref.WeakKeyDictionary[Any, PrecedentIndex | None] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def precedents_for(engine: Any) -> PrecedentIndex | None:
    """The decisions of the engine's index (None when the index was built without --precedents)."""
    with _LOCK:
        if engine in _OPEN:
            return _OPEN[engine]
        index = PrecedentIndex.open(engine.bundle.directory)
        _OPEN[engine] = index
        if index is not None:
            weakref.finalize(engine, index.close)
        return index


@dataclass
class ArticlePrecedents:
    law: str
    law_id: str
    article: str
    decisions: list[CitingDecisionOut]
    total: int


def cited_by(engine: Any, law: str, article: str, as_of: date | None = None, limit: int | None = 20,
             include_former: bool = False) -> ArticlePrecedents | None:
    """Decisions citing `law` `article` (typed as people type them), newest first. None when the article does
    not exist; raises the engine's UnknownLawError for an unknown law."""
    hit = engine.get_article(law, article, as_of)
    if hit is None:
        return None
    index = precedents_for(engine)
    number = ArticleNumber.parse(hit.article)
    found = index.cited_by(hit.law_id, number.main, number.sub, include_former) if index is not None else []
    shown = found[:limit] if limit is not None else found
    return ArticlePrecedents(hit.law, hit.law_id, hit.article, [citing_out(c) for c in shown], len(found))


def cited_by_hits(engine: Any, hits: list[Any], per_article: int = 5) -> dict[str, list[CitingDecisionOut]]:
    """doc_id -> decisions citing that article, for the 관련 판례 list under each shown article."""
    index = precedents_for(engine)
    if index is None:
        return {}
    out: dict[str, list[CitingDecisionOut]] = {}
    for h in hits:
        try:
            number = ArticleNumber.parse(h.article)
        except ValueError:
            continue
        found = index.cited_by(h.law_id, number.main, number.sub, limit=per_article)
        if found:
            out[h.doc_id] = [citing_out(c) for c in found]
    return out


def search_decisions(engine: Any, query: str, top_k: int = 10,
                     exclude_sources: Collection[str] = ()) -> list[DecisionHitOut]:
    """Decisions for a question: a typed case number first (exact), then BM25 over 판시사항 + 판결요지."""
    index = precedents_for(engine)
    if index is None:
        return []
    out: list[DecisionHitOut] = []
    seen: set[str] = set()
    typed = check_case_numbers(query, index, None)
    for c in typed:
        if c.decision is not None and c.decision.source not in seen and c.decision.source not in exclude_sources:
            seen.add(c.decision.source)
            for rec in index.find(c.case_number):
                out.append(DecisionHitOut(rank=len(out) + 1, score=1.0, decision=summary_out(rec),
                                          issues=[issue_out(i) for i in rec.issues]))
    rest = query
    for c in typed:
        rest = rest.replace(c.raw, " ")
    if typed and len(re.sub(r"대법원|선고|판결|결정|[^가-힣]", "", rest)) < 2:
        return out  # the query was only case numbers: no similarity search on "대법원 … 선고 … 판결"
    for hit in index.search(query, top_k, exclude_sources):
        if len(out) >= top_k:
            break
        if hit.decision.source in seen:
            continue
        seen.add(hit.decision.source)
        out.append(DecisionHitOut(rank=len(out) + 1, score=hit.score, decision=summary_out(hit.decision),
                                  issues=[issue_out(i) for i in hit.matched_issues]))
    return out


def precedent_article_scores(engine: Any, query: str, exclude_sources: Collection[str] = (),
                             full_score: float = 0.0) -> dict[str, float]:
    """Retrieval signal (Engine.search): doc_id -> evidence in (0, 1] that the article governs the question, from
    the decisions whose 판시사항/판결요지 are closest to it (their 참조조문); see PrecedentIndex.article_scores for
    `full_score`. Empty without decisions. Evaluation passes each item's own decision in `exclude_sources` so that
    no question finds itself."""
    index = precedents_for(engine)
    return index.article_scores(query, exclude_sources, full_score=full_score) if index is not None else {}
