"""Load test: start the service on 127.0.0.1 and drive /api/search and /api/ask (extractive) with N concurrent
HTTP clients for a bounded time; print requests, errors by status, throughput and latency percentiles as JSON.

    python -m bench.load_test --index index/default --clients 50 --seconds 60 --workers 1,2

Each entry of --workers is one run against a fresh `legal-rag serve --workers W` (default: one process, then
one worker per CPU core), in the same invocation so the figures are comparable; the report lists them side by
side with each server process's memory (RSS, and PSS, which splits shared pages between the processes that
map them). Before measuring, the test waits until every worker has loaded the index and is warm.
The server runs in its own process(es), so the clients do not compete with it for the GIL.
Its generation queue is sized to the number of clients (override with --queue): an overloaded 503 is the
service's designed back-pressure, and this test is about the service staying correct under load, so any 5xx
makes it exit 1. --url drives a server that is already running instead (loopback addresses only).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import random
import re
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

QUESTIONS = [
    "「국민건강보험법」제44조, 「국민건강보험법 시행령」제19조,「약관의 규제에 관한 법률」제5조, "
    "「민법」제54조 참조 판단 해설",
    "사업자가 폐업한 경우 부가가치세 신고는 언제까지 해야 하나요?",
    "근로기준법 제23조 해고의 제한",
    "사용자가 근로자를 해고하려면 언제까지 예고해야 하나요?",
    "약관의 뜻이 명백하지 아니한 경우 어떻게 해석하나요?",
    "민법 제54조",
    "법인의 설립등기 이외의 등기는 어떤 효력이 있나요?",
    "본인일부부담금은 어떻게 정해지나요?",
    "부가가치세 확정신고와 납부 기한",
    "휴게시간은 얼마나 주어야 하나요?",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return round((ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)) * 1000, 2)


def start_server(index: Path, port: int, queue: int, concurrency: int, log: Path | None,
                 workers: int = 1) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LEGAL_RAG_GENERATION_QUEUE": str(queue),
           "LEGAL_RAG_GENERATION_CONCURRENCY": str(concurrency), "LEGAL_RAG_GENERATOR": "extractive",
           "LEGAL_RAG_LOG_LEVEL": "WARNING"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # each run gets a fresh metrics directory from `serve`
    out = log.open("ab") if log else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "legal_rag.cli", "serve", "--index", str(index), "--host",
                             "127.0.0.1", "--port", str(port), "--workers", str(workers)],
                            env=env, stdout=out, stderr=out)


def loaded_workers(base: str) -> int:
    """How many worker processes have loaded an index (one series per worker in the shared metrics)."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    return len(set(re.findall(r'^legal_rag_index_info\{[^}]*pid="(\d+)"[^}]*\} 1', text, re.M)))


def wait_all_workers(base: str, workers: int, timeout: float, proc: subprocess.Popen[bytes]) -> None:
    """/readyz answers from whichever worker takes the connection: wait until every worker loaded the index,
    then until a run of fresh connections all find a warm worker."""
    deadline = time.monotonic() + timeout
    streak = 0
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode} before it was ready")
        with suppress(httpx.HTTPError):
            if workers == 1 or loaded_workers(base) >= workers:
                streak = streak + 1 if httpx.get(f"{base}/readyz", timeout=10).status_code == 200 else 0
                if streak >= 4 * workers:
                    return
        time.sleep(0.2)
    raise SystemExit(f"not every worker was ready after {timeout:.0f} s")


def process_tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        with suppress(OSError):
            todo += [int(x) for x in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
    return out


def memory_of(pid: int) -> list[dict[str, Any]]:
    """RSS and PSS (MiB) of the server and every process under it (Linux /proc)."""
    rows = []
    tree = process_tree(pid)
    for p in tree:
        with suppress(OSError):
            cmd = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = {}
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines()[1:]:
                name, _, rest = line.partition(":")
                fields[name.strip()] = int(rest.split()[0]) if rest.split() else 0
            role = (("supervisor" if len(tree) > 1 else "server") if p == pid else
                    "resource_tracker" if "resource_tracker" in cmd else "worker")
            rows.append({"pid": p, "role": role, "rss_mib": round(fields.get("Rss", 0) / 1024, 1),
                         "pss_mib": round(fields.get("Pss", 0) / 1024, 1),
                         "shared_mib": round((fields.get("Shared_Clean", 0) + fields.get("Shared_Dirty", 0)) / 1024,
                                             1)})
    return rows


def wait_ready(base: str, timeout: float, proc: subprocess.Popen[bytes] | None) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode} before it was ready")
        with suppress(httpx.HTTPError):
            r = httpx.get(f"{base}/readyz", timeout=5)
            if r.status_code == 200:
                return r.json()  # type: ignore[no-any-return]
            if r.json().get("status") == "failed":
                raise SystemExit(f"index failed to load: {r.json().get('reason')}")
        time.sleep(0.5)
    raise SystemExit(f"server not ready after {timeout:.0f} s")


async def drive(base: str, clients: int, seconds: float, ask_ratio: float, top_k: int,
                seed: int) -> dict[str, Any]:
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, Counter[int]] = defaultdict(Counter)
    failures: Counter[str] = Counter()
    deadline = time.monotonic() + seconds

    async def client(n: int) -> None:
        rng = random.Random(seed + n)
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(120.0), limits=limits) as http:
            while time.monotonic() < deadline:
                q = rng.choice(QUESTIONS)
                kind = "ask" if rng.random() < ask_ratio else "search"
                t = time.perf_counter()
                try:
                    if kind == "ask":
                        r = await http.post("/api/ask", json={"question": q, "top_k": top_k})
                    else:
                        r = await http.get("/api/search", params={"q": q, "top_k": top_k})
                except httpx.HTTPError as exc:
                    failures[f"{kind}:{type(exc).__name__}"] += 1
                    continue
                latencies[kind].append(time.perf_counter() - t)
                statuses[kind][r.status_code] += 1
                if r.status_code == 503 and r.headers.get("retry-after"):
                    await asyncio.sleep(min(float(r.headers["retry-after"]), 1.0))

    t0 = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - t0
    per_route = {}
    for kind in ("search", "ask"):
        lat = latencies[kind]
        per_route[kind] = {
            "requests": sum(statuses[kind].values()),
            "status": {str(k): v for k, v in sorted(statuses[kind].items())},
            "throughput_rps": round(len(lat) / elapsed, 2) if elapsed else 0.0,
            "p50_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95), "p99_ms": percentile(lat, 99),
            "max_ms": round(max(lat) * 1000, 2) if lat else None,
        }
    all_status: Counter[int] = sum(statuses.values(), Counter())
    all_lat = [x for v in latencies.values() for x in v]
    return {
        "elapsed_s": round(elapsed, 2),
        "requests": sum(all_status.values()),
        "errors_by_status": {str(k): v for k, v in sorted(all_status.items()) if k >= 400},
        "server_errors_5xx": sum(v for k, v in all_status.items() if k >= 500),
        "transport_errors": dict(failures),
        "throughput_rps": round(len(all_lat) / elapsed, 2) if elapsed else 0.0,
        "p50_ms": percentile(all_lat, 50), "p95_ms": percentile(all_lat, 95), "p99_ms": percentile(all_lat, 99),
        "routes": per_route,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.load_test", description=__doc__.split("\n\n")[0])
    p.add_argument("--index", type=Path, default=Path("index/default"), help="index to serve")
    p.add_argument("--url", default=None, help="drive this running server instead (loopback only)")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--ask-ratio", type=float, default=0.3, help="share of requests that are /api/ask")
    p.add_argument("--top-k", type=int, default=8)
    p.add_argument("--queue", type=int, default=None, help="server generation queue (default: --clients)")
    p.add_argument("--concurrency", type=int, default=1, help="server generation concurrency")
    p.add_argument("--ready-timeout", type=float, default=300.0)
    p.add_argument("--server-log", type=Path, default=None, help="write the server's log here")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", default=f"1,{_cores()}",
                   help="comma-separated worker counts, one measured run each (default: 1 and the CPU cores)")
    p.add_argument("--warmup-seconds", type=float, default=5.0, help="unmeasured load before each run")
    args = p.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0 or not 0 <= args.ask_ratio <= 1:
        p.error("--clients >= 1, --seconds > 0, 0 <= --ask-ratio <= 1")

    if args.url:
        if not _is_loopback(args.url):
            p.error("--url must be a loopback address (127.0.0.1, ::1, localhost)")
        base = args.url.rstrip("/")
        t = time.monotonic()
        ready = wait_ready(base, args.ready_timeout, None)
        runs = [{"workers": None, "startup_s": round(time.monotonic() - t, 1), **ready_fields(ready),
                 **asyncio.run(drive(base, args.clients, args.seconds, args.ask_ratio, args.top_k, args.seed))}]
    else:
        if not args.index.exists():
            print(f"index not found: {args.index}; run `legal-rag ingest` first", file=sys.stderr)
            return 3
        try:
            worker_counts = [int(x) for x in args.workers.split(",") if x.strip()]
        except ValueError:
            p.error("--workers: comma-separated numbers, e.g. 1,2")
        if not worker_counts or min(worker_counts) < 1:
            p.error("--workers: each at least 1")
        runs = [run_one(args, w) for w in worker_counts]
    report = {
        "schema_version": 2, "target": args.url or "127.0.0.1 (started here)", "clients": args.clients,
        "seconds": args.seconds, "ask_ratio": args.ask_ratio, "cpu_cores": _cores(), "runs": runs,
        "comparison": [{k: r.get(k) for k in ("workers", "requests", "server_errors_5xx", "throughput_rps",
                                               "p50_ms", "p95_ms", "p99_ms")} for r in runs],
        "ok": all(r["server_errors_5xx"] == 0 and not r["transport_errors"] for r in runs),
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if report["ok"] else 1


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def ready_fields(ready: dict[str, Any]) -> dict[str, Any]:
    return {"build_id": (ready.get("index") or {}).get("build_id"), "generator": ready.get("generator")}


def run_one(args: argparse.Namespace, workers: int) -> dict[str, Any]:
    """One server with `workers` processes: start, wait until all are warm, warm up, measure, stop."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(args.index, port, args.queue if args.queue is not None else args.clients,
                        args.concurrency, args.server_log, workers)
    try:
        t = time.monotonic()
        ready = wait_ready(base, args.ready_timeout, proc)
        wait_all_workers(base, workers, args.ready_timeout, proc)
        startup = time.monotonic() - t
        if args.warmup_seconds > 0:  # not measured: first requests on each connection and thread
            asyncio.run(drive(base, args.clients, args.warmup_seconds, args.ask_ratio, args.top_k, args.seed + 7))
        result = asyncio.run(drive(base, args.clients, args.seconds, args.ask_ratio, args.top_k, args.seed))
        memory = memory_of(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
    return {"workers": workers, "startup_s": round(startup, 1), **ready_fields(ready), **result,
            "memory": memory}


if __name__ == "__main__":
    sys.exit(main())
