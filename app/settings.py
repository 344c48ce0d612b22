"""Settings read from LEGAL_RAG_* environment variables, with pydantic-settings.

`Settings` holds the service's own options. Generator options (backend, model, device, sampling,
OpenAI-compatible server) are the fields of app.generation.GeneratorConfig; `GeneratorSettings` reads them
from LEGAL_RAG_GENERATOR, LEGAL_RAG_MODEL, LEGAL_RAG_OPENAI_BASE_URL, … (the field name in upper case, an
empty variable counts as unset), and `Settings.generator` / `generator_options` override them.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.generation.base import Backend, GeneratorConfig


class NetworkNotAllowedError(ValueError):
    """The generator configuration would call a non-loopback host while allow_network is false."""


def _is_loopback(host: str) -> bool:
    if host in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class GeneratorSettings(BaseSettings, GeneratorConfig):
    """GeneratorConfig from the environment: LEGAL_RAG_<FIELD> (LEGAL_RAG_GENERATOR for the backend); keyword
    arguments override the environment."""

    model_config = SettingsConfigDict(env_prefix="LEGAL_RAG_", env_ignore_empty=True, extra="ignore",
                                      populate_by_name=True)

    backend: Backend = Field("extractive", validation_alias=AliasChoices("LEGAL_RAG_GENERATOR", "backend"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEGAL_RAG_", extra="ignore", populate_by_name=True)

    index_dir: Path = Field(default=Path("index/default"),
                            validation_alias=AliasChoices("LEGAL_RAG_INDEX_DIR", "LEGAL_RAG_INDEX", "index_dir"),
                            description="published index (a link to a verified build)")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_question_chars: int = Field(default=2000, ge=1, le=2000, description="the API schema caps questions at 2000")
    max_top_k: int = Field(default=50, ge=1, le=50)
    default_top_k: int = Field(default=8, ge=1, le=50)
    generation_concurrency: int = Field(default=1, ge=1, le=64, description="answers generated at the same time")
    generation_queue: int = Field(default=8, ge=0, le=10_000, description="answers waiting beyond those; more -> 503")
    # Each worker thread holds its own tokenizer model (legal_rag.tokenizer: ~400 MB, seconds to load).
    search_threads: int = Field(default=1, ge=1, le=64, description="worker threads for search and article lookups")
    retry_after_s: int = Field(default=5, ge=1, description="Retry-After sent with an overload 503")
    request_timeout_s: float = Field(default=120.0, gt=0, description="per request (search, answer, stream)")
    # Random per process when unset: forms rendered before a restart then fail CSRF once, which is harmless.
    csrf_secret: str = Field(default_factory=lambda: secrets.token_urlsafe(32), min_length=16, repr=False)
    cookie_secure: bool | None = Field(default=None, description="Secure CSRF cookie; None: only on https requests")
    admin_token: str | None = Field(default=None, repr=False,
                                    description="bearer token for /api/admin/* (every client, loopback too); "
                                                "unset: admin routes off, reload with SIGHUP")
    allow_network: bool = Field(default=False,
                                description="false: no network calls at query time (model hub, remote generator) "
                                            "unless configured to a loopback server")
    generator: str | None = Field(default=None,
                                  description="extractive | hf | openai (same variable as GeneratorConfig)")
    generator_options: dict[str, Any] = Field(default_factory=dict,
                                              description="GeneratorConfig overrides (JSON in the environment)")
    verify_index: bool = Field(default=True, description="check every artifact's checksum before serving")
    warmup: bool = Field(default=True,
                         description="load the tokenizer on every worker thread before /readyz says ready")
    log_json: bool = True
    log_level: str = "INFO"

    @field_validator("index_dir")
    @classmethod
    def _expand(cls, v: Path) -> Path:
        return Path(os.path.expanduser(str(v)))

    def generator_config(self) -> GeneratorConfig:
        """GeneratorConfig from LEGAL_RAG_* generator variables plus this object's overrides."""
        overrides: dict[str, Any] = dict(self.generator_options)
        if self.generator:
            overrides["backend"] = self.generator
        return GeneratorSettings(**overrides)

    def check_network(self, config: Any) -> None:
        """Refuse a generator that would reach beyond this machine unless allow_network is set."""
        if self.allow_network:
            return
        if getattr(config, "backend", "") == "openai":
            host = urlsplit(config.openai_base_url).hostname or ""
            if not _is_loopback(host):
                raise NetworkNotAllowedError(
                    f"generator server {config.openai_base_url} is not on this machine and LEGAL_RAG_ALLOW_NETWORK "
                    "is false / 외부 네트워크 호출이 허용되지 않았습니다 (LEGAL_RAG_ALLOW_NETWORK=true)")

    def offline_environment(self) -> dict[str, str]:
        """Variables that keep Hugging Face libraries from calling the hub when the network is not allowed."""
        if self.allow_network:
            return {}
        return {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
