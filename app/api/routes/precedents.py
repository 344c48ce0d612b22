"""Court decisions over HTTP: decisions citing an article, decision search, one decision by case number.

Routes are thin: the work is legal_rag.precedents.service, run on the service's search threads under an engine
lease (app.api.deps.EngineDep: a reload never closes the index under a request). Errors share the service's
ErrorResponse shape: a malformed case number is 422 (`malformed_case_number`), a well-formed unknown one 404
(`unknown_case_number`) with close numbers in `suggestions`; an index built without decisions answers 404
`no_precedents`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import EngineDep
from app.api.fields import ArticleLabel, Question
from app.api.models import AsOfQuery, LawInPath
from app.errors import ApiError, error_responses, unknown_law_error
from app.index_holder import Loaded
from legal_rag.precedents.results import (
    SCHEMA_VERSION_PRECEDENTS,
    CitingDecisionOut,
    DecisionHitOut,
    DecisionOut,
    decision_out,
)

router = APIRouter(tags=["precedents"])

MAX_CASE_NUMBER = 200
NO_PRECEDENTS = ("이 색인에는 판례가 없습니다 (`legal-rag ingest … --precedents DIR`) / this index has no decisions "
                 "(build it with --precedents)")


# Response examples for /docs and /openapi.json: real output on the shared corpus with the precedent sample
# (99다38699, 2009스117), long 판결요지 shortened with "…".
_DECISION_99DA38699: dict[str, Any] = {
    "case_number": "99다38699", "case_numbers": ["99다38699"], "court": "대법원", "decided": "2001-05-08",
    "category": "민사", "case_name": "건물명도등", "source": "민사/대법원/대법원_2001-05-08_99다38699.md",
    "url": "https://www.law.go.kr/LSW/precInfoP.do?precSeq=191403", "en_banc": False,
}
_ISSUE_3: dict[str, Any] = {
    "number": 3, "marker": "[3]", "holding": "독립한 경제주체간의 경쟁적 계약관계에 있어서 제3자에 의한 채권침해가 불법행위가 "
                                           "되기 위한 요건",
    "summary": "제3자에 의한 채권침해가 불법행위를 구성할 수는 있으나 제3자의 채권침해가 반드시 언제나 불법행위가 되는 것은 "
               "아니고 …",
}
_CITATION_750: dict[str, Any] = {
    "issues": [3, 4], "raw": "민법 제750조", "law": "민법", "law_text": "민법", "article": "제750조", "detail": "",
    "status": "found", "former_version": False, "former_note": "", "current_pointer": False, "current_note": "",
    "doc_id": "284415:제750조",
}
ARTICLE_PRECEDENTS_EXAMPLE: dict[str, Any] = {
    "schema_version": 1, "law": "민법", "article": "제750조", "total": 1, "precedents_indexed": True,
    "decisions": [{"decision": _DECISION_99DA38699, "issues": [_ISSUE_3], "citation": _CITATION_750}],
}
SEARCH_EXAMPLE: dict[str, Any] = {
    "schema_version": 1, "query": "성전환자의 성별정정 허가 요건",
    "decisions": [{"rank": 1, "score": 32.4884, "decision": {
        "case_number": "2009스117", "case_numbers": ["2009스117"], "court": "대법원", "decided": "2011-09-02",
        "category": "가사", "case_name": "등록부정정", "source": "가사/대법원/대법원_2011-09-02_2009스117.md",
        "url": "https://www.law.go.kr/LSW/precInfoP.do?precSeq=166327", "en_banc": False},
        "issues": [{"number": 1, "marker": "[1]", "holding": "성전환자가 혼인 중에 있거나 미성년자인 자녀가 있는 경우 "
                                                            "성별정정을 허가할 것인지 여부(소극)", "summary": ""}]}],
}
DECISION_EXAMPLE: dict[str, Any] = {
    "schema_version": 1, "case_number": "99다38699",
    "decisions": [{**_DECISION_99DA38699, "issues": [_ISSUE_3], "citations": [_CITATION_750],
                   "case_references": [{"issues": [1], "case_number": "64다804", "court": "대법원",
                                        "decided": "1964-12-29", "en_banc": False}], "has_summary": True}],
}


class ArticlePrecedentsResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ARTICLE_PRECEDENTS_EXAMPLE]})

    schema_version: int = SCHEMA_VERSION_PRECEDENTS
    law: str
    article: str
    total: int = Field(description="decisions citing the article (decisions holds at most `limit`)")
    precedents_indexed: bool = Field(True, description="False: this index was built without decisions")
    decisions: list[CitingDecisionOut] = Field(description="newest first, with the issues that cite the article")


class PrecedentSearchResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [SEARCH_EXAMPLE]})
    schema_version: int = SCHEMA_VERSION_PRECEDENTS
    query: str
    decisions: list[DecisionHitOut]


class PrecedentResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [DECISION_EXAMPLE]})
    schema_version: int = SCHEMA_VERSION_PRECEDENTS
    case_number: str = Field(description="canonical form of the number asked for")
    decisions: list[DecisionOut] = Field(description="decisions with this number (usually one)")


class ArticlePrecedentsQuery(AsOfQuery):
    """Query parameters of GET /api/laws/{law}/articles/{article}/precedents."""

    limit: int = Field(20, ge=1, le=200)
    include_former: bool = Field(False, description="also decisions citing a former version (구법) of it")


class PrecedentSearchQuery(BaseModel):
    """Query parameters of GET /api/precedents."""

    q: Question = Field(description="question, issue text or case number")
    top_k: int = Field(10, ge=1, le=50)


@router.get("/api/laws/{law}/articles/{article}/precedents", response_model=ArticlePrecedentsResponse,
            responses=error_responses(404, 422, 503, 504),
            summary="decisions whose 참조조문 cite the article, newest first / 조문을 인용한 판례")
async def article_precedents(
    engine: EngineDep,
    law: LawInPath,
    article: Annotated[ArticleLabel, PathParam(description="제750조, 750, 제839조의2")],
    params: Annotated[ArticlePrecedentsQuery, Query()],
) -> ArticlePrecedentsResponse:
    from legal_rag.precedents.service import cited_by, precedents_for

    def job(loaded: Loaded) -> ArticlePrecedentsResponse | None:
        try:
            found = cited_by(loaded.engine, law, article, params.as_of, params.limit, params.include_former)
        except LookupError as exc:
            raise unknown_law_error(exc, status=404) from None
        if found is None:
            return None
        return ArticlePrecedentsResponse(law=found.law, article=found.article, total=found.total,
                                         precedents_indexed=precedents_for(loaded.engine) is not None,
                                         decisions=found.decisions)

    out = await engine.run(job)
    if out is None:
        raise ApiError(404, "not_found", f"「{law}」 {article}을(를) 찾을 수 없습니다 / no article {article} in {law}",
                           law=law)
    return out


@router.get("/api/precedents", response_model=PrecedentSearchResponse, responses=error_responses(404, 422, 503, 504),
            summary="decisions for a question or a case number / 판례 검색")
async def search_precedents(engine: EngineDep, params: Annotated[PrecedentSearchQuery, Query()]
                            ) -> PrecedentSearchResponse:
    from legal_rag.precedents.service import precedents_for, search_decisions

    def job(loaded: Loaded) -> PrecedentSearchResponse | None:
        if precedents_for(loaded.engine) is None:
            return None
        return PrecedentSearchResponse(query=params.q, decisions=search_decisions(loaded.engine, params.q,
                                                                                  params.top_k))

    out = await engine.run(job)
    if out is None:
        raise ApiError(404, "no_precedents", NO_PRECEDENTS)
    return out


@router.get("/api/precedents/{case_number}", response_model=PrecedentResponse,
            responses=error_responses(404, 422, 503, 504),
            summary="one decision by case number, in any common form / 사건번호로 판례 보기")
async def precedent_by_number(
    engine: EngineDep,
    case_number: str = PathParam(..., min_length=1, max_length=MAX_CASE_NUMBER,
                                 description="2010다12345, 99두9902, '대법원 2010. 12. 23. 선고 2008다75119 판결'"),
) -> PrecedentResponse:
    from legal_rag.precedents.case_numbers import CaseNumberError, parse_case_number
    from legal_rag.precedents.search import UnknownCaseError
    from legal_rag.precedents.service import precedents_for

    try:
        number = parse_case_number(case_number)
    except CaseNumberError as exc:
        raise ApiError(422, "malformed_case_number", str(exc),
                           detail=[{"loc": ["case_number"], "msg": "not a case number", "type": "value_error"}]) from None

    def job(loaded: Loaded) -> PrecedentResponse | None:
        index = precedents_for(loaded.engine)
        if index is None:
            return None
        try:
            records = index.lookup(number.key)
        except UnknownCaseError as exc:
            hint = f" 비슷한 사건번호: {', '.join(exc.suggestions)}" if exc.suggestions else ""
            raise ApiError(404, "unknown_case_number",
                               f"이 색인에 없는 사건번호입니다: {exc.case_number} / no decision {exc.case_number} in "
                               f"this index.{hint}", suggestions=exc.suggestions) from None
        return PrecedentResponse(case_number=number.key, decisions=[decision_out(r) for r in records])

    out = await engine.run(job)
    if out is None:
        raise ApiError(404, "no_precedents", NO_PRECEDENTS)
    return out
