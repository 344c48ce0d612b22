"""Query latency: our Engine.search next to the kiwi-BM25 LangChain baseline in the same process, and
`/api/ask` (extractive) through FastAPI's TestClient.

Every query is timed for both systems back to back, so load from other processes on the machine falls on
both alike. Our query-token cache (tokenize_query) is cleared before every timed call: repeated synthetic
queries would otherwise measure a dictionary lookup instead of kiwi, which the baseline always runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

WARMUP_QUERIES = ("민법 제54조", "근로계약 해지 예고", "부가가치세 과세표준")


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    """n, p50/p95/p99 (linear interpolation), mean, min and max of a list of milliseconds."""
    if not samples_ms:
        return {"n": 0}
    a = np.asarray(samples_ms, dtype=np.float64)
    p50, p95, p99 = np.percentile(a, [50, 95, 99])
    return {"n": int(a.size), "p50": round(float(p50), 2), "p95": round(float(p95), 2), "p99": round(float(p99), 2),
            "mean": round(float(a.mean()), 2), "min": round(float(a.min()), 2), "max": round(float(a.max()), 2)}


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def synthetic_queries(bundle: Any, n: int = 200) -> list[str]:
    """Article titles (조문 제목) spread evenly over the index, deterministic: short topical queries of the kind
    people type ("임대차의 존속기간", "해고의 예고")."""
    titles: list[str] = []
    for mst in sorted(bundle.statutes):
        titles.extend(a.title for a in bundle.store.articles_of(mst) if a.title and not a.deleted)
    titles = sorted(dict.fromkeys(titles))
    if len(titles) <= n:
        return titles
    step = len(titles) / n
    return [titles[int(i * step)] for i in range(n)]


def time_pairs(queries: Sequence[str], systems: dict[str, Callable[[str], Any]],
               before: Callable[[], None] | None = None) -> dict[str, list[float]]:
    """Milliseconds per query for every system, the systems run one after the other on each query."""
    out: dict[str, list[float]] = {name: [] for name in systems}
    for q in queries:
        for name, fn in systems.items():
            if before:
                before()
            t0 = time.perf_counter()
            fn(q)
            out[name].append((time.perf_counter() - t0) * 1000)
    return out


def _summary(samples: dict[str, list[float]]) -> dict[str, Any]:
    res: dict[str, Any] = {name: percentiles(s) for name, s in samples.items()}
    if "ours" in res and "baseline" in res:
        res["ratio_ours_over_baseline"] = {p: ratio(res["ours"].get(p), res["baseline"].get(p))
                                          for p in ("p50", "p95", "p99")}
    return res


def bench_retrieval(index: Path, queries: Sequence[str], top_k: int = 10, as_of: date | None = None,
                    synthetic: int = 200, repeats: int = 3, baseline: bool = True,
                    log: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    from legal_rag.search.engine import Engine
    from legal_rag.tokenizer import tokenize_query
    from legal_rag.versions import today_kst

    as_of = as_of or today_kst()
    t0 = time.perf_counter()
    engine = Engine(index)
    load_s = time.perf_counter() - t0
    try:
        result: dict[str, Any] = {"index": str(index), "top_k": top_k, "as_of": as_of.isoformat(),
                                  "index_load_s": round(load_s, 3), "query_token_cache": "cleared before each query"}
        systems: dict[str, Callable[[str], Any]] = {
            "ours": lambda q: engine.search(q, top_k=top_k, as_of=as_of),
        }
        if baseline:
            from bench.baseline import build_baselines, default_cache_dir, index_source_files

            t1 = time.perf_counter()
            b = build_baselines(index_source_files(index), which=("kiwi",), log=log,
                                cache_dir=default_cache_dir(index))["langchain-bm25-kiwi"]
            result["baseline"] = {"name": b.name, "chunks": b.chunks, "build_s": round(time.perf_counter() - t1, 3),
                                  "description": "RecursiveCharacterTextSplitter(1000/200) + BM25Retriever "
                                                 "(preprocess_func=kiwi tokenize), k=top_k chunks"}
            b.retriever.k = top_k  # a developer asks for top_k chunks; rank_bm25 scores every chunk anyway
            systems["baseline"] = b.retriever.invoke
        for q in WARMUP_QUERIES:  # kiwi model load, SQLite page cache, version tables
            for fn in systems.values():
                fn(q)
        log(f"timing {len(queries)} dev queries")
        result["dev"] = _summary(time_pairs(queries, systems, tokenize_query.cache_clear))
        synth = synthetic_queries(engine.bundle, synthetic) if synthetic > 0 else []
        if synth:
            log(f"timing {len(synth)} synthetic queries x {repeats}")
            result["synthetic"] = {"queries": len(synth), "repeats": repeats,
                                   **_summary(time_pairs(list(synth) * repeats, systems, tokenize_query.cache_clear))}
        return result
    finally:
        engine.close()


def bench_ask(index: Path, queries: Sequence[str], top_k: int = 8, ready_timeout_s: float = 600.0,
              log: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    """POST /api/ask with the extractive generator for every query; skipped with a reason when the service
    module is not there."""
    try:
        from fastapi.testclient import TestClient

        from app.generation.extractive import ExtractiveGenerator
        from app.service import create_app
        from app.settings import Settings
    except ImportError as exc:
        return {"skipped": f"app/service.py not available yet ({exc}) / 서비스 모듈이 아직 없습니다"}
    settings = Settings(index_dir=index, log_json=False, log_level="WARNING", generator="extractive")
    app = create_app(settings, generator=ExtractiveGenerator())
    samples: list[float] = []
    failures: list[str] = []
    with TestClient(app) as client:
        deadline = time.monotonic() + ready_timeout_s
        while True:
            r = client.get("/readyz")
            if r.status_code == 200:
                break
            body = r.json()
            if body.get("status") == "failed" or time.monotonic() > deadline:
                return {"skipped": f"service not ready: {body.get('reason')} / 서비스가 준비되지 않았습니다"}
            time.sleep(0.2)
        generator = r.json().get("generator")
        for q in WARMUP_QUERIES:
            client.post("/api/ask", json={"question": q, "top_k": top_k})
        log(f"timing /api/ask on {len(queries)} queries")
        for q in queries:
            t0 = time.perf_counter()
            r = client.post("/api/ask", json={"question": q[:2000], "top_k": top_k})
            ms = (time.perf_counter() - t0) * 1000
            if r.status_code != 200:
                failures.append(f"{r.status_code}: {r.text[:200]}")
                continue
            samples.append(ms)
    out: dict[str, Any] = {"generator": generator, "top_k": top_k, "via": "fastapi.testclient (in process)",
                           "latency_ms": percentiles(samples), "failures": len(failures)}
    if failures:
        out["first_failure"] = failures[0]
    return out
