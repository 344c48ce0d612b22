"""Typed results of the retrieval core: hits, citations, search responses (pydantic models, JSON as served)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SCHEMA_VERSION = 1

CitationStatus = Literal["verified", "not_in_context", "not_found", "resolved"]


class Hit(BaseModel):
    """One retrieved article (pieces of one article merged), in the version that applies on the as-of date."""

    doc_id: str = Field(description="법령MST:조문번호, unique across versions")
    law: str = Field(description="statute title with spaces as in 제목, e.g. '국민건강보험법 시행령'")
    law_id: str
    article: str = Field(description="제N조 or 제N조의M")
    title: str = Field(description="조문 제목, may be empty")
    text: str
    score: float
    rank: int
    url: str = Field(description="law.go.kr deep link to the article")
    effective: str | None = Field(description="시행일자 of this version, YYYY-MM-DD")
    pending: bool = Field(False, description="True: 시행 예정, the text in force on the as-of date is not in the corpus")
    note: str = ""
    source: Literal["citation", "retrieval", "delegation", "neighbor"] = "retrieval"
    chapter: str = ""
    deleted: bool = False
    article_effective: str = Field("", description="this article's own 시행일 (YYYY-MM-DD) where the version's "
                                   "부칙 sets one for it, else empty: the version's `effective` applies")

    @property
    def header(self) -> str:
        t = f"({self.title})" if self.title else ""
        return f"「{self.law}」 {self.article}{t}"


class Citation(BaseModel):
    """A statute reference found in a question or an answer, and what it resolved to."""

    raw: str = Field(description="the text as written")
    law: str | None = Field(description="resolved statute title, None when the law is unknown")
    article: str | None
    detail: str = Field("", description="항/호/목 as written, e.g. '제1항제2호'")
    status: CitationStatus
    doc_id: str | None = None
    message: str = ""
    suggestions: list[str] = Field(default_factory=list)
    hit: Hit | None = None


class SearchResponse(BaseModel):
    schema_version: int = SCHEMA_VERSION
    query: str
    as_of: str
    hits: list[Hit]
    citations: list[Citation] = Field(default_factory=list, description="explicit citations found in the query")
    timings_ms: dict[str, float] = Field(default_factory=dict)
