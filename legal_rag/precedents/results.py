"""Typed results of the precedent queries (pydantic models, JSON as served by the CLI and the API)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from legal_rag.precedents.model import Issue, StatuteCitation
from legal_rag.precedents.store import CitingIssue, DecisionRecord

SCHEMA_VERSION_PRECEDENTS = 1  # of the JSON below, as printed by `legal-rag precedents --json`

CaseCitationStatus = Literal["verified", "wrong_court_or_date", "not_in_context", "not_found"]


class IssueOut(BaseModel):
    number: int
    marker: str = Field(description="as written: [1], ［1］, 가.")
    holding: str = Field(description="판시사항")
    summary: str = Field("", description="판결요지 (empty when the file has none)")


class StatuteCitationOut(BaseModel):
    issues: list[int] = Field(description="issue numbers; empty = every issue")
    raw: str
    law: str | None = Field(description="statute title in the corpus; None when the law is not in the corpus")
    law_text: str
    article: str | None
    detail: str = ""
    status: str = Field(description="found | law_not_found | article_not_found | law_missing")
    former_version: bool = Field(False, description="구 …법: a former version; never linked to the current text")
    former_note: str = ""
    current_pointer: bool = Field(False, description="named in (현행 … 참조): the current counterpart")
    current_note: str = ""
    doc_id: str | None = None


class DecisionSummary(BaseModel):
    case_number: str
    case_numbers: list[str]
    court: str
    decided: str = Field(description="선고일자 YYYY-MM-DD")
    category: str = Field(description="사건종류")
    case_name: str = Field(description="사건명")
    source: str = Field(description="path in precedent-kr")
    url: str
    en_banc: bool = False


class CaseReferenceOut(BaseModel):
    issues: list[int]
    case_number: str
    court: str | None
    decided: str | None
    en_banc: bool = False


class DecisionOut(DecisionSummary):
    issues: list[IssueOut]
    citations: list[StatuteCitationOut]
    case_references: list[CaseReferenceOut]
    has_summary: bool = Field(description="the file has 판결요지")


class DecisionHitOut(BaseModel):
    rank: int
    score: float
    decision: DecisionSummary
    issues: list[IssueOut] = Field(description="the matching issues, best first")


class CitingDecisionOut(BaseModel):
    decision: DecisionSummary
    issues: list[IssueOut] = Field(description="the issues whose 참조조문 cite the article")
    citation: StatuteCitationOut


class CaseCitation(BaseModel):
    """A case number found in an answer or a question, and what the corpus says about it."""

    raw: str
    case_number: str
    court: str | None = Field(description="court as written (or carried over from the previous citation)")
    decided: str | None = Field(description="date as written")
    status: CaseCitationStatus
    message: str
    decision: DecisionSummary | None = Field(None, description="the decision, when the number is in the corpus")
    referenced_by: list[str] = Field(default_factory=list,
                                     description="corpus decisions whose 참조판례 cite this number (its text is "
                                                 "not in the corpus)")


def issue_out(i: Issue) -> IssueOut:
    return IssueOut(number=i.number, marker=i.marker, holding=i.holding, summary=i.summary)


def citation_out(c: StatuteCitation) -> StatuteCitationOut:
    return StatuteCitationOut(
        issues=list(c.issues), raw=c.raw, law=c.law, law_text=c.law_text, article=c.article, detail=c.detail,
        status=c.status, former_version=c.former_version, former_note=c.former_note,
        current_pointer=c.current_pointer, current_note=c.current_note, doc_id=c.doc_id,
    )


def summary_out(d: DecisionRecord | CitingIssue) -> DecisionSummary:
    if isinstance(d, CitingIssue):
        return DecisionSummary(case_number=d.case_number, case_numbers=[d.case_number], court=d.court,
                               decided=d.decided.isoformat(), category=d.category, case_name=d.case_name, source=d.source,
                               url=d.url)
    return DecisionSummary(case_number=d.case_number, case_numbers=list(d.case_numbers), court=d.court,
                           decided=d.decided.isoformat(), category=d.category, case_name=d.case_name,
                           source=d.source, url=d.url, en_banc=d.en_banc)


def decision_out(d: DecisionRecord) -> DecisionOut:
    return DecisionOut(
        **summary_out(d).model_dump(), issues=[issue_out(i) for i in d.issues],
        citations=[citation_out(c) for c in d.citations],
        case_references=[CaseReferenceOut(issues=list(r.issues), case_number=r.case_number, court=r.court,
                                          decided=r.decided, en_banc=r.en_banc) for r in d.case_references],
        has_summary=d.has_summary,
    )


def citing_out(c: CitingIssue) -> CitingDecisionOut:
    return CitingDecisionOut(decision=summary_out(c), issues=[issue_out(i) for i in c.issues],
                             citation=citation_out(c.citation))
