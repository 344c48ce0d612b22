"""`make_generator`: the configured backend.

Kept apart from app.generation.base so that the backends can import the shared types from base while base
imports none of them (no import cycle); the backends themselves are imported lazily here, so `extractive`
starts without torch or httpx.
"""

from __future__ import annotations

from app.generation.base import Generator, GeneratorConfig


def make_generator(config: GeneratorConfig) -> Generator:
    """The configured backend. Model backends import torch/httpx lazily so `extractive` starts fast."""
    if config.backend == "extractive":
        from app.generation.extractive import ExtractiveGenerator

        return ExtractiveGenerator()
    if config.backend == "hf":
        from app.generation.hf_backend import HFGenerator

        return HFGenerator(config)
    if config.backend == "openai":
        from app.generation.openai_backend import OpenAIGenerator

        return OpenAIGenerator(config)
    raise ValueError(f"unknown generator backend / 알 수 없는 생성기: {config.backend!r}")
