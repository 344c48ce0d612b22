"""Answer generation: prompt building, generator backends (extractive, hf, openai), post-processing and the
LangChain answer chain. Model backends are imported lazily by `make_generator`."""

from app.generation.base import (
    DEFAULT_MODEL_ID,
    GenerationError,
    Generator,
    GeneratorConfig,
    prompt_budget,
)
from app.generation.factory import make_generator
from app.generation.prompt import Prompt, PromptBudgetError, build_prompt

__all__ = [
    "DEFAULT_MODEL_ID",
    "GenerationError",
    "Generator",
    "GeneratorConfig",
    "Prompt",
    "PromptBudgetError",
    "build_prompt",
    "make_generator",
    "prompt_budget",
]
