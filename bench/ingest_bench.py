"""Ingest throughput: build an index from a corpus in a child process, into a scratch directory.

The build runs in its own Python process (`python -m bench.ingest_bench --child ...`) so its peak memory is
its own: the child reads resource.getrusage(RUSAGE_SELF).ru_maxrss when the build is done and reports it with
the build summary. The parent measures the wall time around the whole child (interpreter start included) and
the size of the published build on disk. The cache directory is fresh, so every file is parsed and tokenised
(a cold build); `warm=True` runs a second build on the same cache to show the re-ingest cost.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def embedder_of(index: Path) -> str:
    """The --embedder value that rebuilds an index like `index` ('none' when unknown)."""
    from legal_rag.index_format import Manifest, resolve_index

    try:
        emb = Manifest.read(resolve_index(index)).embedder
    except Exception:  # noqa: BLE001 — no index, or an unreadable one: benchmark the BM25-only build
        return "none"
    if emb.get("id", "none") == "none":
        return "none"
    source = str(emb.get("source", ""))
    return "kiwi-static" if source.startswith("kiwi-static") or not source else source


def corpus_of(index: Path) -> list[Path]:
    from legal_rag.index_format import Manifest, resolve_index

    return [Path(p) for p in Manifest.read(resolve_index(index)).corpus]


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def source_bytes(corpus: Sequence[Path]) -> tuple[int, int]:
    """(files, bytes) of the statute files the build will read."""
    from ingest.build import discover_files

    files = discover_files(corpus)
    return len(files), sum(p.stat().st_size for p in files)


def _run_child(corpus: Sequence[Path], out: Path, cache: Path, embedder: str) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.ingest_bench", "--child", "--out", str(out), "--cache-dir", str(cache),
           "--embedder", embedder]
    for c in corpus:
        cmd += ["--corpus", str(Path(c).resolve())]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(REPO))
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"ingest child failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise RuntimeError(f"ingest child printed no result: {proc.stdout[-500:]} {proc.stderr[-500:]}")
    res = json.loads(lines[-1])
    res["wall_s"] = round(wall, 3)
    return res


def bench_ingest(corpus: Sequence[Path], embedder: str = "none", warm: bool = False, keep: Path | None = None,
                 log: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    files, nbytes = source_bytes(corpus)
    scratch = Path(tempfile.mkdtemp(prefix="legal-rag-bench-ingest-"))
    try:
        out, cache = scratch / "index" / "bench", scratch / "cache"
        log(f"ingest (cold): {files} files, {nbytes / 1e6:.1f} MB, embedder {embedder}")
        runs = {"cold": _run_child(corpus, out, cache, embedder)}
        size = dir_size(out.resolve())
        if warm:
            log("ingest (warm cache)")
            runs["warm"] = _run_child(corpus, out, cache, embedder)
        for r in runs.values():
            s = r["summary"]
            r["articles_per_s"] = round(s["articles"] / s["seconds"], 1) if s["seconds"] else None
            r["source_mb_per_s"] = round(nbytes / 1e6 / s["seconds"], 3) if s["seconds"] else None
        result = {"corpus": [str(c) for c in corpus], "embedder": embedder, "files": files,
                  "source_bytes": nbytes, "index_bytes": size, "index_mb": round(size / 1e6, 2), "runs": runs}
        if keep is not None:
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(out.resolve(), keep, dirs_exist_ok=True)
            result["kept"] = str(keep)
        return result
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _child(argv: Sequence[str]) -> int:
    """Inside the child: build, then report the summary and this process's own peak RSS."""
    import argparse

    from ingest.build import IngestOptions, build_index

    p = argparse.ArgumentParser()
    p.add_argument("--child", action="store_true")
    p.add_argument("--corpus", action="append", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--cache-dir", type=Path, required=True)
    p.add_argument("--embedder", default="none")
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    summary = build_index(IngestOptions(corpus=a.corpus, out=a.out, embedder=a.embedder, cache_dir=a.cache_dir,
                                        progress=False))
    build_s = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    # Linux reports ru_maxrss in KiB (macOS in bytes).
    peak = ru.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    print(json.dumps({"summary": asdict(summary), "build_s": round(build_s, 3), "peak_rss_bytes": peak,
                      "peak_rss_mb": round(peak / 1e6, 1), "cpu_user_s": round(ru.ru_utime, 2),
                      "cpu_sys_s": round(ru.ru_stime, 2)}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    if "--child" in sys.argv[1:]:
        sys.exit(_child(sys.argv[1:]))
    print("usage: legal-rag bench ingest --corpus PATH", file=sys.stderr)
    sys.exit(2)
