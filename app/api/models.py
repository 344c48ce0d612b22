"""Query-parameter models of the search and laws routes, and response models of the ops and laws routes (the
answer and search response models are app.schemas; errors are app.errors.ErrorResponse). The checks of their
fields are app.api.fields'."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from app.api.examples import (
    ARTICLE_RESPONSE,
    HEALTH_RESPONSE,
    LAW_INFO,
    LAW_INFO_IN_FORCE,
    LAWS_RESPONSE,
    READY_RESPONSE,
    RELOAD_RESPONSE,
    examples,
)
from app.api.fields import MAX_LAW_NAME, AsOf, LawFilters, Question, TopK
from app.schemas import SCHEMA_VERSION, Hit
from legal_rag.versions import today_kst

# The `{law}` path segment of the article routes (a title or an abbreviation; resolved by the engine's catalog).
LawInPath = Annotated[str, PathParam(min_length=1, max_length=MAX_LAW_NAME, description="title or abbreviation")]


class AsOfQuery(BaseModel):
    """`?as_of=YYYY-MM-DD` (default today) of the laws and article routes."""

    as_of: AsOf = Field(default_factory=today_kst)


class SearchQuery(BaseModel):
    """Query parameters of GET /api/search."""

    model_config = ConfigDict(validate_by_name=True)

    q: Question = Field(description="question or citation list")
    top_k: TopK = 10
    as_of: AsOf = Field(default_factory=today_kst, description="YYYY-MM-DD, default today")
    laws: LawFilters = Field(default_factory=list, alias="law", description="restrict to these laws (repeatable)")


class HealthResponse(BaseModel):
    model_config = ConfigDict(**examples(HEALTH_RESPONSE))  # type: ignore[typeddict-item]

    status: Literal["ok"] = "ok"


class ReadyResponse(BaseModel):
    model_config = ConfigDict(**examples(READY_RESPONSE))  # type: ignore[typeddict-item]

    schema_version: int = SCHEMA_VERSION
    status: Literal["ready", "loading", "failed"]
    reason: str | None = None
    index: dict[str, Any] | None = None
    generator: str | None = None
    generator_error: str | None = None


class LawInfo(BaseModel):
    model_config = ConfigDict(**examples(LAW_INFO, LAW_INFO_IN_FORCE))  # type: ignore[typeddict-item]

    law: str
    law_id: str
    kind: str
    effective: str | None
    pending: bool = Field(description="the version that applies on as_of is not yet in force (시행 예정)")
    status: str = Field(description="standing on as_of: 시행, 시행 예정 (agrees with `pending`), 폐지")
    source_status: str = Field(default="", description="the file's raw 상태 (legalize-kr writes 시행 for a "
                                                         "version not yet in force)")
    note: str = Field(default="", description="the 시행 예정 note of a pending version, once per statute version")
    url: str


class LawsResponse(BaseModel):
    model_config = ConfigDict(**examples(LAWS_RESPONSE))  # type: ignore[typeddict-item]

    schema_version: int = SCHEMA_VERSION
    as_of: str
    laws: list[LawInfo]


class ArticleResponse(BaseModel):
    model_config = ConfigDict(**examples(ARTICLE_RESPONSE))  # type: ignore[typeddict-item]

    schema_version: int = SCHEMA_VERSION
    as_of: str
    article: Hit


class ReloadResponse(BaseModel):
    model_config = ConfigDict(**examples(RELOAD_RESPONSE))  # type: ignore[typeddict-item]

    schema_version: int = SCHEMA_VERSION
    status: Literal["reloaded", "failed"]
    build_id: str | None = Field(description="the build now serving")
    previous_build_id: str | None = None
    reason: str | None = None
