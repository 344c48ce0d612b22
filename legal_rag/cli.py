"""`legal-rag` command line: one entry point, each subcommand owned by the module that does the work.

Exit codes: 0 success, 1 runtime failure (reported), 2 usage error, 3 index missing or failed verification.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from legal_rag.logs import quiet_third_party_logs

# subcommand -> module providing `add_arguments(parser)` and `run(args) -> int`
SUBCOMMANDS = {
    "ingest": ("ingest.cli", "build an index from statute files / 법령 색인 만들기"),
    "fetch": ("corpus.fetch", "copy or clone the default statutes / 기본 법령 가져오기"),
    "search": ("app.cli_search", "retrieve articles for a query / 조문 검색"),
    "precedents": ("app.cli_precedents", "decisions citing an article, or one decision / 판례 찾기"),
    "ask": ("app.cli_ask", "answer a question with cited articles / 질문에 답변"),
    "serve": ("app.cli_serve", "run the web service / 웹 서비스 실행"),
    "eval": ("bench.evaluation", "recall@k and MRR on a question set / 검색 평가"),
    "bench": ("bench.cli", "speed and memory benchmarks / 성능 측정"),
    "tune": ("bench.tune", "choose retrieval weights on held-out folds / 교차검증 가중치 선택"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="legal-rag", description="Korean statute QA with verified citations")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        try:
            importlib.import_module(module).add_arguments(p)
        except ImportError as exc:  # a subcommand whose optional dependencies are missing stays listed
            p.set_defaults(_import_error=str(exc))
    return parser


def main(argv: list[str] | None = None) -> int:
    quiet_third_party_logs()
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_import_error", None):
        print(f"legal-rag {args.command}: unavailable ({args._import_error})", file=sys.stderr)
        return 1
    return int(importlib.import_module(args._module).run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
