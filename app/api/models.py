"""Response models of the ops and laws routes (the answer and search models are app.schemas; errors are
app.errors.ErrorResponse)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from app.schemas import SCHEMA_VERSION, Hit


class HealthResponse(BaseModel):
    status: Literal["ok"] = "ok"


class ReadyResponse(BaseModel):
    schema_version: int = SCHEMA_VERSION
    status: Literal["ready", "loading", "failed"]
    reason: str | None = None
    index: dict[str, Any] | None = None
    generator: str | None = None
    generator_error: str | None = None


class LawInfo(BaseModel):
    law: str
    law_id: str
    kind: str
    effective: str | None
    pending: bool
    status: str
    url: str


class LawsResponse(BaseModel):
    schema_version: int = SCHEMA_VERSION
    as_of: str
    laws: list[LawInfo]


class ArticleResponse(BaseModel):
    schema_version: int = SCHEMA_VERSION
    as_of: str
    article: Hit


class ReloadResponse(BaseModel):
    schema_version: int = SCHEMA_VERSION
    status: Literal["reloaded", "failed"]
    build_id: str | None = Field(description="the build now serving")
    previous_build_id: str | None = None
    reason: str | None = None
