"""Typed boundaries of the query service: hits, citations, answers (pydantic models, JSON as served)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from legal_rag.precedents.results import CaseCitation, CitingDecisionOut, DecisionHitOut
from legal_rag.search.results import SCHEMA_VERSION, Citation, CitationStatus, Hit, SearchResponse

__all__ = ["SCHEMA_VERSION", "AskRequest", "AskResponse", "Citation", "CitationStatus", "Hit", "SearchResponse"]

class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    top_k: int = Field(8, ge=1, le=50)
    as_of: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    laws: list[str] = Field(default_factory=list, max_length=20)


class AskResponse(BaseModel):
    schema_version: int = SCHEMA_VERSION
    question: str
    as_of: str
    answer: str
    generator: str = Field(description="which backend answered, e.g. 'extractive' or 'hf:<model>'")
    citations: list[Citation]
    hits: list[Hit]
    timings_ms: dict[str, float] = Field(default_factory=dict)
    # Court decisions (an index built with --precedents; empty otherwise): decisions close to the question,
    # quoted beside the articles; every case number in the answer or the question, checked; decisions citing
    # each shown article (doc_id -> newest first).
    decisions: list[DecisionHitOut] = Field(default_factory=list)
    case_citations: list[CaseCitation] = Field(default_factory=list)
    related_precedents: dict[str, list[CitingDecisionOut]] = Field(default_factory=dict)
