"""After generation: cut the raw continuation to the answer, and check every statute it cites.

Citation statuses in an answer (app.schemas.Citation.status):
- `verified`: the article exists and was among the retrieved context the model was given;
- `not_in_context`: the article exists in the corpus but was not retrieved (the model cited it from memory);
- `not_found`: no such law or article in the corpus.
A citation without a law name (`제49조제1항에 따른`, usually quoted from the article itself) is not checked,
nor one inside quoted statute text (`"… 「법인세법」 제24조제2항제1호에 따른 기부금"`): an article that a quoted
article mentions is not a source the answer cites (the page links it inline instead).

Case numbers (`대법원 2010. 12. 23. 선고 2008다75119 판결`) in the answer and in the question are checked beside
them (`check_case_citations`, statuses in legal_rag.precedents.verify): `verified`, `wrong_court_or_date`,
`not_in_context`, `not_found` (unverifiable, never shown as a source).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import Any, Protocol, runtime_checkable

from app.generation.prompt import ANSWER_MARKER, QUESTION_LABEL
from app.schemas import Citation, CitationStatus, Hit

# End-of-sequence texts of the Mistral/OpenChat family and of common servers, in case a backend returns
# special tokens as text.
EOS_TEXTS = ("</s>", "<|end_of_turn|>", "<|im_end|>", "<|endoftext|>", "<eos>")
# A new turn: the model starts writing the next question (or a second answer) of its training format.
TURN_TEXTS = (QUESTION_LABEL, "\n답변:")
STOP_TEXTS = TURN_TEXTS + EOS_TEXTS

_LEADING_MARKER_RE = re.compile(r"^\s*답변\s*:\s*")


class StopFilter:
    """Streaming-safe cut at the first stop text: what `feed` returns never needs to be taken back.

    Text that could be the start of a stop text (`질` of `질문:`) is held until the next piece decides.
    Feeding a whole text and then `flush()` gives the same result as feeding it in any pieces.
    """

    def __init__(self, stops: Sequence[str] = STOP_TEXTS) -> None:
        self.stops = tuple(s for s in stops if s)
        self.buffer = ""
        self.stopped = False

    def feed(self, piece: str) -> str:
        if self.stopped or not piece:
            return ""
        self.buffer += piece
        hits = [i for i in (self.buffer.find(s) for s in self.stops) if i >= 0]
        if hits:
            out, self.buffer, self.stopped = self.buffer[: min(hits)], "", True
            return out
        hold = 0
        for s in self.stops:
            for k in range(min(len(s) - 1, len(self.buffer)), hold, -1):
                if self.buffer.endswith(s[:k]):
                    hold = k
                    break
        out = self.buffer[: len(self.buffer) - hold]
        self.buffer = self.buffer[len(self.buffer) - hold :]
        return out

    def flush(self) -> str:
        out, self.buffer = ("" if self.stopped else self.buffer), ""
        return out


def cut_at_stop(text: str, stops: Sequence[str] = STOP_TEXTS) -> str:
    f = StopFilter(stops)
    return f.feed(text) + f.flush()


def filter_stream(pieces: Iterable[str], stops: Sequence[str] = STOP_TEXTS) -> Iterator[str]:
    """Yield pieces up to the first stop text, then stop pulling from `pieces` (ends generation early)."""
    f = StopFilter(stops)
    for piece in pieces:
        out = f.feed(piece)
        if out:
            yield out
        if f.stopped:
            return
    rest = f.flush()
    if rest:
        yield rest


class LeadingTrim:
    """Streaming form of the leading clean-up in clean_answer: spaces and a repeated `답변:` marker."""

    def __init__(self) -> None:
        self.buffer = ""
        self.marker_checked = False
        self.started = False

    def feed(self, piece: str) -> str:
        if self.started:
            return piece
        self.buffer += piece
        if not self.marker_checked:
            compact = re.sub(r"\s", "", self.buffer)
            # Undecided while the text so far could still become `답변:`.
            if len(compact) < 3 and "답변:".startswith(compact):
                return ""
            self.buffer = _LEADING_MARKER_RE.sub("", self.buffer, count=1)
            self.marker_checked = True
        self.buffer = self.buffer.lstrip()
        if not self.buffer:
            return ""
        self.started = True
        out, self.buffer = self.buffer, ""
        return out

    def flush(self) -> str:
        if self.started or self.marker_checked:
            return ""
        self.marker_checked = True
        out, self.buffer = _LEADING_MARKER_RE.sub("", self.buffer, count=1).strip(), ""
        self.started = bool(out)
        return out


def _strip_prefix_loose(text: str, prefix: str) -> str | None:
    """`text` minus `prefix` when they agree up to whitespace (decoders change spaces), else None."""
    i = j = 0
    while j < len(prefix):
        if prefix[j].isspace():
            j += 1
            continue
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text) or text[i] != prefix[j]:
            return None
        i += 1
        j += 1
    return text[i:]


def remove_echo(raw: str, prompt_text: str) -> str:
    """Drop the prompt when a backend returns it in front of the continuation."""
    if not prompt_text:
        return raw
    if raw.startswith(prompt_text):
        return raw[len(prompt_text) :]
    rest = _strip_prefix_loose(raw, prompt_text)
    if rest is not None:
        return rest
    # The tail of the prompt (`질문: … 답변:`) in the output: the echo was altered earlier on
    # (e.g. a decoder that drops characters); keep what follows its last occurrence.
    tail = prompt_text[prompt_text.rfind(QUESTION_LABEL) :] if QUESTION_LABEL in prompt_text else ""
    if tail and tail.endswith(ANSWER_MARKER) and tail in raw:
        return raw[raw.rfind(tail) + len(tail) :]
    return raw


def clean_answer(raw: str, prompt_text: str) -> str:
    """The answer alone: no prompt echo, nothing after EOS text or a new `질문:`/`답변:` turn, stripped."""
    text = remove_echo(raw, prompt_text)
    text = _LEADING_MARKER_RE.sub("", text, count=1)  # the model sometimes repeats the marker first
    return cut_at_stop(text).strip()


# --- citations ---------------------------------------------------------------------------------------


class ResolvedLike(Protocol):
    """The shape of legal_rag.citations.ResolvedCitation that this module reads (read-only attributes)."""

    @property
    def ref(self) -> Any: ...  # .raw, .law, .article (ArticleNumber | None), .detail, .former

    @property
    def status(self) -> str: ...  # found | law_not_found | article_not_found | law_missing

    @property
    def doc_id(self) -> str | None: ...

    @property
    def statute(self) -> Any: ...  # legal_rag.articles.Statute | None

    @property
    def pending(self) -> bool: ...

    @property
    def suggestions(self) -> Sequence[str]: ...

    @property
    def message(self) -> str: ...


@runtime_checkable
class CitationResolver(Protocol):
    def resolve(self, text: str) -> Sequence[ResolvedLike]: ...


class CitationChecker:
    """Resolves the citations of a text against the corpus (legal_rag.citations) on one as-of date."""

    def __init__(self, catalog: Any, store: Any, as_of: date, default_law: str | None = None) -> None:
        self.catalog = catalog
        self.store = store
        self.as_of = as_of
        self.default_law = default_law

    @classmethod
    def from_store(cls, store: Any, as_of: date, default_law: str | None = None) -> CitationChecker:
        from legal_rag.citations import LawCatalog

        return cls(LawCatalog.from_store(store), store, as_of, default_law)

    def resolve(self, text: str) -> Sequence[ResolvedLike]:
        from legal_rag.citations import resolve_citations  # imported late: the resolver is a sibling module

        return resolve_citations(text, self.catalog, self.store, self.as_of, default_law=self.default_law)


MSG_VERIFIED = "검색된 근거 조문과 일치합니다 / matches a retrieved article"
MSG_NOT_IN_CONTEXT = (
    "코퍼스에 있는 조문이지만 답변의 근거로 검색된 조문이 아닙니다 / "
    "exists in the corpus but was not among the retrieved articles"
)
MSG_NOT_FOUND = "코퍼스에서 해당 법령 또는 조문을 찾을 수 없습니다 / no such law or article in the corpus"


def _label(article: Any) -> str | None:
    if article is None:
        return None
    return getattr(article, "label", None) or str(article)


def citations_from_resolved(resolved: Iterable[ResolvedLike], context_hits: Sequence[Hit]) -> list[Citation]:
    """Map resolver results to answer citations, one per distinct (law, article, 항/호), in text order."""
    by_doc = {h.doc_id: h for h in context_hits}
    by_key = {(h.law_id, h.article): h for h in context_hits}
    laws_in_context = {h.law_id for h in context_hits}
    out: list[Citation] = []
    seen: set[tuple[str | None, str | None, str]] = set()
    for rc in resolved:
        if rc.status == "law_missing":  # bare 제N조: a reference inside quoted text, not a source claim
            continue
        ref = rc.ref
        article = _label(getattr(ref, "article", None))
        detail = getattr(ref, "detail", "") or ""
        statute = rc.statute
        law = statute.title if statute is not None else None
        hit: Hit | None = None
        status: CitationStatus
        if rc.status == "found":
            hit = by_doc.get(rc.doc_id or "")
            if hit is None and statute is not None and article is not None:
                hit = by_key.get((statute.law_id, article))  # same article, another version's doc_id
            in_context = hit is not None or (article is None and statute is not None
                                             and statute.law_id in laws_in_context)
            status = "verified" if in_context else "not_in_context"
            message = MSG_VERIFIED if in_context else MSG_NOT_IN_CONTEXT
            if (getattr(rc, "pending", False) or getattr(ref, "former", False)) and rc.message:
                message += f" — {rc.message}"  # the resolver's 시행 예정 / 구법 note
        else:
            status = "not_found"
            message = rc.message or MSG_NOT_FOUND
        key = (law or getattr(ref, "law", None), article, detail)
        if key in seen:
            continue
        seen.add(key)
        out.append(
            Citation(
                raw=getattr(ref, "raw", ""), law=law, article=article, detail=detail, status=status,
                doc_id=rc.doc_id if rc.status == "found" else None, message=message,
                suggestions=list(getattr(rc, "suggestions", []) or []), hit=hit,
            )
        )
    return out


# Quoted statute text: a quotation of 20+ characters ("…" or “…”, one line). Short quotes stay checked: a
# model may write `"근로기준법" 제23조`.
_QUOTATION_RE = re.compile(r'"[^"\n]{20,}"|“[^”\n]{20,}”')


def mask_quotations(text: str) -> str:
    """`text` with the inside of every long quotation blanked (same length, so offsets stay valid)."""
    return _QUOTATION_RE.sub(lambda m: m.group(0)[0] + " " * (len(m.group(0)) - 2) + m.group(0)[-1], text)


def check_citations(
    answer: str,
    context_hits: Sequence[Hit],
    checker: CitationResolver | Callable[[str], Sequence[ResolvedLike]],
) -> list[Citation]:
    """Every 「법령명」 제N조 in `answer` outside quoted statute text, checked against the corpus and against the
    context hits."""
    resolve = checker.resolve if isinstance(checker, CitationResolver) else checker
    return citations_from_resolved(resolve(mask_quotations(answer)), context_hits)


def check_case_citations(answer: str, question: str, precedents: Any, context: Iterable[str] | None) -> list[Any]:
    """Every case number in the answer, then in the question, checked against the ingested decisions
    (`precedents`: a legal_rag.precedents.search.PrecedentIndex, or None when the index has none, so every
    number is not_found) and the decisions the answer was given (`context`: canonical case numbers)."""
    from legal_rag.precedents.verify import check_case_numbers

    ctx = set(context) if context is not None else None
    out = []
    seen: set[tuple[str, str | None, str | None]] = set()
    for text in (answer, question):
        for c in check_case_numbers(text, precedents, ctx):
            key = (c.case_number, c.court, c.decided)
            if key not in seen:
                seen.add(key)
                out.append(c)
    return out
