"""`legal-rag precedents`: decisions citing an article (`--cites "민법 제750조"`) or one decision by case number.

Exit codes: 0 ok, 1 unknown law/article/case number (with suggestions), 2 usage or malformed case number,
3 index missing or failed verification (or built without --precedents).
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from datetime import date
from typing import Any

from app.cli_search import EXIT_INDEX, EXIT_USAGE, check_arguments, load_engine, load_settings, unknown_law_message
from legal_rag.precedents.results import SCHEMA_VERSION_PRECEDENTS, CitingDecisionOut, DecisionOut

NO_PRECEDENTS = ("this index has no decisions: rebuild it with `legal-rag ingest … --precedents DIR` / "
                 "판례가 없는 색인입니다")


def _limit(text: str) -> int:
    n = int(text) if text.isdigit() else 0
    if not 1 <= n <= 1000:
        raise argparse.ArgumentTypeError("limit must be 1..1000 / limit는 1에서 1000 사이")
    return n


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_number", nargs="*", help="a case number in any common form, e.g. 2010다12345 or "
                                                  "'대법원 2010. 12. 23. 선고 2008다75119 판결'")
    p.add_argument("--cites", default=None, metavar="ARTICLE",
                   help="decisions whose 참조조문 cite this article, e.g. '민법 제750조' (newest first)")
    p.add_argument("--former", action="store_true", help="with --cites: include citations of former versions (구법)")
    p.add_argument("--limit", type=_limit, default=20, help="with --cites: at most this many decisions (default 20)")
    # A string here; AsOfQuery checks it in `run` (see app.cli_search.check_arguments).
    p.add_argument("--as-of", default=None, metavar="YYYY-MM-DD", help="date for the article's version (default today)")
    p.add_argument("--index", default=None, help="index directory (default $LEGAL_RAG_INDEX_DIR or index/default)")
    p.add_argument("--json", action="store_true", help="machine-readable output (includes schema_version)")


def _wrap(text: str, indent: str = "      ") -> list[str]:
    return textwrap.wrap(" ".join(text.split()), width=100, initial_indent=indent, subsequent_indent=indent,
                         max_lines=4, placeholder=" …")


def citing_lines(d: CitingDecisionOut) -> list[str]:
    s = d.decision
    lines = [f"  {s.court} {s.decided} 선고 {s.case_number} ({s.case_name})  {s.url}"]
    for i in d.issues:
        lines += _wrap(f"{i.marker} {i.holding}")
    return lines


def decision_lines(d: DecisionOut) -> list[str]:
    lines = [f"{d.court} {d.decided} 선고 {', '.join(d.case_numbers)} {'전원합의체 ' if d.en_banc else ''}"
             f"— {d.case_name} [{d.category}]", f"  {d.url}", f"  source: {d.source}", "판시사항:"]
    for i in d.issues:
        lines += _wrap(f"{i.marker} {i.holding}", "  ")
        if i.summary:
            lines += _wrap(f"요지: {i.summary}", "     ")
    if d.citations:
        lines.append("참조조문:")
        for c in d.citations:
            flag = " [구법: 현행 조문과 다를 수 있음]" if c.former_version else (" [현행 참조]" if c.current_pointer else "")
            where = f"[{','.join(map(str, c.issues))}] " if c.issues else ""
            law = c.law or c.law_text
            state = "" if c.status == "found" else f" ({c.status})"
            lines.append(f"  {where}{law} {c.article or ''} {c.detail}{flag}{state}".rstrip())
    if d.case_references:
        lines.append("참조판례: " + ", ".join(r.case_number for r in d.case_references))
    return lines


def _cites(engine: Any, args: argparse.Namespace, as_of: date) -> int:
    from legal_rag.citations import find_citations
    from legal_rag.precedents.service import cited_by
    from legal_rag.search.engine import UnknownLawError

    refs = [r for r in find_citations(args.cites, engine.catalog) if r.article is not None or not r.known_law]
    if not refs or refs[0].article is None:
        name = refs[0].law_text if refs else args.cites
        sugg = engine.catalog.suggest(name or "")
        print(f"not an article citation / 조문 인용이 아닙니다: {args.cites!r}"
              + (f" — 비슷한 법령: {', '.join(sugg)}" if sugg else ""), file=sys.stderr)
        return 1 if refs else 2
    ref = refs[0]
    article = ref.article
    assert article is not None
    if ref.law is None:
        print(unknown_law_message(type("E", (), {"law": ref.law_text, "suggestions":
                                                  engine.catalog.suggest(ref.law_text or "")})()), file=sys.stderr)
        return 1
    try:
        found = cited_by(engine, ref.law, article.label, as_of, args.limit, args.former)
    except UnknownLawError as exc:
        print(unknown_law_message(exc), file=sys.stderr)
        return 1
    if found is None:
        print(f"「{ref.law}」 {article.label}: no such article / 조문이 없습니다", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"schema_version": SCHEMA_VERSION_PRECEDENTS, "law": found.law, "article": found.article,
                          "total": found.total, "decisions": [d.model_dump() for d in found.decisions]},
                         ensure_ascii=False, indent=2))
        return 0
    print(f"「{found.law}」 {found.article}을(를) 참조조문으로 인용한 판례 {found.total}건 (최신순)")
    for d in found.decisions:
        print("\n".join(citing_lines(d)))
    return 0


def _lookup(engine: Any, index: Any, text: str, as_json: bool) -> int:
    from legal_rag.precedents.case_numbers import CaseNumberError
    from legal_rag.precedents.results import decision_out
    from legal_rag.precedents.search import UnknownCaseError

    try:
        records = index.lookup(text)
    except CaseNumberError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except UnknownCaseError as exc:
        sugg = f" — 비슷한 사건번호: {', '.join(exc.suggestions)}" if exc.suggestions else ""
        print(f"no decision {exc.case_number} in this index / 이 색인에 없는 사건번호입니다{sugg}", file=sys.stderr)
        return 1
    out = [decision_out(r) for r in records]
    if as_json:
        print(json.dumps({"schema_version": SCHEMA_VERSION_PRECEDENTS, "decisions": [d.model_dump() for d in out]},
                         ensure_ascii=False, indent=2))
    else:
        for d in out:
            print("\n".join(decision_lines(d)))
    return 0


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.api.models import AsOfQuery
    from legal_rag.precedents.service import precedents_for

    text = " ".join(args.case_number).strip()
    if bool(text) == bool(args.cites):
        print("give a case number or --cites ARTICLE (one of them) / 사건번호 또는 --cites 중 하나를 주십시오",
              file=sys.stderr)
        return EXIT_USAGE
    settings = load_settings()
    if settings is None:
        return EXIT_USAGE
    checked = check_arguments(AsOfQuery, {"as_of": args.as_of}, settings)  # the article route's as_of check
    if checked is None:
        return EXIT_USAGE
    engine, code = load_engine(Path(args.index) if args.index else settings.index_dir)
    if engine is None:
        return code
    try:
        index = precedents_for(engine)
        if index is None:
            print(NO_PRECEDENTS, file=sys.stderr)
            return EXIT_INDEX
        return _cites(engine, args, checked.as_of) if args.cites else _lookup(engine, index, text, args.json)
    finally:
        engine.close()
