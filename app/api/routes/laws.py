"""GET /api/laws (statutes in the index on a date) and GET /api/laws/{law}/articles/{article} (one article)."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi import Path as PathParam

from app.api.deps import EngineDep
from app.api.models import ArticleResponse, LawInfo, LawsResponse
from app.api.validation import MAX_LAW_NAME, article_number, parse_as_of
from app.errors import ApiError, error_responses, unknown_law_error
from app.index_holder import Loaded
from app.schemas import Hit

router = APIRouter(tags=["laws"])


@router.get("/api/laws", response_model=LawsResponse, responses=error_responses(422, 503, 504),
            summary="statutes in the index and the version applying on as_of / 법령 목록")
async def laws_route(engine: EngineDep,
                     as_of: str | None = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$")) -> LawsResponse:
    day = parse_as_of(as_of)

    def job(loaded: Loaded) -> LawsResponse:
        return LawsResponse(as_of=day.isoformat(), laws=[LawInfo(**r) for r in loaded.engine.laws(day)])

    return await engine.run(job)


@router.get("/api/laws/{law}/articles/{article}", response_model=ArticleResponse,
            responses=error_responses(404, 422, 503, 504), summary="one article on a date / 조문 보기")
async def article_route(
    engine: EngineDep,
    law: str = PathParam(..., min_length=1, max_length=MAX_LAW_NAME, description="title or abbreviation"),
    article: str = PathParam(..., min_length=1, max_length=40, description="제54조, 54, 제839조의2"),
    as_of: str | None = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$"),
) -> ArticleResponse:
    day = parse_as_of(as_of)
    number = article_number(article)

    def job(loaded: Loaded) -> Hit | None:
        try:
            return loaded.engine.get_article(law, number, day)  # type: ignore[no-any-return]
        except LookupError as exc:
            raise unknown_law_error(exc, status=404) from None

    hit = await engine.run(job)
    if hit is None:
        raise ApiError(404, "not_found",
                       f"「{law}」 {number}을(를) 찾을 수 없습니다 ({day.isoformat()} 기준) / "
                       f"no article {number} in {law} on {day.isoformat()}", law=law)
    return ArticleResponse(as_of=day.isoformat(), article=hit)
