"""Court decisions over HTTP: decisions citing an article, decision search, one decision by case number.

Routes are thin: the work is legal_rag.precedents.service, run on the service's search threads under an engine
lease (app.api.deps.EngineDep: a reload never closes the index under a request). Errors share the service's
ErrorResponse shape: a malformed case number is 422 (`malformed_case_number`), a well-formed unknown one 404
(`unknown_case_number`) with close numbers in `suggestions`; an index built without decisions answers 404
`no_precedents`.
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from app.api.deps import EngineDep, SettingsDep
from app.api.validation import MAX_LAW_NAME, article_number, check_question, parse_as_of
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
MAX_QUERY = 2000
NO_PRECEDENTS = ("이 색인에는 판례가 없습니다 (`legal-rag ingest … --precedents DIR`) / this index has no decisions "
                 "(build it with --precedents)")


class ArticlePrecedentsResponse(BaseModel):
    schema_version: int = SCHEMA_VERSION_PRECEDENTS
    law: str
    article: str
    total: int = Field(description="decisions citing the article (decisions holds at most `limit`)")
    precedents_indexed: bool = Field(True, description="False: this index was built without decisions")
    decisions: list[CitingDecisionOut] = Field(description="newest first, with the issues that cite the article")


class PrecedentSearchResponse(BaseModel):
    schema_version: int = SCHEMA_VERSION_PRECEDENTS
    query: str
    decisions: list[DecisionHitOut]


class PrecedentResponse(BaseModel):
    schema_version: int = SCHEMA_VERSION_PRECEDENTS
    case_number: str = Field(description="canonical form of the number asked for")
    decisions: list[DecisionOut] = Field(description="decisions with this number (usually one)")


@router.get("/api/laws/{law}/articles/{article}/precedents", response_model=ArticlePrecedentsResponse,
            responses=error_responses(404, 422, 503, 504),
            summary="decisions whose 참조조문 cite the article, newest first / 조문을 인용한 판례")
async def article_precedents(
    engine: EngineDep,
    law: str = PathParam(..., min_length=1, max_length=MAX_LAW_NAME, description="title or abbreviation"),
    article: str = PathParam(..., min_length=1, max_length=40, description="제750조, 750, 제839조의2"),
    as_of: str | None = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$"),
    limit: int = Query(20, ge=1, le=200),
    include_former: bool = Query(False, description="also decisions citing a former version (구법) of it"),
) -> ArticlePrecedentsResponse:
    from legal_rag.precedents.service import cited_by, precedents_for

    day = parse_as_of(as_of)
    number = article_number(article)

    def job(loaded: Loaded) -> ArticlePrecedentsResponse | None:
        try:
            found = cited_by(loaded.engine, law, number, day, limit, include_former)
        except LookupError as exc:
            raise unknown_law_error(exc, status=404) from None
        if found is None:
            return None
        return ArticlePrecedentsResponse(law=found.law, article=found.article, total=found.total,
                                         precedents_indexed=precedents_for(loaded.engine) is not None,
                                         decisions=found.decisions)

    out = await engine.run(job)
    if out is None:
        raise ApiError(404, "not_found", f"「{law}」 {number}을(를) 찾을 수 없습니다 / no article {number} in {law}",
                           law=law)
    return out


@router.get("/api/precedents", response_model=PrecedentSearchResponse, responses=error_responses(404, 422, 503, 504),
            summary="decisions for a question or a case number / 판례 검색")
async def search_precedents(
    engine: EngineDep,
    settings: SettingsDep,
    q: str = Query(..., min_length=1, max_length=MAX_QUERY, description="question, issue text or case number"),
    top_k: int = Query(10, ge=1, le=50),
) -> PrecedentSearchResponse:
    from legal_rag.precedents.service import precedents_for, search_decisions

    query = check_question(q, settings, "q")

    def job(loaded: Loaded) -> PrecedentSearchResponse | None:
        if precedents_for(loaded.engine) is None:
            return None
        return PrecedentSearchResponse(query=query, decisions=search_decisions(loaded.engine, query, top_k))

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
