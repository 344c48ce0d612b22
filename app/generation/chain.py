"""The answer chain in LangChain terms: prompt builder | generator LLM | answer parser.

    RunnableLambda(build prompt) | RunnableLambda(bind the Prompt to GeneratorLLM) | RunnableLambda(clean_answer)

LangChain's LLM interface passes only the prompt string to `_call`; the structured Prompt (question, hits)
travels as a bound keyword argument so the extractive generator, which needs the hits, fits the same chain.
Citations are checked after the chain, against the hits that were actually in the prompt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.llms import LLM
from langchain_core.outputs import GenerationChunk
from langchain_core.prompt_values import StringPromptValue
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import ConfigDict

from app.generation.base import Generator, prompt_budget
from app.generation.postprocess import (
    CitationResolver,
    LeadingTrim,
    ResolvedLike,
    check_citations,
    clean_answer,
)
from app.generation.prompt import Prompt, build_prompt
from app.schemas import Citation, Hit

Checker = CitationResolver | Callable[[str], Sequence[ResolvedLike]]


class GeneratorLLM(LLM):
    """A LangChain LLM over any Generator (extractive, hf, openai)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    generator: Any

    @property
    def _llm_type(self) -> str:
        return f"legal-rag-{self.generator.name}"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"generator": self.generator.name}

    @staticmethod
    def _prompt(text: str, kwargs: dict[str, Any]) -> Prompt:
        p = kwargs.get("legal_prompt")
        return p if isinstance(p, Prompt) and p.text == text else Prompt.from_text(text)

    def _call(self, prompt: str, stop: list[str] | None = None,
              run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> str:
        return self.generator.generate(self._prompt(prompt, kwargs))

    def _stream(self, prompt: str, stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[GenerationChunk]:
        for piece in self.generator.stream(self._prompt(prompt, kwargs)):
            chunk = GenerationChunk(text=piece)
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk


class LegalPromptValue(StringPromptValue):
    """The rendered prompt as a LangChain PromptValue, carrying the structured Prompt along."""

    prompt: Any = None


@dataclass
class AnswerResult:
    answer: str
    citations: list[Citation]
    prompt: Prompt
    generator: str
    raw: str = ""  # the generator's output before clean_answer


def make_prompt(question: str, hits: Sequence[Hit], generator: Generator) -> Prompt:
    return build_prompt(question, list(hits), generator.count_tokens, prompt_budget(generator))


class AnswerChain:
    """One question's chain over fixed hits: `build | llm | parse` (`generation` = `build | llm`, streamable).

    Built per request (cheap): the Prompt the builder made is kept on the instance so that citations are
    checked against the articles that were actually in the prompt, not the ones dropped for lack of room.
    """

    def __init__(self, hits: Sequence[Hit], generator: Generator) -> None:
        self.hits = list(hits)
        self.generator = generator
        self.prompt: Prompt | None = None
        self.raw = ""
        self.llm = GeneratorLLM(generator=generator)
        self.build: Runnable[str, LegalPromptValue] = RunnableLambda(self._build, name="build_prompt")
        self.bind: Runnable[LegalPromptValue, str] = RunnableLambda(self._bind, name="generate")
        self.parse: Runnable[str, str] = RunnableLambda(self._parse, name="clean_answer")
        self.generation = self.build | self.bind
        self.chain = self.generation | self.parse

    def _build(self, question: str) -> LegalPromptValue:
        self.prompt = make_prompt(question, self.hits, self.generator)
        return LegalPromptValue(text=self.prompt.text, prompt=self.prompt)

    def _bind(self, pv: LegalPromptValue) -> Runnable:
        # A Runnable returned by a RunnableLambda is invoked (or streamed) by LangChain with `pv` as input.
        return self.llm.bind(legal_prompt=pv.prompt)

    def _parse(self, raw: str) -> str:
        self.raw = raw
        return clean_answer(raw, self.prompt.text if self.prompt else "")


def _citations(answer: str, prompt: Prompt, checker: Checker | None) -> list[Citation]:
    return check_citations(answer, prompt.hits, checker) if checker is not None else []


def answer_question_full(question: str, hits: Sequence[Hit], generator: Generator,
                         checker: Checker | None = None) -> AnswerResult:
    ac = AnswerChain(hits, generator)
    answer = ac.chain.invoke(question)
    assert ac.prompt is not None
    return AnswerResult(answer, _citations(answer, ac.prompt, checker), ac.prompt, generator.name, ac.raw)


def answer_question(question: str, hits: Sequence[Hit], generator: Generator,
                    checker: Checker | None = None) -> tuple[str, list[Citation]]:
    """(answer text, citations checked against the corpus and the hits in the prompt)."""
    r = answer_question_full(question, hits, generator, checker)
    return r.answer, r.citations


def stream_answer(question: str, hits: Sequence[Hit], generator: Generator,
                  checker: Checker | None = None) -> Iterator[str | AnswerResult]:
    """Yield answer text pieces as they are generated, then one AnswerResult (citations checked).

    The pieces joined equal `AnswerResult.answer` up to trailing whitespace.
    """
    ac = AnswerChain(hits, generator)
    pieces: list[str] = []
    lead = LeadingTrim()
    for chunk in ac.generation.stream(question):
        text = chunk if isinstance(chunk, str) else getattr(chunk, "text", str(chunk))
        pieces.append(text)
        out = lead.feed(text)
        if out:
            yield out
    rest = lead.flush()
    if rest:
        yield rest
    assert ac.prompt is not None
    raw = "".join(pieces)
    answer = ac.parse.invoke(raw)
    yield AnswerResult(answer, _citations(answer, ac.prompt, checker), ac.prompt, generator.name, raw)
