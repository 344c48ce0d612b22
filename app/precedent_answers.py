"""Decisions beside an answer: the decisions quoted with it, its case numbers checked, 관련 판례 per article.

Kept out of app/answering.py so that the answer flow gains one call; empty results when the index was built
without decisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.generation.postprocess import check_case_citations
from legal_rag.precedents.results import CaseCitation, CitingDecisionOut, DecisionHitOut
from legal_rag.precedents.service import cited_by_hits, precedents_for, search_decisions

QUOTED_DECISIONS = 3
RELATED_PER_ARTICLE = 5


def answer_precedents(engine: Any, question: str, answer: str, hits: Sequence[Any]
                      ) -> tuple[list[DecisionHitOut], list[CaseCitation], dict[str, list[CitingDecisionOut]]]:
    """(decisions quoted beside the answer, every case number of answer and question checked, doc_id -> decisions
    citing that article). A case number is `verified` only when its decision is among the quoted ones: a
    decision the user names in the question is quoted first (search_decisions looks typed numbers up)."""
    index = precedents_for(engine)
    if index is None:
        return [], check_case_citations(answer, question, None, set()), {}
    decisions = search_decisions(engine, question, QUOTED_DECISIONS)
    context = {n for d in decisions for n in d.decision.case_numbers}
    related = cited_by_hits(engine, list({h.doc_id: h for h in hits}.values()), RELATED_PER_ARTICLE)
    return decisions, check_case_citations(answer, question, index, context), related
