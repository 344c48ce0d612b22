"""`legal-rag search`: ranked articles for a query (explicit citations first), human-readable or JSON.

Exit codes: 0 ok, 1 unknown law in --law (with suggestions), 2 usage, 3 index missing or failed verification.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from app.api.fields import AsOf, LawFilters, Question, TopK
from app.schemas import SCHEMA_VERSION, Citation, Hit
from legal_rag.versions import today_kst

if TYPE_CHECKING:
    from app.settings import Settings

EXIT_INDEX = 3
EXIT_USAGE = 2
INGEST_HINT = "run `legal-rag ingest` first / 먼저 `legal-rag ingest`로 색인을 만드십시오"
M = TypeVar("M", bound=BaseModel)


# ---------------------------------------------------------------------------------------------- argument checks


class QueryArguments(BaseModel):
    """The query arguments of `search` and `ask`, checked by the request fields of the API (app.api.fields) and
    nowhere else: the question stripped, not blank, within settings.max_question_chars; top_k within
    settings.max_top_k; as_of a real YYYY-MM-DD day (absent: today); blank --law entries dropped. The fields are
    named as AskRequest's, so a refusal reads as the API's (app.errors.validation_message words each one)."""

    question: Question
    top_k: TopK
    as_of: AsOf = Field(default_factory=today_kst)
    laws: LawFilters = Field(default_factory=list)


def check_arguments(model: type[M], data: dict[str, Any], settings: Any) -> M | None:
    """`data` (argument strings as typed) validated as `model` with the configured limits of `settings`; None
    when a check fails, after printing the API's bilingual message for it (the caller exits EXIT_USAGE).

    The checks run here rather than as argparse `type=` functions because the limits are the settings' (the
    environment's), and because argparse would print its own usage text around the message."""
    try:
        return model.model_validate(data, context={"settings": settings})
    except ValidationError as exc:
        from app.errors import validation_message  # the service's error module: FastAPI, only when needed

        print(validation_message(exc.errors(), settings), file=sys.stderr)
        return None


def load_settings(**overrides: Any) -> Settings | None:
    """app.settings.Settings from the LEGAL_RAG_* environment (and `overrides`); None when a value is invalid,
    after saying which (the caller exits EXIT_USAGE; the limits of the checks above come from here)."""
    from app.settings import Settings  # at run time only: it imports the generation package

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        print(f"잘못된 LEGAL_RAG_* 설정입니다 / invalid LEGAL_RAG_* setting: {problems}", file=sys.stderr)
        return None


def default_index() -> Path:
    from app.settings import Settings

    return Settings().index_dir


def add_common(p: argparse.ArgumentParser, top_k: int) -> None:
    p.add_argument("--index", type=Path, default=None, help="index directory (default $LEGAL_RAG_INDEX_DIR or "
                                                             "index/default)")
    p.add_argument("--json", action="store_true", help="machine-readable output (includes schema_version)")
    # --top-k and --as-of stay strings here: QueryArguments checks them (see check_arguments).
    p.add_argument("--top-k", default=top_k, metavar="N",
                   help=f"articles to return, 1..$LEGAL_RAG_MAX_TOP_K (at most 50; default {top_k})")
    p.add_argument("--as-of", default=None, metavar="YYYY-MM-DD",
                   help="date the versions must be in force (default today)")
    p.add_argument("--law", action="append", default=[], help="restrict to this law (repeatable)")


def check_query(args: argparse.Namespace, text: list[str], settings: Any) -> QueryArguments | None:
    """The query arguments of `search` and `ask` (`text`: the question's words), checked (see QueryArguments)."""
    return check_arguments(QueryArguments, {"question": " ".join(text), "top_k": args.top_k, "as_of": args.as_of,
                                            "laws": args.law}, settings)


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_common(p, 10)
    p.add_argument("--kind", choices=("statute", "precedent", "all"), default="statute",
                   help="search articles (default), court decisions (index built with --precedents), or both")
    p.add_argument("query", nargs="+", help="question or citations, e.g. 민법 제54조")


def load_engine(index: Path | None) -> tuple[Any, int]:
    """(engine, 0), or (None, 3) with the reason printed when the index is missing or fails verification."""
    from legal_rag.index_format import IndexIntegrityError
    from legal_rag.search.engine import Engine

    path = index or default_index()
    if not path.exists():
        print(f"index not found: {path} / 색인이 없습니다. {INGEST_HINT}", file=sys.stderr)
        return None, EXIT_INDEX
    try:
        return Engine(path, verify=True), 0
    except IndexIntegrityError as exc:
        print(f"index failed verification: {exc}. {INGEST_HINT}", file=sys.stderr)
        return None, EXIT_INDEX
    except (OSError, ValueError) as exc:
        print(f"index could not be read: {path}: {exc}. {INGEST_HINT}", file=sys.stderr)
        return None, EXIT_INDEX


def unknown_law_message(exc: Any) -> str:
    sugg = ", ".join(getattr(exc, "suggestions", []) or [])
    return (f"unknown law / 색인에 없는 법령: {exc.law}"
            + (f" — did you mean / 비슷한 법령: {sugg}" if sugg else ""))


def hit_lines(h: Hit, width: int = 100) -> list[str]:
    flags = []
    if h.pending:
        flags.append(h.note or f"시행 예정 {h.effective}")
    elif h.note:
        flags.append(h.note)  # the article's own 시행일 from the 부칙, or where to read it
    if h.deleted:
        flags.append("삭제")
    head = f"{h.rank:>2}. {h.header}  [{h.source}] score {h.score:.4f}  시행 {h.effective or '?'}"
    lines = [head] + [f"    ※ {f}" for f in flags]
    body = " ".join(h.text.split())
    lines += textwrap.wrap(body, width=width, initial_indent="    ", subsequent_indent="    ", max_lines=3,
                           placeholder=" …")
    lines.append(f"    {h.url}")
    return lines


def decision_hit_lines(d: Any, width: int = 100) -> list[str]:
    s = d.decision
    lines = [f"{d.rank:>2}. {s.court} {s.decided} 선고 {s.case_number} ({s.case_name})  score {d.score:.4f}"]
    for i in d.issues[:2]:
        lines += textwrap.wrap(f"{i.marker} {' '.join(i.holding.split())}", width=width, initial_indent="    ",
                               subsequent_indent="    ", max_lines=2, placeholder=" …")
    lines.append(f"    {s.url}")
    return lines


def citation_line(c: Citation) -> str:
    sugg = f" (비슷한 항목: {', '.join(c.suggestions)})" if c.suggestions else ""
    return f"  [{c.status}] {c.raw}: {c.message}{sugg}"


def run(args: argparse.Namespace) -> int:
    from legal_rag.search.engine import UnknownLawError

    settings = load_settings()
    if settings is None:
        return EXIT_USAGE
    checked = check_query(args, args.query, settings)
    if checked is None:
        return EXIT_USAGE
    query = checked.question
    engine, code = load_engine(args.index or settings.index_dir)
    if engine is None:
        return code
    kind = getattr(args, "kind", "statute")
    decisions: list[Any] = []
    try:
        if kind != "statute":
            from legal_rag.precedents.service import precedents_for, search_decisions

            if precedents_for(engine) is None:
                print("this index has no decisions: build it with --precedents DIR / 판례가 없는 색인입니다",
                      file=sys.stderr)
                return EXIT_INDEX
            decisions = search_decisions(engine, query, checked.top_k)
        resp = (engine.search(query, top_k=checked.top_k, as_of=checked.as_of, laws=checked.laws)
                if kind != "precedent" else None)
    except UnknownLawError as exc:
        print(unknown_law_message(exc), file=sys.stderr)
        return 1
    finally:
        engine.close()
    if args.json:
        data = resp.model_dump() if resp is not None else {"query": query}
        data["schema_version"] = SCHEMA_VERSION
        if kind != "statute":
            data["decisions"] = [d.model_dump() for d in decisions]
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    if kind != "statute":
        print(f"{query}  판례 {len(decisions)}건")
        for d in decisions:
            print("\n".join(decision_hit_lines(d)))
        if not decisions:
            print("검색된 판례가 없습니다 / no decisions found")
        if resp is None:
            return 0
    assert resp is not None
    print(f"{query}  (기준일 {resp.as_of}, {len(resp.hits)}건)")
    if resp.citations:
        print("인용 / citations:")
        for c in resp.citations:
            print(citation_line(c))
    for h in resp.hits:
        print("\n".join(hit_lines(h)))
    if not resp.hits:
        print("검색된 조문이 없습니다 / no articles found")
    return 0
