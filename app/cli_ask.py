"""`legal-rag ask`: answer a question with cited, checked articles (extractive until a model is configured).

The generator comes from LEGAL_RAG_GENERATOR / LEGAL_RAG_MODEL / … (app.generation.GeneratorConfig) or
--generator. Human output streams the answer, then lists citations with their status; --json prints the
AskResponse. Exit codes: 0 ok, 1 unknown law or generation failure, 2 usage, 3 index missing/unverified.
"""

from __future__ import annotations

import argparse
import json
import sys

from app.cli_search import (
    EXIT_USAGE,
    add_common,
    check_query,
    citation_line,
    load_engine,
    load_settings,
    unknown_law_message,
)
from app.schemas import SCHEMA_VERSION, AskResponse

STATUS_KO = {"verified": "근거 조문", "not_in_context": "존재 확인(근거 아님)", "not_found": "확인 불가", "resolved": "질문 인용"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_common(p, 8)
    p.add_argument("--generator", choices=["extractive", "hf", "openai"], default=None,
                   help="answer backend (default $LEGAL_RAG_GENERATOR or extractive)")
    p.add_argument("question", nargs="+", help="the question, e.g. 「민법」제54조 참조 판단 해설")


def print_citations(resp: AskResponse) -> None:
    shown = [c for c in resp.citations if c.status != "not_found" and c.hit is not None]
    missing = [c for c in resp.citations if c.status == "not_found"]
    if shown:
        print("\n근거 조문 / sources:")
        seen: set[str] = set()
        for c in shown:
            assert c.hit is not None
            if c.hit.doc_id in seen:
                continue
            seen.add(c.hit.doc_id)
            pending = f"  ※ {c.hit.note}" if c.hit.pending and c.hit.note else ""
            print(f"  [{STATUS_KO.get(c.status, c.status)}] {c.hit.header}  시행 {c.hit.effective or '?'}  "
                  f"{c.hit.url}{pending}")
    if missing:
        print("\n확인되지 않은 인용 (근거로 쓰지 않음) / unverified citations:")
        for c in missing:
            print(citation_line(c))


def run(args: argparse.Namespace) -> int:
    from app.answering import Answerer
    from app.generation.factory import make_generator
    from app.generation.prompt import PromptBudgetError
    from legal_rag.search.engine import UnknownLawError

    settings = load_settings(**({"generator": args.generator} if args.generator else {}))
    if settings is None:
        return EXIT_USAGE
    checked = check_query(args, args.question, settings)
    if checked is None:
        return EXIT_USAGE
    question, top_k, as_of, laws = checked.question, checked.top_k, checked.as_of, checked.laws
    engine, code = load_engine(args.index or settings.index_dir)
    if engine is None:
        return code
    try:
        config = settings.generator_config()
        settings.check_network(config)
        answerer = Answerer(make_generator(config))
        if args.json:
            resp = answerer.ask(engine, question, top_k, as_of, laws)
            data = resp.model_dump()
            data["schema_version"] = SCHEMA_VERSION
            print(json.dumps(data, ensure_ascii=False, indent=2))
            return 0
        final: AskResponse | None = None
        for piece in answerer.stream(engine, question, top_k, as_of, laws):
            if isinstance(piece, AskResponse):
                final = piece
            else:
                sys.stdout.write(piece)
                sys.stdout.flush()
        print()
        if final is not None:
            print(f"\n(생성기 / generator: {final.generator}, 기준일 {final.as_of})")
            print_citations(final)
        return 0
    except UnknownLawError as exc:
        print(unknown_law_message(exc), file=sys.stderr)
        return 1
    except (PromptBudgetError, ValueError) as exc:
        print(f"cannot answer / 답변할 수 없습니다: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.close()
