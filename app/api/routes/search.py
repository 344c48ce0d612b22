"""GET /api/search: ranked articles for a query."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import EngineDep, SettingsDep
from app.api.validation import check_laws, check_question, check_top_k, parse_as_of
from app.errors import call_engine, error_responses
from app.index_holder import Loaded
from app.schemas import SearchResponse

router = APIRouter(tags=["search"])


@router.get("/api/search", response_model=SearchResponse, responses=error_responses(422, 503, 504),
            summary="ranked articles for a query / 조문 검색")
async def search(
    settings: SettingsDep,
    engine: EngineDep,
    q: str = Query(..., min_length=1, max_length=2000, description="question or citation list"),
    top_k: int = Query(10, ge=1, le=50),
    as_of: str | None = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD, default today"),
    law: Annotated[list[str] | None, Query(description="restrict to these laws (repeatable)")] = None,
) -> SearchResponse:
    query = check_question(q, settings, "q")
    k = check_top_k(top_k, settings)
    day = parse_as_of(as_of)
    laws = check_laws(law or [])

    def job(loaded: Loaded) -> SearchResponse:
        return call_engine(lambda: loaded.engine.search(query, top_k=k, as_of=day, laws=laws))

    return await engine.run(job)
