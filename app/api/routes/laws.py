"""GET /api/laws (statutes in the index on a date) and GET /api/laws/{law}/articles/{article} (one article)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParam

from app.api.deps import EngineDep
from app.api.fields import ArticleLabel
from app.api.models import ArticleResponse, AsOfQuery, LawInfo, LawInPath, LawsResponse
from app.errors import ApiError, error_responses, unknown_law_error
from app.index_holder import Loaded
from app.schemas import Hit

router = APIRouter(tags=["laws"])


@router.get("/api/laws", response_model=LawsResponse, responses=error_responses(422, 503, 504),
            summary="statutes in the index and the version applying on as_of / 법령 목록")
async def laws_route(engine: EngineDep, params: Annotated[AsOfQuery, Query()]) -> LawsResponse:
    day = params.as_of

    def job(loaded: Loaded) -> LawsResponse:
        return LawsResponse(as_of=day.isoformat(), laws=[LawInfo(**r) for r in loaded.engine.laws(day)])

    return await engine.run(job)


@router.get("/api/laws/{law}/articles/{article}", response_model=ArticleResponse,
            responses=error_responses(404, 422, 503, 504), summary="one article on a date / 조문 보기")
async def article_route(
    engine: EngineDep,
    law: LawInPath,
    article: Annotated[ArticleLabel, PathParam(description="제54조, 54, 제839조의2")],
    params: Annotated[AsOfQuery, Query()],
) -> ArticleResponse:
    day = params.as_of

    def job(loaded: Loaded) -> Hit | None:
        try:
            return loaded.engine.get_article(law, article, day)  # type: ignore[no-any-return]
        except LookupError as exc:
            raise unknown_law_error(exc, status=404) from None

    hit = await engine.run(job)
    if hit is None:
        raise ApiError(404, "not_found",
                       f"「{law}」 {article}을(를) 찾을 수 없습니다 ({day.isoformat()} 기준) / "
                       f"no article {article} in {law} on {day.isoformat()}", law=law)
    return ArticleResponse(as_of=day.isoformat(), article=hit)
