"""Typed results of the retrieval core: hits, citations, search responses (pydantic models, JSON as served)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from legal_rag.statute_markup import TextLink, text_links

SCHEMA_VERSION = 1

# OpenAPI examples (real output on the shared corpus, as-of 2026-11-25); app.api.examples has the larger ones.
_HIT_EXAMPLE: dict[str, Any] = {
    "doc_id": "284415:제54조", "law": "민법", "law_id": "001706", "article": "제54조",
    "title": "설립등기 이외의 등기의 효력과 등기사항의 공고",
    "text": "① 설립등기 이외의 본절의 등기사항은 그 등기후가 아니면 제삼자에게 대항하지 못한다.\n"
            "② 등기한 사항은 법원이 지체없이 공고하여야 한다.",
    "score": 1.0, "rank": 1, "url": "https://www.law.go.kr/법령/%EB%AF%BC%EB%B2%95/%EC%A0%9C54%EC%A1%B0",
    "effective": "2026-03-17", "pending": False, "note": "", "source": "citation",
    "chapter": "제1편 총칙 > 제3장 법인 > 제2절 설립", "deleted": False, "links": [],
}
_CITATION_EXAMPLE: dict[str, Any] = {
    "raw": "「민법」 제54조", "law": "민법", "article": "제54조", "detail": "", "status": "resolved",
    "doc_id": "284415:제54조", "message": "", "suggestions": [], "hit": _HIT_EXAMPLE,
}

CitationStatus = Literal["verified", "not_in_context", "not_found", "resolved"]


def _examples(*items: dict[str, Any]) -> dict[str, Any]:
    return {"examples": list(items)}


class Hit(BaseModel):
    """One retrieved article (pieces of one article merged), in the version that applies on the as-of date."""

    model_config = ConfigDict(json_schema_extra=_examples(_HIT_EXAMPLE))

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
    source: Literal["citation", "retrieval", "delegation", "precedent"] = "retrieval"
    chapter: str = ""
    deleted: bool = False
    article_effective: str = Field("", description="this article's own 시행일 (YYYY-MM-DD) where the version's "
                                   "부칙 sets one for it, else empty: the version's `effective` applies")

    @property
    def header(self) -> str:
        t = f"({self.title})" if self.title else ""
        return f"「{self.law}」 {self.article}{t}"

    @computed_field(description="spans of `text` that link to law.go.kr: image placeholders ([수식 이미지 #N]: "  # type: ignore[prop-decorator]
                    "show `label` instead) and 별표 references; start/end are character offsets")
    @property
    def links(self) -> list[TextLink]:
        return text_links(self.text, self.law)


class Citation(BaseModel):
    """A statute reference found in a question or an answer, and what it resolved to."""

    model_config = ConfigDict(json_schema_extra=_examples(_CITATION_EXAMPLE))

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
    model_config = ConfigDict(json_schema_extra=_examples({
        "schema_version": 1, "query": "「민법」 제54조", "as_of": "2026-11-25", "hits": [_HIT_EXAMPLE],
        "citations": [_CITATION_EXAMPLE], "timings_ms": {"citations_ms": 1.4, "total_ms": 1.5}}))

    schema_version: int = SCHEMA_VERSION
    query: str
    as_of: str
    hits: list[Hit]
    citations: list[Citation] = Field(default_factory=list, description="explicit citations found in the query")
    timings_ms: dict[str, float] = Field(default_factory=dict)
