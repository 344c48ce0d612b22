"""GET /api/search: ranked articles for a query."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import EngineDep
from app.api.models import SearchQuery
from app.errors import call_engine, error_responses
from app.index_holder import Loaded
from app.schemas import SearchResponse

router = APIRouter(tags=["search"])


@router.get("/api/search", response_model=SearchResponse, responses=error_responses(422, 503, 504),
            summary="ranked articles for a query / 조문 검색")
async def search(params: Annotated[SearchQuery, Query()], engine: EngineDep) -> SearchResponse:
    def job(loaded: Loaded) -> SearchResponse:
        return call_engine(lambda: loaded.engine.search(params.q, top_k=params.top_k, as_of=params.as_of,
                                                        laws=params.laws))

    return await engine.run(job)
