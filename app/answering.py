"""Question -> engine.search -> prompt -> generator -> cleaned answer -> checked citations -> AskResponse.

The chain itself (prompt building, generation, answer clean-up, citation checking) is app.generation's;
this module binds it to a loaded Engine and shapes the service response:
- every answer citation carries its article (title, text, link, 시행일자) when the article exists, so a
  `not_in_context` citation can be read too; a `not_found` one has none and is never shown as a source;
- citations in the question that did not resolve (e.g. `민법 제9999조`) are reported as `not_found`;
- when a model backend fails, the extractive generator answers instead, and the response says so;
- before any generation, the answer's basis is chosen (governing articles, then related ones, each with why:
  app.generation.extractive.choose_basis) and the question's fit is scored (app.relevance); a question in
  another language, or one no article fits (relevance under the threshold and no article cited), is answered
  with a notice saying so and how to ask -- never with a model's guess or a list of unrelated articles.
"""

from __future__ import annotations

import difflib
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.generation.base import GenerationError, Generator
from app.generation.cancel import cancel_scope
from app.generation.chain import AnswerResult, answer_question_full, stream_answer
from app.generation.extractive import HOW_TO_ASK, ExtractiveGenerator, choose_basis
from app.generation.postprocess import CitationChecker
from app.generation.prompt import PromptBudgetError, pending_notes
from app.precedent_answers import answer_precedents
from app.relevance import DEFAULT_THRESHOLD, CorpusIdf, language_notice, relevance
from app.schemas import AnswerBasis, AskResponse, Citation, SearchResponse
from legal_rag.articles import law_key
from legal_rag.search.engine import Engine

log = logging.getLogger(__name__)

__all__ = ["Answerer", "PromptBudgetError", "StreamCancelled"]


class StreamCancelled(RuntimeError):
    """The consumer of a stream went away (client disconnect or timeout)."""


def _citation_key(c: Citation) -> tuple[str | None, str | None]:
    return (c.law, c.article)


NO_FIT = "질문에 맞는 근거 조문을 이 코퍼스에서 찾지 못했습니다."


def did_you_mean(c: Citation) -> str | None:
    """A close spelling of an unknown law name (`근로기준볍` -> 근로기준법), None when no suggestion is close."""
    raw = c.raw
    name = raw[raw.find("「") + 1 : raw.find("」")] if "「" in raw and "」" in raw else raw.split("제")[0]
    key = law_key(name)
    if not key or not c.suggestions:
        return None
    best = max(c.suggestions, key=lambda s: difflib.SequenceMatcher(None, key, law_key(s)).ratio())
    close = difflib.SequenceMatcher(None, key, law_key(best)).ratio() >= 0.75
    return best if close and law_key(best) != key else None


@dataclass
class Fit:
    """What the answer rests on, decided before any generation."""

    found: bool
    notice: str = ""
    relevance: float | None = None
    basis: list[AnswerBasis] = field(default_factory=list)


def _within(cancel: threading.Event, pieces: Iterator[Any]) -> Iterator[Any]:
    """`pieces`, each pulled inside the request's cancel scope (the model generates while they are pulled)."""
    while True:
        with cancel_scope(cancel):
            try:
                piece = next(pieces)
            except StopIteration:
                return
        yield piece


class Answerer:
    """Answers questions against whichever Engine it is handed (the service swaps engines on reload)."""

    def __init__(self, generator: Generator, fallback: Generator | None = None,
                 threshold: float = DEFAULT_THRESHOLD) -> None:
        self.generator = generator
        self.threshold = threshold
        self.fallback = fallback if fallback is not None else (
            None if generator.name == "extractive" else ExtractiveGenerator())

    @property
    def name(self) -> str:
        return self.generator.name

    # ------------------------------------------------------------------------------------------ parts

    @staticmethod
    def search(engine: Engine, question: str, top_k: int, as_of: date, laws: Sequence[str]) -> SearchResponse:
        return engine.search(question, top_k=top_k, as_of=as_of, laws=laws)

    @staticmethod
    def checker(engine: Engine, as_of: date, laws: Sequence[str]) -> CitationChecker:
        titles = engine.resolve_law_filter(laws)
        return CitationChecker(engine.catalog, engine.bundle.store, as_of,
                               default_law=titles[0] if len(titles) == 1 else None)

    @staticmethod
    def complete_citations(engine: Engine, answer_citations: list[Citation], search: SearchResponse,
                           as_of: date) -> list[Citation]:
        """Attach the article to citations that exist but were not in the context; add the question's
        unresolved citations (status not_found) so that a wrong article number is reported, not ignored."""
        missing = [c.doc_id for c in answer_citations if c.hit is None and c.doc_id and c.status != "not_found"]
        if missing:
            articles = engine.bundle.store.articles(missing)
            chosen = engine.retriever.versions(as_of)
            for c in answer_citations:
                a = articles.get(c.doc_id or "") if c.hit is None else None
                if a is not None:
                    c.hit = engine.retriever.make_hit(a, 0.0, 0, chosen, "citation")
        out = list(answer_citations)
        seen = {_citation_key(c) for c in out}
        for qc in search.citations:
            if qc.status == "not_found" and _citation_key(qc) not in seen:
                seen.add(_citation_key(qc))
                out.append(qc.model_copy(update={"hit": None}))
        return out

    def fit(self, engine: Engine, question: str, search: SearchResponse) -> Fit:
        """Whether the corpus answers this question, and with which articles (see the module docstring)."""
        cited = any(h.source == "citation" for h in search.hits)
        notice = language_notice(question)
        if notice and not cited:  # an article cited in the question is answered whatever the words around it
            return Fit(False, notice)
        basis = choose_basis(question, search.hits)
        score = round(relevance(question, search.hits, CorpusIdf(engine.bundle.bm25)), 4)
        governing = any(b.role == "governing" for b in basis)
        if cited or (governing and score >= self.threshold):
            return Fit(True, "", score, basis)
        lines = [NO_FIT]
        for c in search.citations:
            if c.status == "not_found":
                guess = did_you_mean(c)
                lines.append(f"{c.raw}: {c.message.split(' / ')[0]}" + (f" 혹시 「{guess}」을(를) 찾으셨나요?" if guess else ""))
        lines.append(HOW_TO_ASK)
        return Fit(False, "\n".join(lines), score)

    def _no_fit_response(self, engine: Engine, question: str, as_of: date, search: SearchResponse, fit: Fit,
                         timings: dict[str, float]) -> AskResponse:
        citations = self.complete_citations(engine, [], search, as_of)  # the question's unknown citations
        _decisions, case_citations, _related = answer_precedents(engine, question, "", [])  # typed case numbers
        return AskResponse(question=question, as_of=as_of.isoformat(), answer=fit.notice, generator="none",
                           citations=citations, hits=search.hits, found=False, notice=fit.notice, basis=[],
                           relevance=fit.relevance, timings_ms={k: round(v, 2) for k, v in timings.items()},
                           case_citations=case_citations)

    def _response(self, engine: Engine, question: str, as_of: date, search: SearchResponse, result: AnswerResult,
                  generator_name: str, timings: dict[str, float], fit: Fit | None = None) -> AskResponse:
        t = time.perf_counter()
        citations = self.complete_citations(engine, result.citations, search, as_of)
        timings["citations_ms"] = timings.get("citations_ms", 0.0) + (time.perf_counter() - t) * 1000
        basis = fit.basis if fit is not None else []
        t = time.perf_counter()
        decisions, case_citations, related = answer_precedents(
            engine, question, result.answer, list(search.hits) + [c.hit for c in citations if c.hit is not None])
        timings["precedents_ms"] = (time.perf_counter() - t) * 1000
        return AskResponse(question=question, as_of=as_of.isoformat(), answer=result.answer,
                           generator=generator_name, citations=citations, hits=search.hits,
                           found=True, basis=basis, relevance=fit.relevance if fit is not None else None,
                           notes=pending_notes([b.hit for b in basis] or search.hits),
                           timings_ms={k: round(v, 2) for k, v in timings.items()}, decisions=decisions,
                           case_citations=case_citations, related_precedents=related)

    # ------------------------------------------------------------------------------------------ API

    def ask(self, engine: Engine, question: str, top_k: int, as_of: date, laws: Sequence[str] = (),
            cancel: threading.Event | None = None) -> AskResponse:
        """The whole answer at once. A model's generation stops when `cancel` is set (request timed out,
        client gone): app.generation.cancel."""
        with cancel_scope(cancel):
            return self._ask(engine, question, top_k, as_of, laws)

    def _ask(self, engine: Engine, question: str, top_k: int, as_of: date, laws: Sequence[str]) -> AskResponse:
        t0 = time.perf_counter()
        search = self.search(engine, question, top_k, as_of, laws)
        timings: dict[str, float] = {"search_ms": (time.perf_counter() - t0) * 1000}
        fit = self.fit(engine, question, search)
        if not fit.found:
            return self._no_fit_response(engine, question, as_of, search, fit, timings)
        checker = self.checker(engine, as_of, laws)
        t1 = time.perf_counter()
        name = self.generator.name
        try:
            result = answer_question_full(question, search.hits, self.generator, checker)
        except PromptBudgetError:
            raise
        except Exception as exc:  # a model backend failed: answer from the articles instead, and say so
            if self.fallback is None:
                raise
            log.warning("generator %s failed (%s); extractive fallback", name, exc, exc_info=True)
            result = answer_question_full(question, search.hits, self.fallback, checker)
            name = f"{self.fallback.name} (fallback: {name} failed)"
        timings["generation_ms"] = (time.perf_counter() - t1) * 1000
        response = self._response(engine, question, as_of, search, result, name, timings, fit)
        response.timings_ms["total_ms"] = round((time.perf_counter() - t0) * 1000, 2)
        return response

    def stream(self, engine: Engine, question: str, top_k: int, as_of: date, laws: Sequence[str] = (),
               cancel: threading.Event | None = None) -> Iterator[str | AskResponse]:
        """Answer text pieces as generated, then one AskResponse. Stops pulling from the model when `cancel`
        is set (the generator is closed, which ends a model's generation early)."""
        cancel = cancel or threading.Event()
        t0 = time.perf_counter()
        search = self.search(engine, question, top_k, as_of, laws)
        timings: dict[str, float] = {"search_ms": (time.perf_counter() - t0) * 1000}
        fit = self.fit(engine, question, search)
        if not fit.found:
            yield fit.notice
            yield self._no_fit_response(engine, question, as_of, search, fit, timings)
            return
        checker = self.checker(engine, as_of, laws)
        t1 = time.perf_counter()
        generators: list[tuple[Generator, str]] = [(self.generator, self.generator.name)]
        if self.fallback is not None:
            generators.append((self.fallback, f"{self.fallback.name} (fallback: {self.generator.name} failed)"))
        for i, (gen, name) in enumerate(generators):
            emitted = False
            pieces: Iterator[Any] = stream_answer(question, search.hits, gen, checker)
            try:
                for piece in _within(cancel, pieces):
                    if cancel.is_set():
                        raise StreamCancelled("stream cancelled / 스트림이 취소되었습니다")
                    if isinstance(piece, AnswerResult):
                        timings["generation_ms"] = (time.perf_counter() - t1) * 1000
                        response = self._response(engine, question, as_of, search, piece, name, timings, fit)
                        response.timings_ms["total_ms"] = round((time.perf_counter() - t0) * 1000, 2)
                        yield response
                        return
                    emitted = True
                    yield piece
            except (PromptBudgetError, StreamCancelled):
                raise
            except Exception as exc:
                # Fall back only when nothing was shown yet: a half-streamed answer cannot be replaced.
                if emitted or i == len(generators) - 1:
                    raise
                log.warning("generator %s failed (%s); extractive fallback", name, exc, exc_info=True)
            finally:
                close = getattr(pieces, "close", None)
                if close:
                    close()
        raise GenerationError("the answer stream ended without a result / 답변 생성이 끝나지 않았습니다")
