"""Typed boundaries of the query service: hits, citations, answers (pydantic models, JSON as served)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from app.api.examples import ASK_REQUEST, ASK_REQUEST_SENTENCE, ASK_RESPONSE, ASK_RESPONSE_NO_FIT, examples
from app.api.fields import MAX_LAW_FILTERS, AsOf, FormDate, LawFilters, Question, TopK
from legal_rag.precedents.results import CaseCitation, CitingDecisionOut, DecisionHitOut
from legal_rag.search.results import SCHEMA_VERSION, Citation, CitationStatus, Hit, SearchResponse
from legal_rag.statute_markup import TextLink, text_links
from legal_rag.versions import today_kst

__all__ = ["SCHEMA_VERSION", "AnswerBasis", "AskForm", "AskRequest", "AskResponse", "BasisSentence", "Citation", "CitationStatus",
           "Hit", "SearchResponse"]


# The body of POST /api/ask and /api/ask/stream; each field's checks are its type's (app.api.fields): the question
# stripped, as_of a real date (today when absent), law filters without blank entries.
class AskRequest(BaseModel):
    model_config = ConfigDict(**examples(ASK_REQUEST, ASK_REQUEST_SENTENCE))  # type: ignore[typeddict-item]

    question: Question
    top_k: TopK = 8
    as_of: AsOf = Field(default_factory=today_kst)
    laws: LawFilters = Field(default_factory=list, max_length=MAX_LAW_FILTERS)


class AskForm(BaseModel):
    """The web form's fields (POST /ask), checked as AskRequest's: a blank as_of is today, `laws` holds the one
    optional law field. Validate with `context={"settings": settings}` for the configured limits."""

    question: Question
    as_of: FormDate = Field(default_factory=today_kst)
    laws: LawFilters = Field(default_factory=list)


class BasisSentence(BaseModel):
    """A sentence of an article that answers the question (quoted and marked on the page)."""

    text: str = Field(description="the sentence as quoted (amendment notes removed)")
    start: int | None = Field(default=None, description="character offset of the sentence in the article's `text`, "
                                                  "None when it cannot be located verbatim")
    end: int | None = None


class AnswerBasis(BaseModel):
    """An article the answer relies on, and why it was chosen."""

    role: Literal["governing", "related"] = Field(
        description="governing: the article(s) that answer the question; related: other relevant articles")
    reason: str = Field(description="why the article was included, in Korean")
    matched: list[str] = Field(default_factory=list, description="words of the question found in the article")
    coverage: float = Field(description="share of the question's words (weighted) found in the article, 0..1")
    sentences: list[BasisSentence] = Field(default_factory=list)
    hit: Hit


class AskResponse(BaseModel):
    model_config = ConfigDict(**examples(ASK_RESPONSE, ASK_RESPONSE_NO_FIT))  # type: ignore[typeddict-item]

    schema_version: int = SCHEMA_VERSION
    question: str
    as_of: str
    answer: str
    generator: str = Field(description="which backend answered, e.g. 'extractive' or 'hf:<model>'")
    citations: list[Citation]
    hits: list[Hit]
    found: bool = Field(default=True, description="False: no article in the corpus fits the question (see `notice`)")
    notice: str = Field(default="", description="why no article fits and how to ask, or a language notice (Korean)")
    basis: list[AnswerBasis] = Field(default_factory=list,
                                     description="governing articles first, then related ones, each with why")
    relevance: float | None = Field(default=None, description="how well the best article fits the question (0..1, "
                                                              "app.relevance), the score the no-fit threshold is "
                                                              "applied to; 0 for a question that is only citations "
                                                              "(a cited article always fits); None: not Korean")
    notes: list[str] = Field(default_factory=list, description="one 시행 예정 note per pending statute version")
    timings_ms: dict[str, float] = Field(default_factory=dict)
    # Court decisions (an index built with --precedents; empty otherwise): decisions close to the question,
    # quoted beside the articles; every case number in the answer or the question, checked; decisions citing
    # each shown article (doc_id -> newest first).
    decisions: list[DecisionHitOut] = Field(default_factory=list)
    case_citations: list[CaseCitation] = Field(default_factory=list)
    related_precedents: dict[str, list[CitingDecisionOut]] = Field(default_factory=dict)

    @computed_field(description="spans of `answer` that link to law.go.kr (「법」 제N조 mentioned in it, "  # type: ignore[prop-decorator]
                    "quoted statute text included); start/end are character offsets")
    @property
    def answer_links(self) -> list[TextLink]:
        return text_links(self.answer, "")
