"""Generator configuration and the Generator protocol (the factory is app.generation.factory).

Three backends answer the same protocol:
- `extractive` (default, offline): no model; quotes the retrieved articles, labelled as such.
- `hf`: the SFT model in-process through transformers (GPU: bf16; CPU: float32; optional 4-bit).
- `openai`: the same model behind an OpenAI-compatible *completions* endpoint (vLLM replicas behind one URL).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field, field_validator

from app.generation.prompt import Prompt

DEFAULT_MODEL_ID = "SEOKDONG/openchat3.5_korean_v1.0_sft"
# OpenChat 3.5 (the SFT model's base, a Mistral 7B) was trained with an 8192-token window: used when the model's
# own config cannot be read, and the most a window read from a config or server may be. Mistral configs say
# max_position_embeddings 32768 and vLLM reports that as max_model_len; text past 8192 tokens is outside what
# the model was trained on (docs/prompt.md, "Fitting the window"). An explicit LEGAL_RAG_CONTEXT_WINDOW wins.
DEFAULT_CONTEXT_WINDOW = 8192

Backend = Literal["extractive", "hf", "openai"]


class GenerationError(RuntimeError):
    """The backend failed to produce an answer (model load, server error after retries, bad response)."""


class GeneratorConfig(BaseModel):
    """How to answer. app.settings.GeneratorSettings reads it from LEGAL_RAG_* variables (see docs/prompt.md)."""

    backend: Backend = "extractive"
    model: str = Field(DEFAULT_MODEL_ID, description="hub id or local directory of the model")
    device: str = Field("auto", description="auto | cpu | cuda | cuda:N")
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "auto"
    load_in_4bit: bool = False
    max_new_tokens: int = Field(512, ge=1, le=8192)
    # Sampling from the model card. temperature 0 means greedy decoding (reproducible; used by tests).
    temperature: float = Field(0.5, ge=0.0, le=2.0)
    repetition_penalty: float = Field(1.15, ge=1.0, le=2.0)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    seed: int | None = None
    context_window: int | None = Field(
        None, ge=64, description="tokens of prompt + answer; None: from the model config, else 8192"
    )
    trust_remote_code: bool = False
    # OpenAI-compatible completions server (vLLM: `vllm serve <model>`; base_url like http://host:8000/v1).
    openai_base_url: str = "http://127.0.0.1:8000/v1"
    openai_model: str | None = Field(None, description="served model name; None: same as `model`")
    openai_api_key: str | None = None
    openai_timeout: float = Field(120.0, gt=0)
    openai_retries: int = Field(3, ge=0, le=10)
    openai_backoff: float = Field(0.5, ge=0, description="first retry delay in seconds, doubled each retry")
    # vLLM accepts repetition_penalty as an extra sampling parameter; plain OpenAI servers may reject it.
    openai_send_repetition_penalty: bool = True
    tokenizer: str | None = Field(None, description="tokenizer id/path for counting prompt tokens (openai)")

    @field_validator("openai_base_url")
    @classmethod
    def _strip_slash(cls, v: str) -> str:
        return v.rstrip("/")

    @property
    def served_model(self) -> str:
        return self.openai_model or self.model


@runtime_checkable
class Generator(Protocol):
    """What the answer chain needs from a backend.

    `generate` returns the continuation only (never the prompt), already cut at a stop marker;
    `stream` yields the same text in pieces. `count_tokens` and `context_window` let the caller fit the
    prompt (see app.generation.prompt.build_prompt); `max_new_tokens` is the room kept for the answer.
    """

    name: str
    max_new_tokens: int

    @property
    def context_window(self) -> int: ...

    def count_tokens(self, text: str) -> int: ...

    def generate(self, prompt: Prompt) -> str: ...

    def stream(self, prompt: Prompt) -> Iterator[str]: ...


def prompt_budget(generator: Generator) -> int:
    """Tokens left for the prompt once the answer's room is reserved."""
    return max(generator.context_window - generator.max_new_tokens, 0)
