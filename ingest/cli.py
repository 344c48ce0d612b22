"""`legal-rag ingest`: build an index from statute files."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from ingest.build import IngestError, IngestOptions, build_index
from legal_rag.chunking import DEFAULT_MAX_CHARS

SHARED_CORPUS = Path("../shared/corpus/legalize-kr")
FETCHED_CORPUS = Path("corpus/legalize-kr")  # where `legal-rag fetch` writes (corpus/fetch.py DEFAULT_DEST)
# The same choice as the Makefile's CORPUS: the shared checkout when present, else the fetched statutes.
DEFAULT_CORPUS = SHARED_CORPUS if SHARED_CORPUS.is_dir() else FETCHED_CORPUS


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--corpus", action="append", type=Path, default=None,
                   help="legalize-kr checkout, folder of statute files, or single .md/.pdf file; repeatable "
                        f"(default {DEFAULT_CORPUS})")
    p.add_argument("--out", type=Path, default=Path("index/default"),
                   help="index name to publish (a link to the finished build; default index/default)")
    p.add_argument("--embedder", default="kiwi-static",
                   help="'kiwi-static' (offline, trained on this corpus; default), 'none' (BM25 only), or a "
                        "sentence-transformers model id or local path, e.g. nlpai-lab/KURE-v1")
    p.add_argument("--retrain-embedder", action="store_true", help="train the offline embedder again")
    p.add_argument("--embedder-pairs", type=int, default=30000, help="max training pairs for kiwi-static")
    p.add_argument("--max-chars", type=int, default=DEFAULT_MAX_CHARS,
                   help="split articles longer than this at 항 boundaries")
    p.add_argument("--cache-dir", type=Path, default=None,
                   help="per-file parse/token cache (default: <out's folder>/.cache)")
    p.add_argument("--full", action="store_true",
                   help="rebuild every artifact; by default a previous index at --out built with the same options "
                        "is updated for the files that changed (new, modified, removed)")
    p.add_argument("--prune-cache", action="store_true",
                   help="after the build, delete per-file cache entries of file versions the index no longer uses "
                        "(do not use with a cache shared by indexes of other corpora)")
    p.add_argument("--precedents", action="append", type=Path, default=None, metavar="DIR",
                   help="court decisions in legalize-kr's precedent-kr layout ({사건종류}/{법원등급}/…md), built into "
                        "the same index; repeatable")
    p.add_argument("--exclude-sources", type=Path, default=None, metavar="FILE",
                   help="decisions to leave out, by source path relative to the precedent folder: one per line, or "
                        "JSON lines with a 'source' field (an eval set, so no question finds its own decision)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


def stage_lines(started: float | None = None) -> Callable[[str], None]:
    """A line on stderr as each build stage ends: without a terminal there are no progress bars, and a log
    file or CI job would otherwise show nothing for minutes."""
    last = [time.perf_counter() if started is None else started]

    def on_stage(name: str) -> None:
        now = time.perf_counter()
        print(f"ingest: {name} done in {now - last[0]:.1f} s", file=sys.stderr, flush=True)
        last[0] = now

    return on_stage


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    bars = not args.no_progress and sys.stderr.isatty()
    opts = IngestOptions(
        corpus=args.corpus or [DEFAULT_CORPUS], out=args.out, embedder=args.embedder,
        max_chars=args.max_chars, cache_dir=args.cache_dir, retrain_embedder=args.retrain_embedder,
        embedder_pairs=args.embedder_pairs, progress=bars, full=args.full,
        prune_cache=args.prune_cache, precedents=list(args.precedents or []), exclude_sources=args.exclude_sources,
    )
    on_stage = None
    if not bars and not args.json:
        print(f"ingest: {', '.join(map(str, opts.corpus))} -> {opts.out} (one line per stage)", file=sys.stderr,
              flush=True)
        on_stage = stage_lines()
    try:
        summary = build_index(opts, on_stage)
    except IngestError as exc:
        print(f"ingest failed: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"ingest failed: cannot write the index ({exc}) / 색인을 쓸 수 없습니다", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"schema_version": 1, **asdict(summary)}, ensure_ascii=False, indent=2))
    else:
        if summary.mode == "precedents":
            print(f"index {summary.out} -> {summary.build_dir}: statutes unchanged, decisions rebuilt "
                  f"({summary.fallback_reason}) / 판례만 다시 색인했습니다")
        elif summary.mode == "unchanged":
            print(f"index {summary.out} is up to date: no statute file changed / 변경된 법령 파일이 없습니다 "
                  "(--full rebuilds anyway)")
        elif summary.mode == "incremental":
            print(f"index {summary.out} -> {summary.build_dir}: updated for {summary.changed_files} changed and "
                  f"{summary.removed_files} removed files / 변경된 파일만 다시 색인했습니다")
        else:
            why = f" ({summary.fallback_reason})" if summary.fallback_reason else ""
            print(f"index {summary.out} -> {summary.build_dir}: full build{why}")
        print(f"files {summary.files} (reused {summary.reused_files}), statutes {summary.statutes}, "
              f"articles {summary.articles}, 부칙 {summary.addenda}, chunks {summary.chunks}, "
              f"{summary.seconds:.1f} s")
        if summary.pruned_cache_entries:
            print(f"cache: removed {summary.pruned_cache_entries} entries of file versions no longer used")
        for s in summary.skipped:
            print(f"skipped {s['file']}: {s['reason']}")
        prec = summary.precedents
        if prec:
            print(f"decisions {prec['decisions']} of {prec['files']} files ({prec['issues']} issues, "
                  f"excluded {prec['excluded']}, reused {prec['reused_files']}), {prec['seconds']:.1f} s")
            for s in prec["skipped"]:  # type: ignore[attr-defined]
                print(f"skipped decision {s['file']}: {s['reason']}")
    return 0
