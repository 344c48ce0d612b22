"""`legal-rag bench ingest|retrieval|ask|all`: speed and memory, as a markdown table or JSON.

  ingest     cold build of --corpus (default: the corpus of --index) in a child process: articles/s, wall,
             peak RSS of the child, index size on disk
  retrieval  p50/p95/p99 of Engine.search over the dev queries and over article-title queries, next to the
             kiwi-BM25 LangChain baseline timed on the same queries in the same process
  ask        /api/ask with the extractive generator through FastAPI's TestClient (skipped, with the reason,
             while app/service.py is missing)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import date
from pathlib import Path
from typing import Any

from bench.evaluation import DEFAULT_DATASET, load_dataset

SCHEMA_VERSION = 1


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", choices=("ingest", "retrieval", "ask", "all"), help="which benchmark")
    p.add_argument("--index", type=Path, default=Path("index/default"), help="built index (default index/default)")
    p.add_argument("--corpus", action="append", type=Path, default=None,
                   help="statute files to ingest (repeatable; default: the corpus the index was built from)")
    p.add_argument("--embedder", default=None,
                   help="--embedder for the ingest benchmark (default: the one the index was built with)")
    p.add_argument("--warm", action="store_true", help="ingest: also time a second build on the warm cache")
    p.add_argument("--dataset", type=Path, default=DEFAULT_DATASET, help="queries for the latency benchmarks")
    p.add_argument("--top-k", type=int, default=10, help="articles per query (default 10)")
    p.add_argument("--synthetic", type=int, default=200, help="article-title queries (default 200; 0: none)")
    p.add_argument("--repeats", type=int, default=3, help="passes over the synthetic queries (default 3)")
    p.add_argument("--as-of", default=None, help="YYYY-MM-DD (default today)")
    p.add_argument("--no-baseline", action="store_true", help="retrieval: skip the LangChain baseline")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--json-out", type=Path, default=None, help="also write the JSON report to this file")


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "load_avg_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None}


def run(args: argparse.Namespace) -> int:
    from bench.ingest_bench import bench_ingest, corpus_of, embedder_of
    from bench.latency import bench_ask, bench_retrieval
    from legal_rag.versions import today_kst

    try:
        as_of = date.fromisoformat(args.as_of) if args.as_of else today_kst()
    except ValueError:
        _log(f"bad --as-of {args.as_of!r}: use YYYY-MM-DD / 날짜 형식은 YYYY-MM-DD입니다")
        return 2
    whats = ("ingest", "retrieval", "ask") if args.what == "all" else (args.what,)
    needs_index = any(w in whats for w in ("retrieval", "ask")) or (args.corpus is None)
    if needs_index and not (args.index.exists() or args.index.is_symlink()):
        _log(f"index not found: {args.index}; build it with `legal-rag ingest` / 색인이 없습니다")
        return 3
    queries: list[str] = []
    if "retrieval" in whats or "ask" in whats:
        try:
            items, problems = load_dataset(args.dataset)
        except OSError as exc:
            _log(f"cannot read {args.dataset}: {exc} / 질문 파일을 읽을 수 없습니다")
            return 2
        for pr in problems:
            _log(f"{args.dataset}:{pr.line}: skipped: {pr.message}")
        queries = [it.query for it in items]
    report: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "machine": machine()}
    try:
        if "ingest" in whats:
            corpus = args.corpus or corpus_of(args.index)
            embedder = args.embedder or embedder_of(args.index)
            report["ingest"] = bench_ingest(corpus, embedder, warm=args.warm, log=_log)
        if "retrieval" in whats:
            report["retrieval"] = bench_retrieval(args.index, queries, args.top_k, as_of, args.synthetic,
                                                  args.repeats, baseline=not args.no_baseline, log=_log)
        if "ask" in whats:
            report["ask"] = bench_ask(args.index, queries, top_k=min(args.top_k, 50), log=_log)
    except (RuntimeError, OSError, ValueError) as exc:
        _log(f"bench failed: {exc}")
        return 1
    text = json.dumps(report, ensure_ascii=False, indent=2)
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(text + "\n", encoding="utf-8")
    if args.json:
        print(text)
    else:
        print(markdown(report))
    return 0


def _f(v: Any, nd: int = 1) -> str:
    return "—" if v is None else (f"{v:.{nd}f}" if isinstance(v, float) else str(v))


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    out = [f"# legal-rag benchmarks ({m['platform']}, {m['cpus']} CPUs, load {m['load_avg_1m']}, "
           f"Python {m['python']})"]
    ing = report.get("ingest")
    if ing:
        out += ["", f"## Ingest ({ing['files']} files, {ing['source_bytes'] / 1e6:.1f} MB of statutes, "
                    f"embedder {ing['embedder']})", "",
                "| run | articles | chunks | build s | wall s | articles/s | peak RSS MB | index MB |",
                "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for name, r in ing["runs"].items():
            s = r["summary"]
            out.append(f"| {name} | {s['articles']} | {s['chunks']} | {_f(r['build_s'])} | {_f(r['wall_s'])} | "
                       f"{_f(r['articles_per_s'])} | {_f(r['peak_rss_mb'])} | {_f(ing['index_mb'])} |")
    ret = report.get("retrieval")
    if ret:
        out += ["", f"## Retrieval latency, ms (top {ret['top_k']}; index load {ret['index_load_s']:.1f} s; "
                    "query-token cache cleared before each query)", "",
                "| queries | system | n | p50 | p95 | p99 | mean |", "|---|---|---:|---:|---:|---:|---:|"]
        for part in ("dev", "synthetic"):
            res = ret.get(part)
            if not res:
                continue
            label = part if part == "dev" else f"synthetic ({res['queries']} titles × {res['repeats']})"
            for sysname in ("ours", "baseline"):
                if sysname in res:
                    p = res[sysname]
                    out.append(f"| {label} | {sysname} | {p['n']} | {_f(p['p50'])} | {_f(p['p95'])} | "
                               f"{_f(p['p99'])} | {_f(p['mean'])} |")
            r = res.get("ratio_ours_over_baseline")
            if r:
                out.append(f"| {label} | ours/baseline | | ×{_f(r['p50'], 3)} | ×{_f(r['p95'], 3)} | "
                           f"×{_f(r['p99'], 3)} | |")
        if "baseline" in ret:
            out.append(f"\nbaseline: {ret['baseline']['description']}; {ret['baseline']['chunks']} chunks, built "
                       f"in {ret['baseline']['build_s']:.1f} s")
    ask = report.get("ask")
    if ask:
        out += ["", "## /api/ask (extractive)", ""]
        if "skipped" in ask:
            out.append(f"skipped: {ask['skipped']}")
        else:
            p = ask["latency_ms"]
            out += ["| generator | n | p50 | p95 | p99 | mean | failures |", "|---|---:|---:|---:|---:|---:|---:|",
                    f"| {ask['generator']} | {p.get('n')} | {_f(p.get('p50'))} | {_f(p.get('p95'))} | "
                    f"{_f(p.get('p99'))} | {_f(p.get('mean'))} | {ask['failures']} |"]
    return "\n".join(out)
